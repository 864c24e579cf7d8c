"""Round pages: movements and rounds created by the Office, a dossier created in a round, the
round's buttons with their refusals (403 for others, 422 naming the field)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from tests.conftest import actor_named
from tests.services.rounds_support import council_votes
from tests.web.pages import csrf_token, login, submit
from tests.web.test_pages_create import form_data
from webapp.db import utcnow
from webapp.models import Dossier, Movement, Round, RoundEntry
from webapp.request_db import database
from webapp.services.rounds import lifecycle, movements, steps


def as_user(app: Flask, username: str):
    """A fresh browser logged in as `username`."""
    browser = app.test_client()
    login(browser, username)
    return browser


def _open_round(app: Flask, **extra) -> int:
    with database(app).transaction() as session:
        office = actor_named(session, "vanphong")
        movement = movements.create_movement(
            session, office, {"code": f"KH-{uuid.uuid4().hex[:6]}", "name": "Phong trào năm"}
        )
        payload = {
            "name": "Tổng kết năm 2026",
            "movement_id": movement.id,
            "kind": "tong_ket",
            "award_forms": ["bk_btc"],
            "intake_deadline": (utcnow() + timedelta(days=5)).isoformat(),
            **extra,
        }
        return lifecycle.open_round(session, office, payload).id


def test_the_office_creates_a_movement_and_bad_fields_are_named(client, app):
    login(client, "vanphong")
    code = f"KH-{uuid.uuid4().hex[:6]}"
    response = submit(
        client,
        "/movements",
        {
            "code": code,
            "name": "Phong trào thi đua đặc biệt phòng, chống Covid-19",
            "plan_number": "KH-STC",
            "plan_date": "2021-10-20",
            "issuing_level": "department",
            "period_start": "2021-10-20",
            "period_end": "2022-12-31",
            "award_forms": ["bk_btc", "bk_ttg"],
        },
    )
    assert response.status_code == 302
    page = client.get("/movements").get_data(as_text=True)
    assert code in page
    assert "Bằng khen của Thủ tướng Chính phủ" in page

    refused = submit(
        client,
        "/movements",
        {"code": code, "name": "", "period_start": "2022-01-02", "period_end": "2022-01-01"},
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'id="name-error"' in page
    with database(app).transaction(write=False) as session:
        assert session.scalar(select(Movement).where(Movement.code == code)) is not None

    # The code taken and the period reversed are named beside their fields, in Vietnamese.
    again = submit(
        client,
        "/movements",
        {"code": code, "name": "Khác", "period_start": "2022-01-02", "period_end": "2022-01-01"},
    )
    page = again.get_data(as_text=True)
    assert again.status_code == 422
    assert "Nhập mã chưa phong trào nào dùng" in page
    assert "Ngày kết thúc giai đoạn phải là một ngày không trước ngày bắt đầu." in page


def test_a_unit_officer_may_not_create_a_movement_or_open_a_round(client):
    login(client, "canbo_ns")
    page = client.get("/movements").get_data(as_text=True)
    assert 'id="new-movement"' not in page
    token = csrf_token(client.get("/movements").get_data(as_text=True))
    assert (
        client.post("/movements", data={"csrf_token": token, "code": "X", "name": "Y"}).status_code
        == 403
    )
    assert client.post("/rounds", data={"csrf_token": token, "name": "Y"}).status_code == 403


def test_the_office_opens_a_round_from_the_page(client, app):
    round_id = _open_round(app)  # for a movement to choose
    with database(app).transaction(write=False) as session:
        movement_id = session.get_one(Round, round_id).movement_id
    login(client, "vanphong")
    response = submit(
        client,
        "/rounds",
        {
            "name": "Sơ kết 6 tháng",
            "movement_id": movement_id,
            "kind": "so_ket",
            "award_forms": ["bk_btc"],
            "intake_deadline": "2099-12-20T17:00",
        },
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sơ kết 6 tháng" in page
    assert "Đang tiếp nhận hồ sơ" in page
    assert "Kết thúc tiếp nhận ngay" in page

    refused = submit(client, "/rounds", {"name": "", "kind": "so_ket", "intake_deadline": "mai"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    for field in ("name", "award_forms", "intake_deadline"):
        assert f'id="{field}-error"' in page, field


def test_a_dossier_created_in_a_round_shows_its_round_on_its_page(client, app):
    round_id = _open_round(app)
    login(client, "canbo_ns")
    page = client.get(f"/dossiers/new?round_id={round_id}").get_data(as_text=True)
    assert f'<option value="{round_id}" selected' in page
    response = submit(
        client,
        "/dossiers/new",
        {**form_data(track="final"), "round_id": str(round_id)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with database(app).transaction(write=False) as session:
        entry = session.scalars(select(RoundEntry).where(RoundEntry.round_id == round_id)).one()
        dossier_id = entry.dossier_id
    page = client.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    assert 'id="dossier-round"' in page
    assert "Tổng kết năm 2026" in page
    assert "đang ở bước “Tiếp nhận hồ sơ đến hạn”" in page


def test_a_round_that_closed_refuses_a_new_dossier_with_the_reason(client, app):
    round_id = _open_round(app)
    with database(app).transaction() as session:
        steps.close_intake(session, actor_named(session, "vanphong"), round_id)
    login(client, "canbo_ns")
    response = submit(
        client,
        "/dossiers/new",
        {**form_data(track="final"), "round_id": str(round_id)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Đợt xét đã chọn không nhận hồ sơ nữa: đã kết thúc tiếp nhận." in response.get_data(
        as_text=True
    )
    with database(app).transaction(write=False) as session:
        assert session.scalars(select(Dossier)).first() is None


def test_the_round_page_buttons_refuse_others_and_name_what_is_missing(client, app):
    round_id = _open_round(app)
    with database(app).transaction() as session:
        dossier = lifecycle.join_round(
            session,
            actor_named(session, "canbo_ns"),
            round_id,
            {
                "title": "Đề nghị tổng kết",
                "award_form": "bk_btc",
                "track": "final",
                "procedure": "regular",
                "nominees": [{"kind": "individual", "name": "Nguyễn Thị Hằng"}],
            },
        )
        dossier_id = dossier.id
    url = f"/rounds/{round_id}"
    login(client, "canbo_ns")
    token = csrf_token(client.get(url).get_data(as_text=True))
    assert client.post(f"{url}/close", data={"csrf_token": token}).status_code == 403

    client = as_user(app, "vanphong")
    token = csrf_token(client.get(url).get_data(as_text=True))
    assert client.post(f"{url}/close", data={"csrf_token": token}).status_code == 302
    with database(app).transaction(write=False) as session:
        assert session.get_one(Round, round_id).status == "closed"
        assert (
            session.scalars(
                select(RoundEntry.status).where(RoundEntry.dossier_id == dossier_id)
            ).one()
            == "late"
        )
    page = client.get(url).get_data(as_text=True)
    assert "Nộp muộn" in page
    assert "Tổng hợp danh sách" in page
    assert client.post(f"{url}/compile", data={"csrf_token": token}).status_code == 302

    # The chair must choose a result for every nominee: nothing was received, so the list is
    # empty and the conclusion goes through; the Director then has nothing to sign.
    client = as_user(app, "giamdoc")
    token = csrf_token(client.get(url).get_data(as_text=True))
    assert client.post(f"{url}/conclusion", data={"csrf_token": token}).status_code == 302
    assert client.get(url).status_code == 200
    with database(app).transaction(write=False) as session:
        assert session.get_one(Round, round_id).status == "finished"


def test_the_chair_and_the_director_are_told_which_field_is_missing(client, app):
    round_id = _open_round(app)
    with database(app).transaction() as session:
        office = actor_named(session, "vanphong")
        dossier = lifecycle.join_round(
            session,
            actor_named(session, "canbo_ns"),
            round_id,
            {
                "title": "Đề nghị tổng kết",
                "award_form": "bk_btc",
                "track": "final",
                "procedure": "regular",
                "nominees": [
                    {"kind": "individual", "name": "Nguyễn Thị Hằng"},
                    {"kind": "individual", "name": "Lê Văn Tám"},
                ],
            },
        )
        dossier_id = dossier.id
    from tests.services.rounds_support import propose

    with database(app).transaction() as session:
        propose(session, session.get_one(Dossier, dossier_id))
    with database(app).transaction() as session:
        office = actor_named(session, "vanphong")
        steps.close_intake(session, office, round_id)
        steps.compile_lists(session, office, round_id)
        first, second = session.get_one(Dossier, dossier_id).nominees
        first_id, second_id = first.id, second.id
        # The council votes: the first passes, the second does not.
        council_votes(
            session,
            session.get_one(Round, round_id),
            {str(first_id): "passed", str(second_id): "failed"},
        )
    url = f"/rounds/{round_id}"
    login(client, "giamdoc")
    token = csrf_token(client.get(url).get_data(as_text=True))
    # A result that differs from the council's count is refused, naming the nominee.
    refused = client.post(
        f"{url}/conclusion",
        data={"csrf_token": token, f"result-{first_id}": "passed", f"result-{second_id}": "passed"},
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert f'id="result-{second_id}-error"' in page
    assert "Chọn Đạt hoặc Không đạt." in page
    assert f'id="result-{first_id}-passed" value="passed" checked' in page

    done = client.post(
        f"{url}/conclusion",
        data={"csrf_token": token, f"result-{first_id}": "passed", f"result-{second_id}": "failed"},
    )
    assert done.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert 'id="sign-bk_btc"' in page
    refused = client.post(
        f"{url}/sign/bk_btc",
        data={"sign-bk_btc-csrf_token": token, "sign-bk_btc-submission_number": ""},
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'id="sign-bk_btc-submission_number-error"' in page
    signed = client.post(
        f"{url}/sign/bk_btc",
        data={
            "sign-bk_btc-csrf_token": token,
            "sign-bk_btc-submission_number": "15/TTr-STC",
            "sign-bk_btc-submission_date": "2026-12-06",
        },
    )
    assert signed.status_code == 302, signed.get_data(as_text=True)[-6000:]
    dossier_page = client.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    assert "15/TTr-STC" in dossier_page
    with database(app).transaction(write=False) as session:
        assert [n.result for n in session.get_one(Dossier, dossier_id).nominees] == [
            "passed",
            "failed",
        ]
        assert session.get_one(Round, round_id).status == "finished"


def test_run_timers_closes_the_intake_of_rounds_past_their_deadline(client, app):
    late = _open_round(app)
    on_time = _open_round(app)
    with database(app).transaction() as session:
        session.get_one(Round, late).intake_deadline = utcnow() - timedelta(minutes=1)
    output = app.test_cli_runner().invoke(args=["run-timers"]).output
    assert "intake closed for 1 round(s)" in output
    with database(app).transaction(write=False) as session:
        assert session.get_one(Round, late).status == "closed"
        assert session.get_one(Round, on_time).status == "intake"


def test_the_offices_check_of_a_dossier_whose_round_closed_is_refused_in_vietnamese(client, app):
    from tests.services.rounds_support import to_office_check
    from webapp.models import WorkItem

    round_id = _open_round(app)
    with database(app).transaction() as session:
        dossier = lifecycle.join_round(
            session,
            actor_named(session, "canbo_ns"),
            round_id,
            {
                "title": "Đề nghị tổng kết",
                "award_form": "bk_btc",
                "track": "final",
                "procedure": "regular",
                "nominees": [{"kind": "individual", "name": "Nguyễn Thị Hằng"}],
            },
        )
        dossier_id = dossier.id
    with database(app).transaction() as session:
        to_office_check(session, session.get_one(Dossier, dossier_id))
    with database(app).transaction() as session:
        steps.close_intake(session, actor_named(session, "vanphong"), round_id)
        item_id = session.scalars(
            select(WorkItem.id).where(
                WorkItem.dossier_id == dossier_id,
                WorkItem.step == "check_dossier",
                WorkItem.status == "open",
            )
        ).one()
    login(client, "vanphong")
    response = submit(client, f"/work/{item_id}", {"decision": "approve"})
    assert response.status_code == 422
    assert "không còn đợt xét hay hồ sơ nào chờ nhận" in response.get_data(as_text=True)
    with database(app).transaction(write=False) as session:
        assert session.get_one(WorkItem, item_id).status == "open"


def test_the_office_moves_a_late_dossier_to_the_next_round_from_the_page(client, app):
    from tests.services.rounds_support import to_office_check

    first = _open_round(app)
    with database(app).transaction() as session:
        movement_id = session.get_one(Round, first).movement_id
        dossier_id = lifecycle.join_round(
            session,
            actor_named(session, "canbo_ns"),
            first,
            {
                "title": "Đề nghị tổng kết",
                "award_form": "bk_btc",
                "track": "final",
                "procedure": "regular",
                "nominees": [{"kind": "individual", "name": "Nguyễn Thị Hằng"}],
            },
        ).id
    with database(app).transaction() as session:
        to_office_check(session, session.get_one(Dossier, dossier_id))
        office = actor_named(session, "vanphong")
        steps.close_intake(session, office, first)
        second = lifecycle.open_round(
            session,
            office,
            {
                "name": "Đợt bổ sung",
                "movement_id": movement_id,
                "kind": "chuyen_de",
                "award_forms": ["bk_btc"],
                "intake_deadline": (utcnow() + timedelta(days=3)).isoformat(),
            },
        ).id
    login(client, "vanphong")
    page = client.get(f"/rounds/{first}").get_data(as_text=True)
    assert f'id="move-{dossier_id}"' in page
    token = csrf_token(page)
    refused = client.post(
        f"/rounds/{first}/entries/{dossier_id}/move",
        data={"csrf_token": token, "target_round_id": "999999"},
    )
    assert refused.status_code == 422
    assert "Đợt xét đã chọn không tồn tại." in refused.get_data(as_text=True)
    moved = client.post(
        f"/rounds/{first}/entries/{dossier_id}/move",
        data={"csrf_token": token, "target_round_id": str(second)},
    )
    assert moved.status_code == 302
    with database(app).transaction(write=False) as session:
        entry = session.scalars(select(RoundEntry).where(RoundEntry.dossier_id == dossier_id)).one()
        assert (entry.round_id, entry.status) == (second, "joined")
    assert "Đợt bổ sung" in client.get(f"/dossiers/{dossier_id}").get_data(as_text=True)


def test_a_dossier_waiting_for_its_round_says_so_on_its_path(client, app):
    from tests.services.rounds_support import propose

    round_id = _open_round(app)
    with database(app).transaction() as session:
        dossier_id = lifecycle.join_round(
            session,
            actor_named(session, "canbo_ns"),
            round_id,
            {
                "title": "Đề nghị tổng kết",
                "award_form": "bk_btc",
                "track": "final",
                "procedure": "regular",
                "nominees": [{"kind": "individual", "name": "Nguyễn Thị Hằng"}],
            },
        ).id
    with database(app).transaction() as session:
        propose(session, session.get_one(Dossier, dossier_id))
    login(client, "canbo_ns")
    page = client.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    assert 'id="waiting-round"' in page
    assert "Đợt xét “Tổng kết năm 2026”" in page
    assert 'data-state="end"' not in page


def test_the_ministry_records_its_decision_for_an_award_form_on_the_round_page(client, app):
    from tests.services.rounds_support import propose

    round_id = _open_round(app)
    with database(app).transaction() as session:
        dossier_id = lifecycle.join_round(
            session,
            actor_named(session, "canbo_ns"),
            round_id,
            {
                "title": "Đề nghị tổng kết",
                "award_form": "bk_btc",
                "track": "final",
                "procedure": "regular",
                "nominees": [
                    {"kind": "individual", "name": "Nguyễn Thị Hằng"},
                    {"kind": "individual", "name": "Lê Văn Tám"},
                ],
            },
        ).id
    with database(app).transaction() as session:
        propose(session, session.get_one(Dossier, dossier_id))
    with database(app).transaction() as session:
        office, chair = actor_named(session, "vanphong"), actor_named(session, "giamdoc")
        steps.close_intake(session, office, round_id)
        steps.compile_lists(session, office, round_id)
        first, second = session.get_one(Dossier, dossier_id).nominees
        first_id, second_id = first.id, second.id
        results = {str(first_id): "passed", str(second_id): "passed"}
        council_votes(session, session.get_one(Round, round_id), results)
        steps.record_conclusion(session, chair, round_id, results)
        steps.sign_submission(
            session,
            chair,
            round_id,
            "bk_btc",
            {"submission_number": "9/TTr-STC", "submission_date": "2026-12-01"},
        )
    url = f"/rounds/{round_id}"
    login(client, "chuyenvien_bo")
    page = client.get(url).get_data(as_text=True)
    assert 'id="decide-bk_btc"' in page
    token = csrf_token(page)
    refused = client.post(
        f"{url}/decision/bk_btc",
        data={"decide-bk_btc-csrf_token": token, "decide-bk_btc-decision_number": "345/QĐ-BTC"},
    )
    assert refused.status_code == 422
    assert 'id="decide-bk_btc-decision_date-error"' in refused.get_data(as_text=True)
    done = client.post(
        f"{url}/decision/bk_btc",
        data={
            "decide-bk_btc-csrf_token": token,
            "decide-bk_btc-decision_number": "345/QĐ-BTC",
            "decide-bk_btc-decision_date": "2026-12-20",
            "decide-bk_btc-refused": str(second_id),
        },
    )
    assert done.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert 'id="decide-bk_btc"' not in page
    assert "345/QĐ-BTC" in page
    with database(app).transaction(write=False) as session:
        dossier = session.get_one(Dossier, dossier_id)
        assert [n.result for n in dossier.nominees] == ["awarded", "refused"]
        assert dossier.status == "partly_awarded"
    # The Office may not record the Ministry's decision.
    office_client = as_user(app, "vanphong")
    token = csrf_token(office_client.get(url).get_data(as_text=True))
    forbidden = office_client.post(
        f"{url}/decision/bk_btc",
        data={
            "decide-bk_btc-csrf_token": token,
            "decide-bk_btc-decision_number": "1",
            "decide-bk_btc-decision_date": "2026-12-20",
        },
    )
    assert forbidden.status_code == 403
