"""PostgreSQL stopped for a few seconds while users complete steps: every request in the
outage gets a clean 503 (JSON on the API, a Vietnamese page elsewhere), never a 500; once the
database is back the same server processes answer again without a restart, and no dossier is
left half-written.

The test runs its own PostgreSQL cluster (the shared server of the other tests is never
stopped): PostgreSQL's server binaries must be installed, or the test fails saying so."""

from __future__ import annotations

import time
from collections.abc import Iterator
from http.client import HTTPConnection
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from tests.faults.support import (
    Gunicorn,
    PrivatePostgres,
    clients,
    get_status,
    inconsistent_dossiers,
    login_all,
    prepared_app,
)
from webapp.models import WorkItem
from webapp.request_db import database

CLIENTS = 6
OUTAGE_SECONDS = 3.0
# Steps completed before the outage, and after it before the clients stop.
STEPS_AROUND = 5


@pytest.fixture
def cluster() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    try:
        yield server
    finally:
        server.close()


def _page(port: int, path: str) -> tuple[int, str, str | None]:
    connection = HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Accept-Language": "vi"})
        response = connection.getresponse()
        body = response.read().decode("utf-8")
    finally:
        connection.close()
    return response.status, body, response.getheader("Retry-After")


def test_a_database_outage_is_a_clean_503_and_the_app_recovers_without_restart(
    cluster: PrivatePostgres, tmp_path: Path
) -> None:
    app = prepared_app(cluster.url, tmp_path / "uploads")
    try:
        _outage(app, cluster, tmp_path)
    finally:
        database(app).dispose()


def _outage(app: Flask, cluster: PrivatePostgres, tmp_path: Path) -> None:
    server = Gunicorn(cluster.url, tmp_path / "uploads", tmp_path / "gunicorn.log", workers=1)
    try:
        workers_before = server.workers()
        tokens = login_all(server.port)
        with clients(server.port, tokens, CLIENTS) as tally:
            tally.wait_for_more(STEPS_AROUND)
            done_before = len(tally.completed_items)
            cluster.stop()
            stopped_at = time.monotonic()
            try:
                time.sleep(0.5)
                # A page during the outage: the Vietnamese 503 page, no traceback.
                status, body, retry = _page(server.port, "/tra-cuu?ma=HS-2026-000001")
                health = get_status(server.port, "/healthz")
                time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped_at)))
            finally:
                cluster.start()
            restarted_at = time.monotonic()
            tally.wait_for_more(STEPS_AROUND)
        # The same gunicorn worker served before, during and after the outage.
        assert server.workers() == workers_before
        assert get_status(server.port, "/healthz") == 200
        after_status, _after_body, _ = _page(server.port, "/tra-cuu?ma=HS-2026-000001")
    finally:
        server.close()

    print(f"statuses {dict(tally.statuses)}, connection resets {tally.resets}")
    assert tally.crashes == []
    assert tally.bad_bodies == []
    assert status == 503, body
    assert retry is not None
    assert "Hệ thống tạm thời không truy cập được" in body
    assert "Traceback" not in body
    assert health == 503
    # The look-up answers from the database again (an unknown code: its "no such dossier").
    assert after_status == 404
    # Users got answers throughout: steps completed before the outage, 503s during it, and
    # steps completed again after it, with no 500 at any time.
    assert done_before > 0
    assert tally.statuses[503] > 0, tally.statuses
    assert set(tally.statuses) <= {200, 201, 409, 503}, tally.statuses
    after = [s for at, s in tally.timeline if at > restarted_at]
    assert after.count(200) >= STEPS_AROUND, tally.statuses
    # Nothing half-written: every acknowledged step is done, every dossier agrees with its engine.
    with database(app).transaction(write=False) as session:
        statuses = dict(
            session.execute(
                select(WorkItem.id, WorkItem.status).where(WorkItem.id.in_(tally.completed_items))
            ).all()
        )
    assert set(statuses.values()) == {"done"}
    assert len(statuses) == len(set(tally.completed_items))
    assert inconsistent_dossiers(app) == []
