"""The Jinja2 environment: default templates, an operator's overrides, escaping per medium.

Templates live in the top-level ``templates/`` folder; an installed copy carries
them inside the package (``briefbot/templates``). ``templates_dir`` in the config
puts an operator's folder first, so any single template can be overridden.
"""
from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .errors import BriefbotError


def default_templates_dir() -> Path:
    here = Path(__file__).resolve().parent
    for cand in (here / "templates", here.parent / "templates"):
        if cand.is_dir():
            return cand
    raise BriefbotError("the default templates are missing", hint="reinstall briefbot")


def md_escape(value: Any) -> str:
    """Keep article text from turning into Markdown structure (links, emphasis, headings)."""
    text = "" if value is None else str(value)
    out = []
    for ch in text:
        if ch in "\\`*_[]<>#|":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out).replace("\n", " ")


def when(value: str | datetime | None, fmt: str = "%Y-%m-%d %H:%M %Z") -> str:
    if value is None:
        return "unknown time"
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    return dt.strftime(fmt).strip()


@lru_cache(maxsize=8)
def environment(templates_dir: str | None = None) -> Environment:
    loaders = []
    if templates_dir:
        loaders.append(FileSystemLoader(templates_dir))
    loaders.append(FileSystemLoader(str(default_templates_dir())))
    env = Environment(
        loader=ChoiceLoader(loaders),
        undefined=StrictUndefined,  # a typo in a template fails loudly instead of rendering blank
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    env.filters["when"] = when
    env.filters["tojson_compact"] = lambda v: json.dumps(v, ensure_ascii=False)
    return env


def render(name: str, context: dict[str, Any], templates_dir: str | None = None) -> str:
    return environment(templates_dir).get_template(name).render(**context)
