"""The movement and round routes of the API: what an integrating engineer reads and does.

The Office creates a movement and opens a round through the API, units join it with their
dossiers, the Office closes intake early; every answer fits the OpenAPI document. Bad payloads
are 422 naming the field and change nothing; another Department's user learns nothing of the
round. A round whose council voted (secretly, or openly) shows each nominee's tally and the
session in counts, in its detail and its history, and never which member chose what.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import actor_named
from tests.services.rounds_support import join, open_round, propose
from tests.services.test_secret_ballot import CHOICE_VALUE
from tests.web.test_openapi import Contract, load_document
from webapp.db import utcnow
from webapp.models import Dossier, Movement, Round, RoundEvent, RoundListItem
from webapp.request_db import database
from webapp.services import council_session
from webapp.services.ballot_box import round_subject
from webapp.services.rounds import ministry, round_council, steps

API = "/api/v1"
DOSSIER = {
    "title": "Đề nghị khen thưởng tổng kết năm của phòng QLNS",
    "award_form": "bk_btc",
    "track": "final",
    "procedure": "regular",
    "nominees": [
        {"kind": "individual", "name": "Nguyễn Thị Hằng", "achievement": "Hoàn thành xuất sắc"},
        {"kind": "collective", "name": "Phòng Quản lý ngân sách"},
    ],
}


@pytest.fixture(scope="module")
def contract() -> Contract:
    return Contract(load_document())


def _deadline(days: int = 5) -> str:
    return (utcnow() + timedelta(days=days)).isoformat()


def _movement(api, contract, code: str | None = None) -> dict[str, Any]:
    body = {"code": code or f"PT-{uuid.uuid4().hex[:8]}", "name": "Phong trào thi đua năm 2026"}
    response = api.post(f"{API}/movements", "vanphong", json=body)
    return contract.check("/movements", "post", response, 201)


def _open(api, contract, movement_id: int, name: str = "Tổng kết năm 2026", **extra):
    body = {
        "name": name,
        "movement_id": movement_id,
        "kind": "tong_ket",
        "award_forms": ["bk_btc"],
        "intake_deadline": _deadline(),
        **extra,
    }
    return contract.check("/rounds", "post", api.post(f"{API}/rounds", "vanphong", json=body), 201)


def _round(api, contract, round_id: int, as_user: str = "vanphong") -> dict[str, Any]:
    response = api.get(f"{API}/rounds/{round_id}", as_user)
    return contract.check("/rounds/{round_id}", "get", response, 200)


def _history(api, contract, round_id: int, as_user: str = "vanphong") -> list[dict[str, Any]]:
    response = api.get(f"{API}/rounds/{round_id}/history", as_user)
    return contract.check("/rounds/{round_id}/history", "get", response, 200)["items"]


def _counts(app) -> tuple[int, int, int]:
    with database(app).transaction(write=False) as session:
        return (
            len(session.scalars(select(Movement.id)).all()),
            len(session.scalars(select(Round.id)).all()),
            len(session.scalars(select(Dossier.id)).all()),
        )


def test_the_office_creates_a_movement_and_refusals_name_the_field(app, api, contract):
    code = f"PT-{uuid.uuid4().hex[:8]}"
    full = {
        "code": code,
        "name": "Phong trào thi đua đặc biệt",
        "plan_number": "12/KH-STC",
        "plan_date": "2026-01-15",
        "issuing_level": "department",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "criteria": "Hoàn thành xuất sắc nhiệm vụ",
        "award_forms": ["bk_btc", "bk_ttg"],
    }
    created = contract.check(
        "/movements", "post", api.post(f"{API}/movements", "vanphong", json=full), 201
    )
    assert {k: created[k] for k in full} == full
    assert created["rounds"] == []
    listed = contract.check("/movements", "get", api.get(f"{API}/movements", "canbo_ns"), 200)
    assert listed["items"][0]["code"] == code
    one = api.get(f"{API}/movements/{created['id']}", "vanphong_hn")
    assert contract.check("/movements/{movement_id}", "get", one, 200)["code"] == code
    missing = api.get(f"{API}/movements/2147483000", "vanphong")
    assert contract.check("/movements/{movement_id}", "get", missing, 404)["error"]["code"] == (
        "not_found"
    )

    before = _counts(app)
    bad = {
        "code": code,  # already used
        "name": " ",
        "issuing_level": "province",
        "period_start": "2026-05-01",
        "period_end": "2026-04-30",
        "award_forms": ["bk_xyz"],
    }
    refused = api.post(f"{API}/movements", "vanphong", json=bad)
    error = contract.check("/movements", "post", refused, 422)["error"]
    assert set(error["fields"]) == {"code", "name", "issuing_level", "period_end", "award_forms"}
    forbidden = api.post(f"{API}/movements", "canbo_ns", json={**full, "code": "X-1"})
    assert contract.check("/movements", "post", forbidden, 403)["error"]["code"] == "forbidden"
    not_json = api.client.post(
        f"{API}/movements",
        headers={**api.headers("vanphong"), "Content-Type": "application/json"},
        data="{",
    )
    assert contract.check("/movements", "post", not_json, 400)["error"]["code"] == (
        "malformed_json"
    )
    assert _counts(app) == before


def test_a_round_is_opened_joined_closed_and_read_through_the_api(app, api, contract):
    movement = _movement(api, contract)
    opened = _open(api, contract, movement["id"], quota={"9999": {"bk_btc": 3}})
    rid = opened["id"]
    assert (opened["status"], opened["kind"], opened["award_forms"]) == (
        "intake",
        "tong_ket",
        ["bk_btc"],
    )
    assert opened["movement"]["id"] == movement["id"]
    assert opened["unit"]["name"] == "Sở Tài chính Bắc Ninh"
    assert opened["process"]["key"] == "award_round"
    assert opened["quota"] == {"9999": {"bk_btc": 3}}
    assert (opened["entries"], opened["lists"], opened["council"]) == ([], [], None)
    assert (opened["submissions"], opened["decisions"]) == ([], [])

    # A unit officer joins: its dossier is created in the round, with the round's movement.
    url = f"{API}/rounds/{rid}/dossiers"
    dossier = contract.check(
        "/rounds/{round_id}/dossiers", "post", api.post(url, "canbo_ns", json=DOSSIER), 201
    )
    assert dossier["title"] == DOSSIER["title"]
    assert dossier["process"]["key"] == "round_proposal"
    assert [c["step"] for c in dossier["current"]] == ["prepare_dossier"]
    seen = _round(api, contract, rid, "canbo_dn")
    [entry] = seen["entries"]
    assert entry["dossier"] == {
        "id": dossier["id"],
        "code": dossier["code"],
        "title": DOSSIER["title"],
        "award_form": "bk_btc",
        "status": "in_progress",
        "unit": dossier["unit"],
    }
    assert (entry["status"], entry["reason"], entry["received_at"]) == ("joined", None, None)

    # Refusals: 422 naming the field, 403 for whoever may not, and nothing changes.
    before = _counts(app)
    wrong_form = api.post(url, "canbo_dn", json={**DOSSIER, "award_form": "hcld_1"})
    error = contract.check("/rounds/{round_id}/dossiers", "post", wrong_form, 422)["error"]
    assert error["code"] == "round_refused"
    assert error["fields"]["reason"] == "award_form"
    assert "award_form" in error["fields"]
    no_title = api.post(url, "canbo_dn", json={**DOSSIER, "title": ""})
    assert (
        "title"
        in contract.check("/rounds/{round_id}/dossiers", "post", no_title, 422)["error"]["fields"]
    )
    not_object = api.post(url, "canbo_dn", json=[DOSSIER])
    assert contract.check("/rounds/{round_id}/dossiers", "post", not_object, 422)["error"][
        "fields"
    ] == {"body": "must be an object"}
    office = api.post(url, "vanphong", json=DOSSIER)
    assert contract.check("/rounds/{round_id}/dossiers", "post", office, 403)
    bad_round = {
        "name": "",
        "movement_id": 2147483647,
        "kind": "nam",
        "award_forms": [],
        "intake_deadline": "31/12/2026",
        "quota": {"3": {"hcld_1": -1}},
    }
    refused = api.post(f"{API}/rounds", "vanphong", json=bad_round)
    fields = contract.check("/rounds", "post", refused, 422)["error"]["fields"]
    assert set(fields) == {"name", "movement_id", "kind", "award_forms", "intake_deadline", "quota"}
    huge = api.post(
        f"{API}/rounds", "vanphong", json={**bad_round, "movement_id": 2**62, "name": "Đợt"}
    )
    assert "movement_id" in contract.check("/rounds", "post", huge, 422)["error"]["fields"]
    unit_officer = api.post(f"{API}/rounds", "canbo_ns", json=bad_round)
    assert contract.check("/rounds", "post", unit_officer, 403)
    assert _counts(app) == before
    assert len(_round(api, contract, rid)["entries"]) == 1

    # Only the Office closes intake; the dossier not yet received becomes late.
    close = f"{API}/rounds/{rid}/close-intake"
    path = "/rounds/{round_id}/close-intake"
    assert contract.check(path, "post", api.post(close, "canbo_ns"), 403)
    closed = contract.check(path, "post", api.post(close, "vanphong"), 200)
    assert closed["status"] == "closed"
    assert closed["intake_closed_at"] is not None
    assert [(e["status"], e["reason"]) for e in closed["entries"]] == [("late", "intake_closed")]
    again = contract.check(path, "post", api.post(close, "vanphong"), 409)
    assert again["error"]["code"] == "intake_closed"
    late = contract.check(
        "/rounds/{round_id}/dossiers", "post", api.post(url, "canbo_ns", json=DOSSIER), 422
    )
    assert (late["error"]["code"], late["error"]["fields"]["reason"]) == ("round_refused", "closed")

    history = _history(api, contract, rid, "canbo_ns")
    assert [h["action"] for h in history] == ["opened", "joined", "intake_closed"]
    assert history[0]["actor"] == "vanphong"
    assert history[1]["data"] == {"dossier_id": dossier["id"]}
    assert history[2]["data"] == {"late": [dossier["id"]]}

    found = api.get(f"{API}/movements/{movement['id']}", "canbo_ns")
    rounds = contract.check("/movements/{movement_id}", "get", found, 200)["rounds"]
    assert [r["id"] for r in rounds] == [rid]


def test_rounds_are_listed_a_page_at_a_time_and_filtered_by_movement(api, contract):
    first, second = _movement(api, contract), _movement(api, contract)
    ids = [_open(api, contract, first["id"], name=f"Đợt {n}")["id"] for n in range(3)]
    other = _open(api, contract, second["id"], name="Đợt khác")["id"]

    page = api.get(f"{API}/rounds?movement_id={first['id']}&limit=2", "canbo_ns")
    body = contract.check("/rounds", "get", page, 200)
    assert [r["id"] for r in body["items"]] == [ids[2], ids[1]]
    assert (body["limit"], body["next_before_id"]) == (2, ids[1])
    link = page.headers["Link"]
    assert link == (
        f'</api/v1/rounds?before_id={ids[1]}&limit=2&movement_id={first["id"]}>; rel="next"'
    )
    rest = contract.check("/rounds", "get", api.get(link[1:].split(">")[0], "canbo_ns"), 200)
    assert ([r["id"] for r in rest["items"]], rest["next_before_id"]) == ([ids[0]], None)
    assert "Link" not in api.get(link[1:].split(">")[0], "canbo_ns").headers
    everything = contract.check("/rounds", "get", api.get(f"{API}/rounds", "vanphong"), 200)
    assert [r["id"] for r in everything["items"]][:4] == [other, ids[2], ids[1], ids[0]]
    summary = everything["items"][0]
    assert summary["movement"]["code"] == second["code"]
    assert summary["intake_deadline"].endswith("+07:00")

    for query, field in (
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("before_id=abc", "before_id"),
        ("movement_id=-1", "movement_id"),
        ("movement_id=2147483000", "movement_id"),
    ):
        response = api.get(f"{API}/rounds?{query}", "vanphong")
        assert field in contract.check("/rounds", "get", response, 422)["error"]["fields"], query


def test_another_department_cannot_read_the_round(api, contract):
    movement = _movement(api, contract)
    rid = _open(api, contract, movement["id"])["id"]
    assert api.post(f"{API}/rounds/{rid}/dossiers", "canbo_ns", json=DOSSIER).status_code == 201
    for url, path in (
        (f"{API}/rounds/{rid}", "/rounds/{round_id}"),
        (f"{API}/rounds/{rid}/history", "/rounds/{round_id}/history"),
    ):
        response = api.get(url, "vanphong_hn")
        assert contract.check(path, "get", response, 404)["error"]["code"] == "not_found"
        assert DOSSIER["title"] not in response.get_data(as_text=True)
    refused = api.post(f"{API}/rounds/{rid}/close-intake", "vanphong_hn")
    assert contract.check("/rounds/{round_id}/close-intake", "post", refused, 404)
    listed = contract.check("/rounds", "get", api.get(f"{API}/rounds", "vanphong_hn"), 200)
    assert rid not in [r["id"] for r in listed["items"]]
    mine = api.get(f"{API}/movements/{movement['id']}", "vanphong_hn")
    assert contract.check("/movements/{movement_id}", "get", mine, 200)["rounds"] == []
    # The round is untouched: intake still open.
    assert _round(api, contract, rid)["status"] == "intake"
    # Unknown ids are 404 in the same shape.
    assert api.get(f"{API}/rounds/2147483000", "vanphong").status_code == 404
    assert api.get(f"{API}/rounds/99999999999999999999", "vanphong").status_code == 404


# --- a council vote driven through the services, read through the API ------------------------

MEMBERS = ["giamdoc", "hoidong1", "hoidong2", "hoidong3", "hoidong4"]
PRESENT = ["giamdoc", "hoidong1", "hoidong2", "hoidong3"]


def _voted_round(db, form: str) -> tuple[int, list[str], dict[str, dict[str, str]]]:
    """A round of `form` with two units' dossiers, five nominees, the meeting recorded, every
    member's ballot cast (each member's choices unlike the others'), concluded and signed."""
    round_ = open_round(db, forms=(form,))
    a = join(db, round_, "canbo_ns", ("Nguyễn Thị Hằng", "Trần Văn Bình", "Lê Văn Tám"), form=form)
    b = join(db, round_, "canbo_dn", ("Phạm Quốc Huy", "Đỗ Minh Tuấn"), form=form)
    propose(db, a, "canbo_ns")
    propose(db, b, "canbo_dn")
    office = actor_named(db, "vanphong")
    steps.close_intake(db, office, round_.id)
    lists = steps.compile_lists(db, office, round_.id)
    db.commit()
    nominees = [str(i.nominee_id) for items in lists.values() for i in items]
    council = council_session.latest_session(db, round_subject(round_.id))
    assert council is not None
    assert sorted(council.minutes["members"]) == MEMBERS
    round_council.record_meeting(
        db,
        office,
        round_.id,
        meeting_date="2026-12-05",
        place="Phòng họp tầng 3",
        online=False,
        present=PRESENT,
    )
    db.commit()
    # Nominee k gets k disagreements: every member's ballot differs from the others'.
    ballots = {
        member: {key: "disagree" if index < k else "agree" for k, key in enumerate(nominees)}
        for index, member in enumerate(MEMBERS)
    }
    for member in MEMBERS:
        round_council.cast_ballot(
            db, actor_named(db, member), round_.id, {"votes": ballots[member]}
        )
        db.commit()
    chair = actor_named(db, "giamdoc")
    steps.record_conclusion(db, chair, round_.id, comment="Nhất trí theo kết quả kiểm phiếu")
    db.commit()
    steps.sign_submission(
        db,
        chair,
        round_.id,
        form,
        {"submission_number": "58/TTr-STC", "submission_date": "2026-12-06"},
    )
    db.commit()
    return round_.id, nominees, ballots


def _no_choice_of_a_member(text: str) -> None:
    """No choice is written as a value anywhere (a tally's `"agree": 3` is a count)."""
    assert not CHOICE_VALUE.search(text), CHOICE_VALUE.search(text)
    assert '"votes"' not in text


@pytest.mark.parametrize(("form", "secret"), [("bk_ttg", True), ("bk_btc", False)])
def test_a_voted_round_shows_tallies_and_never_who_chose_what(app, db, api, contract, form, secret):
    rid, nominees, ballots = _voted_round(db, form)
    if not secret:
        # An open vote keeps the ballots in the round's own history; the API does not give them.
        voted = db.scalars(
            select(RoundEvent).where(RoundEvent.round_id == rid, RoundEvent.action == "voted")
        ).all()
        assert [e.data["votes"] for e in voted] == [ballots[m] for m in PRESENT]
    positions = {
        str(i.nominee_id): i.position
        for i in db.scalars(select(RoundListItem).where(RoundListItem.round_id == rid))
    }
    db.rollback()

    for reader in ("vanphong", "giamdoc", "hoidong1", "canbo_ns", "chuyenvien_bo", "admin"):
        detail = _round(api, contract, rid, reader)
        history = _history(api, contract, rid, reader)
        _no_choice_of_a_member(json.dumps(detail, ensure_ascii=False))
        _no_choice_of_a_member(json.dumps(history, ensure_ascii=False))

    assert detail["status"] == "finished"
    [compiled] = detail["lists"]
    assert compiled["award_form"] == form
    items = {str(i["nominee"]["id"]): i for i in compiled["items"]}
    assert set(items) == set(nominees)
    for k, key in enumerate(nominees):
        item = items[key]
        assert item["position"] == positions[key]
        assert item["tally"] == {"agree": 5 - k, "disagree": k, "members": 5}
        # Two thirds of all five members must agree: four of five.
        assert item["result"] == ("passed" if 5 - k >= 4 else "failed")
        assert item["unit"]["name"] in {"Phòng Quản lý ngân sách", "Phòng Tài chính doanh nghiệp"}
    assert {e["dossier"]["unit"]["name"] for e in detail["entries"]} == {
        "Phòng Quản lý ngân sách",
        "Phòng Tài chính doanh nghiệp",
    }
    assert all(e["status"] == "received" for e in detail["entries"])
    assert detail["council"] == {
        "status": "concluded",
        "form_of_vote": "secret" if secret else "open",
        "meeting_date": "2026-12-05",
        "place": "Phòng họp tầng 3",
        "online": False,
        "members": 5,
        "present": 4,
        "absent": 1,
        "ballots_cast": 5,
        "written_opinions": 1,
        "counted": True,
        "conclusion": {
            "comment": "Nhất trí theo kết quả kiểm phiếu",
            "chair": "giamdoc",
            "at": detail["council"]["conclusion"]["at"],
        },
    }
    [signed] = detail["submissions"]
    assert (signed["award_form"], signed["number"], signed["date"], signed["signed_by"]) == (
        form,
        "58/TTr-STC",
        "2026-12-06",
        "giamdoc",
    )

    # The history says THAT each member voted (the absent one by written opinion), no more.
    ballots_lines = [h for h in history if h["action"] in {"voted", "written_opinion"}]
    assert sorted(h["actor"] for h in ballots_lines) == MEMBERS
    assert [h["actor"] for h in ballots_lines if h["action"] == "written_opinion"] == ["hoidong4"]
    assert all(h["data"] is None for h in ballots_lines)
    counted = next(h for h in history if h["action"] == "counted")
    assert counted["data"] == {"passed": 2, "nominees": 5}
    compiled_line = next(h for h in history if h["action"] == "compiled")
    assert compiled_line["data"] == {form: 5}
    signed_line = next(h for h in history if h["action"] == "signed")
    assert signed_line["data"]["submission_number"] == "58/TTr-STC"
    # No member's username sits next to anything but the fact that they voted.
    for line in history:
        if line["actor"] in MEMBERS and line["action"] in {"voted", "written_opinion"}:
            assert set(line) == {"at", "actor", "actor_name", "action", "step", "data"}


def test_the_ministry_round_reads_through_the_same_routes(app, api, contract):
    movement = _movement(api, contract)
    with database(app).transaction() as session:
        officer = actor_named(session, "chuyenvien_bo")
        payload = {"name": "Đợt xét của Bộ", "movement_id": movement["id"]}
        opened = ministry.open_ministry_round(
            session, officer, {**payload, "intake_deadline": "2030-12-31"}
        )
        rid = opened.id
    for reader in ("chuyenvien_bo", "vanphong", "vanphong_hn"):
        detail = _round(api, contract, rid, reader)
        assert (detail["status"], detail["process"]["key"]) == ("appraisal", "ministry_round")
        assert detail["unit"]["name"] == "Bộ Tài chính"
    assert [h["action"] for h in _history(api, contract, rid, "vanphong_hn")] == ["opened"]
    listed = api.get(f"{API}/rounds?movement_id={movement['id']}", "vanphong_hn")
    assert [r["id"] for r in contract.check("/rounds", "get", listed, 200)["items"]] == [rid]
