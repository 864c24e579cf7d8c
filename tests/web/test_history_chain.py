"""The dossier history's hash chain: a row edited or deleted directly in the database is found,
at exactly the event where the chain stops holding, by the service, `flask verify-history` and
the admin page."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

from sqlalchemy import select, text

from tests.web.council import MEMBERS, at_vote, vote
from tests.web.pages import login
from webapp.cli import verify_history_command
from webapp.models import Event
from webapp.request_db import database
from webapp.services.history_chain import digest_of, verify_chains

MIGRATION = Path(__file__).parents[2] / "migrations/versions/20261206_0012_event_chain.py"


def _events(app, dossier_id):
    with database(app).transaction(write=False) as session:
        return list(
            session.scalars(select(Event).where(Event.dossier_id == dossier_id).order_by(Event.id))
        )


def _check(app, dossier_id=None):
    with database(app).transaction(write=False) as session:
        return verify_chains(session, dossier_id)


def _sql(app, statement, **params):
    with database(app).transaction() as session:
        session.execute(text(statement), params)


def _voted(api):
    """A dossier taken through the unit, the Office and the council's votes (claims included)."""
    dossier = at_vote(api)
    vote(api, dossier, MEMBERS)
    return dossier


def test_a_normal_path_gives_a_valid_chain(app, api):
    dossier = _voted(api)
    other = api.start()
    item = api.items("canbo_ns", other["id"], "prepare_dossier")[0]
    assert api.post(f"/api/v1/work-items/{item['id']}/claim", "canbo_ns").status_code == 200
    events = _events(app, dossier["id"])
    assert len(events) > 8
    assert events[0].prev_hash is None
    for before, event in itertools.pairwise(events):
        assert event.prev_hash == before.hash
        assert event.hash == digest_of(event)
    report = _check(app)
    assert report.breaks == []
    assert report.dossiers_checked == 2
    assert report.events_checked == len(events) + len(_events(app, other["id"]))


def test_an_edited_event_is_reported_at_exactly_that_event(app, api):
    dossier = _voted(api)
    other = api.start()
    events = _events(app, dossier["id"])
    target = events[4]
    _sql(app, "UPDATE event SET comment = 'sửa lén' WHERE id = :id", id=target.id)
    report = _check(app)
    assert [(b.dossier_id, b.event_id, b.problem) for b in report.breaks] == [
        (dossier["id"], target.id, "altered")
    ]
    assert report.breaks[0].dossier_code == dossier["code"]
    assert _check(app, other["id"]).breaks == []


def test_edited_data_json_is_reported(app, api):
    dossier = _voted(api)
    vote_event = next(e for e in _events(app, dossier["id"]) if e.action == "completed" and e.data)
    _sql(
        app,
        "UPDATE event SET data = :data WHERE id = :id",
        data='{"decision": "refuse"}',
        id=vote_event.id,
    )
    (found,) = _check(app).breaks
    assert (found.event_id, found.problem) == (vote_event.id, "altered")


def test_a_rehashed_edit_still_breaks_at_the_next_event(app, api):
    """Whoever edits a row and recomputes its hash breaks the link of the event after it."""
    dossier = _voted(api)
    events = _events(app, dossier["id"])
    target, following = events[3], events[4]
    target.comment = "sửa lén"
    _sql(
        app,
        "UPDATE event SET comment = :c, hash = :h WHERE id = :id",
        c=target.comment,
        h=digest_of(target),
        id=target.id,
    )
    (found,) = _check(app).breaks
    assert (found.event_id, found.problem) == (following.id, "missing")


def test_a_deleted_event_is_reported_at_the_next_one(app, api):
    dossier = _voted(api)
    events = _events(app, dossier["id"])
    _sql(app, "DELETE FROM event WHERE id = :id", id=events[5].id)
    (found,) = _check(app).breaks
    assert (found.dossier_id, found.event_id, found.problem) == (
        dossier["id"],
        events[6].id,
        "missing",
    )


def test_a_deleted_first_event_is_reported(app, api):
    dossier = api.start()
    api.do("canbo_ns", dossier["id"], "prepare_dossier", {"decision": "submit"})
    events = _events(app, dossier["id"])
    _sql(app, "DELETE FROM event WHERE id = :id", id=events[0].id)
    (found,) = _check(app).breaks
    assert (found.event_id, found.problem) == (events[1].id, "missing")


def test_a_forged_event_linking_to_an_earlier_one_is_reported(app, api):
    """A row inserted by hand with a correct hash of its own, linked to an older event."""
    dossier = _voted(api)
    events = _events(app, dossier["id"])
    forged = Event(
        dossier_id=dossier["id"],
        at=events[-1].at,
        actor_id=None,
        action="completed",
        step="sign_submission",
        step_title="Ký tờ trình",
        decision="approve",
        prev_hash=events[-2].hash,
    )
    forged.hash = digest_of(forged)
    with database(app).transaction() as session:
        session.add(forged)
        session.flush()
        forged_id = forged.id
    (found,) = _check(app).breaks
    assert (found.event_id, found.problem) == (forged_id, "inserted")


def test_the_command_exits_1_and_names_the_dossier_and_event(app, api):
    dossier = _voted(api)
    runner = app.test_cli_runner()
    fine = runner.invoke(verify_history_command, [])
    assert fine.exit_code == 0, fine.output
    assert "0 broken chain(s)" in fine.output
    target = _events(app, dossier["id"])[6]
    _sql(app, "UPDATE event SET actor_id = NULL WHERE id = :id", id=target.id)
    broken = runner.invoke(verify_history_command, [])
    assert broken.exit_code == 1
    assert f"dossier {dossier['code']} (id {dossier['id']}): chain broken at event {target.id}" in (
        broken.output
    )
    one = runner.invoke(verify_history_command, ["--dossier-id", str(dossier["id"])])
    assert one.exit_code == 1


def test_the_admin_page_names_the_first_broken_link(app, api, client):
    dossier = _voted(api)
    target = _events(app, dossier["id"])[2]
    login(client, "admin")
    page = client.get("/admin/history-check?all=1")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="chains-valid"' in html
    _sql(app, "UPDATE event SET step = 'x' WHERE id = :id", id=target.id)
    for url in ("/admin/history-check?all=1", f"/admin/history-check?ma={dossier['code']}"):
        html = client.get(url).get_data(as_text=True)
        assert f'data-event-id="{target.id}"' in html
        assert f'href="/dossiers/{dossier["id"]}"' in html
        assert dossier["code"] in html
        assert "Lịch sử" in html or "lịch sử" in html
    unknown = client.get("/admin/history-check?ma=KHONG-CO")
    assert unknown.status_code == 404
    assert 'class="invalid-feedback"' in unknown.get_data(as_text=True)


def test_non_administrators_are_refused(app, api, client):
    login(client, "vanphong")
    assert client.get("/admin/history-check?all=1").status_code == 403


def test_the_migration_chains_existing_events(app, api):
    """A database upgraded from before the chain: its events are chained in id order."""
    first, second = _voted(api), api.start()
    _sql(app, "UPDATE event SET prev_hash = NULL, hash = NULL")
    assert len(_check(app).breaks) == 2
    spec = importlib.util.spec_from_file_location("event_chain_migration", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.BATCH = 3  # several keyset batches, across dossiers
    with database(app).engine.begin() as conn:
        module._chain_existing(conn)
    report = _check(app)
    assert report.breaks == []
    assert report.events_checked == len(_events(app, first["id"])) + len(_events(app, second["id"]))
