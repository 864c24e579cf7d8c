"""Serving a dossier's files: PDFs and pictures open in the browser inside a sandbox, other files
download, and the served type comes from the type checked at upload, never from the name."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import actor_named
from tests.web.pages import login
from webapp.models import Attachment, Dossier
from webapp.request_db import database
from webapp.services import attachments
from webapp.services.attachments import Upload

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
DOCX = b"PK\x03\x04" + b"\x00" * 32
DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 32


@pytest.fixture
def uploads(app: Flask) -> Iterator[Path]:
    """The files a test stores are removed after it (other tests check the folder stays clean)."""
    root = Path(app.config["UPLOAD_DIR"])
    before = set(root.rglob("*"))
    yield root
    for path in sorted(set(root.rglob("*")) - before, reverse=True):
        if path.is_dir():
            path.rmdir()
        else:
            path.unlink()


def _store(app: Flask, dossier_id: int, *files: tuple[str, bytes]) -> dict[str, int]:
    with database(app).transaction() as session:
        row = session.get_one(Dossier, dossier_id)
        actor = actor_named(session, "canbo_ns")
        stored = attachments.store_attachments(
            session, actor, row, [Upload(name, data) for name, data in files]
        )
        session.flush()
        return {a.file_name: a.id for a in stored}


@pytest.mark.parametrize(
    ("name", "data", "mime_type"),
    [
        ("to-trinh.pdf", PDF, "application/pdf"),
        ("anh-bang-khen.png", PNG, "image/png"),
        ("chan-dung.jpg", JPEG, "image/jpeg"),
    ],
)
def test_pdfs_and_pictures_open_in_the_browser_in_a_sandbox(
    api, app, client, uploads, name, data, mime_type
):
    dossier = api.start()
    ids = _store(app, dossier["id"], (name, data))
    login(client, "canbo_ns")
    with client.get(f"/attachments/{ids[name]}") as response:
        assert response.status_code == 200
        assert response.data == data
        assert response.mimetype == mime_type
        assert response.headers["Content-Disposition"].startswith("inline")
        assert name in response.headers["Content-Disposition"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        policy = [p.strip() for p in response.headers["Content-Security-Policy"].split(";")]
        assert "sandbox" in policy  # no script, an opaque origin
        assert "default-src 'none'" in policy
        assert "frame-ancestors 'none'" in policy
        assert not any("script-src" in p for p in policy)


@pytest.mark.parametrize(
    ("name", "data"),
    [("bao-cao.docx", DOCX), ("bao-cao-cu.doc", DOC)],
)
def test_word_files_download(api, app, client, uploads, name, data):
    dossier = api.start()
    ids = _store(app, dossier["id"], (name, data))
    login(client, "canbo_ns")
    with client.get(f"/attachments/{ids[name]}") as response:
        assert response.status_code == 200
        assert response.data == data
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]


def test_the_served_type_is_the_stored_checked_type_not_the_name(api, app, client, uploads):
    """A row whose type is not one of the accepted ones (written by hand, or by an older
    version) is served as bytes to download, whatever its name says; a PDF renamed in the
    database to .html is still served as a PDF, in the sandbox."""
    dossier = api.start()
    ids = _store(app, dossier["id"], ("a.pdf", PDF), ("b.pdf", PDF + b" "))
    with database(app).transaction() as session:
        odd = session.get_one(Attachment, ids["a.pdf"])
        odd.mime_type = "text/html"
        odd.file_name = "trang.html"
        renamed = session.get_one(Attachment, ids["b.pdf"])
        renamed.file_name = "trang.svg"
    login(client, "canbo_ns")
    with client.get(f"/attachments/{ids['a.pdf']}") as response:
        assert response.mimetype == "application/octet-stream"
        assert response.headers["Content-Disposition"].startswith("attachment")
    with client.get(f"/attachments/{ids['b.pdf']}") as response:
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("inline")
        assert "sandbox" in response.headers["Content-Security-Policy"]


def test_the_pages_offer_view_in_a_new_tab_or_download(api, app, client, uploads):
    dossier = api.start()
    ids = _store(app, dossier["id"], ("to-trinh.pdf", PDF), ("bao-cao.docx", DOCX))
    login(client, "canbo_ns")
    html = client.get(f"/dossiers/{dossier['id']}").get_data(as_text=True)
    files = html[html.index('id="attachments"') :]
    view = re.findall(rf'<a href="/attachments/{ids["to-trinh.pdf"]}"([^>]*)>', files)
    assert view
    assert all('target="_blank"' in attrs and 'rel="noopener"' in attrs for attrs in view)
    assert "Xem" in files
    download = re.findall(rf'<a href="/attachments/{ids["bao-cao.docx"]}"([^>]*)>', files)
    assert download
    assert all(" download" in attrs for attrs in download)
    assert "Tải về" in files


def test_another_department_still_gets_404(api, app, client, uploads):
    dossier = api.start()
    ids = _store(app, dossier["id"], ("to-trinh.pdf", PDF))
    login(client, "vanphong_hn")
    assert client.get(f"/attachments/{ids['to-trinh.pdf']}").status_code == 404
