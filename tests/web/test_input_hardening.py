"""Client input the contract refuses is refused cleanly (4xx naming the field), never a 500:
odd characters, deep JSON, numbers beyond 64 bits in bodies, paths and query strings, hostile
file names, and the loser of a race for a work item."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import actor_named
from tests.web.pages import login, submit
from tests.web.test_api_errors import dossier_at_check
from webapp.models import Attachment, Dossier, WorkItem
from webapp.permissions import Actor
from webapp.request_db import database
from webapp.services import attachments, work_items
from webapp.services.attachments import Upload, clean_file_name
from webapp.services.errors import ConflictError, PermissionDeniedError

HUGE = "99999999999999999999999"
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
REFUSED_TEXT = "Văn bản có ký tự không được phép."


def post_raw(api, url, user, raw: bytes):
    return api.client.post(
        url, headers={**api.headers(user), "Content-Type": "application/json"}, data=raw
    )


def field_of(response) -> dict:
    assert response.status_code == 422, (response.status_code, response.get_data()[:300])
    assert response.json["error"]["code"] == "invalid"
    return response.json["error"]["fields"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('"title": "a\\ud800b"', "title"),
        ('"title": "a\\u0000b"', "title"),
        ('"title": "a\\u001bb"', "title"),
        ('"title": "a\\u0085b"', "title"),
        ('"nominees": [{"kind": "individual", "name": "x\\udfff"}]', "nominees.0.name"),
        ('"nominees": [{"kind": "individual", "name": "x", "n\\u0000": 1}]', "nominees.0"),
        ('"title": "t", "unit_id": 18446744073709551616', "unit_id"),
        ('"title": "t", "count": -9223372036854775809', "count"),
        ('"title": "t", "weight": 1e400', "weight"),
        ('"title": "t", "award_form": "bk_btc", "movement_id": 2147483648', "movement_id"),
    ],
)
def test_what_cannot_be_stored_is_422_naming_the_field(api, body, field):
    response = post_raw(api, "/api/v1/dossiers", "canbo_ns", ("{" + body + "}").encode())
    assert field in field_of(response)


def test_tab_newline_and_any_script_are_fine(api):
    title = "Dòng một\tcột\nDòng hai\r\n漢字 العربية 🏅"
    dossier = api.start(title=title)
    assert api.dossier(dossier["id"])["title"] == title


def test_an_api_body_over_8_mib_is_413_before_it_is_read(api):
    from webapp.api import MAX_API_BODY_BYTES

    raw = b'{"title": "' + b"x" * MAX_API_BODY_BYTES + b'"}'
    response = post_raw(api, "/api/v1/dossiers", "canbo_ns", raw)
    assert response.status_code == 413
    assert response.json["error"]["code"] == "too_large"
    assert api.get("/api/v1/dossiers", "canbo_ns").json["total"] == 0


def test_deep_json_for_a_token_is_refused_without_a_500(client):
    # The login limit reads the username before the view does: it must not fail on it either.
    raw = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/v1/tokens", data=raw, content_type="application/json")
    assert response.status_code == 422


def test_deep_json_is_refused_without_a_500(api):
    for depth in (65, 1_000, 100_000):
        raw = ("[" * depth + "]" * depth).encode()
        response = post_raw(api, "/api/v1/dossiers", "canbo_ns", raw)
        assert response.status_code == 422, (depth, response.status_code)
    sixty_four = ("[" * 63 + "]" * 63).encode()
    # Deep enough to be allowed, so the body's shape (not its depth) is what is refused.
    assert post_raw(api, "/api/v1/dossiers", "canbo_ns", sixty_four).status_code == 422
    assert post_raw(api, "/api/v1/dossiers", "canbo_ns", b"[NaN]").status_code == 400


def test_a_step_comment_with_nul_is_422_on_data_comment(api):
    dossier = dossier_at_check(api)
    response = api.complete(
        "vanphong", dossier["id"], "check_dossier", {"decision": "return", "comment": "a\x00b"}
    )
    assert "data.comment" in field_of(response)
    assert api.items("vanphong", dossier["id"], "check_dossier")


def test_ids_beyond_64_bits_in_paths_are_404(api, client):
    for url in (
        f"/api/v1/dossiers/{HUGE}",
        f"/api/v1/work-items/{HUGE}",
        f"/api/v1/work-items/{HUGE}/complete",
        "/api/v1/dossiers/9223372036854775808",
        "/api/v1/dossiers/" + "9" * 5000,
    ):
        response = api.get(url, "vanphong")
        assert response.status_code in (404, 405), url
        assert response.json["error"]["code"] in ("not_found", "method_not_allowed")
    for id_ in ("9223372036854775807", "2147483648", "2147483647"):
        assert api.get(f"/api/v1/dossiers/{id_}", "vanphong").status_code == 404
    login(client, "vanphong")
    for url in (f"/dossiers/{HUGE}", f"/work/{HUGE}", f"/attachments/{HUGE}"):
        assert client.get(url).status_code == 404, url


def test_query_numbers_out_of_range_are_refused(api, client):
    for url in (
        f"/api/v1/dossiers?page={HUGE}",
        f"/api/v1/dossiers?unit_id={HUGE}",
        "/api/v1/dossiers?page=1000001",
        f"/api/v1/work-items?page={HUGE}",
        "/api/v1/work-items?page=²",
    ):
        assert api.get(url, "vanphong").status_code == 422, url
    assert api.get("/api/v1/dossiers?page=3", "vanphong").status_code == 200
    login(client, "vanphong")
    for url in (
        f"/dossiers?page={HUGE}",
        f"/dossiers?unit_id={HUGE}",
        f"/work?page={HUGE}",
        f"/process-map?unit_id={HUGE}",
    ):
        assert client.get(url).status_code == 404, url
    for url in ("/dossiers?page=abc", "/dossiers?q=a%00b", "/admin/users?q=%00"):
        assert client.get(url).status_code in (200, 403), url
    # An unknown step is a 404 of its own; a NUL in it must not make it a 500.
    assert client.get("/process-map/dossiers.json?step=a%00b").status_code == 404


def test_a_page_form_refuses_control_characters_in_vietnamese(api, client):
    dossier = dossier_at_check(api)
    [item] = api.items("vanphong", dossier["id"], "check_dossier")
    login(client, "vanphong")
    response = submit(client, f"/work/{item['id']}", {"decision": "return", "comment": "a\x00b"})
    assert response.status_code == 422
    assert REFUSED_TEXT in response.get_data(as_text=True)
    assert api.items("vanphong", dossier["id"], "check_dossier")


# --- file names ----------------------------------------------------------------------------


@pytest.fixture
def uploads(app: Flask) -> Iterator[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    before = {p for p in root.rglob("*") if p.is_file()}
    yield root
    for path in root.rglob("*"):
        if path.is_file() and path not in before:
            path.unlink()


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a\x00b.pdf", "ab.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\me\\Báo cáo.pdf", "Báo cáo.pdf"),
        ("\u202efdp.exe.pdf", "fdp.exe.pdf"),
        ("x\ud800.pdf", "x.pdf"),
        ("a\r\nb.pdf", "a b.pdf"),
        ("\x00.pdf", "tep-dinh-kem.pdf"),
        ("...", ""),
    ],
)
def test_file_names_are_cleaned(raw, clean):
    assert clean_file_name(raw) == clean


def test_a_long_name_keeps_its_extension():
    name = clean_file_name("ả" * 500 + ".docx")
    assert len(name) == 200
    assert name.endswith(".docx")


def test_a_file_with_a_hostile_name_stays_downloadable(api, app, client, uploads):
    dossier = api.start()
    with database(app).transaction() as session:
        row = session.get_one(Dossier, dossier["id"])
        actor = actor_named(session, "canbo_ns")
        [stored] = attachments.store_attachments(
            session, actor, row, [Upload("Báo cáo\x00\r\n\u202e.pdf", PDF, kind="other")]
        )
        session.flush()
        stored_id, stored_name = stored.id, stored.file_name
    assert stored_name == "Báo cáo.pdf"
    login(client, "canbo_ns")
    response = client.get(f"/attachments/{stored_id}")
    assert response.status_code == 200
    assert response.data == PDF
    disposition = response.headers["Content-Disposition"]
    response.close()
    assert "filename*=UTF-8''B%C3%A1o%20c%C3%A1o.pdf" in disposition
    # A name stored before names were cleaned is cleaned when it is offered.
    legacy = Attachment(file_name="\x00\x01", mime_type="application/pdf")
    assert attachments.download_name(legacy) == "tep-dinh-kem.pdf"


# --- the loser of a race --------------------------------------------------------------------


def test_a_claimed_item_is_409_for_another_holder_of_the_role(app, api):
    dossier = dossier_at_check(api)
    db = database(app).session()  # read-only: every call below is refused before writing
    [item] = api.items("vanphong", dossier["id"], "check_dossier")
    assert api.post(f"/api/v1/work-items/{item['id']}/claim", "vanphong").status_code == 200
    office = actor_named(db, "vanphong")
    # Someone else holding the same role in the same unit (not stored: the Actor is enough).
    colleague = Actor(
        user_id=office.user_id + 10_000,
        username="colleague",
        full_name="Colleague",
        unit_id=office.unit_id,
        scopes=dict(office.scopes),
        grants=dict(office.grants),
    )
    with pytest.raises(ConflictError) as caught:
        work_items.complete_work_item(db, colleague, item["id"], {"decision": "approve"})
    assert caught.value.code == "claimed_by_other"
    db.rollback()
    outsider = actor_named(db, "hoidong1")
    with pytest.raises(PermissionDeniedError):
        work_items.complete_work_item(db, outsider, item["id"], {"decision": "approve"})
    db.rollback()
    done = api.complete("vanphong", dossier["id"], "check_dossier", {"decision": "approve"})
    assert done.status_code == 200
    # Done now: whoever comes second, claimed or not, with the role or not, hears 409.
    for late in (colleague, office, outsider):
        with pytest.raises(ConflictError) as caught:
            work_items.complete_work_item(db, late, item["id"], {"decision": "approve"})
        assert caught.value.code == "already_completed"
        db.rollback()
    assert db.get_one(WorkItem, item["id"]).status == "done"
    db.close()


def test_on_the_page_too_the_loser_of_a_claim_race_gets_409(app, api, client):
    from sqlalchemy import delete, select

    from tests.web.pages import csrf_token
    from webapp.models import RoleAssignment, User

    dossier = api.start()
    api.do("canbo_ns", dossier["id"], "prepare_dossier", {"decision": "submit"})
    [item] = api.items("truongphong_ns", dossier["id"], "approve_at_unit")
    login(client, "truongphong_ns")
    page = client.get(f"/work/{item['id']}")
    assert page.status_code == 200
    token = csrf_token(page.get_data(as_text=True))
    db = database(app)
    with db.transaction() as session:  # a second head of the unit, for this test only
        canbo = session.scalars(select(User).where(User.username == "canbo_ns")).one()
        session.add(RoleAssignment(user_id=canbo.id, role="unit_head", unit_id=canbo.unit_id))
    try:
        # canbo_ns takes the step while truongphong_ns has its page open.
        claim = api.post(f"/api/v1/work-items/{item['id']}/claim", "canbo_ns")
        assert claim.status_code == 200
        sent = client.post(f"/work/{item['id']}", data={"csrf_token": token, "decision": "approve"})
        assert sent.status_code == 409
        assert api.dossier(dossier["id"])["current"][0]["claimed_by"] == "canbo_ns"
    finally:
        with db.transaction() as session:
            session.execute(
                delete(RoleAssignment).where(
                    RoleAssignment.user_id == canbo.id, RoleAssignment.role == "unit_head"
                )
            )
