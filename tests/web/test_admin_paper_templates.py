"""The administrator's paper-templates page of a process version: what each paper is made from,
upload (refused with the problem named, nothing stored), download, reset, the fields list and
the preview with a dossier's data; a deployed version refuses changes."""

from __future__ import annotations

import io
import os
import re

import pytest
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.docx_support import docx_of, docx_text
from tests.web.pages import csrf_token, login
from webapp.services.documents import pdf, render

KEY = "award_nomination"
BASE = f"/admin/processes/{KEY}/versions"


OWN = docx_of("MẪU RIÊNG: TỜ TRÌNH {{ number }}", "Kính gửi: {{ recipient }}")


@pytest.fixture
def admin(client):
    login(client, "admin")
    return client


@pytest.fixture
def draft(admin):
    page = admin.get(f"{BASE}/1/templates")
    response = admin.post(
        f"{BASE}/1/copy", data={"csrf_token": csrf_token(page.get_data(as_text=True))}
    )
    assert response.status_code == 302
    return 2


def _upload(client, number: int, kind: str, data: bytes, name: str = "mau.docx"):
    page = client.get(f"{BASE}/{number}/templates")
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart(
        MultiDict(
            {
                "csrf_token": csrf_token(page.get_data(as_text=True)),
                "template": FileStorage(io.BytesIO(data), filename=name),
            }
        )
    )
    return client.post(
        f"{BASE}/{number}/templates/{kind}",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def _current(client, number: int, kind: str) -> bytes:
    response = client.get(f"{BASE}/{number}/templates/{kind}/download")
    assert response.status_code == 200
    return response.data


def test_the_page_lists_each_paper_its_template_and_the_fields_it_may_use(admin):
    response = admin.get(f"{BASE}/1/templates")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for kind in ("submission", "minutes", "decision", "notice", "written_opinion"):
        assert f'data-kind="{kind}"' in html
        assert f'data-fields="{kind}"' in html
    assert html.count('data-source="shipped"') == 5
    assert "<code>legal_bases</code>" in html
    assert "<code>row.position_unit</code>" in html
    # Version 1 is deployed: nothing to upload, a copy offered instead.
    assert 'data-action="upload"' not in html
    assert 'id="copy-as-draft"' in html
    assert _current(admin, 1, "minutes") == render.template_bytes("minutes")


def test_a_draft_takes_an_uploaded_template_and_goes_back_to_the_shipped_one(admin, draft):
    response = _upload(admin, draft, "submission", OWN, "Tờ trình riêng.docx")
    assert response.status_code == 302
    html = admin.get(f"{BASE}/{draft}/templates").get_data(as_text=True)
    assert html.count('data-source="uploaded"') == 1
    assert _current(admin, draft, "submission") == OWN
    page = admin.get(f"{BASE}/{draft}/templates")
    response = admin.post(
        f"{BASE}/{draft}/templates/submission/reset",
        data={"csrf_token": csrf_token(page.get_data(as_text=True))},
    )
    assert response.status_code == 302
    assert _current(admin, draft, "submission") == render.template_bytes("submission")


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (docx_of("{{ salary }}"), "salary"),
        (docx_of("{{ ''.__class__ }}"), "__class__"),
        (docx_of("{{ number "), "{{ number"),
        (docx_of("Số: {{ number + }}"), "{{ number + }}"),
        (os.urandom(2 * 1024 * 1024 + 1), "2 MB"),
        (b"not a zip at all", "DOCX"),
    ],
    ids=["unknown-field", "escape", "unclosed", "syntax", "too-large", "not-zip"],
)
def test_a_refused_upload_says_why_on_the_field_and_stores_nothing(admin, draft, data, named):
    response = _upload(admin, draft, "notice", data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="template-notice-error"' in html
    error = html.split('id="template-notice-error"', 1)[1].split("</div>", 1)[0]
    assert named.replace("'", "&#39;") in error or named in error
    assert _current(admin, draft, "notice") == render.template_bytes("notice")


def test_a_deployed_version_refuses_an_upload(admin):
    response = _upload(admin, 1, "notice", OWN)
    assert response.status_code == 409
    assert 'id="template-notice-error"' in response.get_data(as_text=True)
    assert _current(admin, 1, "notice") == render.template_bytes("notice")


def test_the_preview_fills_the_drafts_template_with_a_dossiers_data(admin, draft, api):
    assert _upload(admin, draft, "submission", OWN).status_code == 302
    dossier = api.start()
    reference = dossier.get("code") or str(dossier["id"])
    url = f"{BASE}/{draft}/templates/preview"
    response = admin.get(
        url, query_string={"kind": "submission", "subject": "dossier", "reference": reference}
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == render.DOCX_MIME
    assert "attachment" in response.headers["Content-Disposition"]
    assert "MẪU RIÊNG: TỜ TRÌNH" in docx_text(response.data)
    if pdf.available():
        response = admin.get(
            url,
            query_string={
                "kind": "submission",
                "subject": "dossier",
                "reference": reference,
                "format": "pdf",
            },
        )
        assert response.status_code == 200
        assert response.data.startswith(b"%PDF")
    missing = admin.get(
        url, query_string={"kind": "submission", "subject": "dossier", "reference": "HS-0000"}
    )
    assert missing.status_code == 422
    assert 'id="preview-error"' in missing.get_data(as_text=True)
    wrong = admin.get(
        url, query_string={"kind": "minutes", "subject": "dossier", "reference": reference}
    )
    assert wrong.status_code == 422


def test_the_page_reads_in_vietnamese(admin, draft):
    from tests.web.test_i18n import english_on

    _upload(admin, draft, "minutes", docx_of("{{ salary }}"))
    for html in (
        admin.get(f"{BASE}/1/templates").get_data(as_text=True),
        _upload(admin, draft, "notice", docx_of("{{ salary }}")).get_data(as_text=True),
    ):
        assert "Mẫu văn bản của phiên bản" in html
        assert "Các trường mẫu được dùng" in html
        # Field names, file names and format names are code, not words.
        texts = english_on(html)
        assert [t for t in texts if not re.fullmatch(r"[\w.]+(\.docx)?|DOCX|PDF", t)] == []
    assert "Mẫu dùng trường mà văn bản này không có: salary" in html


def test_other_users_are_refused(client):
    login(client, "vanphong")
    assert client.get(f"{BASE}/1/templates").status_code == 403
    assert client.get(f"{BASE}/1/templates/submission/download").status_code == 403
