"""Article extraction (trafilatura), feed-fragment text (html_to_text), the article loader and dates."""

from __future__ import annotations

import ast
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from briefbot.dates import parse_date
from briefbot.ingest.extract import MIN_FULL_TEXT, extract_article, html_to_text
from briefbot.ingest.loader import LoadError, load_file, load_html, load_text
from briefbot.model import ArticleText

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


# --------------------------------------------------------------------------- the article loader

_PAGE = (
    "<html><head><title>Dam repairs finish early</title>"
    "<meta property='article:published_time' content='2026-04-02T08:00:00Z'></head><body><article>"
    "<h1>Dam repairs finish early</h1><p>Engineers finished repairs to the Lindholm dam two weeks early, "
    "the water board said on Thursday, and the reservoir will be refilled over the summer.</p>"
    "<p>\u201cThe work went better than we hoped,\u201d said project lead Ingrid Sand, "
    "who has run the site "
    "since January and oversaw more than two hundred workers.</p></article></body></html>"
)


def test_text_headline_and_date_marker() -> None:
    art = load_text("Ferry service resumes after storm\n\ndate 2026-01-05\nThe ferry sailed again.\n")
    assert isinstance(art, ArticleText)
    assert art.title == "Ferry service resumes after storm"
    assert art.published == datetime(2026, 1, 5, tzinfo=UTC)
    assert art.body == "The ferry sailed again."


def test_text_marker_first_then_headline_crlf_and_bom() -> None:
    art = load_text(
        "\ufeffdate 2026-07-14\r\nQuarry expansion paused\r\n\r\nThe county paused it.\r\n", input="q.txt"
    )
    assert (art.title, art.body, art.input, art.url) == (
        "Quarry expansion paused",
        "The county paused it.",
        "q.txt",
        None,
    )
    assert art.published == datetime(2026, 7, 14, tzinfo=UTC)


def test_text_long_first_line_is_not_a_headline() -> None:
    art = load_text("This first line is a full sentence of the story and it ends with a stop.\n\nNext.")
    assert art.title is None and art.published is None
    assert art.body.startswith("This first line")


def test_text_bad_date_marker_gives_no_date() -> None:
    art = load_text("date 2026-02-30\nSnow closes the pass\n\nThe pass closed at noon.")
    assert art.published is None and art.title == "Snow closes the pass"


def test_load_file_text_with_date_marker_and_headline(tmp_path: Path) -> None:
    path = tmp_path / "orchard.txt"
    path.write_text(
        "date 2026-09-21\nOrchard growers form cooperative\n\n"
        "Forty apple growers in the Brenn valley formed a cooperative on Monday.\n",
        encoding="utf-8",
    )
    art = load_file(str(path))
    assert art.title == "Orchard growers form cooperative"
    assert art.published == datetime(2026, 9, 21, tzinfo=UTC)
    assert art.body == "Forty apple growers in the Brenn valley formed a cooperative on Monday."
    assert art.input == str(path) and art.url is None
    md = tmp_path / "orchard.md"
    md.write_bytes(path.read_bytes())
    assert load_file(md).title == "Orchard growers form cooperative"


def test_load_file_html_page(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(_PAGE, encoding="utf-8")
    art = load_file(str(path))
    assert art.title == "Dam repairs finish early"
    assert "Engineers finished repairs" in art.body and "Dam repairs finish early" not in art.body
    assert "\n\n\u201cThe work went better" in art.body  # paragraphs as blank-line paragraphs
    assert art.published is not None and art.published.year == 2026
    assert art.input == str(path)


def test_load_html_same_extraction_as_polls() -> None:
    art = load_html(_PAGE, url="https://water.example/dam")
    ex = extract_article(_PAGE, "https://water.example/dam")
    assert (art.title, art.body, art.published) == (ex.title, ex.text, ex.published)
    assert art.url == "https://water.example/dam" and art.input == "https://water.example/dam"
    assert load_html(_PAGE, url="https://water.example/dam", input="dam").input == "dam"
    page = _PAGE.replace("<head>", "<head><link rel='canonical' href='https://water.example/news/dam'>")
    assert load_html(page, url="https://water.example/dam?ref=x").url == "https://water.example/news/dam"
    assert load_html("").body == ""


def test_load_file_refuses_other_kinds_and_urls(tmp_path: Path) -> None:
    for name in ("report.pdf", "notes"):
        (tmp_path / name).write_bytes(b"%PDF-1.7")
        with pytest.raises(LoadError) as err:
            load_file(tmp_path / name)
        assert str(err.value).startswith(str(tmp_path / name) + ": cannot read")
        assert err.value.hint and ".txt" in err.value.hint
    with pytest.raises(LoadError, match="not a file"):
        load_file("https://example.com/story")


def test_load_file_unreadable(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match=r"nope\.txt: cannot read: No such file"):
        load_file(str(tmp_path / "nope.txt"))
    (tmp_path / "folder.txt").mkdir()
    with pytest.raises(LoadError, match=r"folder\.txt: cannot read"):
        load_file(tmp_path / "folder.txt")


def test_load_file_accepts_a_file_url(tmp_path: Path) -> None:
    path = tmp_path / "a b.txt"
    path.write_text("Bridge reopens\n\nThe bridge reopened.", encoding="utf-8")
    assert load_file(path.as_uri()).title == "Bridge reopens"


def test_ingest_does_not_import_analyse() -> None:
    """Stages keep to their folders: ingest produces ArticleText and never reaches into analyse."""
    for path in sorted((Path(__file__).parents[1] / "briefbot" / "ingest").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [("." * node.level) + (node.module or "")]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            assert not any("analyse" in n for n in names), f"{path.name} imports {names}"


# --------------------------------------------------------------------------- dates


def test_parse_date_forms() -> None:
    assert parse_date("2026-03-04") == datetime(2026, 3, 4, tzinfo=UTC)
    assert parse_date(" 2026-03-04T10:15:00 ") == datetime(2026, 3, 4, 10, 15, tzinfo=UTC)  # naive is UTC
    assert parse_date("2026-03-04T10:15:00Z") == datetime(2026, 3, 4, 10, 15, tzinfo=UTC)
    assert parse_date("2026-03-04T10:15:00+0000") == datetime(2026, 3, 4, 10, 15, tzinfo=UTC)
    late = parse_date("2026-03-04T00:30:00+02:00")
    assert (
        late == datetime(2026, 3, 3, 22, 30, tzinfo=UTC)
        and late is not None
        and late.utcoffset() == timedelta(0)
    )


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "   ",
        "Z",
        "yesterday",
        "2026-02-30",
        "2026-13-01",
        "2026-03-04T25:00",
        "2026-03-04T10:00+25:00",
        "9999-12-31T23:59:59-01:00",
        "0001-01-01T00:30:00+01:00",
        "\x00",
        "2026-03-04\x00",
    ],
)
def test_parse_date_bad_or_out_of_range_gives_none(value: str | None) -> None:
    assert parse_date(value) is None


def test_parse_date_extremes_in_range() -> None:
    assert parse_date("9999-12-31") == datetime(9999, 12, 31, tzinfo=UTC)
    assert parse_date("9999-12-31T23:59:59+01:00") == datetime(9999, 12, 31, 22, 59, 59, tzinfo=UTC)
    assert parse_date("0001-01-01") == datetime(1, 1, 1, tzinfo=UTC)


@given(st.text(max_size=40))
def test_parse_date_never_raises(value: str) -> None:
    result = parse_date(value)
    assert result is None or result.tzinfo is not None


@given(
    st.datetimes(
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=-11)), timezone(timedelta(hours=13))])
    )
)
def test_parse_date_round_trips_isoformat(dt: datetime) -> None:
    result = parse_date(dt.isoformat())
    if result is None:  # only when the instant lies outside datetime's range in UTC
        assert dt.year in (1, 9999)
    else:
        assert result == dt and result.utcoffset() == timedelta(0)


# --------------------------------------------------------------------------- markup nested too deep


@pytest.mark.parametrize("depth", [300, 5_000, 200_000])
def test_fragment_nested_past_the_parser_limit_keeps_its_text(depth: int) -> None:
    fragment = "<p>Lead.</p>" + "<div>" * depth + "<p>The deep text.</p>" + "</div>" * depth + "<p>After.</p>"
    assert html_to_text(fragment) == "Lead.\n\nThe deep text.\n\nAfter."


def test_page_nested_200000_divs_deep_is_extracted() -> None:
    body = " ".join(["The lock keeper said the canal reopens once the gates are mended."] * 8)
    deep = "<div>" * 200_000 + f"<p>{body}</p>" + "</div>" * 200_000
    html = f"<html><head><title>Canal gates</title></head><body><article>{deep}</article></body></html>"
    result = extract_article(html, "https://canal.example/gates")
    assert result.is_full and "lock keeper" in result.text


def test_ordinary_markup_is_not_flattened() -> None:
    from briefbot.ingest.extract import _flatten

    html = "<div>" * 50 + "<p>x</p>" + "</div>" * 50 + "<span>y</span>" * 500
    assert _flatten(html) is html  # many tags, none deeper than the limit: the very same string
