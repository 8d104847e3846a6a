"""The gradebook's database: its URL, its driver, connecting to it, and one writer at a time.

* ``normalise``: ``postgresql://user@host/db`` means PostgreSQL through psycopg 3 (the
  ``postgres`` extra), whatever SQLAlchemy's default driver is; other URLs are kept as written.
* ``check``: connect once before grading; a missing driver, a refused connection or a wrong
  password becomes ``GradebookUnavailable`` with one line naming the server and the fix.
* ``masked`` and ``mask``: the URL and any text, with the password replaced by ``***``, for
  everything the grader prints or stores.
* ``serialised``: several graders may write to one PostgreSQL gradebook at once (two autograde
  commands on different assignments); nbgrader's first creation of the tables, the registration
  of an assignment and the creation of a student race when they do. A decorated method holds a
  PostgreSQL advisory lock while it writes, so such writes take turns. SQLite needs none.
"""
from __future__ import annotations

import functools
import re
import zlib
from contextlib import contextmanager

POSTGRES_DRIVER = "psycopg"
INSTALL_POSTGRES = "pip install 'nn-course-kit[postgres]' (or pip install 'psycopg[binary]')"
LOCK_KEY = zlib.crc32(b"nn-course-kit gradebook")      # one advisory lock per database
LOCK_TIMEOUT = "120s"           # a writer waits this long for another to finish, then fails
CONNECT_SECONDS = 10
_USERINFO = re.compile(r"(?P<head>\b[a-z][\w+.-]*://[^:/@\s]*):(?P<password>[^@\s]*)@")


class GradebookUnavailable(Exception):
    """The gradebook cannot be used; the message is one line that says what to do."""


def _url(db_url: str):
    from sqlalchemy.engine import make_url
    return make_url(db_url)


def is_postgres(db_url: str) -> bool:
    return db_url.split(":", 1)[0].split("+", 1)[0] in ("postgresql", "postgres")


def normalise(db_url: str) -> str:
    """``postgresql://`` and ``postgres://`` as ``postgresql+psycopg://``; anything else as is."""
    scheme, sep, rest = db_url.partition("://")
    if sep and scheme in ("postgresql", "postgres"):
        return f"postgresql+{POSTGRES_DRIVER}://{rest}"
    return db_url


def masked(db_url: str) -> str:
    """The URL as it may be printed: with its password masked."""
    try:
        return _url(db_url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not a URL SQLAlchemy reads: mask what looks like one
        return mask(db_url)


def mask(text: str, db_url: str = "") -> str:
    """``text`` with the password of ``db_url``, and of any URL in it, replaced by ``***``."""
    try:
        password = _url(db_url).password if db_url else None
    except Exception:  # noqa: BLE001 - an unparsable URL has no password we can find
        password = None
    if password:
        text = text.replace(str(password), "***")
    return _USERINFO.sub(lambda m: f"{m['head']}:***@", text)


def _where(db_url: str) -> str:
    """'PostgreSQL at host:port as user', for messages."""
    url = _url(db_url)
    host = url.host or "localhost (Unix socket)"
    port = f":{url.port}" if url.port else ""
    user = f" as {url.username}" if url.username else ""
    return f"PostgreSQL at {host}{port}{user}"


def _cause(error: BaseException) -> str:
    """The server's or the driver's reason, without SQLAlchemy's wrapping."""
    original = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    text = " ".join(lines) or type(original).__name__
    fatal = text.rfind("FATAL:")
    if fatal >= 0:
        return text[fatal + len("FATAL:"):].strip()
    failed = text.rfind("failed: ")
    return text[failed + len("failed: "):].strip() if failed >= 0 else text


def _hint(cause: str) -> str:
    lowered = cause.lower()
    if "password" in lowered:
        return ("check the user and password in --db-url (or leave the password out of it and "
                "use PGPASSWORD or ~/.pgpass)")
    if "database" in lowered and "does not exist" in lowered:
        return "create the database (createdb NAME) or check --db-url"
    if "refused" in lowered or "could not translate" in lowered or "timeout" in lowered:
        return "is PostgreSQL running there? check --db-url"
    return "check --db-url"


def describe_connection_error(db_url: str, error: BaseException) -> str:
    """One line: what could not connect, why, and what to do."""
    if not is_postgres(db_url):
        return f"gradebook: cannot open {masked(db_url)}: {mask(_cause(error), db_url)}; " \
               "check --db-url"
    cause = mask(_cause(error), db_url).rstrip(".")
    return f"gradebook: cannot connect to {_where(db_url)}: {cause}; {_hint(cause)}"


def _engine(db_url: str):
    """An engine for ``db_url``; ``GradebookUnavailable`` if the URL or its driver is wrong."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        options = {"connect_args": {"connect_timeout": CONNECT_SECONDS}} \
            if is_postgres(db_url) else {}
        return create_engine(db_url, **options)
    except ModuleNotFoundError as error:
        raise GradebookUnavailable(
            f"gradebook: {masked(db_url)} needs the database driver {error.name!r}, which is not "
            f"installed" + (f": {INSTALL_POSTGRES}" if is_postgres(db_url) else "")) from None
    except (ArgumentError, NoSuchModuleError, ValueError) as error:
        raise GradebookUnavailable(f"gradebook: {masked(db_url)} is not a database URL that "
                                   f"SQLAlchemy reads ({mask(str(error), db_url)}); check "
                                   "--db-url") from None


def check(db_url: str) -> None:
    """Connect once, or raise ``GradebookUnavailable`` with one line that says why."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    engine = _engine(db_url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError) as error:
        raise GradebookUnavailable(describe_connection_error(db_url, error)) from None
    finally:
        engine.dispose()


@functools.lru_cache(maxsize=None)
def _lock_engine(db_url: str):
    from sqlalchemy.pool import NullPool
    from sqlalchemy import create_engine

    return create_engine(db_url, poolclass=NullPool,
                         connect_args={"connect_timeout": CONNECT_SECONDS})


@contextmanager
def exclusive(db_url: str):
    """Hold the gradebook's advisory lock (PostgreSQL; a no-op for other databases)."""
    if not is_postgres(db_url):
        yield
        return
    from sqlalchemy import text

    with _lock_engine(db_url).connect() as connection:
        connection.execute(text(f"SET lock_timeout = '{LOCK_TIMEOUT}'"))
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})
        connection.commit()
        try:
            yield
        finally:                           # closing the connection would release it too
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
            connection.commit()


def serialised(method):
    """Run a method of an object with a ``db_url`` while holding the gradebook's lock."""
    @functools.wraps(method)
    def locked(self, *args, **kwargs):
        with exclusive(self.db_url):
            return method(self, *args, **kwargs)
    return locked
