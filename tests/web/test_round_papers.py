"""The round page offers its papers as drafts: DOCX to download, PDF to read in the browser."""

from __future__ import annotations

import hashlib
import io

from docx import Document

from tests.conftest import actor_named
from tests.services.test_documents import _demo_round
from tests.web.pages import csrf_token, login
from tests.web.test_round_pages import _open_round
from webapp.services.documents import papers


def test_the_round_page_links_each_paper_and_serves_docx_and_pdf(client, db):
    round_, number, ns, _dn = _demo_round(db)
    login(client, "vanphong")
    page = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert 'id="round-papers"' in page
    assert page.count("Tải bản nháp") == 5  # opinion form, tờ trình, minutes, decision, notice
    docx_link = f"/rounds/{round_.id}/papers/submission.docx?part=bk_btc"
    assert docx_link in page
    assert f"/rounds/{round_.id}/papers/notice.docx?part={ns.unit_id}" in page

    response = client.get(docx_link)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    text = " ".join(p.text for p in Document(io.BytesIO(response.data)).paragraphs)
    assert f"Tờ trình số {number} ngày 05 tháng 11 năm 2026" in text

    response = client.get(f"/rounds/{round_.id}/papers/minutes.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert response.headers["Content-Security-Policy"].startswith("sandbox")


def test_a_paper_the_data_cannot_fill_yet_says_so_and_another_department_sees_nothing(client, app):
    round_id = _open_round(app)
    login(client, "vanphong")
    page = client.get(f"/rounds/{round_id}").get_data(as_text=True)
    assert 'id="round-papers"' not in page
    response = client.get(f"/rounds/{round_id}/papers/submission.docx?part=bk_btc")
    assert response.status_code == 422
    assert "Chưa thể lập văn bản này" in response.get_data(as_text=True)
    assert client.get(f"/rounds/{round_id}/papers/nonsense.odt").status_code == 422
    other = app.test_client()
    login(other, "vanphong_hn")
    assert other.get(f"/rounds/{round_id}/papers/minutes.docx").status_code == 404


def test_the_office_keeps_a_paper_with_the_round_and_a_signed_one_stays(client, db):
    round_, _number, _ns, _dn = _demo_round(db)
    login(client, "vanphong")
    page = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    keep = f"/rounds/{round_.id}/papers/submission/keep?part=bk_btc"
    assert keep.replace("&", "&amp;") in page or keep in page
    token = csrf_token(page)
    office = actor_named(db, "vanphong")
    # The Director's signing already kept the tờ trình; keeping it on request makes another.
    before = {d.id for d in papers.stored_papers(db, office, round_.id)}
    db.commit()  # end the read: the request's rows are seen
    response = client.post(keep, data={"csrf_token": token})
    assert response.status_code == 302
    kept = [d for d in papers.stored_papers(db, office, round_.id) if d.id not in before]
    assert sorted(d.file_format for d in kept) == ["docx", "pdf"]
    page = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert 'id="round-papers-kept"' in page
    docx = next(d for d in kept if d.file_format == "docx")
    served = client.get(f"/rounds/{round_.id}/papers/kept/{docx.id}")
    assert served.status_code == 200
    assert hashlib.sha256(served.data).hexdigest() == docx.content_hash
    papers.mark_signed(db, actor_named(db, "giamdoc"), docx.id)
    db.commit()
    stored = {d.id for d in papers.stored_papers(db, office, round_.id)}
    db.commit()
    again = client.post(keep, data={"csrf_token": token})
    assert again.status_code == 409
    assert "đã được ký" in again.get_data(as_text=True)
    # Nothing was stored by the refused regeneration; the signed copy is the same file.
    assert {d.id for d in papers.stored_papers(db, office, round_.id)} == stored
    signed = papers.signed_copy(db, "round", round_.id, "submission", "bk_btc")
    assert signed is not None
    assert signed.id == docx.id
    assert hashlib.sha256(papers.stored_bytes(db, signed)).hexdigest() == docx.content_hash
    officer = app_client_for(client, "canbo_ns")
    page = officer.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert "/papers/submission/keep" not in page
    refused = officer.post(keep, data={"csrf_token": csrf_token(page)})
    assert refused.status_code == 403


def app_client_for(client, username):
    browser = client.application.test_client()
    login(browser, username)
    return browser
