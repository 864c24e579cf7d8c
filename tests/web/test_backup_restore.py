"""`flask backup` and `flask restore`: a backup restored into an empty database (a new SQLite
file or a new PostgreSQL database) and an empty upload folder gives back every dossier, event
and file, and the restored app serves a dossier page and its files."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

import config
from tests.conftest import actor_named
from tests.web.pages import login
from webapp import create_app
from webapp.models import Attachment, Dossier, Event
from webapp.request_db import database
from webapp.services import attachments
from webapp.services.attachments import Upload

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def empty_database(app: Flask, tmp_path: Path) -> Iterator[str]:
    """A new, empty database on the same backend as the app's."""
    url = make_url(app.config["DATABASE_URL"])
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite'}"
        return
    name = f"awards_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _restored_app(url: str, uploads: Path) -> Flask:
    settings = config.TestingConfig()
    settings.DATABASE_URL = url
    settings.UPLOAD_DIR = uploads
    return create_app(settings)


def _snapshot(app: Flask) -> dict[str, Any]:
    with database(app).transaction(write=False) as session:
        return {
            "dossiers": [
                (d.id, d.code, d.title, d.status)
                for d in session.scalars(select(Dossier).order_by(Dossier.id))
            ],
            "events": [
                (e.id, e.dossier_id, e.action, e.step, e.at)
                for e in session.scalars(select(Event).order_by(Event.id))
            ],
            "files": [
                (a.id, a.dossier_id, a.file_name, a.content_hash)
                for a in session.scalars(select(Attachment).order_by(Attachment.id))
            ],
        }


def _dossiers_with_files(api: Any, app: Flask) -> list[dict[str, Any]]:
    made = []
    for index, files in enumerate(
        [[("to-trinh.pdf", PDF), ("anh.png", PNG)], [("bao-cao.pdf", PDF + b"2")], []]
    ):
        dossier = api.start(title=f"Hồ sơ sao lưu {index + 1}")
        with database(app).transaction() as session:
            row = session.get_one(Dossier, dossier["id"])
            actor = actor_named(session, "canbo_ns")
            attachments.store_attachments(session, actor, row, [Upload(n, d) for n, d in files])
        made.append(dossier)
    return made


def test_a_backup_restores_into_an_empty_database_with_every_dossier_event_and_file(
    api, app, client, tmp_path, empty_database
):
    made = _dossiers_with_files(api, app)
    before = _snapshot(app)
    assert len(before["files"]) == 3
    # A file still being written (the file store's temporary name) is no part of a backup.
    incoming = Path(app.config["UPLOAD_DIR"]) / "ab" / ".incoming-half"
    incoming.parent.mkdir(exist_ok=True)
    incoming.write_bytes(b"half a file")

    result = app.test_cli_runner().invoke(args=["backup", "--to", str(tmp_path / "backup")])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["rows"]["dossier"] == len(before["dossiers"])
    assert len(manifest["files"]) == 3
    assert not any(".incoming" in name for name in manifest["files"])

    restored = _restored_app(empty_database, tmp_path / "restored-uploads")
    try:
        result = restored.test_cli_runner().invoke(
            args=["restore", "--from", str(tmp_path / "backup")]
        )
        assert result.exit_code == 0, result.output
        assert _snapshot(restored) == before

        # The restored app serves the pages and the files from the restored data.
        web = restored.test_client()
        login(web, "canbo_ns")
        for dossier in made:
            page = web.get(f"/dossiers/{dossier['id']}")
            assert page.status_code == 200
            assert dossier["code"] in page.get_data(as_text=True)
        for file_id, _dossier_id, name, _hash in before["files"]:
            with web.get(f"/attachments/{file_id}") as download:
                assert download.status_code == 200
                assert download.data == dict(_files_of(before))[name]

        # New rows get new ids after the restored ones (PostgreSQL's sequences moved on).
        with database(restored).transaction() as session:
            row = session.get_one(Dossier, made[0]["id"])
            [added] = attachments.store_attachments(
                session, actor_named(session, "canbo_ns"), row, [Upload("moi.pdf", PDF + b"3")]
            )
            session.flush()
            assert added.id > max(f[0] for f in before["files"])
    finally:
        database(restored).dispose()


def _files_of(snapshot: dict[str, Any]) -> list[tuple[str, bytes]]:
    contents = {"to-trinh.pdf": PDF, "anh.png": PNG, "bao-cao.pdf": PDF + b"2"}
    return [(f[2], contents[f[2]]) for f in snapshot["files"]]


def test_a_restore_refuses_a_changed_file_and_a_database_that_is_not_empty(
    api, app, client, tmp_path, empty_database
):
    _dossiers_with_files(api, app)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", "--to", str(tmp_path / "backup")]).exit_code == 0
    # A backup never goes into a folder that holds something.
    again = runner.invoke(args=["backup", "--to", str(tmp_path / "backup")])
    assert again.exit_code != 0
    assert "not empty" in again.output

    stored = next(p for p in (tmp_path / "backup" / "files").rglob("*") if p.is_file())
    original = stored.read_bytes()
    stored.write_bytes(original + b"changed")
    restored = _restored_app(empty_database, tmp_path / "restored-uploads")
    try:
        result = restored.test_cli_runner().invoke(
            args=["restore", "--from", str(tmp_path / "backup")]
        )
        assert result.exit_code != 0
        assert "does not match its hash" in result.output
        with database(restored).transaction(write=False) as session:
            assert session.scalar(select(Dossier.id).limit(1)) is None
        assert not any((tmp_path / "restored-uploads").rglob("*.*"))

        # Into the app's own database (not empty): refused, nothing changes.
        stored.write_bytes(original)
        before = _snapshot(app)
        result = runner.invoke(args=["restore", "--from", str(tmp_path / "backup")])
        assert result.exit_code != 0
        assert "not empty" in result.output
        assert _snapshot(app) == before
    finally:
        database(restored).dispose()
