"""A round's history (intake, ballots, the council's conclusion, signatures, the Ministry's
steps) is a hash chain too: a row edited or deleted directly in the database is found at exactly
that round event by the service, `flask verify-history` and the admin page."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

from sqlalchemy import select, text

from tests.services.round_history_support import hanoi, walk
from tests.web.pages import login
from webapp.cli import verify_history_command
from webapp.models import RoundEvent
from webapp.services.history_chain import round_digest_of, verify_round_chains

MIGRATION = Path(__file__).parents[2] / "migrations/versions/20261206_0019_round_event_chain.py"


def _walked(db):
    with hanoi(db):
        return walk(db)


def _events(db, round_id):
    db.expire_all()
    return list(
        db.scalars(
            select(RoundEvent).where(RoundEvent.round_id == round_id).order_by(RoundEvent.id)
        )
    )


def _sql(db, statement, **params):
    db.execute(text(statement), params)
    db.commit()


def _breaks(db, round_id=None):
    return [(b.round_id, b.event_id, b.problem) for b in verify_round_chains(db, round_id).breaks]


def test_every_round_event_links_to_the_one_before(db):
    w = _walked(db)
    for round_ in (w.bn, w.hn, w.moh):
        events = _events(db, round_.id)
        assert len(events) > 3
        assert events[0].prev_hash is None
        for before, event in itertools.pairwise(events):
            assert event.prev_hash == before.hash
            assert event.hash == round_digest_of(event)
    report = verify_round_chains(db)
    assert report.breaks == []
    assert report.rounds_checked == 3
    assert report.events_checked == sum(len(_events(db, r.id)) for r in (w.bn, w.hn, w.moh))


def test_an_edited_conclusion_is_reported_at_exactly_that_event(db):
    w = _walked(db)
    concluded = next(e for e in _events(db, w.bn.id) if e.action == "concluded")
    _sql(db, "UPDATE round_event SET data = :d WHERE id = :id", d='{"x": 1}', id=concluded.id)
    assert _breaks(db) == [(w.bn.id, concluded.id, "altered")]
    assert verify_round_chains(db).breaks[0].round_name == w.bn.name
    assert _breaks(db, w.moh.id) == []


def test_a_deleted_round_event_is_reported_at_the_next_one(db):
    w = _walked(db)
    events = _events(db, w.moh.id)
    _sql(db, "DELETE FROM round_event WHERE id = :id", id=events[1].id)
    assert _breaks(db) == [(w.moh.id, events[2].id, "missing")]


def test_the_command_names_the_round_and_its_event(app, db):
    w = _walked(db)
    runner = app.test_cli_runner()
    fine = runner.invoke(verify_history_command, [])
    assert fine.exit_code == 0, fine.output
    assert "3 round(s)" in fine.output
    target = _events(db, w.hn.id)[2]
    _sql(db, "UPDATE round_event SET action = 'sua_len' WHERE id = :id", id=target.id)
    broken = runner.invoke(verify_history_command, [])
    assert broken.exit_code == 1
    assert f"round {w.hn.name} (id {w.hn.id}): chain broken at round event {target.id}" in (
        broken.output
    )


def test_the_admin_page_lists_the_broken_round(app, db, client):
    w = _walked(db)
    login(client, "admin")
    html = client.get("/admin/history-check?all=1").get_data(as_text=True)
    assert 'id="round-chains-valid"' in html
    target = _events(db, w.bn.id)[3]
    _sql(db, "UPDATE round_event SET step = 'x' WHERE id = :id", id=target.id)
    html = client.get("/admin/history-check?all=1").get_data(as_text=True)
    assert f'data-round-id="{w.bn.id}" data-event-id="{target.id}"' in html
    assert f'href="/rounds/{w.bn.id}"' in html
    assert "Lịch sử các đợt xét" in html


def test_the_migration_chains_existing_round_events(app, db):
    w = _walked(db)
    _sql(db, "UPDATE round_event SET prev_hash = NULL, hash = NULL")
    assert len(_breaks(db)) == 3
    db.commit()  # end the read snapshot before the migration writes
    spec = importlib.util.spec_from_file_location("round_event_chain_migration", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.BATCH = 3  # several keyset batches, across rounds
    with db.get_bind().connect() as conn:
        module._chain_existing(conn)
        conn.commit()
    assert _breaks(db) == []
    assert len(_events(db, w.bn.id)) > 3
