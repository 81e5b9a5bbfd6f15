"""`briefbot analyze PATH... [--format json|jsonl|markdown]` for files (the CLI wires URLs)."""

from __future__ import annotations

from collections.abc import Callable

import argparse
import json
import sys
from typing import IO, Any

from . import Analyser, Analysis, ArticleText, load_input

FORMATS = ("json", "jsonl", "markdown")


def render_markdown(a: Analysis) -> str:
    """A readable view: key points, who said what, where each side stands, who appears."""
    out: list[str] = [f"# {a.title or a.input or 'Article'}", ""]
    meta = [x for x in (a.published.date().isoformat() if a.published else None, a.url or a.input) if x]
    if meta:
        out += [" · ".join(meta), ""]
    if a.key_points:
        out += ["## Key points", ""] + [f"- {p}" for p in a.key_points] + [""]
    full = [q for q in a.quotes if not q.partial]
    if full:
        out += ["## Quotes", ""]
        for q in full:
            out.append(f"- \u201c{q.text}\u201d \u2014 {q.speaker or 'unattributed'}")
        out.append("")
    if a.positions:
        out += ["## Positions", ""] + [f"- **{p.holder}**: {p.statement}" for p in a.positions] + [""]
    if a.actors:
        out += ["## Actors", ""]
        for act in a.actors:
            role = f", {act.role}" if act.role else ""
            out.append(f"- {act.name} ({act.kind}{role}) \u00d7{act.mentions}")
        out.append("")
    return "\n".join(out)


def main(
    inputs: list[str], fmt: str = "json", out: IO[str] | None = None,
    fetch_url: Callable[[str], ArticleText] | None = None,
) -> int:
    """Analyse files (and URLs, when the caller hands in a fetcher) and print them; returns an exit status."""
    out = out or sys.stdout  # looked up per call: a caller may have redirected stdout since import
    if fmt not in FORMATS:
        print(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}", file=sys.stderr)
        return 2
    if not inputs:
        print("no inputs given", file=sys.stderr)
        return 2
    articles = []
    for path in inputs:
        if "://" in path:
            if fetch_url is None:
                print(
                    f"{path}: URL inputs are fetched by the CLI (briefbot analyze URL), "
                    "not by briefbot.analyse.command",
                    file=sys.stderr,
                )
                return 2
            try:
                articles.append(fetch_url(path))
            except Exception as exc:  # noqa: BLE001 - report which input failed, in the user's words
                print(f"{path}: {exc}", file=sys.stderr)
                return 2
            continue
        try:
            articles.append(load_input(path))
        except OSError as exc:
            print(f"{path}: cannot read: {exc.strerror or exc}", file=sys.stderr)
            return 2
    analyser = Analyser()
    results: list[dict[str, Any]] = []
    for analysis in analyser.analyse_many(articles):
        if fmt == "jsonl":
            out.write(json.dumps(analysis.to_dict(), ensure_ascii=False) + "\n")
            out.flush()
        elif fmt == "markdown":
            out.write(render_markdown(analysis) + "\n")
        else:
            results.append(analysis.to_dict())
    if fmt == "json":
        payload: Any = results[0] if len(results) == 1 else results
        out.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    return 0


def _cli(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="briefbot analyze", description=__doc__)
    ap.add_argument("inputs", nargs="+", metavar="PATH")
    ap.add_argument("--format", choices=FORMATS, default="json")
    args = ap.parse_args(argv)
    return main(args.inputs, args.format)


if __name__ == "__main__":
    sys.exit(_cli())
