"""`python -m bench.moves`: move 100 running dossiers waiting at check_dossier to a new version.

The new version is the shipped diagram with a deputy director's review added
(tests/workflows/variants.with_deputy_review, lane role `deputy_director`), deployed. The
dossiers are driven to check_dossier through the services; then the dry run, the move and the
undo are timed twice: through the services (one transaction each, as the page commits once),
and through the moves page (Flask's test client, CSRF and HTML included). After each step the
script checks what it promised: every dossier can move, every dossier moved (its process
instance on the new version, a `moved` history event of the batch), every dossier is back (a
`move_undone` event). Target: each step under 10 s.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from bench.environment import BenchApp, postgres_app, sqlite_app
from bench.pages import CSRF, logged_in
from bench.path import UNITS, start_payload, to_council
from bench.service_layer import ServiceLayer
from bench.stats import Samples
from tests.workflows.variants import with_deputy_review
from webapp.models import Event, ProcessInstance, ProcessVersion, Role
from webapp.services import process_versions, version_moves
from webapp.services.seeding import ensure_roles

KEY = "award_nomination"
STEP = "check_dossier"
# The page asks why dossiers move (the reason goes into each dossier's history).
REASON = "Bổ sung bước xem xét của Phó Giám đốc"
TARGET_S = 10.0
RESULTS = Path(__file__).resolve().parent / "results" / "moves.json"
BPMN_DIR = Path(__file__).resolve().parents[1] / "bpmn"


def prepare(bench: BenchApp, count: int) -> tuple[list[int], int]:
    """`count` dossiers waiting at check_dossier on version 1, and version 2 deployed."""
    services = ServiceLayer(bench.db, Samples(), prefix="prepare")
    units = list(UNITS)
    ids = []
    for i in range(count):
        unit = units[i % len(units)]
        started = services.start(UNITS[unit][0], start_payload(unit))
        services.run(started.dossier_id, to_council(unit)[:2])
        ids.append(started.dossier_id)
    with bench.db.transaction() as session:
        ensure_roles(session)
        if session.get(Role, "deputy_director") is None:
            session.add(Role(code="deputy_director", name="Phó Giám đốc Sở"))
            session.flush()
        _xml, files = process_versions.read_bundle_dir(BPMN_DIR, KEY)
        admin = services.actors["admin"]
        version = process_versions.create_version(
            session, admin, KEY, with_deputy_review().decode(), files
        )
        assert version.problems == [], version.problems
        process_versions.deploy_version(session, admin, KEY, version.version)
        number = version.version
    return ids, number


def versions_of(bench: BenchApp, ids: list[int]) -> dict[int, int]:
    """dossier id -> the version number it runs on."""
    with bench.db.transaction(write=False) as session:
        rows = session.execute(
            select(ProcessInstance.dossier_id, ProcessVersion.version)
            .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
            .where(ProcessInstance.dossier_id.in_(ids))
        ).all()
    return {int(dossier_id): int(number) for dossier_id, number in rows}


def event_count(bench: BenchApp, ids: list[int], action: str, batch: str) -> int:
    """How many of the dossiers have an `action` history event of this batch."""
    with bench.db.transaction(write=False) as session:
        rows = session.execute(
            select(Event.dossier_id, Event.data).where(
                Event.action == action, Event.dossier_id.in_(ids)
            )
        ).all()
    return len({dossier_id for dossier_id, data in rows if (data or {}).get("batch") == batch})


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = call()
    return time.perf_counter() - began, result


class Check:
    """Collects what the run promised and whether it held."""

    def __init__(self) -> None:
        self.failures: list[str] = []

    def __call__(self, ok: bool, what: str) -> None:
        print(f"    {'ok ' if ok else 'FAIL'} {what}")
        if not ok:
            self.failures.append(what)


def through_services(
    bench: BenchApp, ids: list[int], number: int, check: Check
) -> dict[str, float]:
    """Dry run, move and undo as the page's view calls them, one transaction each."""
    admin = ServiceLayer(bench.db, Samples()).actors["admin"]
    times: dict[str, float] = {}

    session = bench.db.session(write=False)
    try:
        times["dry_run"], previews = timed(
            lambda: version_moves.preview_move(session, admin, KEY, 1, number, step=STEP)
        )
    finally:
        session.rollback()
        session.close()
    check(
        sorted(p.dossier_id for p in previews) == sorted(ids)
        and all(p.can_move and p.after == [STEP] for p in previews),
        f"dry run: all {len(ids)} dossiers can move and will wait at {STEP}",
    )

    def move() -> version_moves.MoveResult:
        with bench.db.transaction() as session:
            return version_moves.move_dossiers(
                session, admin, KEY, 1, number, step=STEP, reason=REASON
            )

    times["move"], result = timed(move)
    check(sorted(result.moved) == sorted(ids), f"move: {len(result.moved)} dossiers moved")
    check(set(versions_of(bench, ids).values()) == {number}, f"move: all on version {number}")
    check(
        event_count(bench, ids, "moved", result.batch) == len(ids),
        "move: each dossier has a 'moved' history event of the batch",
    )

    def undo() -> version_moves.MoveResult:
        with bench.db.transaction() as session:
            return version_moves.undo_move(session, admin, result.batch)

    times["undo"], undone = timed(undo)
    check(sorted(undone.moved) == sorted(ids), f"undo: {len(undone.moved)} dossiers back")
    check(set(versions_of(bench, ids).values()) == {1}, "undo: all back on version 1")
    check(
        event_count(bench, ids, "move_undone", result.batch) == len(ids),
        "undo: each dossier has a 'move_undone' history event of the batch",
    )
    return times


def _post(client: FlaskClient, url: str, data: dict[str, str]) -> Any:
    page = client.get(url).get_data(as_text=True)
    token = CSRF.search(page)
    assert token, f"no CSRF token on {url}"
    return client.post(url, data={"csrf_token": token.group(1), **data})


def through_pages(bench: BenchApp, ids: list[int], number: int, check: Check) -> dict[str, float]:
    """The same three steps through the moves page, as the administrator clicks them."""
    client = logged_in(bench.app.test_client(), "admin")
    url = f"/admin/processes/{KEY}/moves"
    form = {"from": "1", "to": str(number), "select": "step", "step": STEP}
    times: dict[str, float] = {}
    # The GET that fetches the CSRF token is not part of the timed click.
    token = CSRF.search(client.get(url).get_data(as_text=True))
    assert token
    csrf = {"csrf_token": token.group(1)}

    times["dry_run"], response = timed(
        lambda: client.post(url, data={**csrf, **form, "action": "preview"})
    )
    movable = response.get_data(as_text=True).count('data-can-move="yes"')
    check(
        response.status_code == 200 and movable == len(ids),
        f"dry run page: {movable} dossiers can move",
    )

    times["move"], response = timed(
        lambda: client.post(url, data={**csrf, **form, "action": "move", "reason": REASON})
    )
    batch_match = re.search(r'id="move-batch">([0-9a-f-]+)<', response.get_data(as_text=True))
    check(response.status_code == 200 and batch_match is not None, "move page: a batch id shown")
    batch = batch_match.group(1) if batch_match else ""
    check(set(versions_of(bench, ids).values()) == {number}, f"move page: all on version {number}")
    check(
        event_count(bench, ids, "moved", batch) == len(ids),
        "move page: each dossier has a 'moved' history event of the batch",
    )

    times["undo"], response = timed(lambda: client.post(f"{url}/{batch}/undo", data=csrf))
    check(response.status_code == 302, "undo page: redirected back to the moves page")
    check(set(versions_of(bench, ids).values()) == {1}, "undo page: all back on version 1")
    check(
        event_count(bench, ids, "move_undone", batch) == len(ids),
        "undo page: each dossier has a 'move_undone' history event of the batch",
    )
    return times


def main(argv: list[str] | None = None) -> None:
    """Prepare, time dry run / move / undo through the services and the page, print, save."""
    parser = argparse.ArgumentParser(prog="python -m bench.moves", description=__doc__)
    parser.add_argument("--dossiers", type=int, default=100)
    parser.add_argument(
        "--postgres", metavar="URL", help="a PostgreSQL server to run on instead of SQLite"
    )
    args = parser.parse_args(argv)
    check = Check()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="award-bench-moves-") as tmp:
        environment: AbstractContextManager[BenchApp] = (
            postgres_app(args.postgres, Path(tmp)) if args.postgres else sqlite_app(Path(tmp))
        )
        with environment as bench:
            began = time.perf_counter()
            ids, number = prepare(bench, args.dossiers)
            print(
                f"{len(ids)} dossiers waiting at {STEP} on version 1, version {number} deployed "
                f"({bench.backend}, {time.perf_counter() - began:.1f} s to prepare)"
            )
            print("  through the services:")
            results["services"] = through_services(bench, ids, number, check)
            print("  through the moves page:")
            results["pages"] = through_pages(bench, ids, number, check)
            backend = bench.backend
    print(
        f"\n  {'layer':<10} {'dry run s':>10} {'move s':>8} {'undo s':>8}"
        f"  target < {TARGET_S:.0f} s"
    )
    missed = False
    for layer, times in results.items():
        slow = any(t >= TARGET_S for t in times.values())
        missed = missed or slow
        print(
            f"  {layer:<10} {times['dry_run']:>10.2f} {times['move']:>8.2f} {times['undo']:>8.2f}"
            f"  {'MISSED' if slow else 'ok'}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "dossiers": args.dossiers,
                "backend": backend,
                "target_s": TARGET_S,
                "seconds": {k: {n: round(t, 3) for n, t in v.items()} for k, v in results.items()},
                "failures": check.failures,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS}")
    if missed or check.failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
