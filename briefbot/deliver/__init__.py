"""Delivery channels: pure senders that put an already-rendered message on the wire.

They keep no state and decide nothing about retrying later: each failure is a
``DeliveryError`` saying whether trying again can help (``retryable``) and what was already
delivered (``posted``), so the outbox can record it and retry or give up.
"""

from __future__ import annotations

from ..errors import BriefbotError


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


# Imported after DeliveryError: the channel modules import it from this package.
from .blocks import Message, context, divider, header, link, mrkdwn_escape, section, split_messages
from .email import EmailResult, EmailSender, build_message, inline_css
from .slack import SlackResult, SlackSender

__all__ = [
    "DeliveryError",
    "EmailResult",
    "EmailSender",
    "Message",
    "SlackResult",
    "SlackSender",
    "build_message",
    "context",
    "divider",
    "header",
    "inline_css",
    "link",
    "mrkdwn_escape",
    "section",
    "split_messages",
]
