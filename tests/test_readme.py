"""README.md documents every config key and every command, so adding one without documenting it fails.

Rules (deliberately exact, so that a key or command mentioned only in passing does not count):

- Config keys: every field of ``briefbot.config.Config``, at every depth (``base_dir`` excepted: it
  is set by the loader, not written in the file), has a row of its own in the table of the
  "Configuration reference" section, with its full path in backticks as the first cell and a
  non-empty default and meaning: ``| `network.allow_private` | `false` | ... |``. Items of a list
  are written ``[]`` (``sources[].interval``), values of a mapping ``*``. Conversely every row of
  that table names a real key, so a renamed or removed key cannot leave a stale row behind.
- Commands: every command and subcommand of ``briefbot.cli.main`` (hidden ones excepted) appears in
  the "Commands" section (including its ### subsections) as a code span that starts with
  ``briefbot`` and the full command path: `` `briefbot watch add NAME QUERY ...` ``.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path

import click
from pydantic import BaseModel

from briefbot.cli import main
from briefbot.config import Config

README = Path(__file__).resolve().parent.parent / "README.md"
SKIP_FIELDS = {"base_dir"}


def section(title: str) -> str:
    """The text of the `## title` section, up to the next heading of the same or a higher level."""
    lines = README.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^(#+)\s+(.*?)\s*$", line)
        if m and m.group(2) == title:
            level = len(m.group(1))
            body = []
            for rest in lines[i + 1 :]:
                h = re.match(r"^(#+)\s", rest)
                if h and len(h.group(1)) <= level:
                    break
                body.append(rest)
            return "\n".join(body)
    raise AssertionError(f"README.md has no section titled {title!r}")


# -- config keys ----------------------------------------------------------------------------------


def _nested(ann: object, suffix: str = "") -> Iterator[tuple[str, type[BaseModel]]]:
    """(path suffix, model) for every model reachable from a field's annotation."""
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin is typing.Annotated:
        yield from _nested(args[0], suffix)
    elif origin is typing.Union or origin is types.UnionType:
        for a in args:
            yield from _nested(a, suffix)
    elif isinstance(origin, type) and issubclass(origin, Sequence | AbstractSet) and origin is not str:
        for a in args:
            if a is not Ellipsis:
                yield from _nested(a, suffix + "[]")
    elif isinstance(origin, type) and issubclass(origin, Mapping):
        if len(args) == 2:
            yield from _nested(args[1], suffix + ".*")
    elif isinstance(ann, type) and issubclass(ann, BaseModel):
        yield suffix, ann


def config_keys(model: type[BaseModel] = Config, prefix: str = "", seen: tuple[type, ...] = ()) -> list[str]:
    keys: list[str] = []
    for name, field in model.model_fields.items():
        if name in SKIP_FIELDS:
            continue
        key = field.alias or name
        path = f"{prefix}.{key}" if prefix else key
        keys.append(path)
        for suffix, sub in _nested(field.annotation):
            if sub not in seen:  # a model that contains itself is documented once
                keys.extend(config_keys(sub, path + suffix, (*seen, model)))
    return list(dict.fromkeys(keys))


def documented_keys() -> dict[str, list[str]]:
    """First-cell key → all cells, for each row of the configuration reference table(s)."""
    rows: dict[str, list[str]] = {}
    for line in section("Configuration reference").splitlines():
        m = re.match(r"^\|\s*`([^`]+)`\s*\|(.*)\|\s*$", line)
        if m:
            rows[m.group(1)] = [c.strip() for c in m.group(2).split("|")]
    return rows


def test_walk_finds_nested_keys() -> None:
    # guard the walker itself: if it stopped descending, the README test would pass vacuously
    keys = config_keys()
    for expected in (
        "network.allow_private",
        "sources[].interval",
        "watches[].query",
        "slack.token",
        "email.smtp_port",
        "scheduler.tick",
        "digests[].watches",
    ):
        assert expected in keys
    assert "base_dir" not in keys


def test_every_config_key_has_a_row_in_the_configuration_reference() -> None:
    rows = documented_keys()
    missing = [k for k in config_keys() if k not in rows]
    assert not missing, (
        "config keys missing from README.md's 'Configuration reference' table (add a row "
        "'| `KEY` | default | what it does |' for each): " + ", ".join(missing)
    )
    empty = [k for k, cells in rows.items() if len(cells) < 2 or not all(cells)]
    assert not empty, f"rows need a default and a meaning: {', '.join(empty)}"


def test_every_row_of_the_configuration_reference_is_a_real_key() -> None:
    stale = sorted(set(documented_keys()) - set(config_keys()))
    assert not stale, f"README.md documents keys the config does not have: {', '.join(stale)}"


# -- commands -------------------------------------------------------------------------------------


def command_paths(group: click.Group = main, prefix: tuple[str, ...] = ()) -> list[str]:
    paths: list[str] = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if cmd is None or cmd.hidden:
            continue
        paths.append(" ".join((*prefix, name)))
        if isinstance(cmd, click.Group):
            paths.extend(command_paths(cmd, (*prefix, name)))
    return paths


def test_walk_finds_subcommands() -> None:
    paths = command_paths()
    assert "check" in paths and "watch add" in paths


def test_every_command_is_in_the_commands_section() -> None:
    text = section("Commands")
    missing = [p for p in command_paths() if not re.search(rf"`briefbot {re.escape(p)}[ `]", text)]
    assert not missing, (
        "commands missing from README.md's 'Commands' section (document each as "
        "`briefbot COMMAND [OPTIONS]` — what it does): " + ", ".join(f"briefbot {p}" for p in missing)
    )
