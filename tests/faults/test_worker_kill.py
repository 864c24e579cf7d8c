"""A gunicorn worker killed (SIGKILL) while users complete steps: gunicorn starts another, the
requests the dead worker held are lost as connection resets (counted, never a 500), and what
it was writing is rolled back whole: every dossier still agrees with its engine state.

Runs on a PostgreSQL cluster of the test's own, as production does."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.faults.support import (
    Gunicorn,
    PrivatePostgres,
    clients,
    inconsistent_dossiers,
    login_all,
    prepared_app,
)
from webapp.models import WorkItem
from webapp.request_db import database

CLIENTS = 6
# Two kills, one worker then the other (or its replacement), each after this many more steps.
KILLS = 2
STEPS_BETWEEN = 5


@pytest.fixture
def cluster() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    try:
        yield server
    finally:
        server.close()


def test_b_a_killed_worker_leaves_every_dossier_consistent(
    cluster: PrivatePostgres, tmp_path: Path
) -> None:
    app = prepared_app(cluster.url, tmp_path / "uploads")
    try:
        _kill_workers(app, cluster, tmp_path)
    finally:
        database(app).dispose()


def _kill_workers(app: Flask, cluster: PrivatePostgres, tmp_path: Path) -> None:
    server = Gunicorn(cluster.url, tmp_path / "uploads", tmp_path / "gunicorn.log", workers=2)
    killed: list[int] = []
    try:
        tokens = login_all(server.port)
        with clients(server.port, tokens, CLIENTS) as tally:
            for _ in range(KILLS):
                tally.wait_for_more(STEPS_BETWEEN)
                # Six clients keep both workers busy: the victim is serving requests.
                victim = next(pid for pid in server.workers() if pid not in killed)
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)
            completed_by_kill = len(tally.completed_items)
            tally.wait_for_more(STEPS_BETWEEN)
        # gunicorn replaced the killed workers and still answers.
        server.wait_ready(2, timeout=30)
        replaced = server.workers()
    finally:
        server.close()

    assert len(killed) == KILLS
    assert not set(killed) & set(replaced)
    assert tally.crashes == []
    assert tally.bad_bodies == []
    assert set(tally.statuses) <= {200, 201, 409}, tally.statuses
    # The kills cut clients' requests (in flight or on the dead worker's keep-alive connection).
    assert tally.resets > 0
    # Steps were being completed when the workers died and after.
    assert len(tally.completed_items) >= completed_by_kill + STEPS_BETWEEN
    print(f"statuses {dict(tally.statuses)}, connection resets {tally.resets}")
    with database(app).transaction(write=False) as session:
        done = session.scalar(
            select(func.count())
            .select_from(WorkItem)
            .where(WorkItem.id.in_(tally.completed_items), WorkItem.status == "done")
        )
    assert done == len(set(tally.completed_items))
    assert inconsistent_dossiers(app) == []
