"""Post rendered messages to Slack: Web API (threaded) or an incoming webhook.

Why slack-sdk with explicit retry handlers: its defaults retry only connection errors,
while posting is rate limited (429 + Retry-After) and Slack has 5xx moments; both are
retried here inside one ``send``. Whatever still fails becomes a ``DeliveryError`` that
says whether to retry later and how many messages of a thread already went out.
"""

from __future__ import annotations

import logging
import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.jitter import Jitter
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookClient

from ..errors import ConfigError
from . import DeliveryError
from .blocks import Message

if TYPE_CHECKING:
    from pydantic import SecretStr

    from ..config import SlackConfig

__all__ = ["SlackResult", "SlackSender"]

log = logging.getLogger(__name__)

# Errors after which the same request can succeed later.
_RETRYABLE = {
    "ratelimited",
    "rate_limited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "timeout",
}
_AUTH = {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive", "no_permission"}
_BUG = {
    "msg_blocks_too_long",
    "invalid_blocks",
    "invalid_blocks_format",
    "msg_too_long",
    "no_text",
    "too_many_attachments",
    "invalid_arguments",
    "invalid_payload",
}


@dataclass
class SlackResult:
    """Where the messages went: the channel (or ``webhook``) and each message's ts.

    Incoming webhooks return no ts, so ``ts`` is empty there and ``count`` tells how many
    were posted.
    """

    channel: str
    ts: list[str] = field(default_factory=list)
    count: int = 0

    @property
    def thread_ts(self) -> str | None:
        return self.ts[0] if self.ts else None


class _BoundedRateLimitHandler(RateLimitErrorRetryHandler):
    """Waits out a 429 only when Retry-After is short: a long one is handed back as a
    retryable error with `retry_after`, so the outbox reschedules instead of a worker
    thread sleeping for minutes."""

    def __init__(self, max_retry_count: int, max_wait: float) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        wait = _retry_after(response.headers) if response is not None else None
        return wait is None or wait <= self.max_wait


class _ProportionalJitter(Jitter):
    """slack-sdk's RandomJitter adds up to a whole second to every wait; scale it instead,
    so the backoff factor alone sets how long retries take."""

    def recalculate(self, duration: float) -> float:
        return duration * (1 + random.random())


def _secret(value: str | SecretStr | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    return value.get_secret_value() or None


class SlackSender:
    """Sends ``Message`` lists to one workspace.

    With a token: Web API ``chat.postMessage``, later messages as replies in the first
    one's thread. With only a webhook URL: the webhook's fixed channel, no threads.
    """

    def __init__(
        self,
        token: str | SecretStr | None,
        base_url: str = "https://slack.com/api/",
        webhook_url: str | SecretStr | None = None,
        timeout: float = 30,
        max_retries: int = 3,
        *,
        backoff: float = 0.5,
        max_retry_wait: float = 30,
        bot_name: str = "briefbot",
    ) -> None:
        self._token = _secret(token)
        self._webhook_url = _secret(webhook_url)
        if not self._token and not self._webhook_url:
            raise ConfigError(
                "Slack is not configured: neither a token nor a webhook URL",
                hint="set slack.token (a bot token, xoxb-…) or slack.webhook_url in config.yaml",
            )
        # slack-sdk joins method names onto base_url: without the slash it builds wrong URLs.
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.bot_name = bot_name
        self.max_retry_wait = max_retry_wait
        t = max(1, math.ceil(timeout))
        if self._token:
            self._client: WebClient | None = WebClient(
                token=self._token,
                base_url=self.base_url,
                timeout=t,
                retry_handlers=self._retry_handlers(max_retries, backoff, max_retry_wait),
            )
            self._webhook: WebhookClient | None = None
        else:
            assert self._webhook_url is not None
            self._client = None
            # A logger of our own at INFO: slack-sdk's webhook debug lines contain the URL,
            # which is a secret (anyone holding it can post to the channel).
            wh_log = logging.getLogger(f"{__name__}.webhook")
            wh_log.setLevel(max(wh_log.level, logging.INFO))
            self._webhook = WebhookClient(
                url=self._webhook_url,
                timeout=t,
                logger=wh_log,
                retry_handlers=self._retry_handlers(max_retries, backoff, max_retry_wait),
            )

    @classmethod
    def from_config(cls, cfg: SlackConfig, *, timeout: float = 30, max_retries: int = 3) -> SlackSender:
        return cls(
            cfg.token,
            base_url=cfg.base_url,
            webhook_url=cfg.webhook_url,
            timeout=timeout,
            max_retries=max_retries,
        )

    @staticmethod
    def _retry_handlers(max_retries: int, backoff: float, max_wait: float) -> list[RetryHandler]:
        interval = BackoffRetryIntervalCalculator(backoff_factor=backoff, jitter=_ProportionalJitter())
        return [
            _BoundedRateLimitHandler(max_retries, max_wait),
            ServerErrorRetryHandler(max_retry_count=max_retries, interval_calculator=interval),
            ConnectionErrorRetryHandler(max_retry_count=max_retries, interval_calculator=interval),
        ]

    @property
    def mode(self) -> str:
        return "api" if self._client is not None else "webhook"

    def __repr__(self) -> str:
        return f"SlackSender(mode={self.mode!r}, base_url={self.base_url!r})"

    # -- sending -------------------------------------------------------------------------

    def send(
        self,
        channel: str,
        messages: Sequence[Message],
        thread: bool = True,
        *,
        thread_ts: str | None = None,
        unfurl: bool = False,
    ) -> SlackResult:
        """Post `messages` in order; the first is the head, the rest reply in its thread.

        `thread_ts` posts every message as a reply in an existing thread: the outbox uses it
        to resume a partial delivery (``DeliveryError.posted``) without repeating the head.
        `thread=False` posts all messages at the top level. Link previews are off by
        default: a digest full of links would otherwise unfurl the first few.
        """
        if not messages:
            return SlackResult(channel=channel if self._client else "webhook")
        if self._client is None:
            return self._send_webhook(messages, unfurl)
        posted: list[str] = []
        parent = thread_ts
        target = channel
        for i, msg in enumerate(messages):
            kwargs: dict[str, Any] = {
                "channel": target,
                "text": msg.text,
                "blocks": msg.blocks,
                "unfurl_links": unfurl,
                "unfurl_media": unfurl,
            }
            if parent:
                kwargs["thread_ts"] = parent
            try:
                resp = self._client.chat_postMessage(**kwargs)
            except SlackApiError as e:
                raise self._api_error(e, channel, posted, i, len(messages)) from None
            except (SlackClientError, OSError) as e:
                raise self._network_error(e, channel, posted, i, len(messages)) from None
            ts = str(resp.get("ts") or "")
            posted.append(ts)
            if thread and parent is None:
                parent = ts
            resp_channel = resp.get("channel")
            if isinstance(resp_channel, str) and resp_channel:
                # Slack answers with the channel ID; replies then need no name lookup.
                target = resp_channel
        return SlackResult(channel=target, ts=posted, count=len(posted))

    def _send_webhook(self, messages: Sequence[Message], unfurl: bool) -> SlackResult:
        assert self._webhook is not None
        count = 0
        for i, msg in enumerate(messages):
            try:
                resp = self._webhook.send(
                    text=msg.text, blocks=msg.blocks, unfurl_links=unfurl, unfurl_media=unfurl
                )
            except (SlackClientError, OSError) as e:
                raise self._network_error(e, "webhook", [], i, len(messages), done=count) from None
            if resp.status_code != 200:
                words = (resp.body or "").split()
                code = words[0][:64] if words else f"http_{resp.status_code}"
                raise self._failure(
                    code,
                    resp.status_code,
                    "the webhook's channel",
                    [],
                    i,
                    len(messages),
                    retry_after=_retry_after(resp.headers),
                    done=count,
                    webhook=True,
                )
            count += 1
        return SlackResult(channel="webhook", count=count)

    # -- errors --------------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        for secret in (self._token, self._webhook_url):
            if secret:
                text = text.replace(secret, "***")
        return text

    def _api_error(
        self, e: SlackApiError, channel: str, posted: list[str], index: int, total: int
    ) -> DeliveryError:
        resp = e.response
        data: Any = getattr(resp, "data", None)
        code = data.get("error") if isinstance(data, dict) else None
        status = getattr(resp, "status_code", None)
        if not isinstance(code, str) or not re.fullmatch(r"[a-z0-9_.]{1,64}", code):
            # e.g. slack-sdk's "Received a response in a non-JSON format: <html>…" for a 502 page
            code = f"http_{status}"
        headers = getattr(resp, "headers", None) or {}
        return self._failure(code, status, channel, posted, index, total, retry_after=_retry_after(headers))

    def _failure(
        self,
        code: str,
        status: int | None,
        channel: str,
        posted: list[str],
        index: int,
        total: int,
        *,
        retry_after: float | None = None,
        done: int | None = None,
        webhook: bool = False,
    ) -> DeliveryError:
        code = self._scrub(code)
        retryable = code in _RETRYABLE or status == 429 or (status is not None and status >= 500)
        hint = self._hint(code, channel, webhook)
        return DeliveryError(
            self._scrub(_where(channel, index, total, len(posted) if done is None else done) + f": {code}"),
            hint,
            retryable=retryable,
            code=code,
            status=status,
            retry_after=retry_after,
            posted=posted,
            channel=channel,
        )

    def _network_error(
        self,
        e: Exception,
        channel: str,
        posted: list[str],
        index: int,
        total: int,
        *,
        done: int | None = None,
    ) -> DeliveryError:
        detail = self._scrub(f"{type(e).__name__}: {e}")[:300]
        where = "the webhook" if self._client is None else self.base_url
        return DeliveryError(
            _where(channel, index, total, len(posted) if done is None else done)
            + f": cannot reach Slack ({detail})",
            hint=f"check the network and {where}; the message will be retried",
            retryable=True,
            code="connection_error",
            posted=posted,
            channel=channel,
        )

    def _hint(self, code: str, channel: str, webhook: bool) -> str | None:
        bot = f"@{self.bot_name}"
        if code in _AUTH:
            return (
                "check slack.token in config.yaml: a bot token (xoxb-…) of an app installed in this workspace"
            )
        if code == "not_in_channel":
            return f"invite the bot to {channel}: /invite {bot}"
        if code == "channel_not_found":
            if webhook:
                return (
                    "the webhook's channel is gone: create a new incoming webhook and set slack.webhook_url"
                )
            return (
                f"check the channel name or ID {channel!r} in config.yaml; "
                f"for a private channel invite the bot first: /invite {bot}"
            )
        if code in ("is_archived", "channel_is_archived"):
            return f"{channel} is archived: unarchive it or send to another channel"
        if code == "missing_scope":
            return "give the Slack app the chat:write scope and reinstall it to the workspace"
        if code in (
            "no_service",
            "no_active_hooks",
            "invalid_token",
            "action_prohibited",
            "posting_to_general_channel_denied",
        ):
            return (
                "the incoming webhook was revoked or may not post there: "
                "create a new one and set slack.webhook_url"
            )
        if code == "restricted_action":
            return f"the workspace's settings do not allow the bot to post in {channel}"
        if code in _BUG:
            return (
                "Slack refused the message's layout; this is a briefbot bug, please report it with the digest"
            )
        if code in _RETRYABLE or code.startswith("http_5"):
            return "Slack is busy or failing; the message will be retried"
        return None


def _where(channel: str, index: int, total: int, done: int) -> str:
    if total <= 1:
        return f"Slack refused the message to {channel}" if done == 0 else f"posting to {channel} failed"
    return f"posted {done} of {total} messages to {channel}; message {index + 1} failed"


def _retry_after(headers: Any) -> float | None:
    try:
        items = dict(headers).items()
    except (TypeError, ValueError):
        return None
    for k, v in items:
        if str(k).lower() == "retry-after":
            value = v[0] if isinstance(v, list) and v else v
            try:
                return float(value)
            except (TypeError, ValueError):
                return None
    return None
