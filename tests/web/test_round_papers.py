"""The round page offers its papers as drafts: DOCX to download, PDF to read in the browser."""

from __future__ import annotations

import io

from docx import Document

from tests.services.test_documents import _demo_round
from tests.web.pages import login
from tests.web.test_round_pages import _open_round


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
