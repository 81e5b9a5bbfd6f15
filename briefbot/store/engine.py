"""The database engine: URLs, SQLite pragmas, Alembic migrations, and UTC at the edges."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError

from ..errors import StoreError

MIGRATIONS = Path(__file__).parent / "migrations"


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_db(dt: datetime | None) -> datetime | None:
    """Datetimes are stored as naive UTC (SQLite has no time zones; one rule for both backends)."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        return dt
    return dt.astimezone(UTC).replace(tzinfo=None)


def from_db(dt: datetime | None) -> datetime | None:
    return None if dt is None else dt.replace(tzinfo=UTC)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers never block the poller's writes
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


_URL_HINT = (
    "expected sqlite:///path/to/briefbot.db or postgresql://user:password@host:5432/dbname; "
    "percent-encode @ : / ? # in the password (%40 %3A %2F %3F %23)"
)


def check_url(url: str) -> None:
    """Raise StoreError saying what is wrong with a database URL, without connecting.

    Checks its syntax, the port, that SQLAlchemy knows the kind of database and that its
    driver is installed. Messages name the scheme at most: a malformed URL can put its
    password where a host or port belongs, so no other part of it is echoed.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import NoSuchModuleError

    bad = f"invalid database URL ({url.split(':', 1)[0]}://…)" if "://" in url else "invalid database URL"
    try:
        parsed = make_url(_with_driver(url))
    except ValueError as e:  # int(port) failed; SQLAlchemy does not say which part
        what = "the port (after host:) must be a number" if "int()" in str(e) else "malformed"
        raise StoreError(f"{bad}: {what}", hint=_URL_HINT) from None
    except SQLAlchemyError:
        raise StoreError(f"{bad}: not a URL briefbot can read", hint=_URL_HINT) from None
    if parsed.port is not None and not 1 <= parsed.port <= 65535:
        raise StoreError(f"{bad}: the port must be from 1 to 65535", hint=_URL_HINT)
    try:
        dialect = parsed.get_dialect()
    except NoSuchModuleError:
        raise StoreError(
            f"invalid database URL: unknown kind of database {parsed.drivername!r}",
            hint="briefbot uses sqlite:///path/to/briefbot.db or postgresql://user:password@host/dbname",
        ) from None
    try:
        dbapi = dialect.import_dbapi()
    except ModuleNotFoundError as e:
        raise StoreError(
            f"the database driver for {parsed.drivername} is not installed ({e.name})",
            hint="for PostgreSQL: pip install 'briefbot[postgres]'",
        ) from None
    try:
        # the dialect's own checks (sqlite://x.db); DefaultDialect takes dbapi, the protocol omits it
        dialect(dbapi=dbapi).create_connect_args(parsed)  # type: ignore[call-arg]
    except (SQLAlchemyError, ValueError, TypeError) as e:
        message = str(e).splitlines()[0] if str(e) else type(e).__name__
        for secret in url_secrets(url):
            message = message.replace(secret, "***")
        raise StoreError(f"invalid database URL: {message}", hint=_URL_HINT) from None


def _with_driver(url: str) -> str:
    """postgresql:// means psycopg (3) here, not SQLAlchemy's default psycopg2."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str) -> Engine:
    """An engine for `url` (nothing connects yet); a bad URL is a StoreError, never a traceback."""
    check_url(url)
    url = _with_driver(url)
    try:
        if url.startswith("sqlite"):
            path = url.split(":///", 1)[1] if ":///" in url else ""
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True)
    except ModuleNotFoundError as e:
        raise StoreError(
            f"the database driver for {url.split(':', 1)[0]} is not installed ({e.name})",
            hint="for PostgreSQL: pip install 'briefbot[postgres]'",
        ) from None
    except (SQLAlchemyError, ValueError, TypeError) as e:
        message = str(e).splitlines()[0] if str(e) else type(e).__name__
        for secret in url_secrets(url):
            message = message.replace(secret, "***")
        raise StoreError(f"invalid database URL: {message}", hint=_URL_HINT) from None
    except OSError as e:
        raise StoreError(f"cannot create the folder for the database: {e.strerror}") from None
    return engine


HEAD = "0007"  # the newest migration; a test checks it is Alembic's head
_MIGRATION_LOCK = 0x62726966  # "brif": the PostgreSQL advisory lock every instance takes to migrate


def _stored_revision(engine: Engine) -> str | None:
    """The schema version with one query, without loading Alembic (None: no schema yet)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
    except DBAPIError:
        return None


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision` (Alembic), inside one transaction.

    Any number of instances may start at once: on PostgreSQL the upgrade runs under a
    transaction-scoped advisory lock, so one migrates while the others wait and then find
    nothing to do; on SQLite the first write locks the database file the same way. A
    database already at the newest version costs one query and never loads Alembic.
    """
    if revision == "head" and _stored_revision(engine) == HEAD:
        return
    from alembic import command
    from alembic.config import Config as AlembicConfig
    from sqlalchemy import text

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        elif conn.dialect.name == "sqlite":
            # pysqlite runs DDL outside a transaction of its own: take the database's write lock
            # first, so a second instance waits here and then finds the schema up to date.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _is_secret_param(name: str) -> bool:
    """Query parameters that carry a credential: password, sslpassword, client_secret, token..."""
    n = name.lower()
    return any(w in n for w in ("password", "secret", "token"))


def safe_url(url: str) -> str:
    """The database URL without its passwords (userinfo and query), for messages and logs."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
        query = {k: ("***" if _is_secret_param(k) else v) for k, v in parsed.query.items()}
        shown: str = parsed.set(query=query).render_as_string(hide_password=True)
        return shown.replace("%2A%2A%2A", "***")
    except Exception:  # noqa: BLE001 - an unparsable URL: show only its scheme
        return url.split(":", 1)[0] + ":…"


def url_secrets(url: str) -> list[str]:
    """Every password in a database URL (userinfo, and query values such as ?password=), for redaction."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - an invalid URL is reported when the store opens
        return []
    found = [str(parsed.password)] if parsed.password else []
    for k, v in parsed.query.items():
        if _is_secret_param(k):
            found.extend(x for x in ((v,) if isinstance(v, str) else v) if x)
    return found


def url_password(url: str) -> str | None:
    """The password in a database URL (userinfo, else ?password=), so logs can redact it; None when none."""
    return next(iter(url_secrets(url)), None)
