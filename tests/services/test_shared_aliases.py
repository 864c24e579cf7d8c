"""Statements built from the shared entity aliases compile when a worker's threads build them
at once: under load, an export answered 500 ("Can't determine which FROM clause to join from")
once in a few runs, when two threads used an alias for the first time together.

Each check runs in a fresh interpreter: in this one the aliases were used long ago.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

EVERY_ALIAS_FILLED = """
import importlib, json, pkgutil
from sqlalchemy import inspect
from sqlalchemy.orm.util import AliasedClass
import webapp

shared = {}
for module in pkgutil.walk_packages(webapp.__path__, "webapp."):
    loaded = importlib.import_module(module.name)
    for name, value in vars(loaded).items():
        if isinstance(value, AliasedClass):
            # What SQLAlchemy makes on first use, under the race (see shared_aliases): the
            # alias's column collection and each column's adapted attribute.
            columns = [c.key for c in inspect(value).mapper.column_attrs]
            shared[f"{module.name}.{name}"] = "_columns" in vars(
                inspect(value).selectable
            ) and all(key in vars(value) for key in columns)
print(json.dumps(shared))
"""

THREADS_AT_ONCE = """
import sys, threading
from sqlalchemy.dialects import postgresql
from webapp.models import WorkItem
from webapp.services import tracking_export

sys.setswitchinterval(1e-6)  # switch threads as often as possible: the race shows at once
barrier = threading.Barrier(32)
failures = []

def build_and_compile():
    barrier.wait()
    try:
        query = tracking_export.open_steps_query(WorkItem.dossier_id.in_([1, 2, 3]))
        query.compile(dialect=postgresql.dialect())
    except Exception as exc:
        failures.append(repr(exc))

threads = [threading.Thread(target=build_and_compile) for _ in range(32)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(repr(failures))
"""


def _fresh_python(script: str) -> str:
    done = subprocess.run(  # noqa: S603 - this interpreter, our own script
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def test_every_module_level_alias_has_its_columns_before_a_thread_shares_it():
    shared = json.loads(_fresh_python(EVERY_ALIAS_FILLED))
    # The export's, the inbox's, the dossier list's and the organisation tree's aliases.
    assert {
        "webapp.services.work_items.CLAIMER",
        "webapp.services.work_items.ASSIGNEE",
        "webapp.services.dossiers.OPEN_ITEM",
        "webapp.services.actors.CHILD_UNIT",
    } <= set(shared)
    assert [name for name, filled in shared.items() if not filled] == []


def test_threads_compile_the_exports_statement_at_once_in_a_fresh_worker():
    # Before the aliases were filled at import, 17 of 20 such runs failed (each failing one
    # had a thread or more refused); with the column collection alone filled, 1 of 60.
    for _run in range(3):
        assert _fresh_python(THREADS_AT_ONCE) == "[]"
