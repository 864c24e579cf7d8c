"""Correcting a returned dossier in the creation editor: the return reason on top, rows named
by nominee, a report per nominee (the current one kept unless replaced), one service call."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests.web.pages import login, submit
from webapp.models import Attachment, Event
from webapp.request_db import database

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
OTHER_PDF = PDF + b"% the collective's report\n"
REASON = "Bổ sung báo cáo thành tích của tập thể"


@pytest.fixture(autouse=True)
def uploads(app: Flask) -> Iterator[Path]:
    """Files these tests store are removed after each test (others check the folder is empty)."""
    root = Path(app.config["UPLOAD_DIR"])
    before = {p for p in root.rglob("*") if p.is_file()}
    yield root
    for path in {p for p in root.rglob("*") if p.is_file()} - before:
        path.unlink()
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()


def created_with_a_report(client: Any) -> None:
    """canbo_ns creates a dossier on the new-dossier page with a report for the first nominee."""
    data = {
        "title": "Đề nghị khen thưởng cần bổ sung",
        "award_form": "bk_btc",
        "track": "ad_hoc",
        "procedure": "regular",
        "nominees-0-kind": "individual",
        "nominees-0-name": "Nguyễn Thị Hằng",
        "nominees-0-birth_date": "12/03/1985",
        "nominees-0-report": (io.BytesIO(PDF), "bao-cao-hang.pdf"),
        "nominees-1-kind": "collective",
        "nominees-1-name": "Phòng Quản lý ngân sách",
        "action": "submit",
    }
    response = submit(client, "/dossiers/new", data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def returned(api: Any, client: Any, app: Flask) -> tuple[dict[str, Any], int]:
    """A dossier the Office returned to the unit; the unit officer's correcting item."""
    login(client, "canbo_ns")
    created_with_a_report(client)
    with database(app).transaction(write=False) as session:
        dossier_id = session.scalars(select(Event.dossier_id)).first()
    assert dossier_id is not None
    api.do("truongphong_ns", dossier_id, "approve_at_unit", {"decision": "approve"})
    api.do("vanphong", dossier_id, "check_dossier", {"decision": "return", "comment": REASON})
    [item] = api.items("canbo_ns", dossier_id, "prepare_dossier")
    return api.dossier(dossier_id), item["id"]


def reports(app: Flask, dossier_id: int) -> list[tuple[int | None, str, int | None]]:
    with database(app).transaction(write=False) as session:
        rows = session.execute(
            select(Attachment.nominee_id, Attachment.file_name, Attachment.event_id)
            .where(Attachment.dossier_id == dossier_id)
            .order_by(Attachment.id)
        )
        return [tuple(row) for row in rows]


def correction(dossier: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """The editor's fields as the page posts them, rows carrying their nominees' ids."""
    first, second = dossier["nominees"]
    data: dict[str, Any] = {
        "title": dossier["title"],
        "track": "ad_hoc",
        "procedure": "regular",
        "nominees-0-id": str(first["id"]),
        "nominees-0-kind": "individual",
        "nominees-0-name": first["name"],
        "nominees-0-birth_date": "12/03/1985",
        "nominees-1-id": str(second["id"]),
        "nominees-1-kind": "collective",
        "nominees-1-name": second["name"],
        "comment": "Đã bổ sung báo cáo của tập thể",
        "decision": "submit",
    }
    data.update(overrides)
    return data


def test_the_returned_dossier_opens_in_the_editor_with_the_reason_on_top(api, client, app):
    dossier, item_id = returned(api, client, app)
    page = client.get(f"/work/{item_id}").get_data(as_text=True)
    # The return reason, who and at which step, before the form.
    callout = page[page.index('id="return-reason"') : page.index('id="new-dossier"')]
    assert REASON in callout
    assert "Văn phòng" in callout or "Kiểm tra hồ sơ" in callout
    assert "đã trả lại hồ sơ ở bước “Kiểm tra hồ sơ”" in callout
    # The same editor as creating one: rows named by nominee, each with its report upload.
    assert 'id="new-dossier"' in page
    assert "Dòng 1" not in page
    for index, nominee in enumerate(dossier["nominees"]):
        heading = page[page.index(f'id="nominees-{index}-heading"') :]
        assert nominee["name"] in heading[: heading.index("</h3>")]
        assert f'name="nominees-{index}-report"' in page
        assert f'name="nominees-{index}-id" type="hidden" value="{nominee["id"]}"' in page
    # The first nominee's report is shown as kept; the collective has none yet.
    row0 = page[page.index('id="nominees-0-heading"') : page.index('id="nominees-1-heading"')]
    assert "bao-cao-hang.pdf" in row0
    assert "data-current-report" in row0
    row1 = page[page.index('id="nominees-1-heading"') : page.index('id="nominee-template"')]
    assert "data-current-report" not in row1
    # One button sends it on, named after where it goes; the award form is shown, not edited.
    assert 'name="decision" value="submit"' in page
    assert "Trình lãnh đạo đơn vị" in page
    assert 'name="award_form"' not in page


def test_submitting_with_a_new_report_stores_it_and_moves_the_dossier_on(api, client, app):
    dossier, item_id = returned(api, client, app)
    first, second = dossier["nominees"]
    before = reports(app, dossier["id"])
    data = correction(
        dossier,
        **{
            "nominees-0-report": (io.BytesIO(OTHER_PDF), "bao-cao-hang-moi.pdf"),
            "nominees-1-report": (io.BytesIO(PDF), "bao-cao-tap-the.pdf"),
        },
    )
    response = submit(client, f"/work/{item_id}", data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert response.location == "/work"
    after = api.dossier(dossier["id"])
    assert [c["step"] for c in after["current"]] == ["approve_at_unit"]
    assert after["status"] == "in_progress"
    stored = reports(app, dossier["id"])
    # The old report stays in the history; the new ones belong to the step's line.
    assert stored[: len(before)] == before
    new = stored[len(before) :]
    assert [(n, name) for n, name, _e in new] == [
        (first["id"], "bao-cao-hang-moi.pdf"),
        (second["id"], "bao-cao-tap-the.pdf"),
    ]
    with database(app).transaction(write=False) as session:
        event = session.get(Event, new[0][2])
        assert event is not None
        assert (event.action, event.step, event.comment) == (
            "completed",
            "prepare_dossier",
            "Đã bổ sung báo cáo của tập thể",
        )
    # The head of the unit has it now.
    assert api.items("truongphong_ns", dossier["id"], "approve_at_unit")


def test_a_new_row_gets_its_report_and_a_removed_row_goes(api, client, app):
    dossier, item_id = returned(api, client, app)
    _first, second = dossier["nominees"]
    data = correction(dossier)
    for key in [k for k in data if k.startswith("nominees-1-")]:
        del data[key]
    data.update(
        {
            "nominees-1-kind": "individual",
            "nominees-1-name": "Trần Văn Bình",
            "nominees-1-report": (io.BytesIO(PDF), "bao-cao-binh.pdf"),
            "action": "draft",
        }
    )
    del data["decision"]
    response = submit(client, f"/work/{item_id}", data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    after = api.dossier(dossier["id"], as_user="canbo_ns")
    assert [n["name"] for n in after["nominees"]] == ["Nguyễn Thị Hằng", "Trần Văn Bình"]
    assert second["id"] not in {n["id"] for n in after["nominees"]}
    assert after["current"][0]["step"] == "prepare_dossier"  # a draft does not send it on
    new_id = after["nominees"][1]["id"]
    assert reports(app, dossier["id"])[-1][:2] == (new_id, "bao-cao-binh.pdf")
    page = client.get(f"/work/{item_id}").get_data(as_text=True)
    row1 = page[page.index('id="nominees-1-heading"') : page.index('id="nominee-template"')]
    assert "Trần Văn Bình" in row1
    assert "bao-cao-binh.pdf" in row1
    assert REASON in page  # still returned: the reason stays on top until it is sent on


def test_bad_input_is_a_422_naming_the_field_and_nothing_changes(api, client, app, uploads):
    dossier, item_id = returned(api, client, app)
    before = reports(app, dossier["id"])
    files_before = {p for p in uploads.rglob("*") if p.is_file()}
    cases = [
        (
            {
                "nominees-0-name": "",
                "nominees-1-report": (io.BytesIO(PDF), "bao-cao-tap-the.pdf"),
            },
            "nominees-0-name-error",
        ),
        (
            {"nominees-1-report": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "virus.pdf")},
            "nominees-1-report-error",
        ),
        ({"nominees-0-birth_date": "31/02/1985"}, "nominees-0-birth_date-error"),
        ({"nominees-0-id": "999999"}, "nominees-0-id-error"),
        ({"decision": "approve"}, "decision-error"),
    ]
    for overrides, error_id in cases:
        data = correction(dossier, **overrides)
        response = submit(client, f"/work/{item_id}", data, content_type="multipart/form-data")
        assert response.status_code == 422, (overrides, response.status_code)
        page = response.get_data(as_text=True)
        assert f'id="{error_id}"' in page, overrides
        assert REASON in page
        after = api.dossier(dossier["id"], as_user="canbo_ns")
        assert after["current"][0]["step"] == "prepare_dossier"
        assert after["status"] == "returned"
        assert [n["name"] for n in after["nominees"]] == [n["name"] for n in dossier["nominees"]]
        assert reports(app, dossier["id"]) == before
        assert {p for p in uploads.rglob("*") if p.is_file()} == files_before


def test_the_first_preparation_uses_the_editor_without_a_return_callout(api, client):
    dossier = api.start()
    [item] = api.items("canbo_ns", dossier["id"], "prepare_dossier")
    login(client, "canbo_ns")
    page = client.get(f"/work/{item['id']}").get_data(as_text=True)
    assert 'id="new-dossier"' in page
    assert 'id="return-reason"' not in page
    assert dossier["code"] in page
    response = submit(client, f"/work/{item['id']}", correction(dossier, comment=""))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert api.dossier(dossier["id"])["current"][0]["step"] == "approve_at_unit"


def test_the_api_still_completes_the_preparing_step_with_data(api):
    dossier = api.start()
    after = api.do("canbo_ns", dossier["id"], "prepare_dossier", {"decision": "submit"})
    assert after["current"][0]["step"] == "approve_at_unit"
