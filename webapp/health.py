"""GET /healthz: 200 once the app can reach its database. GET /readyz: 200 when the app can
serve: the database answers, its schema is at the newest migration and the upload folder
takes files; 503 with what is wrong otherwise (for a load balancer or systemd's readiness)."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

from alembic.script import ScriptDirectory
from flask import Blueprint, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from webapp.request_db import db_session

bp = Blueprint("health", __name__)

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """Report whether the database answers."""
    try:
        db_session().execute(text("SELECT 1"))
    except SQLAlchemyError:
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}, 200


@cache
def migration_heads() -> frozenset[str]:
    """The newest migrations shipped with this code."""
    return frozenset(ScriptDirectory(str(MIGRATIONS)).get_heads())


def _database_state() -> dict[str, str]:
    try:
        rows = db_session().execute(text("SELECT version_num FROM alembic_version")).scalars()
        revisions = frozenset(rows)
    except SQLAlchemyError:
        db_session().rollback()
        return {"database": "unreachable or not migrated", "migrations": "unknown"}
    if revisions != migration_heads():
        return {"database": "ok", "migrations": "behind: run `flask db upgrade`"}
    return {"database": "ok", "migrations": "ok"}


def _uploads_state() -> str:
    folder = Path(current_app.config["UPLOAD_DIR"])
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder, prefix=".readyz-"):
            pass
    except OSError:
        return "not writable"
    return "ok"


@bp.get("/readyz")
def readyz() -> tuple[dict[str, str], int]:
    """Report whether the database (at the newest migration) and the upload folder are ready."""
    body = {**_database_state(), "uploads": _uploads_state()}
    ready = all(value == "ok" for value in body.values())
    return {"status": "ok" if ready else "unavailable", **body}, 200 if ready else 503
