""" "Lấy số" at the Director's signing step: the dossier's tờ trình number comes from the TTr
register of the current year (where the administrator set it to continue), once per dossier;
only whoever may do the step takes it; the field is then signed with it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tests.conftest import actor_named
from tests.web.pages import csrf_token, login
from tests.web.test_api_paths import MEMBERS, submit_to_council, vote
from webapp.models import Dossier, IssuedNumber
from webapp.request_db import database
from webapp.services import registers


def _at_signing(api) -> tuple[int, int]:
    dossier = api.start()
    did = dossier["id"]
    first, second = (str(n["id"]) for n in dossier["nominees"])
    submit_to_council(api, did)
    vote(api, did, {m: {first: "agree", second: "agree"} for m in MEMBERS})
    api.do("giamdoc", did, "conclude_council", {"decision": "confirm"})
    [item] = api.items("giamdoc", did, "sign_submission")
    return did, item["id"]


def test_the_director_takes_the_number_and_signs_with_it(app, api, client):
    year = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).year
    with database(app).transaction() as session:
        registers.set_next_number(session, actor_named(session, "admin"), "TTr", "STC", year, 58)
    did, item_id = _at_signing(api)

    login(client, "giamdoc")
    page = client.get(f"/work/{item_id}")
    html = page.get_data(as_text=True)
    assert f'data-url="/work/{item_id}/submission-number"' in html
    assert 'data-label="Lấy số"' in html
    token = csrf_token(html)

    taken = client.post(f"/work/{item_id}/submission-number", data={"csrf_token": token})
    assert taken.status_code == 200
    assert taken.json == {"number": "58/TTr-STC", "again": False}
    again = client.post(f"/work/{item_id}/submission-number", data={"csrf_token": token})
    assert again.json == {"number": "58/TTr-STC", "again": True}

    signed = client.post(
        f"/work/{item_id}",
        data={
            "csrf_token": token,
            "decision": "approve",
            "submission_number": taken.json["number"],
            "submission_date": "06/12/2026",
        },
    )
    assert signed.status_code == 302
    with database(app).transaction() as session:
        assert session.get_one(Dossier, did).submission_number == "58/TTr-STC"
        [issued] = session.scalars(select(IssuedNumber)).all()
        assert (issued.subject_kind, issued.subject_id) == ("dossier", did)
        assert issued.issued_by_id == actor_named(session, "giamdoc").user_id
    # The step is done: no number any more.
    late = client.post(f"/work/{item_id}/submission-number", data={"csrf_token": token})
    assert late.status_code == 409


def test_only_the_signer_takes_a_number_and_only_at_a_step_with_the_field(app, api, client):
    _dossier, item_id = _at_signing(api)
    login(client, "hoidong1")
    token = csrf_token(client.get("/work", follow_redirects=True).get_data(as_text=True))
    refused = client.post(f"/work/{item_id}/submission-number", data={"csrf_token": token})
    assert refused.status_code == 403
    assert refused.json["error"]["message"] == "Bước này không phải của bạn."

    other = api.start()
    [prepare] = api.items("canbo_ns", other["id"], "prepare_dossier")
    officer = app.test_client()
    login(officer, "canbo_ns")
    token = csrf_token(officer.get("/work", follow_redirects=True).get_data(as_text=True))
    no_field = officer.post(f"/work/{prepare['id']}/submission-number", data={"csrf_token": token})
    assert no_field.status_code == 422
    hidden = officer.post("/work/999999/submission-number", data={"csrf_token": token})
    assert hidden.status_code == 404
    with database(app).transaction() as session:
        assert session.scalars(select(IssuedNumber)).all() == []
