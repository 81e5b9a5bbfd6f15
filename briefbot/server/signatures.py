"""Slack request signatures: only requests Slack signed in the last five minutes are accepted."""

from __future__ import annotations

from collections.abc import Mapping

from slack_sdk.signature import SignatureVerifier

from ..config import Config
from ..errors import BriefbotError

MAX_SKEW = 5 * 60  # seconds between Slack's timestamp and our clock (replay window)


def require_signing_secret(cfg: Config) -> str:
    """The signing secret; without one the server would accept anyone's commands, so refuse."""
    secret = (
        cfg.slack.signing_secret.get_secret_value().strip() if cfg.slack and cfg.slack.signing_secret else ""
    )
    if not secret:
        raise BriefbotError(
            "slack.signing_secret is not set: `briefbot serve` will not accept unverified requests",
            hint="add `slack: {signing_secret: ${SLACK_SIGNING_SECRET}}` to the config "
            "(the Slack app's Basic Information page shows the secret)",
        )
    return secret


class Verifier:
    """Checks X-Slack-Signature over the raw body with slack-sdk's verifier."""

    def __init__(self, secret: str) -> None:
        self.verifier = SignatureVerifier(secret)

    def problem(self, headers: Mapping[str, str], body: bytes) -> str | None:
        """None when Slack signed this body recently; else why not (logged, never the secret)."""
        ts = headers.get("x-slack-request-timestamp")
        sig = headers.get("x-slack-signature")
        if not ts or not sig:
            return "no X-Slack-Signature / X-Slack-Request-Timestamp header"
        try:
            when = int(ts)
        except ValueError:
            return "the timestamp is not a number"
        if abs(self.verifier.clock.now() - when) > MAX_SKEW:
            return "the timestamp is more than 5 minutes from now (a replay, or a wrong clock)"
        try:
            ok = self.verifier.is_valid(body=body, timestamp=ts, signature=sig)
        except UnicodeDecodeError:
            return "the body is not UTF-8"
        return None if ok else "the signature does not match"
