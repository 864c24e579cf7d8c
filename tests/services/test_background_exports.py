"""Claiming queued workbooks: the oldest first, never one another worker holds, and one a
killed worker left half-made taken again after its lease."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import actor_named
from webapp.db import utcnow
from webapp.models import ExportFile
from webapp.request_db import database
from webapp.services import background_exports
from webapp.services.dossiers import DossierFilters
from webapp.services.errors import InvalidDataError


def _queue(db, count: int) -> list[int]:
    actor = actor_named(db, "vanphong")
    ids = [
        background_exports.request_export(
            db, actor, DossierFilters(q=f"ten {n}"), "-created", {"q": f"ten {n}"}, utcnow()
        ).id
        for n in range(count)
    ]
    db.commit()
    return ids


def test_the_oldest_request_is_taken_first_and_a_stale_one_again_after_its_lease(db):
    first, second = _queue(db, 2)
    now = utcnow()
    claimed = background_exports.claim_next(db, now)
    assert claimed is not None
    assert claimed.id == first
    db.commit()
    assert background_exports.claim_next(db, now).id == second
    db.commit()
    # Both running: nothing to take until the first one's lease is over (its worker was killed).
    assert background_exports.claim_next(db, now + timedelta(minutes=5)) is None
    retaken = background_exports.claim_next(
        db, now + background_exports.LEASE + timedelta(seconds=1)
    )
    assert retaken is not None
    assert retaken.id == first
    assert background_exports.filters_of(retaken) == DossierFilters(q="ten 0")


def test_two_workers_at_once_take_different_requests(app, db):
    first, second = _queue(db, 2)
    now = utcnow()
    concurrent = db.get_bind().dialect.name == "postgresql"
    with database(app).transaction() as one:
        taken = background_exports.claim_next(one, now)
        if concurrent:  # the first claim still uncommitted: its row is skipped, not waited for
            with database(app).transaction() as other:
                meanwhile = background_exports.claim_next(other, now)
    if not concurrent:  # SQLite runs one writing transaction at a time: the next one follows
        with database(app).transaction() as other:
            meanwhile = background_exports.claim_next(other, now)
    assert (taken.id, meanwhile.id) == (first, second)
    statuses = {e.id: e.status for e in db.query(ExportFile).populate_existing()}
    assert statuses == {first: "running", second: "running"}


def test_an_unknown_sort_is_refused_and_nothing_is_queued(db):
    with pytest.raises(InvalidDataError) as refused:
        background_exports.request_export(
            db, actor_named(db, "vanphong"), DossierFilters(), "password", {}, utcnow()
        )
    assert "sort" in refused.value.fields
    db.rollback()
    assert db.query(ExportFile).count() == 0
