"""Article identity: the same article via different URLs gets one key."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from briefbot.ingest.identity import article_key, content_hash, normalise_url

FEED = "https://ledger.example/feed/"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "HTTPS://Ledger.Example:443/Politics/Tram?utm_source=rss&utm_medium=feed#comments",
            "https://ledger.example/Politics/Tram",
        ),
        ("http://ledger.example:80/", "http://ledger.example"),
        ("http://ledger.example:8080/a", "http://ledger.example:8080/a"),
        ("https://ledger.example/a?b=2&a=1&fbclid=XYZ&gclid=1", "https://ledger.example/a?a=1&b=2"),
        (
            "https://ledger.example/a?id=7&mc_cid=1&mc_eid=2&igshid=3&ref_src=4&cmpid=5&ocid=6&_ga=7",
            "https://ledger.example/a?id=7",
        ),
        ("https://ledger.example/a/", "https://ledger.example/a/"),  # only an empty path loses its slash
        ("https://ledger.example/?q=", "https://ledger.example?q="),
        ("not a url", "not a url"),
    ],
)
def test_normalise_url(raw: str, expected: str) -> None:
    assert normalise_url(raw) == expected


def test_same_article_via_two_urls_has_one_key() -> None:
    a = article_key("https://Ledger.example/politics/tram?utm_campaign=x#top", None, FEED)
    b = article_key("/politics/tram", "ledger-4711", FEED)  # relative link, resolved against the feed
    assert a == b == "https://ledger.example/politics/tram"


def test_guid_key_is_scoped_by_feed() -> None:
    a = article_key(None, "item-1", "https://one.example/rss")
    b = article_key(None, "item-1", "https://two.example/rss")
    assert a != b and a.startswith("guid:")
    assert article_key("", "item-1", "https://one.example/rss?utm_source=x") == a


def test_permalink_guid_without_link() -> None:
    assert article_key(None, "https://ledger.example/x?utm_source=a", FEED) == "https://ledger.example/x"


def test_no_link_no_guid() -> None:
    with pytest.raises(ValueError):
        article_key(None, None, FEED)


def test_content_hash_ignores_whitespace_only() -> None:
    assert content_hash("Tram  line", "A\n\nB ") == content_hash("Tram line", "A B")
    assert content_hash("Tram line", "A B") != content_hash("Tram line", "A C")
    assert len(content_hash(None, None)) == 64


@given(
    st.text(alphabet=st.characters(categories=["L", "N"]), max_size=20),
    st.dictionaries(st.sampled_from(["a", "b", "id", "utm_source", "fbclid"]), st.text(max_size=5)),
)
def test_normalise_is_idempotent(path: str, params: dict[str, str]) -> None:
    from urllib.parse import quote, urlencode

    url = f"https://Example.com/{quote(path)}?{urlencode(params)}#frag"
    once = normalise_url(url)
    assert normalise_url(once) == once
    assert "utm_source" not in once and "fbclid" not in once and "#" not in once
