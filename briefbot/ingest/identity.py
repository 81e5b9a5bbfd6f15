"""Stable identities for articles, so one story seen twice is stored once.

The same article reaches us as ``https://Example.com/a?utm_source=rss#top`` from one feed
and ``https://example.com/a`` from another; both must give the same key. Where a feed has
no usable link, its guid is only unique within that feed, so the key is scoped by the feed.
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

__all__ = ["TRACKING_PARAMS", "article_key", "content_hash", "is_tracking_param", "normalise_url"]

TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "mc_cid",
        "mc_eid",
        "igshid",
        "igsh",
        "ref_src",
        "ref_url",
        "cmpid",
        "ocid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "wt_mc",
        "wt.mc_id",
        "s_cid",
        "smid",
        "rss_source",
        "at_medium",
        "at_campaign",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")  # Google Analytics, Piwik/Matomo
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)


def normalise_url(url: str) -> str:
    """A canonical form of ``url`` for comparison (not for fetching: it drops the fragment).

    Lower-cases scheme and host, drops default ports, fragments and tracking parameters,
    sorts the remaining query parameters, and removes the slash of an empty path
    ("https://example.com/" -> "https://example.com"). Non-URL strings come back trimmed.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if not scheme or not parts.netloc:
        return url
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{host}"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc += f":{port}"
    path = parts.path
    if path == "/":
        path = ""
    query_pairs = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_param(k)
    ]
    query = urlencode(sorted(query_pairs))
    return urlunsplit((scheme, netloc, path, query, ""))


def _is_http(value: str | None) -> bool:
    return bool(value) and urlsplit(value or "").scheme.lower() in ("http", "https")


def article_key(link: str | None, guid: str | None, feed_url: str) -> str:
    """The key an article is stored under.

    The normalised link when there is an http(s) link (relative links are resolved against
    the feed); otherwise a permalink-looking guid; otherwise ``guid:<feed>|<guid>``.
    Raises ValueError when there is neither link nor guid (use ``content_hash`` then).
    """
    if link and link.strip():
        absolute = urljoin(feed_url, link.strip())
        if _is_http(absolute):
            return normalise_url(absolute)
    if guid and guid.strip():
        guid = guid.strip()
        if _is_http(guid):
            return normalise_url(guid)
        return f"guid:{normalise_url(feed_url)}|{guid}"
    raise ValueError("an entry needs a link or a guid to have a key")


def content_hash(title: str | None, text: str | None) -> str:
    """sha256 hex of title and text with whitespace normalised: the same words, the same hash."""
    norm_title = " ".join((title or "").split())
    norm_text = " ".join((text or "").split())
    return hashlib.sha256(f"{norm_title}\n{norm_text}".encode()).hexdigest()
