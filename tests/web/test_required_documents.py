"""The Office's check enforces the documents the rules require for the dossier's procedure and
award form; what is not enforced, and repeated or duplicate nominees, show as warnings."""

from __future__ import annotations

import io
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, select

from tests.conftest import actor_named
from tests.web.pages import login, submit
from webapp.models import Attachment, DocumentRequirement, Dossier
from webapp.request_db import database
from webapp.services import award_rules_catalog as catalog
from webapp.services.attachments import Upload, store_attachments

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
SIMPLIFIED = {"procedure": "simplified", "simplified_case": "art85_ad_hoc"}


def set_requirements(app: Flask, rows: list[tuple[str, str, str, bool, bool]]) -> None:
    with database(app).transaction() as session:
        catalog.save_requirements(
            session,
            actor_named(session, "admin"),
            [
                {"procedure": p, "award_form": f, "kind": k, "per_nominee": n, "enforced": e}
                for p, f, k, n, e in rows
            ],
        )


@pytest.fixture
def enforced(app: Flask) -> Iterator[None]:
    """Regular: a report per nominee; simplified: the unit's memo and a report per nominee."""
    set_requirements(
        app,
        [
            ("regular", "*", "achievement_report", True, True),
            ("simplified", "*", "submission", False, True),
            ("simplified", "*", "achievement_report", True, True),
        ],
    )
    yield
    with database(app).transaction() as session:
        session.execute(delete(DocumentRequirement))
        catalog.ensure_defaults(session)


def at_check(api, **overrides):
    dossier = api.start(**overrides)
    api.do("canbo_ns", dossier["id"], "prepare_dossier", {"decision": "submit"})
    api.do("truongphong_ns", dossier["id"], "approve_at_unit", {"decision": "approve"})
    return dossier


def attach(app: Flask, dossier_id: int, kind: str, *, per_nominee: bool) -> None:
    """The unit's files, as its officer attached them."""
    with database(app).transaction() as session:
        dossier = session.get_one(Dossier, dossier_id)
        nominees = dossier.nominees if per_nominee else [None]
        store_attachments(
            session,
            actor_named(session, "canbo_ns"),
            dossier,
            [
                Upload(f"{kind}.pdf", PDF, kind=kind, nominee_id=n.id if n else None)
                for n in nominees
            ],
        )


def test_the_api_refuses_the_approval_naming_each_missing_document(api, app, enforced):
    dossier = at_check(api)
    response = api.complete("vanphong", dossier["id"], "check_dossier", {"decision": "approve"})
    assert response.status_code == 422
    assert response.json["error"]["code"] == "missing_documents"
    assert set(response.json["error"]["fields"]) == {"attachments.achievement_report"}
    assert "Nguyễn Thị Hằng" in response.json["error"]["fields"]["attachments.achievement_report"]
    assert api.dossier(dossier["id"])["current"][0]["step"] == "check_dossier"
    # Returning for supplement is still possible without the documents.
    api.do("vanphong", dossier["id"], "check_dossier", {"decision": "return", "comment": "Thiếu"})


def test_the_check_page_says_in_vietnamese_which_documents_are_missing(api, app, client, enforced):
    dossier = at_check(api)
    [item] = api.items("vanphong", dossier["id"], "check_dossier")
    login(client, "vanphong")
    # Said before the Office tries: the checklist on the step's page.
    before = client.get(f"/work/{item['id']}").get_data(as_text=True)
    assert "Bắt buộc nhưng còn thiếu: Báo cáo thành tích (của Nguyễn Thị Hằng)." in before
    response = submit(client, f"/work/{item['id']}", {"decision": "approve", "action": "submit"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "còn thiếu tài liệu bắt buộc" in html
    assert "Báo cáo thành tích (của Nguyễn Thị Hằng, Phòng Quản lý ngân sách)" in html
    assert api.dossier(dossier["id"])["current"][0]["step"] == "check_dossier"


def test_with_the_documents_the_office_approves(api, app, enforced):
    dossier = at_check(api)
    attach(app, dossier["id"], "achievement_report", per_nominee=True)
    after = api.do("vanphong", dossier["id"], "check_dossier", {"decision": "approve"})
    assert {c["step"] for c in after["current"]} == {"council_vote"}


def test_a_simplified_dossier_requires_its_own_set(api, app, enforced):
    dossier = at_check(api, **SIMPLIFIED)
    attach(app, dossier["id"], "achievement_report", per_nominee=True)
    response = api.complete("vanphong", dossier["id"], "check_dossier", {"decision": "approve"})
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"attachments.submission"}
    attach(app, dossier["id"], "submission", per_nominee=False)
    after = api.do("vanphong", dossier["id"], "check_dossier", {"decision": "approve"})
    assert [c["step"] for c in after["current"]] == ["sign_submission"]


def test_shipped_requirements_warn_at_the_check_without_blocking(api, client):
    dossier = at_check(api)
    [item] = api.items("vanphong", dossier["id"], "check_dossier")
    login(client, "vanphong")
    html = client.get(f"/work/{item['id']}").get_data(as_text=True)
    assert 'id="check-warnings"' in html
    assert "Tờ trình chưa được đính kèm" in html
    api.do("vanphong", dossier["id"], "check_dossier", {"decision": "approve"})


def test_the_same_nominee_proposed_twice_is_warned_about_on_the_check_page(api, client):
    first = api.start()
    second = at_check(api)
    [item] = api.items("vanphong", second["id"], "check_dossier")
    login(client, "vanphong")
    html = client.get(f"/work/{item['id']}").get_data(as_text=True)
    assert (
        f"Nguyễn Thị Hằng cũng được đề nghị trong hồ sơ {first['code']} "
        "(Bằng khen của Bộ trưởng Bộ Tài chính) của cùng phong trào."
    ) in html
    # A warning, not a refusal.
    api.do("vanphong", second["id"], "check_dossier", {"decision": "approve"})


def test_the_unit_attaches_the_documents_in_its_editor_and_the_check_passes(
    api, app, client, enforced
):
    login(client, "canbo_ns")
    data = {
        "title": "Đề nghị tặng Bằng khen Thủ tướng theo thủ tục đơn giản",
        "award_form": "bk_ttg",
        "track": "ad_hoc",
        "procedure": "simplified",
        "simplified_case": "art85_ad_hoc",
        "nominees-0-kind": "individual",
        "nominees-0-name": "Trần Văn Đông",
        "nominees-0-report": (io.BytesIO(PDF), "bao-cao-tom-tat.pdf"),
        "submission_file": (io.BytesIO(PDF), "to-trinh.pdf"),
        "action": "submit",
    }
    response = submit(client, "/dossiers/new", data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    [dossier] = api.get("/api/v1/dossiers", "vanphong").json["items"]
    kinds = {a.kind for a in attachments_of_dossier(app, dossier["id"])}
    assert kinds == {"achievement_report", "submission"}
    api.do("truongphong_ns", dossier["id"], "approve_at_unit", {"decision": "approve"})
    after = api.do("vanphong", dossier["id"], "check_dossier", {"decision": "approve"})
    assert [c["step"] for c in after["current"]] == ["sign_submission"]


def attachments_of_dossier(app: Flask, dossier_id: int) -> list[Any]:
    with database(app).transaction(write=False) as session:
        rows = session.scalars(select(Attachment).where(Attachment.dossier_id == dossier_id))
        return [SimpleNamespace(kind=a.kind) for a in rows]


def test_the_api_gives_the_check_warnings_with_the_item(api):
    first = api.start()
    second = at_check(api)
    [item] = api.items("vanphong", second["id"], "check_dossier")
    detail = api.get(f"/api/v1/work-items/{item['id']}", "vanphong").json
    duplicates = [w for w in detail["check_warnings"] if w["kind"] == "duplicate_in_movement"]
    assert {(w["nominee"], w["other_dossier"]) for w in duplicates} == {
        ("Nguyễn Thị Hằng", first["code"]),
        ("Phòng Quản lý ngân sách", first["code"]),
    }
    assert {"kind": "missing_document", "document": "submission"}.items() <= next(
        w for w in detail["check_warnings"] if w["document"] == "submission"
    ).items()
    # Other steps carry none.
    [prepare] = api.items("canbo_ns", first["id"], "prepare_dossier")
    assert api.get(f"/api/v1/work-items/{prepare['id']}", "canbo_ns").json["check_warnings"] == []


def test_the_office_attaches_a_required_memo_received_on_paper_and_approves(api, app, client):
    set_requirements(app, [("simplified", "*", "submission", False, True)])
    try:
        dossier = at_check(api, **SIMPLIFIED)
        [item] = api.items("vanphong", dossier["id"], "check_dossier")
        login(client, "vanphong")
        page = client.get(f"/work/{item['id']}").get_data(as_text=True)
        assert 'id="attachment_kind"' in page
        # Attached as "other", the memo does not count: still refused, nothing stored.
        refused = submit(
            client,
            f"/work/{item['id']}",
            {"decision": "approve", "action": "submit", "attachment_kind": "other",
             "attachments": (io.BytesIO(PDF), "to-trinh.pdf")},
            content_type="multipart/form-data",
        )  # fmt: skip
        assert refused.status_code == 422
        assert attachments_of_dossier(app, dossier["id"]) == []
        approved = submit(
            client,
            f"/work/{item['id']}",
            {"decision": "approve", "action": "submit", "attachment_kind": "submission",
             "attachments": (io.BytesIO(PDF), "to-trinh.pdf")},
            content_type="multipart/form-data",
        )  # fmt: skip
        assert approved.status_code == 302
        assert [a.kind for a in attachments_of_dossier(app, dossier["id"])] == ["submission"]
        assert [c["step"] for c in api.dossier(dossier["id"])["current"]] == ["sign_submission"]
    finally:
        with database(app).transaction() as session:
            session.execute(delete(DocumentRequirement))
            catalog.ensure_defaults(session)
