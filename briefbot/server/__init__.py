"""`briefbot serve`: Slack's `/brief` slash command and a health check, over HTTP.

``http`` holds the routes and limits, ``signatures`` the request verification,
``commands`` the command grammar and ``slack`` the formatting of answers.
"""

from __future__ import annotations

from .commands import BriefArgs, SlashCommand, UsageError, parse_brief_text, parse_command
from .http import MAX_BODY, create_app, serve
from .signatures import require_signing_secret
from .slack import MAX_POSTS, brief_payloads

__all__ = [
    "MAX_BODY",
    "MAX_POSTS",
    "BriefArgs",
    "SlashCommand",
    "UsageError",
    "brief_payloads",
    "create_app",
    "parse_brief_text",
    "parse_command",
    "require_signing_secret",
    "serve",
]
