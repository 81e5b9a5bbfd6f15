"""Local files and folders as sources (offline demos, exported newsletters, tests).

A folder is read flat (not recursively) and in name order, so a run is reproducible; the
kind of each file comes from its extension. The same size cap as for HTTP applies, because a
path in a config can point at anything (a log file, /dev/zero).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from briefbot.errors import FetchError

__all__ = ["LocalDoc", "LocalKind", "kind_for", "read_local", "to_path"]

LocalKind = Literal["feed", "page", "text"]

_KINDS: dict[str, LocalKind] = {
    ".xml": "feed",
    ".rss": "feed",
    ".atom": "feed",
    ".rdf": "feed",
    ".json": "feed",
    ".html": "page",
    ".htm": "page",
    ".xhtml": "page",
    ".txt": "text",
}


@dataclass(frozen=True)
class LocalDoc:
    path: Path
    body: bytes
    kind: LocalKind


def kind_for(path: Path) -> LocalKind | None:
    """The document kind for a file name, or None when briefbot does not read that kind."""
    return _KINDS.get(path.suffix.lower())


def to_path(location: str | Path) -> Path:
    """A filesystem path from a path or a ``file://`` URL (``~`` expanded)."""
    if isinstance(location, Path):
        return location.expanduser()
    if location.lower().startswith("file:"):
        parts = urlsplit(location)
        if parts.netloc not in ("", "localhost"):
            raise FetchError(
                f"cannot read {location}: file URLs on another host are not supported",
                "use file:///absolute/path",
                kind="not_found",
                url=location,
            )
        return Path(url2pathname(unquote(parts.path)))
    return Path(location).expanduser()


def _sniff(body: bytes) -> LocalKind:
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return "page"
    if head.startswith((b"<", b"{")):
        return "feed"
    return "text"


def _read(path: Path, max_bytes: int, origin: str) -> bytes:
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)  # read one byte past the cap: size() can lie (/dev, fifos)
    except FileNotFoundError:
        raise FetchError(
            f"{origin}: no such file: {path}", "check the path in the source", kind="not_found", url=str(path)
        ) from None
    except PermissionError:
        raise FetchError(
            f"{origin}: permission denied reading {path}",
            "make the file readable by the user briefbot runs as",
            kind="blocked",
            url=str(path),
        ) from None
    except OSError as exc:
        raise FetchError(
            f"{origin}: could not read {path}: {exc.strerror or exc}", kind="network", url=str(path)
        ) from None
    if len(data) > max_bytes:
        raise FetchError(
            f"{origin}: {path} is larger than the limit of {max_bytes:,} bytes",
            "raise network.max_bytes or split the file",
            kind="too_large",
            url=str(path),
        )
    return data


def read_local(
    location: str | Path, *, max_bytes: int = 10_000_000, errors: list[FetchError] | None = None
) -> list[LocalDoc]:
    """Read a file, or the readable files of a folder sorted by name.

    A single file with an unknown extension is sniffed (HTML page, feed, or plain text),
    since the user named it on purpose; in a folder such files (and dotfiles) are skipped.
    With ``errors``, a file of a folder that cannot be read (permissions, too large, gone
    meanwhile) is appended there and the others are still read: one bad file must not keep a
    folder's good ones out. Without it the first such file raises, as before.
    """
    path = to_path(location)
    origin = f"local source {location}"
    if not path.exists():
        raise FetchError(
            f"{origin}: {path} does not exist",
            "check the path; relative paths are resolved from the directory briefbot runs in",
            kind="not_found",
            url=str(path),
        )
    if path.is_dir():
        docs: list[LocalDoc] = []
        try:
            names = sorted(os.listdir(path))
        except PermissionError:
            raise FetchError(
                f"{origin}: permission denied listing {path}", kind="blocked", url=str(path)
            ) from None
        for name in names:
            child = path / name
            kind = kind_for(child)
            if name.startswith(".") or kind is None or not child.is_file():
                continue
            try:
                docs.append(LocalDoc(child, _read(child, max_bytes, origin), kind))
            except FetchError as exc:
                if errors is None:
                    raise
                errors.append(exc)
        return docs
    body = _read(path, max_bytes, origin)
    return [LocalDoc(path, body, kind_for(path) or _sniff(body))]
