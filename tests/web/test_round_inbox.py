"""Round steps in the inbox: the Office's compiling, the chair's conclusion and the Director's
signature per award form appear in the work list of whoever may do them (page and API), link to
the round page's form, and leave it once done."""

from __future__ import annotations

from flask import Flask

from tests.conftest import actor_named
from tests.services.rounds_support import council_votes, join, open_round, propose
from tests.web.pages import login
from tests.web.test_openapi import Contract, load_document
from webapp.models import Dossier, Round
from webapp.request_db import database
from webapp.services.rounds import steps

PREFIX = "/api/v1"


def _round_at_compile(app: Flask) -> tuple[int, str, list[int]]:
    """A round of two award forms with one proposal each, its intake closed: the Office's
    compiling waits."""
    with database(app).transaction() as session:
        round_ = open_round(session, forms=("bk_btc", "bk_ttg"))
        round_id, code = round_.id, round_.movement.code
        first = join(session, round_, names=("Nguyễn Thị Hằng",), form="bk_btc")
        second = join(session, round_, officer="canbo_dn", names=("Lê Văn Tám",), form="bk_ttg")
        propose(session, first)
        propose(session, second, officer="canbo_dn")
        steps.close_intake(session, actor_named(session, "vanphong"), round_id)
        dossier_ids = [first.id, second.id]
    return round_id, code, dossier_ids


def _round_rows(api, username: str, **query: str) -> tuple[list[dict], object]:
    args = "&".join(f"{k}={v}" for k, v in query.items())
    response = api.get(f"{PREFIX}/work-items?{args}", username)
    body = Contract(load_document()).check("/work-items", "get", response, 200)
    return [item for item in body if item["subject"]["kind"] == "round"], response


def test_each_round_step_reaches_the_inbox_of_whoever_may_do_it(app: Flask, client, api):
    round_id, code, dossier_ids = _round_at_compile(app)

    # The Office: the compiling, linked to the round page's form, on the page and in the API.
    login(client, "vanphong")
    page = client.get("/work").get_data(as_text=True)
    assert f'data-step="compile_lists" data-round="{round_id}"' in page
    assert f'href="/rounds/{round_id}#round-actions"' in page
    rounds, response = _round_rows(api, "vanphong")
    assert [(r["subject"]["id"], r["step"], r["url"]) for r in rounds] == [
        (round_id, "compile_lists", f"/rounds/{round_id}#round-actions")
    ]
    assert rounds[0]["subject"]["movement"] == code
    assert rounds[0]["id"] is None
    assert rounds[0]["status"] == "open"
    total = int(response.headers["X-Total-Count"])
    assert total == len(api.get(f"{PREFIX}/work-items?per_page=500", "vanphong").get_json())
    # Nobody else has it: not the unit officers, not the chair before the lists exist.
    assert _round_rows(api, "canbo_ns")[0] == []
    assert _round_rows(api, "giamdoc")[0] == []

    with database(app).transaction() as session:
        steps.compile_lists(session, actor_named(session, "vanphong"), round_id)
        nominees = [n.id for d in dossier_ids for n in session.get_one(Dossier, d).nominees]
    assert _round_rows(api, "vanphong")[0] == []
    # Each council member has a ballot on the whole list, linked to their ballot page.
    for member in ("giamdoc", "hoidong1"):
        ballot = _round_rows(api, member)[0]
        assert [(r["step"], r["url"]) for r in ballot] == [
            ("council_vote", f"/council/rounds/{round_id}/ballot")
        ]
    assert _round_rows(api, "canbo_ns")[0] == []
    with database(app).transaction() as session:
        round_ = session.get_one(Round, round_id)
        council_votes(session, round_, {str(nominee): "passed" for nominee in nominees})
    assert _round_rows(api, "hoidong1")[0] == []  # cast: gone from the inbox
    chair = _round_rows(api, "giamdoc")[0]
    assert [(r["step"], r["url"]) for r in chair] == [
        ("council_session", f"/rounds/{round_id}#conclusion-form")
    ]

    with database(app).transaction() as session:
        steps.record_conclusion(
            session,
            actor_named(session, "giamdoc"),
            round_id,
            {str(nominee): "passed" for nominee in nominees},
        )
    # One signature per award form, each its own line with its own form on the round page.
    signatures = _round_rows(api, "giamdoc")[0]
    assert sorted((r["subject"]["award_form"], r["url"]) for r in signatures) == [
        ("bk_btc", f"/rounds/{round_id}#sign-bk_btc"),
        ("bk_ttg", f"/rounds/{round_id}#sign-bk_ttg"),
    ]
    director = app.test_client()
    login(director, "giamdoc")
    page = director.get("/work").get_data(as_text=True)
    assert page.count(f'data-round="{round_id}"') == 2
    assert 'data-award-form="bk_ttg"' in page

    with database(app).transaction() as session:
        steps.sign_submission(
            session,
            actor_named(session, "giamdoc"),
            round_id,
            "bk_btc",
            {"submission_number": "1/TTr-STC", "submission_date": "2026-12-06"},
        )
    left = _round_rows(api, "giamdoc")[0]
    assert [r["subject"]["award_form"] for r in left] == ["bk_ttg"]


def test_the_inbox_filters_round_steps_and_dossier_items_by_movement(app: Flask, client, api):
    round_id, code, _ids = _round_at_compile(app)
    with database(app).transaction() as session:
        other = open_round(session, name="Chuyên đề", forms=("bk_btc",))
        other_code = other.movement.code
        waiting = join(session, other, names=("Phạm Thị Lan",))
        waiting_code = waiting.code

    # The round's movement: its compiling; the other movement: the dossier being prepared.
    assert [r["subject"]["id"] for r in _round_rows(api, "vanphong", movement=code)[0]] == [
        round_id
    ]
    assert _round_rows(api, "vanphong", movement=other_code)[0] == []
    mine = api.get(f"{PREFIX}/work-items?movement={other_code}", "canbo_ns").get_json()
    assert [item["dossier_code"] for item in mine] == [waiting_code]
    assert api.get(f"{PREFIX}/work-items?movement={code}", "canbo_ns").get_json() == []

    # An unknown movement is refused, naming the field, on the API and on the page.
    refused = api.get(f"{PREFIX}/work-items?movement=NOPE", "vanphong")
    assert refused.status_code == 422
    assert "movement" in refused.get_json()["error"]["fields"]
    login(client, "vanphong")
    page = client.get("/work?movement=NOPE")
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert 'id="movement-error"' in text
    assert "không phải là một phong trào" in text
    filtered = client.get(f"/work?movement={other_code}").get_data(as_text=True)
    assert f'data-round="{round_id}"' not in filtered
    assert f'<option value="{other_code}" selected>' in filtered
