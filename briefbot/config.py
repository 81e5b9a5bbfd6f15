"""Load and validate config.yaml.

Every problem is reported with its key path (``sources[2].interval: expected a
duration like 15m``) so a user can fix the file without reading the code, and
values that may be secrets are never echoed back.
"""

from __future__ import annotations

import difflib
import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote, quote_plus
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
)

from .errors import ConfigError
from .model import Destination

DEFAULT_CONFIG = "config.yaml"
ENV_CONFIG = "BRIEFBOT_CONFIG"
SECRET_KEYS = {"token", "signing_secret", "password", "webhook_url", "username"}
# Limits no real config comes near; past them a file is a mistake or an attack (an alias
# "billion laughs", a runaway nesting), refused with its line before it costs memory or a traceback.
MAX_DEPTH = 50  # levels of lists and mappings; briefbot's own schema needs 5
MAX_ALIAS_VALUES = 100_000  # values that *aliases add, counting an alias as everything it names
# Shorter "secrets" are not masked: replacing every "en" or "42" in the logs hides more than it protects.
MIN_SECRET_LENGTH = 4

_DURATION_RE = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|secs|m|min|mins|h|hr|hrs|d|day|days|w)?\s*$", re.I
)
_DURATION_UNITS = {
    None: 1.0,
    "ms": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "m": 60.0,
    "min": 60.0,
    "mins": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hrs": 3600.0,
    "d": 86400.0,
    "day": 86400.0,
    "days": 86400.0,
    "w": 604800.0,
}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$", re.I)
_SIZE_UNITS = {
    None: 1,
    "b": 1,
    "kb": 1000,
    "kib": 1024,
    "mb": 1000**2,
    "mib": 1024**2,
    "gb": 1000**3,
    "gib": 1024**3,
}
_ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
# A bare ${VAR} as a whole value inside a flow mapping ({token: ${X}}) is not valid YAML;
# quote it before parsing so the documented form works, and expand after parsing so a
# value from the environment can never inject YAML structure.
_BARE_ENV_RE = re.compile(
    r"(?<=[:\[,{]\s)(\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}\"'\n]*)?\})(?=\s*(?:[,}\]#]|$))", re.M
)
_SCHEDULE_RE = re.compile(
    r"^(?:(?P<days>daily|weekdays|weekends|(?:mon|tue|wed|thu|fri|sat|sun)"
    r"(?:\s*[-,]\s*(?:mon|tue|wed|thu|fri|sat|sun))*)\s+)?(?P<hh>[01]?\d|2[0-3]):(?P<mm>[0-5]\d)$",
    re.I,
)


def parse_duration(value: Any) -> timedelta:
    """Accept 15m, 20s, 1h, 1.5d or a bare number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration like 15m")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        m = _DURATION_RE.match(str(value))
        if not m:
            raise ValueError("expected a duration like 15m, 30s, 2h or 1d")
        unit = m.group(2).lower() if m.group(2) else None
        seconds = float(m.group(1)) * _DURATION_UNITS[unit]
    if seconds != seconds or seconds < 0:  # NaN, or a negative number of seconds
        raise ValueError("expected a duration like 15m, 30s, 2h or 1d")
    try:
        return timedelta(seconds=seconds)
    except OverflowError:  # more than 999,999,999 days, or infinite
        raise ValueError("duration is too long") from None


def parse_size(value: Any) -> int:
    """Accept 10MB, 512KiB or a bare number of bytes."""
    if isinstance(value, bool):
        raise ValueError("expected a size like 10MB")
    if isinstance(value, int):
        return value
    m = _SIZE_RE.match(str(value))
    if not m:
        raise ValueError("expected a size like 10MB or 512KB")
    unit = m.group(2).lower() if m.group(2) else None
    try:
        return int(float(m.group(1)) * _SIZE_UNITS[unit])
    except OverflowError:  # 1e400, or 400 nines: infinite as a float
        raise ValueError("size is too large") from None


def _destination(value: Any) -> Destination:
    """slack:#channel, slack:C0123ABCD, slack:webhook, email:a@x or email:a@x,b@y; parsed once, here."""
    d = Destination.parse(value if isinstance(value, Destination) else str(value))
    if d.kind == "stdout":
        raise ValueError(
            "stdout is not a destination here; expected slack:#channel or email:name@example.com"
        )
    return d


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def _destinations(value: Any) -> Any:
    return [_destination(v) for v in value] if isinstance(value, list) else value


Destinations = Annotated[list[Destination], BeforeValidator(_destinations)]
Size = Annotated[int, BeforeValidator(parse_size)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class NetworkConfig(_Model):
    allow_private: bool = False
    allow_hosts: list[str] = Field(default_factory=list)
    timeout: Duration = timedelta(seconds=20)
    max_bytes: Size = Field(10_000_000, gt=0)
    max_redirects: int = Field(5, ge=0, le=20)
    user_agent: str = "briefbot/0.1 (+https://github.com/briefbot/briefbot)"
    per_host: int = Field(2, ge=1, le=32)
    workers: int = Field(16, ge=1, le=256)
    # Bounds of one poll (briefbot.ingest.poll): items stored from one feed (the rest wait, in
    # order, for the next poll), article pages fetched per source, the time one source may take,
    # and how long a page that failed for a passing reason is tried again.
    max_items_per_poll: int = Field(500, ge=1, le=100_000)
    max_pages_per_poll: int = Field(100, ge=0, le=10_000)
    source_deadline: Duration = timedelta(minutes=2)
    page_retry_window: Duration = timedelta(days=1)


class SourceConfig(_Model):
    name: str = Field(min_length=1)
    url: str = Field(min_length=1)
    interval: Duration = timedelta(minutes=15)
    kind: Literal["auto", "feed", "page"] = "auto"
    enabled: bool = True
    full_text: bool = True

    @field_validator("interval")
    @classmethod
    def _min_interval(cls, v: timedelta) -> timedelta:
        if v < timedelta(seconds=30):
            raise ValueError("must be at least 30s (be kind to publishers)")
        return v


class WatchConfig(_Model):
    name: str = Field(min_length=1, pattern=r"^[\w.-]+$")
    query: str = Field(min_length=1)
    to: Destinations = Field(default_factory=list)
    mode: Literal["immediate", "digest"] = "immediate"
    quiet_hours: str | None = None
    timezone: str = "UTC"  # of quiet_hours
    max_per_hour: int | None = Field(None, ge=1)

    @field_validator("query")
    @classmethod
    def _query(cls, v: str) -> str:
        # Parse it now so a typo is reported by `briefbot check` (and by every command that loads the
        # config) as `watches[0].query: column 11: ...`, not when the first article is matched.
        from .match import QueryError, compile_query  # here, so loading config does not load the matcher

        try:
            compile_query(v)
        except QueryError as e:
            raise ValueError(e.message + (f" (hint: {e.hint})" if e.hint else "")) from None
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        return DigestConfig._tz.__func__(cls, v)  # type: ignore[attr-defined]

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^([01]?\d|2[0-3]):[0-5]\d\s*-\s*([01]?\d|2[0-3]):[0-5]\d$", v):
            raise ValueError('expected a local time range like "22:00-07:00"')
        return v


class DigestConfig(_Model):
    name: str = Field(min_length=1, pattern=r"^[\w.-]+$")
    schedule: str
    timezone: str = "UTC"
    watches: list[str] | None = None
    to: Destinations = Field(default_factory=list)
    send_empty: bool = False

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, v: str) -> str:
        if _SCHEDULE_RE.match(v.strip()) or len(v.split()) == 5:
            return v
        raise ValueError('expected "mon-fri 07:30", "daily 18:00" or a 5-field cron expression')

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}; expected an IANA name like Europe/London") from None
        return v


class SlackConfig(_Model):
    token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    base_url: str = "https://slack.com/api/"
    webhook_url: SecretStr | None = None

    @field_validator("base_url")
    @classmethod
    def _slash(cls, v: str) -> str:
        # slack-sdk joins method names onto base_url; without the slash it builds wrong URLs.
        return v if v.endswith("/") else v + "/"


class EmailConfig(_Model):
    smtp_host: str
    smtp_port: int = Field(587, ge=1, le=65535)
    starttls: bool = True
    ssl: bool = False
    username: SecretStr | None = None
    password: SecretStr | None = None
    sender: str
    list_unsubscribe: str | None = None
    timeout: Duration = timedelta(seconds=30)


class AnalysisConfig(_Model):
    """How articles are analysed (briefbot.analyse)."""

    # Worker processes for analysis when there is enough to analyse (each loads the model
    # once); 1 analyses in the main process. Default: one per CPU core.
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=64)


class SchedulerConfig(_Model):
    tick: Duration = timedelta(seconds=30)  # how often `run` looks for due sources and pending deliveries
    catch_up_grace: Duration = timedelta(hours=6)  # a digest missed while down is sent on start within this

    @field_validator("tick")
    @classmethod
    def _min_tick(cls, v: timedelta) -> timedelta:
        if v < timedelta(seconds=1):
            raise ValueError("must be at least 1s")
        return v


class StoriesConfig(_Model):
    """How reports are grouped into stories (briefbot.analyse.stories)."""

    # How much evidence a report needs to join a story: higher is stricter (fewer merges,
    # more one-report stories), lower is looser.
    threshold: float = Field(0.16, ge=0.05, le=0.95)
    # A report this long after a story's latest report starts a new story.
    window: Duration = timedelta(days=3)


class Config(_Model):
    database: str = "sqlite:///briefbot.db"
    network: NetworkConfig = Field(default_factory=NetworkConfig)  # type: ignore[arg-type]
    sources: list[SourceConfig] = Field(default_factory=list)
    watches: list[WatchConfig] = Field(default_factory=list)
    digests: list[DigestConfig] = Field(default_factory=list)
    slack: SlackConfig | None = None
    email: EmailConfig | None = None
    templates_dir: str | None = None
    scheduler: SchedulerConfig = Field(default_factory=SchedulerConfig)  # type: ignore[arg-type]
    stories: StoriesConfig = Field(default_factory=StoriesConfig)  # type: ignore[arg-type]
    analysis: AnalysisConfig = Field(default_factory=AnalysisConfig)  # type: ignore[arg-type]
    # Stories, articles, alerts and sent messages older than this are deleted (`briefbot run`
    # daily, or `briefbot prune`).
    retention: Duration = timedelta(days=90)
    # Where the file was read from: relative paths (sources, sqlite, templates) resolve against it.
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)
    # Values ${ENV} expansion put in a secret position (a URL's userinfo or query, a SECRET_KEYS key).
    _env_secrets: set[str] = PrivateAttr(default_factory=set)

    def secrets(self) -> set[str]:
        """Every secret this config holds, for masking whatever is written to a log or a terminal.

        The Slack and email credentials, the database URL's passwords (userinfo and query), and
        every value ``${ENV}`` expansion put in a secret position (a key in SECRET_KEYS, a URL's
        userinfo or query values), each also as it looks percent-encoded inside a URL. Values
        shorter than MIN_SECRET_LENGTH are left out.
        """
        found = set(self._env_secrets)
        for section in (self.slack, self.email):
            for name in sorted(SECRET_KEYS):
                val = getattr(section, name, None)
                if isinstance(val, SecretStr):
                    found.add(val.get_secret_value())
        if "@" in self.database or "?" in self.database:  # else it has no password: skip SQLAlchemy
            from .store.engine import url_secrets

            found.update(url_secrets(self.database))
        out: set[str] = set()
        for value in found:
            if len(value) >= MIN_SECRET_LENGTH:
                out.update({value, quote(value, safe=""), quote_plus(value, safe="")})
        return out

    def source(self, name: str) -> SourceConfig:
        for s in self.sources:
            if s.name == name:
                return s
        raise KeyError(name)

    def resolve_path(self, value: str) -> Path:
        """Relative paths in the config mean: relative to the config file."""
        p = Path(value.removeprefix("file://")).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)

    def database_url(self) -> str:
        """The SQLAlchemy URL, with a relative SQLite file placed beside the config."""
        url = self.database
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith("sqlite:////") and url != "sqlite:///:memory:":
            return prefix + str(self.resolve_path(url[len(prefix) :]))
        return url


def _cross_checks(raw: dict[str, Any]) -> list[str]:
    """Checks across keys, run on the raw mapping so they are reported with field errors."""
    problems: list[str] = []

    def items(key: str) -> list[dict[str, Any]]:
        v = raw.get(key)
        return [x for x in v if isinstance(x, dict)] if isinstance(v, list) else []

    for key in ("sources", "watches", "digests"):
        seen: dict[str, int] = {}
        for i, item in enumerate(items(key)):
            name = item.get("name")
            if isinstance(name, str):
                if name in seen:
                    problems.append(f"{key}[{i}].name: duplicate name {name!r} (also {key}[{seen[name]}])")
                seen.setdefault(name, i)
    names = {w.get("name") for w in items("watches")}
    for i, d in enumerate(items("digests")):
        ws = d.get("watches")
        for j, w in enumerate(ws if isinstance(ws, list) else []):
            if isinstance(w, str) and w not in names:
                problems.append(f"digests[{i}].watches[{j}]: no watch named {w!r}")
    kinds = set()
    for x in items("watches") + items("digests"):
        for t in x.get("to") or []:
            try:
                kinds.add(Destination.parse(t).kind)
            except ValueError:
                pass  # reported with its key path by the field validator
    slack = raw.get("slack")
    if "slack" in kinds and not (
        isinstance(slack, dict) and (slack.get("token") or slack.get("webhook_url"))
    ):
        problems.append("slack: a destination says slack: but slack.token (or slack.webhook_url) is not set")
    if "email" in kinds and not isinstance(raw.get("email"), dict):
        problems.append("email: a destination says email: but there is no email section")
    return problems


class _Expander:
    """Expands ${VAR} and ${VAR:-default} in the parsed tree; a missing variable is an error naming it.

    Expansion runs after parsing, so a value from the environment can never inject YAML
    structure. A YAML alias is the same Python object as its anchor, so each list and mapping
    is expanded once (memoised by identity) and the result reused: aliases stay shared and
    cost nothing, where walking every path of an alias-heavy file would never end.
    """

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.env_strings: set[str] = set()  # expanded values that contain a ${...}: never echoed
        self.secrets: set[str] = set()  # env values in secret positions (Config.secrets)
        self._done: dict[int, Any] = {}  # id(original list or mapping) -> its expansion

    def expand(self, node: Any, path: str = "", key: str = "") -> Any:
        if isinstance(node, dict | list):
            done = self._done.get(id(node))
            if done is not None:
                return done
            if isinstance(node, dict):
                out_map: dict[Any, Any] = {}
                self._done[id(node)] = out_map
                for k, v in node.items():
                    out_map[k] = self.expand(v, _join(path, str(k)), str(k))
                return out_map
            out_list: list[Any] = []
            self._done[id(node)] = out_list
            out_list.extend(self.expand(v, f"{path}[{i}]", key) for i, v in enumerate(node))
            return out_list
        if isinstance(node, str) and "${" in node:
            return self._string(node, path, key)
        return node

    def _string(self, text: str, path: str, key: str) -> str:
        out: list[str] = []
        n = 0  # length of the output so far
        pos = 0
        env_spans: list[tuple[int, int, int, int]] = []  # (template start, end, output start, end)
        for m in _ENV_RE.finditer(text):
            out.append(text[pos : m.start()])
            n += m.start() - pos
            name, default = m.group(1), m.group(2)
            val = os.environ.get(name)
            if val:
                piece = val
                env_spans.append((m.start(), m.end(), n, n + len(val)))
            elif default is not None:
                piece = default
            else:
                self.problems.append(f"{path}: environment variable {name} is not set")
                piece = ""
            out.append(piece)
            n += len(piece)
            pos = m.end()
        out.append(text[pos:])
        result = "".join(out)
        self.env_strings.add(result)
        if key in SECRET_KEYS:
            self.secrets.update(result[a:b] for _, _, a, b in env_spans)
            return result
        # A URL: a value expanded inside its userinfo or query is a secret. Positions are found
        # in the template (each ${...} neutralised, so a default or value cannot move them), and
        # also in the result for a value that is itself (part of) a URL: ${FEED_URL}.
        template_regions = _url_secret_regions(_ENV_RE.sub(lambda m: "x" * len(m.group(0)), text))
        result_regions = _url_secret_regions(result)
        for t0, t1, o0, o1 in env_spans:
            if any(t0 < r1 and r0 < t1 for r0, r1 in template_regions):
                self.secrets.add(result[o0:o1])
                continue
            for r0, r1 in result_regions:
                a, b = max(o0, r0), min(o1, r1)
                if a < b:
                    self.secrets.add(result[a:b])
        return result


_URL_SCHEME_RE = re.compile(r"^\s*[A-Za-z][A-Za-z0-9+.-]*://")


def _url_secret_regions(url: str) -> list[tuple[int, int]]:
    """Where a URL keeps secrets: user and password of its userinfo, and each query value."""
    m = _URL_SCHEME_RE.match(url)
    if not m:
        return []
    start = m.end()
    netloc_end = min((i for i in (url.find(c, start) for c in "/?#") if i != -1), default=len(url))
    regions: list[tuple[int, int]] = []
    at = url.rfind("@", start, netloc_end)
    if at != -1:
        colon = url.find(":", start, at)
        regions += [(start, at)] if colon == -1 else [(start, colon), (colon + 1, at)]
    q = url.find("?", netloc_end)
    if q != -1:
        q_end = url.find("#", q)
        q_end = len(url) if q_end == -1 else q_end
        i = q + 1
        for item in url[q + 1 : q_end].split("&"):
            eq = item.find("=")
            regions.append((i + eq + 1, i + len(item)) if eq != -1 else (i, i + len(item)))
            i += len(item) + 1
    return [(a, b) for a, b in regions if a < b]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _loc_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out = _join(out, str(part))
    return out


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names valid at the parent of `loc`, to suggest a fix for a typo."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        ann = field.annotation
        for cand in getattr(ann, "__args__", ()) + (ann,):
            inner = getattr(cand, "__args__", ())
            for c in (cand, *inner):
                if isinstance(c, type) and issubclass(c, BaseModel):
                    current = c
                    break
            else:
                continue
            break
    return [k for k in getattr(current, "model_fields", {}) if k != "base_dir"]


def _format_errors(exc: ValidationError, env_values: set[str]) -> list[str]:
    """Pydantic's errors as `path: problem`; a value that came from ${ENV} is never echoed."""
    problems: list[str] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = _loc_path(loc)
        typ = err["type"]
        msg = err["msg"]
        if typ == "extra_forbidden":
            allowed = _allowed_keys(Config, loc)
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}"
            problems.append(f"{path}: unknown key ({hint})")
            continue
        if typ == "missing":
            problems.append(f"{path}: required key is missing")
            continue
        msg = msg.removeprefix("Value error, ")
        got = err.get("input")
        secret = (bool(loc) and str(loc[-1]) in SECRET_KEYS) or (isinstance(got, str) and got in env_values)
        if not secret and isinstance(got, (str, int, float)) and len(repr(got)) < 80 and repr(got) not in msg:
            msg = f"{msg} (got {got!r})"
        problems.append(f"{path or '(top level)'}: {msg}")
    return problems


def config_path(path: str | Path | None = None) -> Path:
    """--config, then $BRIEFBOT_CONFIG, then ./config.yaml."""
    if path:
        return Path(path)
    env = os.environ.get(ENV_CONFIG)
    return Path(env) if env else Path(DEFAULT_CONFIG)


def load_config(path: str | Path | None = None) -> Config:
    p = config_path(path)
    try:
        raw_text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"config file {p} not found",
            hint=f"pass --config PATH, set ${ENV_CONFIG}, or run from a folder with a {DEFAULT_CONFIG}",
        ) from None
    except OSError as e:
        raise ConfigError(f"cannot read config file {p}: {e.strerror}") from None
    except UnicodeDecodeError as e:
        line = _byte_line(p, e.start)
        raise ConfigError(
            f"config file {p} is not UTF-8 text (line {line})", hint="save it as UTF-8"
        ) from None
    return parse_config(raw_text, base_dir=p.resolve().parent, origin=str(p))


class _TooMuch(yaml.YAMLError):
    """The file is valid YAML that no config needs: too deep, or aliases that expand without end."""

    def __init__(self, message: str, hint: str, mark: Any) -> None:
        super().__init__(message)
        self.message = f"line {mark.line + 1}, column {mark.column + 1}: {message}"
        self.hint = hint


class _Loader(yaml.SafeLoader):  # type: ignore[misc]
    """SafeLoader that refuses, while composing, what would cost a traceback or all memory later.

    Composing is where the parser recurses (a RecursionError past ~1000 levels) and the last
    point where an alias is still one node: counting each alias as the size of what it names
    finds a "billion laughs" after a few thousand nodes, with the line of the alias to fix.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._values = 0  # values composed so far, an alias counting as everything it names
        self._aliased = 0  # the part of _values that aliases added
        self._sizes: dict[int, int] = {}  # id(node) -> how many values it stands for
        self._open: set[str] = set()  # anchors of the lists and mappings being composed

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        mark = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            node = super().compose_node(parent, index)
            if event.anchor in self._open:
                raise _TooMuch(
                    f"the alias *{event.anchor} is inside the list or mapping it names (&{event.anchor}), "
                    "so it would repeat without end",
                    "point the alias at something outside it, or write the values out",
                    mark,
                )
            size = self._sizes.get(id(node), 1)
            self._values += size
            self._aliased += size
            if self._aliased > MAX_ALIAS_VALUES:
                raise _TooMuch(
                    f"the alias *{event.anchor} makes the YAML aliases in this file expand to more "
                    f"than {MAX_ALIAS_VALUES:,} values",
                    "a config needs aliases only to share a small list or mapping; remove these "
                    "nested aliases or write the values out",
                    mark,
                )
            return node
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _TooMuch(
                f"nested too deeply (more than {MAX_DEPTH} levels of lists and mappings)",
                "a briefbot config is a few levels deep; look for unclosed [ or { brackets "
                "or indentation that keeps growing",
                mark,
            )
        anchor = event.anchor
        if anchor is not None:
            self._open.add(anchor)
        before = self._values
        self._values += 1
        node = super().compose_node(parent, index)
        self._sizes[id(node)] = self._values - before
        if anchor is not None:
            self._open.discard(anchor)
        self._depth -= 1
        return node


def _load_yaml(text: str, origin: str) -> Any:
    """Parse with _Loader; every failure becomes a ConfigError with its line."""
    loader = None
    source = _BARE_ENV_RE.sub(r'"\1"', text)
    try:
        loader = _Loader(source)  # its reader rejects a NUL at once
        return loader.get_single_data()
    except _TooMuch as e:
        raise ConfigError(f"{origin}: {e.message}", hint=e.hint) from None
    except yaml.reader.ReaderError as e:  # a control character: say where, not "position 3"
        before = source[: e.position]
        line, column = before.count("\n") + 1, len(before) - before.rfind("\n")
        char = f"U+{e.character:04X}" if isinstance(e.character, int) else repr(e.character)
        raise ConfigError(
            f"{origin}: not valid YAML at line {line}, column {column}: control character {char}",
            hint='remove it, or write it as an escape inside double quotes ("\\t")',
        ) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        raise ConfigError(f"{origin}: not valid YAML{where}: {problem}") from None
    except RecursionError:  # a nesting _Loader did not see (a merge key chain, say)
        raise ConfigError(
            f"{origin}: nested too deeply", hint="a briefbot config is a few levels deep"
        ) from None
    finally:
        if loader is not None:
            loader.dispose()


def _byte_line(path: Path, offset: int) -> int:
    """The line of byte `offset` in a file, for a decoding error."""
    try:
        return path.read_bytes()[:offset].count(b"\n") + 1
    except OSError:
        return 0


def parse_config(text: str, *, base_dir: Path | None = None, origin: str = "config") -> Config:
    raw = _load_yaml(text, origin)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{origin}: expected a mapping of keys at the top level, got {type(raw).__name__}")
    expander = _Expander()
    expanded = expander.expand(raw)
    problems = expander.problems
    problems.extend(_cross_checks(expanded))
    try:
        cfg = Config.model_validate({**expanded, "base_dir": base_dir or Path.cwd()})
    except ValidationError as e:
        problems.extend(_format_errors(e, expander.env_strings))
        cfg = None
    except RecursionError:  # belt and braces: _Loader limits the depth long before this
        raise ConfigError(
            f"{origin}: nested too deeply", hint="a briefbot config is a few levels deep"
        ) from None
    if problems:
        # keep order, drop repeats (an unset env var can also fail validation of its key)
        seen = list(dict.fromkeys(problems))
        raise ConfigError(
            f"{origin}: {len(seen)} problem{'s' if len(seen) != 1 else ''}:\n  " + "\n  ".join(seen),
            problems=seen,
        )
    assert cfg is not None
    cfg._env_secrets = expander.secrets
    return cfg
