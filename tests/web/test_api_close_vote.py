"""The council's chair closes a vote that cannot finish: open ballots count as absences."""

from __future__ import annotations

from sqlalchemy import select

from tests.web.council import MEMBERS, at_vote, vote
from webapp.models import Event
from webapp.request_db import database

REASON = "Đồng chí Đặng Thị Hoa nghỉ ốm dài ngày, không tham gia biểu quyết."


def close(api, dossier_id, as_user="giamdoc", comment=REASON):
    return api.post(f"/api/v1/dossiers/{dossier_id}/close-vote", as_user, json={"comment": comment})


def events(app, dossier_id, action):
    with database(app).transaction() as session:
        return list(
            session.scalars(
                select(Event).where(Event.dossier_id == dossier_id, Event.action == action)
            )
        )


def test_the_chair_closes_the_vote_and_the_absent_members_count_as_not_agreeing(api, app):
    dossier = at_vote(api)
    vote(api, dossier, MEMBERS[:4])
    response = close(api, dossier["id"])
    assert response.status_code == 200, response.json
    after = response.json["dossier"]
    # 4 of 5 took part and agreed: quorum and threshold (2/3 of all members) are met.
    assert [c["step"] for c in after["current"]] == ["conclude_council"]
    assert {n["result"] for n in after["nominees"]} == {"passed"}
    assert {(n["council"]["agree"], n["council"]["members"]) for n in after["nominees"]} == {(4, 5)}
    assert not api.items("hoidong4", dossier["id"], "council_vote")
    [closed] = events(app, dossier["id"], "vote_closed")
    assert closed.comment == REASON
    assert closed.data == {"absent": ["hoidong4"], "absent_names": ["Đặng Thị Hoa"]}


def test_without_a_quorum_nobody_passes(api):
    dossier = at_vote(api)
    vote(api, dossier, MEMBERS[:3])
    after = close(api, dossier["id"]).json["dossier"]
    assert {n["result"] for n in after["nominees"]} == {"failed"}
    assert [c["step"] for c in after["current"]] == ["conclude_council"]


def test_only_the_chair_closes_a_vote_and_only_while_one_is_under_way(api, app):
    dossier = at_vote(api)
    assert close(api, dossier["id"], as_user="hoidong1").status_code == 403
    assert close(api, dossier["id"], as_user="vanphong_hn").status_code == 404
    assert close(api, dossier["id"], as_user=None).status_code == 401
    missing = close(api, dossier["id"], comment="  ")
    assert missing.status_code == 422
    assert "comment" in missing.json["error"]["fields"]
    # Nothing changed: every ballot still waits.
    assert len(api.items("hoidong1", dossier["id"], "council_vote")) == 1
    assert events(app, dossier["id"], "vote_closed") == []
    vote(api, dossier, MEMBERS)
    again = close(api, dossier["id"])
    assert again.status_code == 409
    assert again.json["error"]["code"] == "no_open_vote"
