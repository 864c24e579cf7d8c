"""A throw-away application and database for one benchmark run: migrated and seeded."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import config
from webapp import create_app
from webapp.cli import upgrade_database
from webapp.db import Database
from webapp.request_db import database
from webapp.services import seeding


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


@contextmanager
def postgres_app(server_url: str, work_dir: Path) -> Iterator[BenchApp]:
    """A throw-away database on the PostgreSQL server at `server_url`, dropped afterwards."""
    server = make_url(server_url)
    name = f"awards_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    app = None
    try:
        url = server.set(database=name).render_as_string(hide_password=False)
        app = build_app(url, work_dir / "uploads-pg")
        yield BenchApp("postgresql", app, None)
    finally:
        if app is not None:
            database(app).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
