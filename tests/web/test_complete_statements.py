"""Opening a council's ballots costs one read of the step's past, however many members sit (the
five ballots are due together), and on PostgreSQL one write of them all (SQLAlchemy batches the
inserts there; SQLite's driver is sent one per row)."""

from __future__ import annotations

from tests.sql_statements import statements
from tests.web.council import MEMBERS
from webapp.request_db import database


def test_the_five_ballots_are_dated_from_one_read_and_written_in_one_statement(api, app):
    dossier = api.start()
    api.do("canbo_ns", dossier["id"], "prepare_dossier", {"decision": "submit"})
    api.do("truongphong_ns", dossier["id"], "approve_at_unit", {"decision": "approve"})
    with statements(database(app).engine) as sent:
        api.do("vanphong", dossier["id"], "check_dossier", {"decision": "approve"})
    past_reads = [
        s
        for s in sent
        if s.lstrip().startswith("SELECT work_item.created_at, work_item.completed_at")
    ]
    item_writes = [s for s in sent if s.lstrip().startswith("INSERT INTO work_item")]
    assert len(past_reads) == 1, "\n".join(past_reads)
    engine = database(app).engine
    assert len(item_writes) == (1 if engine.dialect.name == "postgresql" else len(MEMBERS))
    ballots = [
        step
        for step in api.get(f"/api/v1/dossiers/{dossier['id']}", "vanphong").json["current"]
        if step["step"] == "council_vote"
    ]
    assert len(ballots) == len(MEMBERS)
    assert len({ballot["due_at"] for ballot in ballots}) == 1
    assert ballots[0]["due_at"] is not None
