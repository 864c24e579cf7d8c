"""A single dossier's signing step keeps its tờ trình with the dossier (hash, data, version),
through the API as through the page; a signed copy kept before is never replaced."""

from __future__ import annotations

import hashlib
import io

from docx import Document
from sqlalchemy import select

from tests.conftest import actor_named
from tests.web.pages import csrf_token, login
from tests.web.test_take_number import _at_signing
from webapp.db import utcnow
from webapp.models import Dossier, GeneratedDocument, ProcessInstance
from webapp.request_db import database
from webapp.services.documents import papers, pdf, step_papers
from webapp.services.errors import InvalidDataError

SIGN = {"decision": "approve", "submission_number": "61/TTr-STC", "submission_date": "2026-12-06"}


def _kept(session, dossier_id: int) -> list[GeneratedDocument]:
    return list(
        session.scalars(
            select(GeneratedDocument)
            .where(
                GeneratedDocument.subject_kind == "dossier",
                GeneratedDocument.subject_id == dossier_id,
            )
            .order_by(GeneratedDocument.id)
        )
    )


def test_signing_a_dossier_keeps_its_submission(app, api):
    did, _item = _at_signing(api)
    with database(app).transaction() as session:
        assert _kept(session, did) == []
    api.do("giamdoc", did, "sign_submission", SIGN)
    with database(app).transaction() as session:
        assert [(d.doc_kind, d.file_format) for d in _kept(session, did)] == [
            ("submission", "docx")
        ]
        # The job queue's pass makes the PDF for reading in the browser.
        while step_papers.make_kept_pdfs(session, utcnow()):
            pass
        kept = _kept(session, did)
        assert [(d.doc_kind, d.file_format) for d in kept] == [
            ("submission", f) for f in (["docx", "pdf"] if pdf.available() else ["docx"])
        ]
        docx = kept[0]
        data = papers.stored_bytes(session, docx)
        assert hashlib.sha256(data).hexdigest() == docx.content_hash
        version = session.scalar(
            select(ProcessInstance.version_id).where(ProcessInstance.dossier_id == did)
        )
        assert docx.process_version_id == version
        document = Document(io.BytesIO(data))
        cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
        text = " ".join(" ".join([p.text for p in document.paragraphs] + cells).split())
        assert "Số: 61/TTr-STC" in text
        assert "Bắc Ninh, ngày 06 tháng 12 năm 2026" in text


def test_a_dossiers_signed_copy_stays_when_the_step_completes(app, api):
    did, _item = _at_signing(api)
    with database(app).transaction() as session:
        director = actor_named(session, "giamdoc")
        draft = papers.store_paper(
            session,
            director,
            "dossier",
            did,
            papers.dossier_paper(session, director, did, "submission"),
        )
        papers.mark_signed(session, director, draft.id)
        signed_id = draft.id
    api.do("giamdoc", did, "sign_submission", SIGN)
    with database(app).transaction() as session:
        assert [d.id for d in _kept(session, did)] == [signed_id]
        assert session.get_one(GeneratedDocument, signed_id).status == "signed"


def test_a_paper_that_cannot_be_made_refuses_the_page_signing_with_a_message(
    app, api, client, monkeypatch
):
    did, item_id = _at_signing(api)

    def broken(*_args, **_kwargs):
        raise InvalidDataError("the template produced too much", {"template": "loops too far"})

    monkeypatch.setattr(step_papers, "dossier_paper", broken)
    login(client, "giamdoc")
    token = csrf_token(client.get(f"/work/{item_id}").get_data(as_text=True))
    refused = client.post(
        f"/work/{item_id}",
        data={
            "csrf_token": token,
            "decision": "approve",
            "submission_number": "62/TTr-STC",
            "submission_date": "06/12/2026",
        },
    )
    assert refused.status_code == 422
    assert "không lập được văn bản của bước" in refused.get_data(as_text=True)
    with database(app).transaction() as session:
        assert session.get_one(Dossier, did).submission_number is None
        assert _kept(session, did) == []
    assert api.items("giamdoc", did, "sign_submission")
