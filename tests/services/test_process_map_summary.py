"""The process map's summary: the median times the map shows come from a table the job queue
rebuilds every few minutes from the newest completed work items, and they are the medians the
history gives; the waiting counts stay live; the summary respects what a user may see."""

from __future__ import annotations

import statistics
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from tests.conftest import actor_named
from tests.services.test_process_map import (
    MEMBERS,
    _votes,
    at_check,
    at_council,
    by_step,
    complete,
    rebuild,
    start,
    the_map,
)
from tests.sql_statements import statements
from webapp.db import utcnow
from webapp.jobs import catalogue, registry
from webapp.jobs.passes import run_pass
from webapp.models import Dossier, Movement, ProcessMapVisit, WorkItem
from webapp.request_db import database
from webapp.services import process_map_summary
from webapp.services.actors import units_below
from webapp.services.process_map import MapFilters


def _history_medians(db, username, filters: MapFilters) -> dict[str, float | None]:
    """step -> the median time of its completed visits, straight from every work item the user
    may see under the filters (how the map computed it before the summary, without a bound)."""
    actor = actor_named(db, username)
    query = (
        select(
            WorkItem.step,
            WorkItem.dossier_id,
            WorkItem.created_at,
            func.max(WorkItem.completed_at),
        )
        .join(Dossier, Dossier.id == WorkItem.dossier_id)
        .where(WorkItem.status == "done")
        .group_by(WorkItem.step, WorkItem.dossier_id, WorkItem.created_at)
    )
    if not actor.is_admin:
        query = query.where(WorkItem.unit_id.in_(actor.visible_units or {-1}))
    if filters.unit_id is not None:
        query = query.where(WorkItem.unit_id.in_(units_below(filters.unit_id)))
    if filters.award_form is not None:
        query = query.where(Dossier.award_form == filters.award_form)
    if filters.movement_id is not None:
        query = query.where(Dossier.movement_id == filters.movement_id)
    seconds: dict[str, list[float]] = {}
    for step, _dossier, created, ended in db.execute(query):
        seconds.setdefault(step, []).append(max((ended - created).total_seconds(), 0.0))
    return {step: statistics.median(values) for step, values in seconds.items()}


def _shift(db, dossier, step, hours_ago, hours):
    """The dossier's visit of `step` opened `hours_ago` and took `hours`."""
    opened = utcnow() - timedelta(hours=hours_ago)
    db.execute(
        update(WorkItem)
        .where(WorkItem.dossier_id == dossier.id, WorkItem.step == step)
        .values(created_at=opened, completed_at=opened + timedelta(hours=hours))
    )


def _varied_history(db):
    """Dossiers of two units and two award forms, one in a movement, with times that differ
    from dossier to dossier, one through a council vote whose ballots end apart."""
    made = []
    for n, (officer, form) in enumerate(
        [
            ("canbo_ns", "bk_btc"),
            ("canbo_ns", "bk_ttg"),
            ("canbo_dn", "bk_btc"),
            ("canbo_dn", "bk_ttg"),
            ("canbo_ns", "bk_btc"),
        ]
    ):
        dossier = at_check(db, officer, award_form=form)
        _shift(db, dossier, "prepare_dossier", 400 - n, 3 + 7 * n)
        _shift(db, dossier, "approve_at_unit", 300 - n, 1 + 5 * n * n)
        made.append(dossier)
    council = at_council(db, "canbo_dn", award_form="bk_btc")
    for member in MEMBERS:
        complete(db, member, council, "council_vote", _votes(council))
    ballots = db.scalars(
        select(WorkItem).where(WorkItem.dossier_id == council.id, WorkItem.step == "council_vote")
    ).all()
    opened = utcnow() - timedelta(days=3)
    for hours, ballot in zip((2, 9, 4, 30, 6), ballots, strict=True):
        ballot.created_at = opened
        ballot.completed_at = opened + timedelta(hours=hours)
    movement_id = db.scalar(select(Movement.id).order_by(Movement.id))
    db.execute(update(Dossier).where(Dossier.id == made[1].id).values(movement_id=movement_id))
    db.commit()
    return made, council, movement_id


def test_the_summary_gives_the_medians_of_the_history(db):
    made, _council, movement_id = _varied_history(db)
    rebuild(db)
    ns_unit, dn_unit = made[0].unit_id, made[2].unit_id
    cases = [
        ("vanphong", MapFilters()),
        ("admin", MapFilters()),
        ("vanphong", MapFilters(unit_id=ns_unit)),
        ("vanphong", MapFilters(unit_id=dn_unit)),
        ("vanphong", MapFilters(award_form="bk_ttg")),
        ("vanphong", MapFilters(unit_id=dn_unit, award_form="bk_btc")),
        ("vanphong", MapFilters(movement_id=movement_id)),
        ("truongphong_ns", MapFilters()),
        ("vanphong_hn", MapFilters()),
    ]
    for username, filters in cases:
        expected = _history_medians(db, username, filters)
        found = by_step(
            the_map(
                db,
                username,
                unit_id=filters.unit_id,
                award_form=filters.award_form,
                movement_id=filters.movement_id,
            )
        )
        shown = {step: load.median_seconds for step, load in found.items() if load.sample_size}
        assert shown == pytest.approx(expected), (username, filters)
    # The council vote lasted until its last ballot: one visit of 30 hours.
    assert by_step(the_map(db))["council_vote"].median_seconds == 30 * 3600.0
    assert by_step(the_map(db))["council_vote"].sample_size == 1


def test_a_unit_user_never_sees_the_times_of_other_units(db):
    _varied_history(db)
    rebuild(db)
    # The Hà Nội office sees no dossier of the ministry's units: no waiting, no median.
    other = the_map(db, "vanphong_hn")
    assert all(s.sample_size == 0 and s.median_seconds is None for s in other.steps)
    # A unit head sees the visits of the unit's three dossiers only.
    own = by_step(the_map(db, "truongphong_ns"))
    assert own["approve_at_unit"].sample_size == 3
    assert by_step(the_map(db))["approve_at_unit"].sample_size == 6
    assert own["council_vote"].sample_size == 0


def test_counts_stay_live_while_the_medians_wait_for_the_next_rebuild(db):
    dossier = at_check(db)
    found = the_map(db)
    assert found.durations.refreshed_at is None
    assert by_step(found)["approve_at_unit"].median_seconds is None

    rebuild(db)
    found = the_map(db)
    assert found.durations.refreshed_at is not None
    assert found.durations.visits == 2  # the preparation and the approval
    steps = by_step(found)
    assert (steps["check_dossier"].waiting, steps["check_dossier"].sample_size) == (1, 0)
    assert steps["approve_at_unit"].sample_size == 1

    complete(db, "vanphong", dossier, "check_dossier", {"decision": "approve"})
    steps = by_step(the_map(db))
    # The step just completed is no longer counted as waiting, at once…
    assert steps["check_dossier"].waiting == 0
    assert steps["council_vote"].waiting == 1
    # …and its time joins the median at the next rebuild.
    assert steps["check_dossier"].sample_size == 0
    rebuild(db)
    assert by_step(the_map(db))["check_dossier"].sample_size == 1


def summary_reads(sent: list[str]) -> list[str]:
    """The statements of `sent` that read the summary's visits."""
    return [statement for statement in sent if "process_map_visit" in statement]


def test_a_worker_reads_the_summary_once_per_rebuild_scope_and_filters(db):
    made, _council, _movement = _varied_history(db)
    rebuild(db)
    with statements(db.get_bind().engine) as sent:
        first = by_step(the_map(db))
    assert len(summary_reads(sent)) == 1
    with statements(db.get_bind().engine) as sent:
        again = by_step(the_map(db))
    assert summary_reads(sent) == []  # the same summary, the same scope: the medians kept
    assert again == first
    # Another scope or other filters are their own figures, read once each.
    with statements(db.get_bind().engine) as sent:
        own = by_step(the_map(db, "truongphong_ns"))
        by_unit = by_step(the_map(db, unit_id=made[2].unit_id))
        the_map(db, "truongphong_ns")
    assert len(summary_reads(sent)) == 2
    assert first["approve_at_unit"].sample_size == 6
    assert own["approve_at_unit"].sample_size == 3
    assert by_unit["approve_at_unit"].sample_size == 3  # two dossiers and the council's
    # A rebuild is a new generation: the summary is read again and its new visits counted.
    complete(db, "vanphong", made[0], "check_dossier", {"decision": "approve"})
    rebuild(db)
    with statements(db.get_bind().engine) as sent:
        after = by_step(the_map(db))
    assert len(summary_reads(sent)) == 1
    assert after["check_dossier"].sample_size == first["check_dossier"].sample_size + 1


def _visits(db):
    return sorted(
        (v.process_key, v.step, v.dossier_id, v.unit_id, v.seconds, v.last_item_id)
        for v in db.scalars(select(ProcessMapVisit))
    )


def test_rebuilding_again_changes_nothing_but_the_time(db):
    _varied_history(db)
    start(db)  # nothing completed yet: not in the summary
    first = rebuild(db)
    rows = _visits(db)
    stamp = the_map(db).durations
    second = rebuild(db)
    assert second == first
    assert _visits(db) == rows
    again = the_map(db).durations
    assert (again.visits, again.since) == (stamp.visits, stamp.since)
    assert again.refreshed_at >= stamp.refreshed_at
    assert stamp.visits == len(rows)


def test_every_process_gets_its_time_even_without_visits(db):
    at_check(db)
    counted = rebuild(db)
    assert counted == {"award_nomination": 2}
    stamp = process_map_summary.freshness(db, "round_proposal")
    assert (stamp.refreshed_at is not None, stamp.visits, stamp.since) == (True, 0, None)
    assert process_map_summary.freshness(db, "no_such_process") == process_map_summary.NEVER


def test_the_job_queue_rebuilds_the_summary_every_few_minutes(app, db):
    at_check(db)
    catalogue.register_jobs()
    [job] = [job for job in registry.registered() if job.name == "process_map_summary"]
    assert job.every == process_map_summary.REFRESH_EVERY
    db.rollback()  # the passes open their own writing transactions
    now = utcnow()
    first = run_pass(database(app), now)
    assert first.jobs["process_map_summary"] == {"award_nomination": 2}
    assert "process_map_summary" not in first.failed
    later = run_pass(database(app), now + timedelta(minutes=1))
    assert "process_map_summary" not in later.jobs
    again = run_pass(database(app), now + process_map_summary.REFRESH_EVERY + timedelta(minutes=1))
    assert again.jobs["process_map_summary"] == {"award_nomination": 2}
    db.rollback()
    assert the_map(db).durations.refreshed_at == now + process_map_summary.REFRESH_EVERY + (
        timedelta(minutes=1)
    )
    assert by_step(the_map(db))["approve_at_unit"].sample_size == 1


def test_the_command_rebuilds_the_summary(app, db):
    at_check(db)
    db.rollback()
    result = app.test_cli_runner().invoke(args=["refresh-process-map"])
    assert result.exit_code == 0, result.output
    assert "award_nomination: 2" in result.output
    db.rollback()
    assert the_map(db).durations.visits == 2
