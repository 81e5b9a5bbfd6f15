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
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)

from .errors import ConfigError
from .model import Destination

DEFAULT_CONFIG = "config.yaml"
ENV_CONFIG = "BRIEFBOT_CONFIG"
SECRET_KEYS = {"token", "signing_secret", "password", "webhook_url", "username"}

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
        return timedelta(seconds=float(value))
    m = _DURATION_RE.match(str(value))
    if not m:
        raise ValueError("expected a duration like 15m, 30s, 2h or 1d")
    unit = m.group(2).lower() if m.group(2) else None
    return timedelta(seconds=float(m.group(1)) * _DURATION_UNITS[unit])


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
    return int(float(m.group(1)) * _SIZE_UNITS[unit])


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
    max_bytes: Size = 10_000_000
    max_redirects: int = Field(5, ge=0, le=20)
    user_agent: str = "briefbot/0.1 (+https://github.com/briefbot/briefbot)"
    per_host: int = Field(2, ge=1, le=32)
    workers: int = Field(16, ge=1, le=256)


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


class SchedulerConfig(_Model):
    tick: Duration = timedelta(seconds=30)  # how often `run` looks for due sources and pending deliveries
    catch_up_grace: Duration = timedelta(hours=6)  # a digest missed while down is sent on start within this

    @field_validator("tick")
    @classmethod
    def _min_tick(cls, v: timedelta) -> timedelta:
        if v < timedelta(seconds=1):
            raise ValueError("must be at least 1s")
        return v


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
    # Where the file was read from: relative paths (sources, sqlite, templates) resolve against it.
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)

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
            if w not in names:
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


def _expand_env(node: Any, path: str, problems: list[str], from_env: set[str]) -> Any:
    """Expand ${VAR} and ${VAR:-default} everywhere; a missing variable is an error naming it."""
    if isinstance(node, dict):
        return {k: _expand_env(v, _join(path, str(k)), problems, from_env) for k, v in node.items()}
    if isinstance(node, list):
        return [_expand_env(v, f"{path}[{i}]", problems, from_env) for i, v in enumerate(node)]
    if isinstance(node, str) and "${" in node:

        def sub(m: re.Match[str]) -> str:
            name, default = m.group(1), m.group(2)
            val = os.environ.get(name)
            if val is None or val == "":
                if default is not None:
                    return default
                problems.append(f"{path}: environment variable {name} is not set")
                return ""
            return val

        from_env.add(path)
        return _ENV_RE.sub(sub, node)
    return node


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


def _format_errors(exc: ValidationError, from_env: set[str]) -> list[str]:
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
        secret = bool(loc) and (str(loc[-1]) in SECRET_KEYS or path in from_env)
        got = err.get("input")
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
    return parse_config(raw_text, base_dir=p.resolve().parent, origin=str(p))


def parse_config(text: str, *, base_dir: Path | None = None, origin: str = "config") -> Config:
    try:
        raw = yaml.safe_load(_BARE_ENV_RE.sub(r'"\1"', text))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        raise ConfigError(f"{origin}: not valid YAML{where}: {problem}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{origin}: expected a mapping of keys at the top level, got {type(raw).__name__}")
    problems: list[str] = []
    from_env: set[str] = set()
    expanded = _expand_env(raw, "", problems, from_env)
    problems.extend(_cross_checks(expanded))
    try:
        cfg = Config.model_validate({**expanded, "base_dir": base_dir or Path.cwd()})
    except ValidationError as e:
        problems.extend(_format_errors(e, from_env))
        cfg = None
    if problems:
        # keep order, drop repeats (an unset env var can also fail validation of its key)
        seen: list[str] = []
        for p in problems:
            if p not in seen:
                seen.append(p)
        raise ConfigError(
            f"{origin}: {len(seen)} problem{'s' if len(seen) != 1 else ''}:\n  " + "\n  ".join(seen),
            problems=seen,
        )
    assert cfg is not None
    return cfg
