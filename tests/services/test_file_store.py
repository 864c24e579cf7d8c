"""The file store (issue 14): files addressed by their SHA-256, written under a temporary name
then renamed, the same content kept once, a full disk refused with nothing left behind, and
`flask verify-files` naming the missing and altered files with their owners."""

from __future__ import annotations

import errno
import hashlib
import io
import os
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.conftest import actor_named
from tests.web.pages import login, submit
from webapp.models import Attachment, Dossier
from webapp.request_db import database
from webapp.services import attachments, file_store
from webapp.services.attachments import Upload
from webapp.services.errors import InvalidDataError
from webapp.services.file_store import LocalFileStore, StorageFullError

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def _attachment_count(app: Flask) -> int:
    with database(app).transaction() as session:
        return session.scalar(select(func.count()).select_from(Attachment)) or 0


def _store(app: Flask, dossier_id: int, *uploads: Upload) -> list[int]:
    with database(app).transaction() as session:
        dossier = session.get_one(Dossier, dossier_id)
        stored = attachments.store_attachments(
            session, actor_named(session, "canbo_ns"), dossier, list(uploads)
        )
        return [a.id for a in stored]


def _disk_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel refuses the write part-way (ENOSPC), as on a full disk: the first chunk is
    written, the next raises. Only the store's module sees this os.write."""
    real_write = os.write
    calls = {"n": 0}

    def write(fd: int, data: bytes | memoryview) -> int:
        calls["n"] += 1
        if calls["n"] > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, bytes(data)[: max(1, len(data) // 2)])

    monkeypatch.setattr(file_store.os, "write", write)


def test_an_upload_is_stored_under_its_hash_and_the_same_content_once(api, app, client):
    root = Path(app.config["UPLOAD_DIR"])
    dossier = api.start()
    digest = hashlib.sha256(PDF).hexdigest()
    first = _store(app, dossier["id"], Upload("to-trinh.pdf", PDF))
    second = _store(app, dossier["id"], Upload("ban-sao.pdf", PDF))
    assert len(first) == len(second) == 1
    assert first != second
    # One file, named by its hash in the folder of its first two hex digits; no temporary left.
    assert _files(root) == [root / digest[:2] / digest]
    assert (root / digest[:2] / digest).read_bytes() == PDF
    with database(app).transaction() as session:
        hashes = session.scalars(select(Attachment.content_hash)).all()
    assert hashes == [digest, digest]
    # Both rows are served from the one file.
    login(client, "canbo_ns")
    for attachment_id in first + second:
        with client.get(f"/attachments/{attachment_id}") as response:
            assert response.status_code == 200
            assert response.data == PDF
            assert response.content_length == len(PDF)


def test_a_put_writes_a_temporary_file_then_renames_it(tmp_path, monkeypatch):
    store = LocalFileStore(tmp_path)
    renames: list[tuple[str, str]] = []
    real_replace = os.replace

    def replace(src, dst):
        # At the rename the whole content is under the temporary name, none under the hash.
        assert Path(src).read_bytes() == PDF
        assert not Path(dst).exists()
        renames.append((Path(src).name, Path(dst).name))
        real_replace(src, dst)

    monkeypatch.setattr(file_store.os, "replace", replace)
    ref = store.put(io.BytesIO(PDF))
    assert ref.hash == hashlib.sha256(PDF).hexdigest()
    assert ref.size == len(PDF)
    assert ref.created
    [(temp, final)] = renames
    assert temp.startswith(file_store.TEMP_PREFIX)
    assert final == ref.hash
    assert store.exists(ref.hash)
    assert list(store.iter_hashes()) == [ref.hash]
    with store.open(ref.hash) as handle:
        assert handle.read() == PDF
    assert not store.put(PDF).created  # the same content: nothing written again
    assert len(renames) == 1


def test_a_full_disk_keeps_no_partial_file(tmp_path, monkeypatch):
    store = LocalFileStore(tmp_path)
    _disk_full(monkeypatch)
    with pytest.raises(StorageFullError):
        store.put(PDF * 1000)
    assert _files(tmp_path) == []
    assert list(store.iter_hashes()) == []


def test_a_full_disk_refuses_the_upload_and_keeps_neither_file_nor_row(api, app, monkeypatch):
    root = Path(app.config["UPLOAD_DIR"])
    dossier = api.start()
    _disk_full(monkeypatch)
    with pytest.raises(InvalidDataError) as refused:
        _store(app, dossier["id"], Upload("to-trinh.pdf", PDF, field="attachments"))
    assert refused.value.code == "storage_full"
    assert refused.value.fields == {"attachments": "cannot be stored: no room left on the server"}
    assert _files(root) == []
    assert _attachment_count(app) == 0


def test_a_full_disk_on_a_step_page_says_so_in_vietnamese_and_changes_nothing(
    api, app, client, monkeypatch
):
    root = Path(app.config["UPLOAD_DIR"])
    dossier = api.start()
    api.do("canbo_ns", dossier["id"], "prepare_dossier", {"decision": "submit"})
    api.do("truongphong_ns", dossier["id"], "approve_at_unit", {"decision": "approve"})
    [item] = api.items("vanphong", dossier["id"], "check_dossier")
    login(client, "vanphong")
    _disk_full(monkeypatch)
    data = {"decision": "approve", "attachments": (io.BytesIO(PDF), "bien-ban.pdf")}
    response = submit(client, f"/work/{item['id']}", data, content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Không nhận tệp bien-ban.pdf" in page
    assert "máy chủ không còn chỗ" in page.lower()
    assert api.dossier(dossier["id"])["current"][0]["step"] == "check_dossier"
    assert _files(root) == []
    assert _attachment_count(app) == 0


def test_verify_files_lists_the_altered_and_the_missing_with_their_owners(api, app):
    root = Path(app.config["UPLOAD_DIR"])
    dossier = api.start()
    other = PDF + b"%khac\n"
    _store(app, dossier["id"], Upload("to-trinh.pdf", PDF), Upload("bien-ban.pdf", other))
    with database(app).transaction() as session:
        code = session.get_one(Dossier, dossier["id"]).code
    runner = app.test_cli_runner()
    clean = runner.invoke(args=["verify-files"])
    assert clean.exit_code == 0, clean.output
    assert "2 file(s) checked: 0 missing or altered" in clean.output

    altered = hashlib.sha256(PDF).hexdigest()
    missing = hashlib.sha256(other).hexdigest()
    (root / altered[:2] / altered).write_bytes(PDF + b"tampered")
    (root / missing[:2] / missing).unlink()
    result = runner.invoke(args=["verify-files"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert f"ALTERED {altered}" in lines
    assert f"MISSING {missing}" in lines
    owner_of = {
        line.split()[1]: lines[i + 1]
        for i, line in enumerate(lines)
        if line.startswith(("ALTERED ", "MISSING "))
    }
    assert f"'to-trinh.pdf' of dossier {code}" in owner_of[altered]
    assert f"'bien-ban.pdf' of dossier {code}" in owner_of[missing]
    assert "2 file(s) checked: 2 missing or altered" in result.output
