"""Article extraction (trafilatura) and feed-fragment text (html_to_text)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from briefbot.ingest.extract import MIN_FULL_TEXT, extract_article, html_to_text

Fixture = Callable[[str], bytes]


def test_cluttered_page_gives_main_text_only(feed_fixture: Fixture) -> None:
    html = feed_fixture("article_cluttered.html").decode("utf-8")
    result = extract_article(html, "https://ledger.example/politics/tram-line-approved?utm_source=x")
    assert result.is_full and len(result.text) >= MIN_FULL_TEXT
    assert result.text.startswith("The valley council voted 23 to 9")  # headline not repeated
    assert '"It is on all of us to make it work," Mayor Elin Sandberg' in result.text
    assert result.text.count("\n\n") == 3  # four paragraphs, blank-line separated
    for clutter in ("cookies", "Subscribe", "Most read", "waste of money", "All rights reserved", "Privacy"):
        assert clutter not in result.text
    assert result.title == "Council approves new tram line"
    assert result.canonical_url == "https://ledger.example/politics/tram-line-approved"
    assert result.published == datetime(2026, 11, 3, 8, 30, tzinfo=UTC)


def test_short_page_is_not_full_text() -> None:
    result = extract_article(
        "<html><head><title>Brief</title></head><body><p>Only one line here.</p></body></html>"
    )
    assert not result.is_full
    assert len(result.text) < MIN_FULL_TEXT


def test_empty_page() -> None:
    result = extract_article("")
    assert result.text == "" and not result.is_full


def test_html_to_text_paragraphs_and_entities() -> None:
    fragment = (
        "<h2>The basics</h2><p>Quotas&nbsp;fall   by a\n tenth.</p>"
        "<ul><li>Cod</li><li>Herring</li></ul>Line one<br>Line two"
        "<script>track()</script><style>p { color: red }</style>"
        "<p>Fish &amp; chips &lt;3 &#8212; &eacute;</p>"
    )
    assert html_to_text(fragment) == (
        "The basics\n\nQuotas fall by a tenth.\n\nCod\n\nHerring\n\n"
        "Line one\n\nLine two\n\nFish & chips <3 — é"
    )


def test_html_to_text_plain_text_passes_through() -> None:
    assert html_to_text("  Just   text.\n\nSecond paragraph. ") == "Just text.\n\nSecond paragraph."
    assert html_to_text("") == ""
    assert html_to_text("a < b and c > d") == "a < b and c > d"


def test_html_to_text_inline_tags_do_not_split_words() -> None:
    assert html_to_text("<p>un<b>believ</b><i>able</i> <a href='#'>news</a></p>") == "unbelievable news"


def test_html_to_text_drops_non_content_and_keeps_structure() -> None:
    fragment = (
        "<style>p { x }</style><figure><figcaption>Caption</figcaption></figure>"
        "<p>Before<iframe src='//x'>frame text</iframe><noscript>no js</noscript> after</p>"
        "<!-- a comment --><p>Dash &#150; and &#8212;</p>"
    )
    assert html_to_text(fragment) == "Caption\n\nBefore after\n\nDash \u2013 and \u2014"


def test_html_to_text_nul_and_invisible_characters() -> None:
    assert html_to_text("<p>a\x00b\u200bc\u00ad</p>") == "abc"
    assert html_to_text("<!-- only a comment -->") == ""


def test_clean_html_and_text_removes_scripts_and_keeps_markup() -> None:
    from briefbot.ingest.extract import clean_html_and_text

    html, text = clean_html_and_text(
        "Lead <ul><li>Cod</li><li>Herring</li></ul><script>track()</script><p>Tail &amp; end</p>"
    )
    assert html is not None and "<li>Herring</li>" in html and "track" not in html and "<script" not in html
    assert html.startswith("Lead ")
    assert text == "Lead\n\nCod\n\nHerring\n\nTail & end"
    assert html_to_text(html) == text  # the cleaned markup says the same
    assert clean_html_and_text("<script>x()</script>") == (None, "")
    assert clean_html_and_text("   ") == (None, "")
