"""A web worker warms up before its first request (webapp/warm_up.py, gunicorn.conf.py): the
holiday calendar imported, every deployed process parsed, every template compiled; a part that
cannot finish (no database yet) leaves the worker starting all the same."""

from __future__ import annotations

import json
import logging
import runpy
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from flask import Flask
from sqlalchemy import select

from webapp.models import ProcessVersion
from webapp.request_db import database

ROOT = Path(__file__).resolve().parents[2]

# In a fresh interpreter, as a gunicorn worker starts: what is loaded before and after.
_FRESH_WORKER = """
import json, sys
from pathlib import Path
import config
from webapp import create_app
from webapp.services import calendar, process_versions
from webapp.warm_up import warm_up

settings = config.TestingConfig()
settings.DATABASE_URL = sys.argv[1]
settings.UPLOAD_DIR = Path(sys.argv[2])
app = create_app(settings)

def loaded():
    return {
        "vietnam": "holidays.countries.vietnam" in sys.modules,
        "holiday_years": calendar.public_holidays.cache_info().currsize,
        "versions": sorted(process_versions._cache),
        "templates": len(app.jinja_env.cache or {}),
    }

before = loaded()
done = warm_up(app)
print(json.dumps({"before": before, "done": done, "after": loaded(),
                  "shipped": len(app.jinja_env.list_templates(extensions=("html", "txt")))}))
"""


def _fresh_worker(app: Flask) -> dict:
    out = subprocess.run(  # noqa: S603 - this test's own program
        [
            sys.executable,
            "-c",
            _FRESH_WORKER,
            app.config["DATABASE_URL"],
            str(app.config["UPLOAD_DIR"]),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    return json.loads(out.stdout.splitlines()[-1])


def test_a_fresh_worker_has_everything_loaded_after_its_warm_up(app):
    with database(app).transaction() as session:
        deployed = sorted(
            session.scalars(select(ProcessVersion.id).where(ProcessVersion.status == "deployed"))
        )
    assert deployed
    seen = _fresh_worker(app)
    # Nothing of it was there before (the first request used to pay for it).
    assert seen["before"] == {"vietnam": False, "holiday_years": 0, "versions": [], "templates": 0}
    assert set(seen["done"]) == {"holidays", "processes", "templates"}
    after = seen["after"]
    assert after["vietnam"] is True
    assert after["holiday_years"] == 2  # this year and the next
    assert after["versions"] == deployed
    assert after["templates"] == seen["shipped"] > 50


def test_a_part_that_fails_is_left_to_the_first_request(tmp_path, caplog):
    import config
    from webapp import create_app
    from webapp.warm_up import warm_up

    settings = config.TestingConfig()
    # No database behind this address: the processes cannot be read yet.
    settings.DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2"
    settings.UPLOAD_DIR = tmp_path
    app = create_app(settings)
    with caplog.at_level(logging.WARNING, logger="webapp.warm_up"):
        done = warm_up(app)
    assert set(done) == {"holidays", "templates"}
    assert "warm-up of processes left to the first request" in caplog.text


def test_gunicorn_warms_each_worker_before_starting_its_job_queue(app, monkeypatch):
    from webapp.jobs import gunicorn_hooks
    from webapp.services import process_versions

    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    started = []
    monkeypatch.setattr(
        gunicorn_hooks,
        "post_worker_init",
        lambda worker: started.append(set(process_versions._cache)),
    )
    process_versions._cache.clear()
    logged = []
    worker = SimpleNamespace(wsgi=app, log=SimpleNamespace(info=lambda *a: logged.append(a)))
    settings["post_worker_init"](worker)
    # The job queue started after the warm-up: the deployed versions were parsed by then.
    assert len(started) == 1
    assert started[0]
    assert "warmed up" in logged[0][0]
    assert set(logged[0][2]) == {"holidays", "processes", "templates"}
