"""Slack Block Kit helpers that keep every message inside Slack's limits.

Why a module of its own: article text is hostile input (``<!channel>`` in a quote pings a
whole workspace, ``<https://evil|bank>`` disguises a link), and Slack refuses a message
that breaks any of its limits (50 blocks, 3,000 characters per section, 150 per header,
~13,000 characters of block text per message, reported only as ``msg_blocks_too_long``).
Templates build blocks with these helpers, and ``split_messages`` packs them into as many
messages as needed, the first being the head of a thread and the rest its replies.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

__all__ = [
    "CONTEXT_MAX_ELEMENTS",
    "HEADER_MAX",
    "MESSAGE_MAX_BLOCKS",
    "MESSAGE_MAX_CHARS",
    "SECTION_MAX",
    "TEXT_MAX",
    "Message",
    "block_text_length",
    "context",
    "divider",
    "header",
    "link",
    "mrkdwn_escape",
    "section",
    "split_messages",
]

HEADER_MAX = 150
SECTION_MAX = 3000
CONTEXT_MAX_ELEMENTS = 10
MESSAGE_MAX_BLOCKS = 50
# Slack refuses messages around 13,000 characters of block text (msg_blocks_too_long)
# although no per-block limit is broken; stay well below.
MESSAGE_MAX_CHARS = 11_000
# Slack truncates `text` beyond 40,000 characters; the fallback is a notification line,
# so keep it short.
TEXT_MAX = 3000
ELLIPSIS = "…"

Block = dict[str, Any]


@dataclass
class Message:
    """One chat.postMessage payload: blocks plus the `text` fallback Slack needs for
    notifications and screen readers."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


# -- text --------------------------------------------------------------------------------


def mrkdwn_escape(text: str) -> str:
    """Escape the three characters Slack treats as control sequences.

    Afterwards ``<!channel>``, ``<@U123>`` and ``<https://evil|bank>`` show as literal text.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_SAFE_URL_CHARS = "/:?#[]@!$&'()*+,;=%-._~"


def link(url: str, label: str | None = None) -> str:
    """A ``<url|label>`` link that cannot be bent into a different one.

    Only http(s) URLs become links (a ``javascript:`` or ``slack://`` URL from a feed gives
    just the label). Characters that end the URL or start the label (``|``, ``>``, ``<``,
    spaces, control characters) are percent-encoded; ``&`` is entity-escaped as Slack
    expects; the label is escaped like any text.
    """
    label_text = " ".join((label or "").split())
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return mrkdwn_escape(label_text or url)
    # quote() leaves already-encoded %XX alone via '%' in safe, encodes | < > " space etc.
    safe_url = quote(url, safe=_SAFE_URL_CHARS).replace("&", "&amp;")
    if not label_text:
        return f"<{safe_url}>"
    return f"<{safe_url}|{mrkdwn_escape(label_text)}>"


def _truncate(text: str, limit: int) -> str:
    """Cut to `limit` characters, ending in an ellipsis when something was cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


_PARTIAL_TAIL_RE = re.compile(r"(&[a-z]{0,3}|<[^<>]*)$")


def _truncate_mrkdwn(text: str, limit: int) -> str:
    """Like _truncate, but never leaves half an entity (``&am``) or half a link behind."""
    if len(text) <= limit:
        return text
    return _PARTIAL_TAIL_RE.sub("", text[: limit - 1]).rstrip() + ELLIPSIS


# A cut must not fall inside an entity (&amp;) or a <link|label> / <!here> sequence.
_PROTECTED_RE = re.compile(r"&(?:amp|lt|gt);|<[^<>\n]*>")


def _split_mrkdwn(text: str, limit: int) -> list[str]:
    """Split text into chunks of at most `limit` characters.

    Prefers a paragraph break, then a line break, then a space; never cuts inside an
    entity or a link. Separators at a cut are dropped, everything else is kept. Linear in
    the text's length: spans are found once and looked up by bisection.
    """
    spans = [(m.start(), m.end()) for m in _PROTECTED_RE.finditer(text)]
    starts = [a for a, _ in spans]

    def inside(pos: int) -> int | None:
        """The start of the protected span that `pos` falls strictly inside, if any."""
        i = bisect_left(starts, pos) - 1
        return spans[i][0] if i >= 0 and spans[i][1] > pos else None

    chunks: list[str] = []
    begin, n = 0, len(text)
    while n - begin > limit:
        stop = begin + limit
        cut, skip = -1, 0
        for sep in ("\n\n", "\n", " "):
            pos = text.rfind(sep, begin, stop + 1)
            while pos > begin and inside(pos) is not None:
                pos = text.rfind(sep, begin, pos)
            if pos > begin:
                cut, skip = pos, len(sep)
                break
        if cut < 0:
            # No boundary at all: hard cut, moved back to the start of a span it would split.
            span_start = inside(stop)
            cut = span_start if span_start is not None and span_start > begin else stop
        head = text[begin:cut].rstrip()
        if head:
            chunks.append(head)
        begin = cut + skip
        while begin < n and text[begin] in "\n ":
            begin += 1
    if text[begin:].strip():
        chunks.append(text[begin:])
    return chunks


# -- blocks ------------------------------------------------------------------------------


def header(text: str) -> Block:
    """A header block: plain text on one line, at most 150 characters (ellipsis if cut)."""
    flat = " ".join(text.split()) or "(untitled)"
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": _truncate(flat, HEADER_MAX), "emoji": True},
    }


def section(mrkdwn: str, limit: int = SECTION_MAX) -> list[Block]:
    """Section blocks for already-escaped mrkdwn: one, or several when longer than 3,000.

    Returns a list so a long text is split instead of refused; empty text gives no block
    (Slack rejects an empty section).
    """
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": chunk}}
        for chunk in _split_mrkdwn(mrkdwn, limit)
    ]


def context(elements: Sequence[str | Block]) -> Block:
    """A context block of at most 10 elements (strings are already-escaped mrkdwn).

    Beyond ten, the rest is joined into the tenth as text (images by their alt text), so
    nothing is lost and Slack does not refuse the block.
    """
    items: list[Block] = [_context_element(e) for e in elements if e]
    if len(items) > CONTEXT_MAX_ELEMENTS:
        head, tail = items[: CONTEXT_MAX_ELEMENTS - 1], items[CONTEXT_MAX_ELEMENTS - 1 :]
        joined = " · ".join(_element_text(e) for e in tail)
        items = [*head, {"type": "mrkdwn", "text": _truncate_mrkdwn(joined, SECTION_MAX)}]
    return {"type": "context", "elements": items}


def _context_element(e: str | Block) -> Block:
    if isinstance(e, str):
        return {"type": "mrkdwn", "text": _truncate_mrkdwn(e, SECTION_MAX)}
    return e


def _element_text(e: Block) -> str:
    if e.get("type") == "image":
        return mrkdwn_escape(str(e.get("alt_text", "")))
    return str(e.get("text", ""))


def divider() -> Block:
    return {"type": "divider"}


# -- packing -----------------------------------------------------------------------------


def block_text_length(block: Any) -> int:
    """Characters of text in a block: every string value except `type` and ids.

    Counts more than Slack probably does (URLs, alt text), which is the safe side of an
    undocumented limit.
    """
    if isinstance(block, str):
        return len(block)
    if isinstance(block, dict):
        return sum(
            block_text_length(v) for k, v in block.items() if k not in ("type", "block_id", "action_id")
        )
    if isinstance(block, (list, tuple)):
        return sum(block_text_length(v) for v in block)
    return 0


def split_messages(
    blocks: Iterable[Block],
    fallback_text: str,
    *,
    max_blocks: int = MESSAGE_MAX_BLOCKS,
    max_chars: int = MESSAGE_MAX_CHARS,
) -> list[Message]:
    """Pack blocks, in order, into messages within Slack's per-message limits.

    No block is dropped: a block that alone exceeds `max_chars` (impossible for blocks made
    here) goes into a message of its own. A header is not left as the last block of a
    message, so it stays with what it heads. Every message carries a `text` fallback
    (Slack parses it as mrkdwn too: escape article text in it); the first message is the
    head (post it to the channel), the rest are replies in its thread.
    """
    pages: list[list[Block]] = []
    current: list[Block] = []
    size = 0
    for block in blocks:
        n = block_text_length(block)
        if current and (len(current) >= max_blocks or size + n > max_chars):
            carried: list[Block] = []
            if len(current) > 1 and current[-1].get("type") == "header":
                carried = [current.pop()]
            pages.append(current)
            current = carried
            size = sum(block_text_length(b) for b in current)
        current.append(block)
        size += n
    if current or not pages:
        pages.append(current)

    base = _truncate_mrkdwn(fallback_text.strip() or "briefbot", TEXT_MAX - 40)
    total = len(pages)
    messages: list[Message] = []
    for i, page in enumerate(pages, start=1):
        text = base if i == 1 else f"{base} (continued {i}/{total})"
        messages.append(Message(text=text, blocks=page))
    return messages
