"""The Jinja2 environment, and rendering each kind of message in each medium.

Templates live in the top-level ``templates/`` folder; an installed copy carries
them inside the package (``briefbot/templates``). ``templates_dir`` in the config
puts an operator's folder first, so any single template can be overridden.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    meta,
    nodes,
    select_autoescape,
)
from jinja2.exceptions import TemplateError, TemplateNotFound, TemplateSyntaxError, UndefinedError

from ..errors import BriefbotError
from .filters import (
    HIGHLIGHT_FILTERS,
    also_reported,
    html_link,
    http_url,
    key_point,
    lead_source,
    md_escape,
    md_link,
    mrkdwn,
    oneline,
    plural,
    slack_code,
    slack_link,
    tojson,
    top_actors,
    top_positions,
    top_quotes,
    when,
    why_spans,
)

if TYPE_CHECKING:
    from ..deliver.blocks import Block, Message

__all__ = [
    "KINDS",
    "MEDIA",
    "RenderError",
    "check_templates",
    "RenderedEmail",
    "default_templates_dir",
    "email_subject",
    "environment",
    "render",
    "render_email",
    "render_markdown",
    "render_slack",
    "template_name",
]

Kind = Literal["digest", "alert", "brief"]
Medium = Literal["slack", "html", "txt", "md"]
KINDS: tuple[Kind, ...] = ("digest", "alert", "brief")
MEDIA: tuple[Medium, ...] = ("slack", "html", "txt", "md")
_EXT: dict[str, str] = {"slack": "slack.json", "html": "html", "txt": "txt", "md": "md"}


class RenderError(BriefbotError):
    """A template failed: a typo (StrictUndefined), invalid JSON, a wrong shape. Names the template."""


def default_templates_dir() -> Path:
    """The shipped templates: ``briefbot/templates`` when installed, ``templates/`` in a source checkout."""
    package = Path(__file__).resolve().parent.parent  # briefbot/, as this is briefbot/render/environment.py
    for cand in (package / "templates", package.parent / "templates"):
        if cand.is_dir():
            return cand
    raise BriefbotError("the default templates are missing", hint="reinstall briefbot")


@lru_cache(maxsize=8)
def environment(templates_dir: str | None = None) -> Environment:
    """The Jinja environment: the operator's folder (if any) first, then the defaults."""
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
    env.filters.update(
        {
            # Markdown
            "md": md_escape,
            "md_link": md_link,
            # Slack
            "mrkdwn": mrkdwn,
            "slack_link": slack_link,
            "slack_code": slack_code,
            # HTML (autoescaped; these return Markup)
            "html_link": html_link,
            # plain text
            "oneline": oneline,
            "http_url": http_url,
            # data
            "when": when,
            "tojson": tojson,
            "tojson_compact": tojson,
            "key_point": key_point,
            "top_actors": top_actors,
            "top_quotes": top_quotes,
            "top_positions": top_positions,
            "also_reported": also_reported,
            "lead_source": lead_source,
            "plural": plural,
        }
    )
    env.filters.update(HIGHLIGHT_FILTERS)  # hl_md, hl_mrkdwn, hl_html, hl_text
    env.globals["why_spans"] = why_spans
    return env


def template_name(kind: str, medium: str) -> str:
    """``digest`` + ``slack`` → ``digest.slack.json.j2``."""
    if kind not in KINDS:
        raise RenderError(f"unknown message kind {kind!r}", hint="one of " + ", ".join(KINDS))
    if medium not in MEDIA:
        raise RenderError(f"unknown medium {medium!r}", hint="one of " + ", ".join(MEDIA))
    return f"{kind}.{_EXT[medium]}.j2"


def _shown(filename: str | None, templates_dir: str | None) -> str | None:
    """A template's file as the operator knows it: relative to its folder."""
    if not filename:
        return None
    for folder in (templates_dir, str(default_templates_dir())):
        if folder:
            try:
                return str(Path(filename).resolve().relative_to(Path(folder).resolve()))
            except ValueError:
                continue
    return filename


def _template_frames(tb: TracebackType | None, templates_dir: str | None) -> list[tuple[str, int]]:
    """(template, line) of each template frame, outermost first. Jinja rewrites the traceback of
    a render so each template frame is a fake one whose globals hold ``__jinja_exception__``;
    a compiled template's own frames hold ``__jinja_template__``, which maps their lines."""
    frames: list[tuple[str, int]] = []
    while tb is not None:
        glob = tb.tb_frame.f_globals
        shown = None
        if "__jinja_exception__" in glob:
            shown, line = _shown(tb.tb_frame.f_code.co_filename, templates_dir), tb.tb_lineno
        elif "__jinja_template__" in glob:  # not rewritten: a macro called from Python (subject())
            template = glob["__jinja_template__"]
            shown, line = (
                _shown(template.filename, templates_dir),
                template.get_corresponding_lineno(tb.tb_lineno),
            )
        if shown:
            frames.append((shown, line))
        tb = tb.tb_next
    return frames


def _chain(includers: list[tuple[str, int]]) -> str:
    """`` (included from a.j2 line 2)`` for the two nearest includers (nearest first), then a count."""
    chain = "".join(f" (included from {f} line {n})" for f, n in includers[:2])
    return chain + (f" (and {len(includers) - 2} more includes)" if len(includers) > 2 else "")


def _where(frames: list[tuple[str, int]], name: str) -> str:
    """``template alert.md.j2 line 3``: the innermost template frame, and who included it."""
    if not frames:
        return f"template {name}"
    inner, line = frames[-1]
    return f"template {inner} line {line}{_chain(frames[-2::-1])}"


def _template_error(e: Exception, name: str, templates_dir: str | None) -> BriefbotError:
    """Any exception out of loading or rendering template `name`, as a RenderError naming the
    template and line; a BriefbotError raised on purpose (by a filter) is returned unchanged."""
    if isinstance(e, BriefbotError):
        return e  # check_templates passes anything
    frames = _template_frames(e.__traceback__, templates_dir)
    folders = (
        f"templates_dir ({templates_dir}) or the default templates"
        if templates_dir
        else "the default templates"
    )
    if isinstance(e, TemplateSyntaxError):
        where = f"template {_shown(e.filename, templates_dir) or e.name or name} line {e.lineno}"
        outer = [f for f in frames if f[0] != (_shown(e.filename, templates_dir) or e.name)]
        return RenderError(
            f"{where}{_chain(outer[::-1])}: syntax error: {e.message}",
            hint="fix the Jinja syntax on that line",
        )
    if isinstance(e, TemplateNotFound):
        missing = e.name if isinstance(e.name, str) else str(e)
        if not frames:
            return RenderError(f"template {missing} not found in {folders}")
        return RenderError(
            f"{_where(frames, name)}: includes {missing}, which is not in {folders}",
            hint=f"create {missing} in templates_dir, or fix the name",
        )
    if isinstance(e, UndefinedError):
        return RenderError(
            f"{_where(frames, name)}: {e}", hint="a typo in the template, or a context key it does not have"
        )
    if isinstance(e, RecursionError):
        return RenderError(
            f"{_where(frames[:1], name)}: its includes lead back to it without end",
            hint="remove the include that loops back",
        )
    if isinstance(e, UnicodeDecodeError):
        what = f"{_where(frames, name)}: the template it includes" if frames else f"template {name}"
        return RenderError(f"{what} is not UTF-8 text ({e.reason})", hint="save it as UTF-8")
    if isinstance(e, TemplateError):
        return RenderError(f"{_where(frames, name)}: {e.message or type(e).__name__}")
    return RenderError(
        f"{_where(frames, name)}: {type(e).__name__}: {e}", hint="an expression in the template failed"
    )


def render(name: str, context: Mapping[str, Any], templates_dir: str | None = None) -> str:
    """Render one template by name; any template failure raises ``RenderError`` naming it and the line."""
    try:
        return environment(templates_dir).get_template(name).render(**context)
    except BriefbotError:
        raise
    except Exception as e:  # noqa: BLE001 - Jinja errors and errors raised by template expressions
        raise _template_error(e, name, templates_dir) from e


_REF_NODES = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)


def _ref_name(node: Any) -> str | None:
    """The fixed name an include/import/extends node names, None when computed."""
    template = getattr(node, "template", None)
    value = getattr(template, "value", None)
    return value if isinstance(value, str) else None


def check_templates(templates_dir: str | Path) -> list[str]:
    """Problems of an operator's templates, without rendering: every ``*.j2`` file in the folder
    is compiled (syntax errors) and every template it includes, imports or extends by a fixed
    name must exist (in the folder or the defaults) and compile too. ``file line N: problem``."""
    tdir = str(templates_dir)
    env = environment(tdir)
    own = FileSystemLoader(tdir).list_templates()
    todo = [n for n in own if n.endswith(".j2") and not Path(n).name.startswith(".")]
    queued: set[str] = set(todo)
    problems: list[str] = []
    while todo:
        name = todo.pop(0)
        assert env.loader is not None
        try:
            source, filename, _ = env.loader.get_source(env, name)
            ast = env.parse(source, name, filename)
        except Exception as e:  # noqa: BLE001 - each is reported, then the next template is checked
            problems.append(_template_error(e, name, tdir).message.removeprefix("template "))
            continue
        for ref in dict.fromkeys(meta.find_referenced_templates(ast)):
            if ref is None:
                continue  # a name computed at render time cannot be checked here
            try:
                env.loader.get_source(env, ref)
            except TemplateNotFound:
                line = next((n.lineno for n in ast.find_all(_REF_NODES) if _ref_name(n) == ref), None)
                at = f" line {line}" if line else ""
                where = f"{_shown(filename, tdir)}{at}"
                problems.append(f"{where}: includes {ref}, which is in neither the folder nor the defaults")
                continue
            except Exception:  # noqa: BLE001 - unreadable: reported when it is checked itself
                pass
            if ref not in queued:
                queued.add(ref)
                todo.append(ref)
    return problems


def _tdir(templates_dir: str | Path | None) -> str | None:
    return str(templates_dir) if templates_dir else None


# -- media ---------------------------------------------------------------------------------------


def render_markdown(kind: str, ctx: Mapping[str, Any], templates_dir: str | Path | None = None) -> str:
    """Markdown for the terminal and the archive."""
    return render(template_name(kind, "md"), ctx, _tdir(templates_dir))


@dataclass(frozen=True)
class RenderedEmail:
    """The three parts of an email; ``html`` has its CSS inlined, ``subject`` is one line."""

    subject: str
    text: str
    html: str


def email_subject(kind: str, ctx: Mapping[str, Any]) -> str:
    """The subject when a (custom) text template has no ``subject()`` macro."""
    if kind == "alert":
        return f"[{ctx['watch']}] {ctx['story']['title']}"
    if kind == "digest":
        n = ctx["counts"]["stories"]
        return f"Digest {ctx['digest']}: {n} {'story' if n == 1 else 'stories'}"
    q = ctx.get("query")
    n = len(ctx.get("stories") or [])
    return f"Brief{': ' + q if q else ''} ({n} {'story' if n == 1 else 'stories'})"


def render_email(kind: str, ctx: Mapping[str, Any], templates_dir: str | Path | None = None) -> RenderedEmail:
    """Subject, plain text and HTML of an email.

    The subject is the text template's ``subject()`` macro, flattened to one line (a title
    with CR/LF must not add a header). The HTML is autoescaped by Jinja; its ``<style>`` is
    inlined because many mail clients strip style blocks.
    """
    from ..deliver.email import SUBJECT_MAX, clean_header, inline_css

    tdir = _tdir(templates_dir)
    txt_name = template_name(kind, "txt")
    try:
        module = environment(tdir).get_template(txt_name).make_module(dict(ctx))
        text = str(module)
        subject_macro = getattr(module, "subject", None)
        subject = str(subject_macro()) if callable(subject_macro) else email_subject(kind, ctx)
    except BriefbotError:
        raise
    except Exception as e:  # noqa: BLE001 - Jinja errors and errors raised by template expressions
        raise _template_error(e, txt_name, tdir) from e
    subject = clean_header(subject, SUBJECT_MAX) or email_subject(kind, ctx)
    html = inline_css(render(template_name(kind, "html"), {**ctx, "subject": subject}, tdir))
    return RenderedEmail(subject=subject, text=text, html=html)


def _slack_payload(name: str, raw: str) -> tuple[str, list[Block]]:
    """Parse a Slack template's output; a template that writes bad JSON is named, with the spot."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        lines = raw.splitlines()
        near = lines[e.lineno - 1].strip()[:120] if 0 < e.lineno <= len(lines) else ""
        raise RenderError(
            f"template {name} produced invalid JSON: {e.msg} "
            f"at output line {e.lineno} column {e.colno}: {near!r}",
            hint="put text through |tojson and check the commas between blocks",
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("blocks"), list):
        raise RenderError(f'template {name} must produce an object with a "blocks" list')
    text = data.get("text")
    if not isinstance(text, str):
        raise RenderError(
            f'template {name} must produce a "text" fallback string',
            hint="Slack needs it for notifications and screen readers",
        )
    if not all(isinstance(b, dict) and isinstance(b.get("type"), str) for b in data["blocks"]):
        raise RenderError(f'template {name}: every block must be an object with a "type"')
    return text, data["blocks"]


def _enforce(blocks: Iterable[Block]) -> list[Block]:
    """Bring each block inside Slack's limits: long sections split, headers cut, contexts ≤10."""
    from ..deliver.blocks import context, header, section

    out: list[Block] = []
    for b in blocks:
        kind = b.get("type")
        if kind == "header":
            out.append(header(str((b.get("text") or {}).get("text") or "")))
        elif kind == "section" and isinstance(b.get("text"), dict) and set(b) <= {"type", "text"}:
            t = b["text"]
            if t.get("type", "mrkdwn") == "mrkdwn":
                out.extend(section(str(t.get("text") or "")))
            elif t.get("text"):
                out.append(b)
        elif kind == "context":
            if b.get("elements"):
                out.append(
                    context([e.get("text", "") if e.get("type") == "mrkdwn" else e for e in b["elements"]])
                )
        else:
            out.append(b)
    return out


def render_slack(kind: str, ctx: Mapping[str, Any], templates_dir: str | Path | None = None) -> list[Message]:
    """Slack messages: the first goes to the channel, the rest are replies in its thread.

    The JSON template's blocks are brought within Slack's limits and packed by
    ``split_messages``, so a long digest continues in the thread and never loses a story.
    """
    from ..deliver.blocks import split_messages

    name = template_name(kind, "slack")
    text, blocks = _slack_payload(name, render(name, ctx, _tdir(templates_dir)))
    return split_messages(_enforce(blocks), text)
