"""Two job-queue workers (real `flask jobs-worker` processes) share 500 due timers: each fires
exactly once, and killing one worker (SIGKILL) in the middle of its pass loses none."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

import config
from tests.conftest import BACKENDS
from webapp import create_app
from webapp.cli import upgrade_database
from webapp.db import utcnow
from webapp.models import Dossier, Event, ProcessInstance, User
from webapp.request_db import database
from webapp.services import dossiers, process_versions, seeding
from webapp.services.actors import actor_for_user

ROOT = Path(__file__).resolve().parents[2]
DOSSIERS = 500
# A guard against a hang, not the measure: on an idle machine the whole test takes ~20 s.
DEADLINE_SECONDS = 120
TIMEOUT = """
    <bpmn:boundaryEvent id="too_late" name="Quá hạn nộp hồ sơ" attachedToRef="prepare_dossier">
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT1S"</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f_too_late" sourceRef="too_late" targetRef="end_withdrawn" />
    <bpmn:endEvent id="end_withdrawn" name="Hồ sơ không được nộp">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="outcome" value="withdrawn" />
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:endEvent>
  </bpmn:process>"""


@pytest.fixture
def own_database(tmp_path: Path) -> Iterator[str]:
    """A database of this test's own (the workers commit; nothing may leak to other tests):
    PostgreSQL when TEST_POSTGRES_URL is set (as on CI), else an SQLite file."""
    if "postgresql" not in BACKENDS:
        yield f"sqlite:///{tmp_path / 'workers.sqlite'}"
        return
    server = make_url(os.environ["TEST_POSTGRES_URL"])
    name = f"awards_workers_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _user(session, username: str):
    user = session.scalars(select(User).filter_by(username=username)).one()
    return actor_for_user(session, user)


def _prepare(url: str, tmp_path: Path) -> Flask:
    """Migrate, seed, deploy a version whose first step times out after 1 s, start one dossier
    and copy it until DOSSIERS dossiers wait with a due timer."""
    settings = config.TestingConfig()
    settings.DATABASE_URL = url
    settings.UPLOAD_DIR = tmp_path / "uploads"
    app = create_app(settings)
    upgrade_database(app)
    with database(app).transaction() as session:
        seeding.seed_demo(session, Path(settings.BPMN_DIR), settings.PROCESS_KEY)
        admin = _user(session, "admin")
        bpmn, files = process_versions.read_bundle_dir(ROOT / "bpmn", "award_nomination")
        version = process_versions.create_version(
            session, admin, "award_nomination", bpmn.replace("  </bpmn:process>", TIMEOUT), files
        )
        process_versions.deploy_version(session, admin, "award_nomination", version.version)
        first = dossiers.start_dossier(
            session,
            _user(session, "canbo_ns"),
            {
                "title": "Hồ sơ 0",
                "award_form": "bk_btc",
                "track": "ad_hoc",
                "procedure": "regular",
                "nominees": [{"kind": "individual", "name": "Nguyễn Văn A"}],
            },
        )
        template = session.scalars(select(ProcessInstance).filter_by(dossier_id=first.id)).one()
        due = utcnow() - timedelta(minutes=1)
        template.next_timer_at = due
        for n in range(1, DOSSIERS):
            copy = Dossier(
                code=f"TIMER-{n:04d}",
                title=f"Hồ sơ {n}",
                award_form=first.award_form,
                track=first.track,
                procedure=first.procedure,
                status=first.status,
                unit_id=first.unit_id,
                created_by_id=first.created_by_id,
                search_text="",
            )
            session.add(copy)
            session.flush()
            session.add(
                ProcessInstance(
                    dossier_id=copy.id,
                    version_id=template.version_id,
                    state=template.state,
                    serializer_version=template.serializer_version,
                    revision=1,
                    status="running",
                    next_timer_at=due,
                )
            )
    return app


def _worker(url: str, queue: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "APP_ENV": "testing",
        "DATABASE_URL": url,
        "JOBS_URL": f"sqlite:///{queue}",
        "JOBS_TIMER_BATCH": "5",
        "FLASK_APP": "wsgi",
        "PYTHONUNBUFFERED": "1",
    }
    flask = Path(sys.executable).parent / "flask"
    with log.open("wb") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(  # noqa: S603 - our own command
            [str(flask), "jobs-worker"], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )


def test_two_workers_fire_each_timer_once_and_a_killed_worker_loses_none(own_database, tmp_path):
    app = _prepare(own_database, tmp_path)
    db = database(app)
    with db.transaction(write=False) as session:
        before = dict(session.execute(select(ProcessInstance.id, ProcessInstance.revision)).all())

    def count(query) -> int:
        with db.transaction(write=False) as session:
            return int(session.scalar(query) or 0)

    fired = select(func.count()).select_from(Event).where(Event.step == "too_late")
    running = (
        select(func.count()).select_from(ProcessInstance).where(ProcessInstance.status == "running")
    )
    queue = tmp_path / "jobs.sqlite"
    first = _worker(own_database, queue, tmp_path / "worker-1.log")
    second = _worker(own_database, queue, tmp_path / "worker-2.log")
    try:
        started = time.monotonic()
        while count(fired) < DOSSIERS // 10:
            assert time.monotonic() - started < DEADLINE_SECONDS, f"nothing fired; {tmp_path}"
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert count(fired) < DOSSIERS, "the pass ended before the worker was killed"
        # The killed worker's transaction rolled back: the other worker's pass, still going,
        # finds that batch due again and takes it.
        while (left := count(running)) > 0:
            assert time.monotonic() - started < DEADLINE_SECONDS, (
                f"{left} timer(s) still due; worker logs in {tmp_path}"
            )
            time.sleep(0.1)
    finally:
        for worker in (first, second):
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in (first, second):
            try:
                worker.wait(15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()

    with db.transaction(write=False) as session:
        per_dossier = dict(
            session.execute(
                select(Event.dossier_id, func.count())
                .where(Event.step == "too_late")
                .group_by(Event.dossier_id)
            ).all()
        )
        ended = session.scalar(
            select(func.count()).select_from(Event).where(Event.step == "end_withdrawn")
        )
        withdrawn = session.scalar(
            select(func.count()).select_from(Dossier).where(Dossier.status == "withdrawn")
        )
        after = dict(session.execute(select(ProcessInstance.id, ProcessInstance.revision)).all())
    db.dispose()
    assert len(per_dossier) == DOSSIERS
    assert set(per_dossier.values()) == {1}
    assert ended == DOSSIERS
    assert withdrawn == DOSSIERS
    assert after == {i: revision + 1 for i, revision in before.items()}  # saved once each
