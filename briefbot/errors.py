"""One small tree of errors; each carries a hint a user can act on."""

from __future__ import annotations


class BriefbotError(Exception):
    """Base error: message says what went wrong, hint says what the user can do."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message + (f" (hint: {self.hint})" if self.hint else "")


class ConfigError(BriefbotError):
    """The configuration is invalid; `problems` lists every `path: what is wrong`."""

    def __init__(self, message: str, hint: str | None = None, problems: list[str] | None = None) -> None:
        super().__init__(message, hint)
        self.problems = problems or [message]


class FetchError(BriefbotError):
    """A source could not be fetched. `kind` lets the poller decide how to back off."""

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        kind: str = "network",
        status: int | None = None,
        retry_after: float | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message, hint)
        self.kind = kind  # blocked|timeout|too_large|http|network|redirects|not_found
        self.status = status
        self.retry_after = retry_after
        self.url = url


class FeedError(BriefbotError):
    """Content could not be parsed as what was expected (a feed, a page)."""


class StoreError(BriefbotError):
    """The database could not be opened or migrated."""


class DeliveryError(BriefbotError):
    """A message could not be delivered.

    ``retryable``: a later attempt may succeed (rate limit, 5xx, 4xx SMTP, network).
    ``posted``: Slack ts of the messages of this send that did reach the channel, so a
    partial delivery can be resumed in the same thread instead of repeated.
    ``code``: the service's own error name or number (``channel_not_found``, ``550``).
    Messages and hints never contain tokens, webhook URLs or passwords.
    """

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        retryable: bool,
        code: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
        posted: list[str] | None = None,
        channel: str | None = None,
    ) -> None:
        super().__init__(message, hint)
        self.retryable = retryable
        self.code = code
        self.status = status
        self.retry_after = retry_after
        self.posted: list[str] = list(posted or [])
        self.channel = channel


def describe(err: BriefbotError, source: str | None = None) -> list[str]:
    """The error as plain lines, the same for the terminal and Slack (each escapes them its way):
    the message, then the offending text with a caret under the column when the error has one
    (a query typo), then the hint prefixed with "hint: "."""
    lines = [err.message]
    column = getattr(err, "column", None)
    if source is not None and isinstance(column, int) and column >= 1:
        shown = " ".join(source.split("\n"))
        if len(shown) <= 200:
            lines += [shown, " " * (column - 1) + "^"]
    if err.hint:
        lines.append(f"hint: {err.hint}")
    return lines
