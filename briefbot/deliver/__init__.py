"""Delivery channels: pure senders that put an already-rendered message on the wire.

They keep no state and decide nothing about retrying later: each failure is a
``DeliveryError`` saying whether trying again can help (``retryable``) and what was already
delivered (``posted``), so the outbox can record it and retry or give up.
"""

from __future__ import annotations

from ..errors import DeliveryError

# The channel modules import DeliveryError from this package.
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
