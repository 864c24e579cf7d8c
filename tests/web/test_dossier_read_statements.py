"""Reading a dossier costs the same statements however many people hold its open steps: a
council vote's five ballots are read with the people who hold them, not one query each."""

from __future__ import annotations

from tests.sql_statements import statements
from tests.web.council import MEMBERS, at_vote, vote
from webapp.request_db import database


def _read(api, app, dossier_id: int) -> tuple[dict, list[str]]:
    with statements(database(app).engine) as sent:
        response = api.get(f"/api/v1/dossiers/{dossier_id}", "vanphong")
    assert response.status_code == 200, response.json
    return response.json, sent


def test_a_dossier_reads_in_as_many_statements_with_five_ballots_open_as_with_one(api, app):
    dossier = at_vote(api)
    _read(api, app, dossier["id"])  # once, so that nothing first-time is counted
    five, five_sent = _read(api, app, dossier["id"])
    assert sum(1 for step in five["current"] if step["step"] == "council_vote") == len(MEMBERS)
    vote(api, dossier, MEMBERS[:4])
    one, one_sent = _read(api, app, dossier["id"])
    assert sum(1 for step in one["current"] if step["step"] == "council_vote") == 1
    assert len(five_sent) == len(one_sent), "\n".join(five_sent)
