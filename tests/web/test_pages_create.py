"""The new-dossier page: nominees row by row, a report per nominee, draft or submit, refusals."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.web.pages import csrf_token, login, submit
from webapp.dossiers.create_forms import (
    NewDossierForm,
    attach_service_errors,
    dossier_payload,
)
from webapp.field_messages import FIELD_MESSAGES
from webapp.models import Attachment, Dossier
from webapp.request_db import database
from webapp.services.form_validation import FieldProblem, FormInvalidError

URL = "/dossiers/new"
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
WRONG_TYPE = "Chỉ nhận tệp PDF, DOC, DOCX, PNG và JPEG."
TOO_LARGE = "Tệp lớn hơn 10 MB."


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


@pytest.fixture(autouse=True)
def uploads(app: Flask) -> Iterator[Path]:
    """The upload folder; files these tests store are removed after each test.

    The folder is shared by the whole session and other tests check that a refused upload
    leaves it empty, so nothing stored here may outlive its test.
    """
    root = Path(app.config["UPLOAD_DIR"])
    before = _files(root)
    yield root
    for path in _files(root) - before:
        path.unlink()
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()


def form_data(**overrides: Any) -> dict[str, Any]:
    """A valid dossier with an individual and a collective nominee, as the page posts it."""
    data: dict[str, Any] = {
        "title": "Đề nghị tặng Bằng khen của Bộ trưởng cho tập thể và cá nhân phòng QLNS",
        "award_form": "bk_btc",
        "track": "ad_hoc",
        "procedure": "regular",
        "simplified_reason": "",
        "nominees-0-kind": "individual",
        "nominees-0-name": "Nguyễn Thị Hằng",
        "nominees-0-position": "Chuyên viên, Phòng Quản lý ngân sách",
        "nominees-0-gender": "female",
        "nominees-0-birth_date": "12/03/1985",
        "nominees-0-staff_category": "frontline",
        "nominees-0-achievement": "Hoàn thành xuất sắc nhiệm vụ phòng, chống dịch",
        "nominees-1-kind": "collective",
        "nominees-1-name": "Phòng Quản lý ngân sách",
        "nominees-1-achievement": "Tham mưu kịp thời kinh phí phòng, chống dịch",
        "action": "draft",
    }
    data.update(overrides)
    return data


def post(client: Any, data: dict[str, Any]) -> Any:
    """GET the page, then POST `data` as multipart with the page's CSRF token."""
    return submit(client, URL, data, content_type="multipart/form-data")


def post_large(client: Any, data: dict[str, Any]) -> Any:
    """As post(), for bodies of megabytes: encoded in memory (the test client would spool them
    to a temporary file that it never closes)."""
    token = csrf_token(client.get(URL).get_data(as_text=True))
    fields = {
        key: FileStorage(stream, filename=name) if isinstance(value, tuple) else value
        for key, value in data.items()
        for stream, name in [value if isinstance(value, tuple) else (None, None)]
    }
    boundary, body = encode_multipart(MultiDict({"csrf_token": token, **fields}))
    return client.post(URL, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def dossier_count(app: Flask) -> int:
    with database(app).transaction(write=False) as session:
        return session.scalar(select(func.count()).select_from(Dossier)) or 0


def only_dossier_id(app: Flask) -> int:
    with database(app).transaction(write=False) as session:
        return session.scalars(select(Dossier.id)).one()


def error_of(page: str, field_id: str) -> str:
    """The message shown beside a field (its -error block), or "" when there is none."""
    marker = f'id="{field_id}-error"'
    if marker not in page:
        return ""
    start = page.index(marker)
    return page[start : page.index("</div></div>", start)]


def test_save_draft_creates_the_dossier_with_its_nominees_and_report(api, client, app, uploads):
    login(client, "canbo_ns")
    response = post(client, form_data(**{"nominees-0-report": (io.BytesIO(PDF), "bao-cao.pdf")}))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    dossier = api.dossier(only_dossier_id(app), as_user="canbo_ns")
    assert dossier["status"] == "in_progress"
    assert [c["step"] for c in dossier["current"]] == ["prepare_dossier"]
    # The officer comes back to the draft on the preparing step's page.
    assert response.location == f"/work/{dossier['current'][0]['work_item_id']}"
    assert [(n["kind"], n["name"]) for n in dossier["nominees"]] == [
        ("individual", "Nguyễn Thị Hằng"),
        ("collective", "Phòng Quản lý ngân sách"),
    ]
    individual = dossier["nominees"][0]
    assert individual["birth_date"] == "1985-03-12"
    assert individual["gender"] == "female"
    with database(app).transaction(write=False) as session:
        [attachment] = session.scalars(select(Attachment)).all()
        assert attachment.kind == "achievement_report"
        assert attachment.nominee_id == individual["id"]
        stored = uploads / attachment.content_hash[:2] / attachment.content_hash
        assert stored.read_bytes() == PDF
        attachment_id = attachment.id
    followed = client.get(response.location).get_data(as_text=True)
    assert dossier["code"] in followed  # the confirmation names the dossier
    with client.get(f"/attachments/{attachment_id}") as download:
        assert download.status_code == 200
        assert download.data == PDF


def test_create_and_submit_sends_the_dossier_to_the_unit_head(api, client, app):
    login(client, "canbo_ns")
    response = post(client, form_data(action="submit"))
    assert response.status_code == 302
    assert response.location == "/work"
    dossier = api.dossier(only_dossier_id(app), as_user="canbo_ns")
    assert [c["step"] for c in dossier["current"]] == ["approve_at_unit"]
    assert [h["step"] for h in dossier["history"] if h["action"] == "completed"] == [
        "prepare_dossier"
    ]
    assert api.items("truongphong_ns", dossier["id"], "approve_at_unit")
    assert dossier["code"] in client.get("/work").get_data(as_text=True)


def test_simplified_procedure_without_its_case_is_refused_beside_the_field(client, app):
    login(client, "canbo_ns")
    response = post(client, form_data(procedure="simplified", simplified_reason="Đột xuất"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert error_of(page, "simplified_case")
    assert not error_of(page, "title")
    assert dossier_count(app) == 0
    # A code that is not on the list is refused as well.
    response = post(client, form_data(procedure="simplified", simplified_case="made_up"))
    assert response.status_code == 422
    assert error_of(response.get_data(as_text=True), "simplified_case")
    assert dossier_count(app) == 0


def test_simplified_procedure_with_its_case_is_kept(api, client, app):
    login(client, "canbo_ns")
    page = client.get(URL).get_data(as_text=True)
    # The administrator's list of Law 06/2022 Art. 85 cases is offered.
    assert 'value="art85_ad_hoc"' in page
    assert 'value="art85_state_secret"' in page
    reason = "Thành tích đột xuất trong phòng, chống dịch Covid-19"
    response = post(
        client,
        form_data(procedure="simplified", simplified_case="art85_ad_hoc", simplified_reason=reason),
    )
    assert response.status_code == 302
    with database(app).transaction(write=False) as session:
        dossier = session.scalars(select(Dossier)).one()
        assert (dossier.procedure, dossier.simplified_case, dossier.simplified_reason) == (
            "simplified",
            "art85_ad_hoc",
            reason,
        )


def test_a_renamed_program_is_refused_and_nothing_is_stored(client, app, uploads):
    login(client, "canbo_ns")
    program = (io.BytesIO(b"MZ\x90\x00\x03\x00 this is a program"), "bao-cao.pdf")
    response = post(client, form_data(**{"nominees-1-report": program}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert WRONG_TYPE in error_of(page, "nominees-1-report")
    assert not error_of(page, "nominees-0-report")
    assert dossier_count(app) == 0
    assert _files(uploads) == set()


def test_an_11_mb_pdf_is_refused_and_nothing_is_stored(client, app, uploads):
    login(client, "canbo_ns")
    big = PDF + b"0" * (11 * 1024 * 1024)
    good = (io.BytesIO(PDF), "tap-the.pdf")
    response = post_large(
        client,
        form_data(
            **{"nominees-0-report": (io.BytesIO(big), "ca-nhan.pdf"), "nominees-1-report": good}
        ),
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert TOO_LARGE in error_of(page, "nominees-0-report")
    # The accepted file of the other row is not kept either: the page asks for it again.
    assert 'id="nominees-1-report-again"' in page
    assert "tap-the.pdf" in page
    assert dossier_count(app) == 0
    assert _files(uploads) == set()


def test_an_empty_file_is_refused(client, app):
    login(client, "canbo_ns")
    response = post(client, form_data(**{"nominees-0-report": (io.BytesIO(b""), "rong.pdf")}))
    assert response.status_code == 422
    assert "Tệp rỗng." in error_of(response.get_data(as_text=True), "nominees-0-report")
    assert dossier_count(app) == 0


def test_a_row_without_a_name_shows_the_message_in_that_row(client, app):
    login(client, "canbo_ns")
    response = post(client, form_data(**{"nominees-1-name": " "}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert error_of(page, "nominees-1-name")
    assert not error_of(page, "nominees-0-name")
    assert 'value="Nguyễn Thị Hằng"' in page  # what was typed is shown again
    assert dossier_count(app) == 0


def test_a_wrong_birth_date_is_refused_beside_it(client, app):
    login(client, "canbo_ns")
    response = post(client, form_data(**{"nominees-0-birth_date": "1985-03-12"}))
    assert response.status_code == 422
    assert error_of(response.get_data(as_text=True), "nominees-0-birth_date")
    assert dossier_count(app) == 0


def test_a_collective_ignores_the_fields_of_individuals(api, client, app):
    login(client, "canbo_ns")
    data = form_data(
        **{
            "nominees-1-birth_date": "31/02/2020",  # hidden for a collective: not checked
            "nominees-1-gender": "male",
            "nominees-1-posthumous": "y",
        }
    )
    response = post(client, data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    collective = api.dossier(only_dossier_id(app), as_user="canbo_ns")["nominees"][1]
    assert (collective["kind"], collective["birth_date"], collective["gender"]) == (
        "collective",
        None,
        None,
    )


def test_nominees_can_be_many_and_the_form_keeps_their_order(api, client, app):
    login(client, "canbo_ns")
    data = form_data()
    for index in range(2, 6):
        data[f"nominees-{index}-kind"] = "individual"
        data[f"nominees-{index}-name"] = f"Cán bộ số {index}"
    response = post(client, data)
    assert response.status_code == 302
    names = [n["name"] for n in api.dossier(only_dossier_id(app), as_user="canbo_ns")["nominees"]]
    assert names[2:] == [f"Cán bộ số {i}" for i in range(2, 6)]


def test_a_non_officer_gets_the_403_page(client, app):
    login(client, "vanphong")
    response = client.get(URL)
    assert response.status_code == 403
    assert "Bạn không được làm việc này" in response.get_data(as_text=True)
    token = csrf_token(client.get("/work").get_data(as_text=True))
    refused = client.post(URL, data={"csrf_token": token, **form_data()})
    assert refused.status_code == 403
    assert dossier_count(app) == 0


def test_a_post_without_the_csrf_token_is_refused(client, app):
    login(client, "canbo_ns")
    response = client.post(URL, data=form_data(action="submit"))
    assert response.status_code == 422
    assert "Biểu mẫu đã hết hạn. Vui lòng gửi lại." in response.get_data(as_text=True)
    assert dossier_count(app) == 0


def test_the_page_offers_a_blank_row_to_copy_and_both_buttons(client):
    login(client, "canbo_ns")
    page = client.get(URL).get_data(as_text=True)
    assert 'name="nominees-0-name"' in page
    assert 'name="nominees-__index__-name"' in page  # the template row for "Add a nominee"
    assert 'name="nominees-0-report"' in page
    assert 'enctype="multipart/form-data"' in page
    assert 'value="draft"' in page
    assert 'value="submit"' in page
    assert "new-dossier.js" in page


def test_service_errors_go_beside_the_row_field_that_caused_them(app):
    rows = MultiDict(
        [("nominees-0-kind", "individual"), ("nominees-0-name", "A"), ("nominees-1-name", "B")]
    )
    with app.test_request_context("/dossiers/new", method="POST"):
        form = NewDossierForm(rows)
        problems = [
            FieldProblem("nominees.1.name", "blank", "must not be blank"),
            FieldProblem("nominees", "too_few", "needs at least 1 item(s)"),
            FieldProblem("movement_id", "required", "is required"),
        ]
        unplaced = attach_service_errors(form, FormInvalidError(problems))
        assert form.nominees.entries[1].form.name.errors == [str(FIELD_MESSAGES["blank"])]
        assert not form.nominees.entries[0].form.name.errors
        assert str(FIELD_MESSAGES["too_few"]) in form.nominees.errors
        assert unplaced == [f"{FIELD_MESSAGES['required']} (movement_id)"]


def test_the_payload_is_the_api_body(app):
    data = MultiDict(form_data(procedure="regular", simplified_reason="left over"))
    with app.test_request_context("/dossiers/new", method="POST"):
        payload = dossier_payload(NewDossierForm(data))
    assert payload["simplified_reason"] is None  # only the simplified procedure keeps it
    assert payload["simplified_case"] is None
    assert payload["nominees"][0] == {
        "kind": "individual",
        "name": "Nguyễn Thị Hằng",
        "position": "Chuyên viên, Phòng Quản lý ngân sách",
        "achievement": "Hoàn thành xuất sắc nhiệm vụ phòng, chống dịch",
        "gender": "female",
        "birth_date": "1985-03-12",
        "staff_category": "frontline",
        "posthumous": False,
        "unit": None,
        "death_date": None,
        "next_of_kin": None,
    }
    assert set(payload["nominees"][1]) == {"kind", "name", "position", "achievement", "org_unit_id"}
