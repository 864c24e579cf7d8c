"""The application and database for one benchmark run: migrated and seeded.

SQLite runs in a fresh file. PostgreSQL runs on the server of BENCH_POSTGRES_URL, in the
database the URL names (see `postgres_database`), or in a throw-away database when the URL
names `postgres` or no database.
"""

from __future__ import annotations

import argparse
import os
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Connection, make_url

import config
from webapp import create_app
from webapp.cli import upgrade_database
from webapp.db import Database
from webapp.request_db import database
from webapp.services import seeding

BACKENDS = ("sqlite", "postgresql")
POSTGRES_ENV = "BENCH_POSTGRES_URL"
# A URL naming one of these (or no database) asks for a throw-away database on the server.
SERVER_DATABASES = frozenset({"", "postgres"})


@dataclass(frozen=True)
class BenchApp:
    """The app under test, its database and, for SQLite, the database file."""

    backend: str
    app: Flask
    sqlite_file: Path | None

    @property
    def db(self) -> Database:
        """The app's Database (engine and session factory)."""
        return database(self.app)


def build_app(url: str, upload_dir: Path) -> Flask:
    """The app with the test configuration on `url`, migrated and seeded with the demo data."""
    settings = config.TestingConfig()
    settings.DATABASE_URL = url
    settings.UPLOAD_DIR = upload_dir
    app = create_app(settings)
    upgrade_database(app)
    with database(app).transaction() as session:
        seeding.seed_demo(session, Path(settings.BPMN_DIR), settings.PROCESS_KEY)
    return app


@contextmanager
def sqlite_app(work_dir: Path) -> Iterator[BenchApp]:
    """A fresh SQLite file in `work_dir`."""
    db_file = work_dir / "bench.sqlite"
    app = build_app(f"sqlite:///{db_file}", work_dir / "uploads")
    try:
        yield BenchApp("sqlite", app, db_file)
    finally:
        database(app).dispose()


# ----- PostgreSQL: which database ---------------------------------------------------------------


class DatabaseInUseError(Exception):
    """The named database already holds tables and reusing it was not asked for."""


@dataclass(frozen=True)
class PostgresPlan:
    """Where a PostgreSQL run goes, and what happens to the database before and after."""

    url: URL
    # The bench creates the database (and drops it afterwards).
    created: bool
    # The URL named no database of its own: the created one has a generated name.
    throw_away: bool
    # The database held tables and --reuse-database was given: its schema is dropped first.
    reused: bool

    @property
    def name(self) -> str:
        """The database's name."""
        return str(self.url.database)

    def describe(self) -> str:
        """One line for the bench's output: which database, and what becomes of it."""
        where = f'PostgreSQL database "{self.name}" on {self.url.host or "localhost"}'
        if self.throw_away:
            return f"{where}: a throw-away database, dropped afterwards"
        if self.created:
            return f"{where}: created for this run, dropped afterwards"
        if self.reused:
            return (
                f"{where}: held tables; --reuse-database: schema public dropped and recreated "
                "now and emptied again afterwards"
            )
        return f"{where}: exists and is empty; used, and emptied again afterwards"


def _quoted(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _user_tables(conn: Connection) -> list[str]:
    """The tables and views outside PostgreSQL's own schemas, as schema.name."""
    return list(
        conn.scalars(
            text(
                "SELECT table_schema || '.' || table_name FROM information_schema.tables "
                "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') "
                "AND table_schema NOT LIKE 'pg\\_%' ORDER BY 1"
            )
        )
    )


def plan_postgres(server_url: str, *, reuse_database: bool = False) -> PostgresPlan:
    """Which database the bench runs in for `server_url`; raises DatabaseInUseError when the
    named database holds tables and `reuse_database` is false. Changes nothing."""
    url = make_url(server_url)
    name = url.database or ""
    if name in SERVER_DATABASES:
        generated = url.set(database=f"awards_bench_{uuid.uuid4().hex[:10]}")
        return PostgresPlan(generated, created=True, throw_away=True, reused=False)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
    finally:
        admin.dispose()
    if not exists:
        return PostgresPlan(url, created=True, throw_away=False, reused=False)
    target = create_engine(url)
    try:
        with target.connect() as conn:
            tables = _user_tables(conn)
    finally:
        target.dispose()
    if tables and not reuse_database:
        shown = ", ".join(tables[:5]) + (f" and {len(tables) - 5} more" if len(tables) > 5 else "")
        raise DatabaseInUseError(
            f'the PostgreSQL database "{name}" of {POSTGRES_ENV} already holds '
            f"{len(tables)} table{'s' if len(tables) > 1 else ''} ({shown}); the bench would "
            f"drop {'them' if len(tables) > 1 else 'it'}. Name a new database (the bench "
            "creates it and drops it afterwards), name `postgres` for a throw-away database, "
            "or give --reuse-database to drop and recreate its schema public."
        )
    return PostgresPlan(url, created=False, throw_away=False, reused=bool(tables))


def _empty_schema(url: URL) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


@contextmanager
def postgres_database(server_url: str, *, reuse_database: bool = False) -> Iterator[str]:
    """The URL of the database to run in, as `plan_postgres` chooses it (printed).

    A database the bench created is dropped afterwards; a database that existed is left
    existing, with its schema public emptied (as it was found, or as --reuse-database made it).
    """
    plan = plan_postgres(server_url, reuse_database=reuse_database)
    print(plan.describe())
    admin = create_engine(plan.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        if plan.created:
            with admin.connect() as conn:
                conn.execute(text(f"CREATE DATABASE {_quoted(conn, plan.name)}"))
        elif plan.reused:
            _empty_schema(plan.url)
        try:
            yield plan.url.render_as_string(hide_password=False)
        finally:
            if plan.created:
                with admin.connect() as conn:
                    conn.execute(
                        text(f"DROP DATABASE IF EXISTS {_quoted(conn, plan.name)} WITH (FORCE)")
                    )
            else:
                _empty_schema(plan.url)
    finally:
        admin.dispose()


@contextmanager
def postgres_app(
    server_url: str, work_dir: Path, *, reuse_database: bool = False
) -> Iterator[BenchApp]:
    """The app on the PostgreSQL database that `postgres_database` chooses for `server_url`."""
    with postgres_database(server_url, reuse_database=reuse_database) as url:
        app = build_app(url, work_dir / "uploads-pg")
        try:
            yield BenchApp("postgresql", app, None)
        finally:
            database(app).dispose()


@contextmanager
def kept_database(server: URL, name: str) -> Iterator[URL]:
    """A database an earlier run kept (`bench.load --keep`), used again as it is and never
    dropped; SystemExit when the server has none of that name."""
    admin = create_engine(server)
    try:
        with admin.connect() as conn:
            found = conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
    finally:
        admin.dispose()
    if not found:
        raise SystemExit(f"no database {name} on {server.host}:{server.port}")
    yield server.set(database=name)


def reused_app(url: URL, upload_dir: Path) -> Flask:
    """The app on a kept database: migrated to the code's schema, its rows left as they are."""
    settings = config.TestingConfig()
    settings.DATABASE_URL = url.render_as_string(hide_password=False)
    settings.UPLOAD_DIR = upload_dir
    app = create_app(settings)
    upgrade_database(app)
    return app


@contextmanager
def kept_postgres_app(server_url: str, name: str, work_dir: Path) -> Iterator[BenchApp]:
    """The app on the kept database `name` of the server of `server_url` (`--database`)."""
    server = make_url(server_url).set(drivername="postgresql+psycopg")
    with kept_database(server, name) as url:
        app = reused_app(url, work_dir / "uploads-pg")
        try:
            yield BenchApp("postgresql", app, None)
        finally:
            database(app).dispose()


# ----- the --backends and --reuse-database options ------------------------------------------------


def add_backend_options(parser: argparse.ArgumentParser) -> None:
    """--backends and --reuse-database, shared by the benches that run on both databases."""
    parser.add_argument(
        "--backends",
        default=None,
        metavar="LIST",
        help="comma-separated: sqlite, postgresql (default: sqlite, and postgresql when "
        f"{POSTGRES_ENV} is set); postgresql needs {POSTGRES_ENV}",
    )
    parser.add_argument(
        "--reuse-database",
        action="store_true",
        help=f"when the database named by {POSTGRES_ENV} already holds tables, drop and "
        "recreate its schema public instead of refusing",
    )


def resolve_backends(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Turn args.backends into a list of backend names and set args.postgres_url, or stop
    with a usage error (unknown backend, postgresql without BENCH_POSTGRES_URL)."""
    postgres_url = os.environ.get(POSTGRES_ENV) or None
    if args.backends is None:
        names = ["sqlite"] + (["postgresql"] if postgres_url else [])
    else:
        names = list(dict.fromkeys(n.strip() for n in args.backends.split(",") if n.strip()))
        unknown = [n for n in names if n not in BACKENDS]
        if unknown or not names:
            parser.error(
                f"--backends: unknown {', '.join(unknown) or 'empty list'}; "
                f"choose from {', '.join(BACKENDS)}"
            )
        if "postgresql" in names and not postgres_url:
            parser.error(
                f"--backends postgresql needs {POSTGRES_ENV}, e.g. "
                f"{POSTGRES_ENV}=postgresql://postgres@127.0.0.1:5432/awards_bench"
            )
    args.backends = names
    args.postgres_url = postgres_url if "postgresql" in names else None


def check_backends(args: argparse.Namespace) -> None:
    """Print which PostgreSQL database the run will use, or refuse before any work (SystemExit
    with the reason) when the one BENCH_POSTGRES_URL names holds tables and --reuse-database
    was not given."""
    if args.postgres_url and getattr(args, "database", None):
        print(f"PostgreSQL: the kept database {args.database}, used as it is and kept")
    elif args.postgres_url:
        try:
            plan = plan_postgres(args.postgres_url, reuse_database=args.reuse_database)
        except DatabaseInUseError as refused:
            raise SystemExit(f"refused: {refused}") from None
        if plan.throw_away:
            host = plan.url.host or "localhost"
            print(f"PostgreSQL: a throw-away database on {host}, dropped afterwards")
        else:
            print(plan.describe())


def open_backend(
    name: str, work_dir: Path, args: argparse.Namespace
) -> AbstractContextManager[BenchApp]:
    """The app on backend `name` (one of args.backends); with `args.database` (bench.run's
    --database), on that kept PostgreSQL database."""
    if name == "sqlite":
        return sqlite_app(work_dir)
    if getattr(args, "database", None):
        return kept_postgres_app(args.postgres_url, args.database, work_dir)
    return postgres_app(args.postgres_url, work_dir, reuse_database=args.reuse_database)
