"""`make bench`, rounds: one round of 500 nominees from 30 units, timed where the Office and the
council wait on it: closing intake, compiling the lists, recording the conclusion (the tally the
council session hands over) and the Director's last signature, which fans the results back out
to every dossier (30 messages delivered in that one transaction).

Run alone with `python -m bench.rounds` (a fresh SQLite database; PostgreSQL as well when
BENCH_POSTGRES_URL is set). Target: each timed step under 2 s.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench.environment import BenchApp, postgres_app, sqlite_app
from webapp.db import Database, utcnow
from webapp.models import Dossier, OrgUnit, RoleAssignment, Round, RoundEntry, User, WorkItem
from webapp.permissions import Actor
from webapp.services import council_session, work_items
from webapp.services.actors import actor_for_user
from webapp.services.ballot_box import round_subject
from webapp.services.rounds import lifecycle, movements, round_council, steps

UNITS = 30
NOMINEES = 500
TARGET_S = 2.0
RESULTS = Path(__file__).resolve().parent / "results" / "rounds.json"
FORMS = ("bk_btc", "bk_ttg")


def _units_and_officers(db: Database) -> list[str]:
    """30 divisions under the Bắc Ninh department, each with an officer who is also its head."""
    names = []
    with db.transaction() as session:
        department = session.scalars(select(OrgUnit).where(OrgUnit.code == "BN")).one()
        password = session.scalars(select(User.password_hash)).first()
        for i in range(UNITS):
            unit = OrgUnit(code=f"BN-P{i:02d}", name=f"Phòng {i + 1:02d}", kind="division")
            unit.parent = department
            session.add(unit)
            session.flush()
            user = User(
                username=f"bench_unit_{i:02d}",
                full_name=f"Cán bộ phòng {i + 1:02d}",
                unit_id=unit.id,
                password_hash=password or "x",
                email=f"bench_unit_{i:02d}@example.invalid",
            )
            session.add(user)
            session.flush()
            for role in ("unit_officer", "unit_head"):
                session.add(RoleAssignment(user_id=user.id, role=role, unit_id=unit.id))
            names.append(user.username)
    return names


def _actor(db: Database, username: str) -> Actor:
    with db.transaction(write=False) as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        return actor_for_user(session, user)


def _complete(db: Database, actor: Actor, dossier_id: int, step: str, data: dict[str, Any]) -> None:
    with db.transaction() as session:
        item_id = session.scalars(
            select(WorkItem.id).where(
                WorkItem.dossier_id == dossier_id, WorkItem.step == step, WorkItem.status == "open"
            )
        ).one()
        work_items.complete_work_item(session, actor, item_id, data)


@contextmanager
def _timed(timings: dict[str, float], name: str) -> Iterator[None]:
    began = time.perf_counter()
    yield
    timings[name] = time.perf_counter() - began


def run(bench: BenchApp) -> dict[str, Any]:
    """Build the round (not timed), then time its four heavy steps."""
    db = bench.db
    officers = _units_and_officers(db)
    office = _actor(db, "vanphong")
    chair = _actor(db, "giamdoc")
    with db.transaction() as session:
        movement = movements.create_movement(
            session, office, {"code": "BENCH-ROUND", "name": "Tổng kết phong trào (bench)"}
        )
        round_id = lifecycle.open_round(
            session,
            office,
            {
                "name": "Tổng kết (bench)",
                "movement_id": movement.id,
                "kind": "tong_ket",
                "award_forms": list(FORMS),
                "intake_deadline": (utcnow() + timedelta(days=1)).isoformat(),
            },
        ).id
    began = time.perf_counter()
    per_unit, extra = divmod(NOMINEES, UNITS)
    for i, username in enumerate(officers):
        actor = _actor(db, username)
        count = per_unit + (1 if i < extra else 0)
        with db.transaction() as session:
            dossier = lifecycle.join_round(
                session,
                actor,
                round_id,
                {
                    "title": f"Đề nghị khen thưởng tổng kết của phòng {i + 1:02d}",
                    "award_form": FORMS[i % len(FORMS)],
                    "track": "final",
                    "procedure": "regular",
                    "nominees": [
                        {"kind": "individual", "name": f"Nguyễn Văn {i:02d}-{n:02d}"}
                        for n in range(count)
                    ],
                },
            )
            dossier_id = dossier.id
        _complete(db, actor, dossier_id, "prepare_dossier", {"decision": "submit"})
        _complete(db, actor, dossier_id, "approve_at_unit", {"decision": "approve"})
        _complete(db, office, dossier_id, "check_dossier", {"decision": "approve"})
    setup = time.perf_counter() - began

    timings: dict[str, float] = {}
    with _timed(timings, "close_intake"), db.transaction() as session:
        steps.close_intake(session, office, round_id)
    with _timed(timings, "compile_lists"), db.transaction() as session:
        lists = steps.compile_lists(session, office, round_id)
        listed = sum(len(items) for items in lists.values())
        # Every fifth nominee of a list gets no agreement and fails; the others pass.
        choices = {
            str(item.nominee_id): "agree" if item.position % 5 else "disagree"
            for items in lists.values()
            for item in items
        }
    with db.transaction(write=False) as session:
        council = council_session.latest_session(session, round_subject(round_id))
        assert council is not None
        members = list((council.minutes or {}).get("members") or [])
    # The council votes on the whole list; the last ballot lets the engine tally every nominee.
    for member in members[:-1]:
        voter = _actor(db, member)
        with db.transaction() as session:
            round_council.cast_ballot(session, voter, round_id, {"votes": choices})
    last_voter = _actor(db, members[-1])
    with _timed(timings, "last_ballot_tally"), db.transaction() as session:
        round_council.cast_ballot(session, last_voter, round_id, {"votes": choices})
    with _timed(timings, "record_conclusion"), db.transaction() as session:
        steps.record_conclusion(session, chair, round_id)
    first, last = FORMS
    with db.transaction() as session:
        steps.sign_submission(
            session,
            chair,
            round_id,
            first,
            {"submission_number": "1/TTr-STC", "submission_date": "2026-12-06"},
        )
    with _timed(timings, "fan_out_results"), db.transaction() as session:
        steps.sign_submission(
            session,
            chair,
            round_id,
            last,
            {"submission_number": "2/TTr-STC", "submission_date": "2026-12-06"},
        )
    with db.transaction(write=False) as session:
        received = len(
            session.scalars(
                select(RoundEntry).where(
                    RoundEntry.round_id == round_id, RoundEntry.status == "received"
                )
            ).all()
        )
        decided = session.scalars(
            select(Dossier)
            .join(RoundEntry, RoundEntry.dossier_id == Dossier.id)
            .where(RoundEntry.round_id == round_id)
        ).all()
        results_back = sum(
            1 for d in decided for n in d.nominees if n.result in {"passed", "failed"}
        )
        status = session.get_one(Round, round_id).status
    return {
        "backend": bench.backend,
        "units": UNITS,
        "dossiers_received": received,
        "nominees_listed": listed,
        "nominee_results_back": results_back,
        "round_status": status,
        "setup_seconds": round(setup, 1),
        "seconds": {name: round(value, 3) for name, value in timings.items()},
        "target_seconds": TARGET_S,
        "within_target": all(value < TARGET_S for value in timings.values()),
    }


def main() -> None:
    """Run on SQLite (and PostgreSQL when BENCH_POSTGRES_URL is set); print; save."""
    backends: list[Callable[[Path], AbstractContextManager[BenchApp]]] = [sqlite_app]
    postgres_url = os.environ.get("BENCH_POSTGRES_URL")
    if postgres_url:
        backends.append(lambda tmp: postgres_app(postgres_url, tmp))
    reports = []
    with tempfile.TemporaryDirectory(prefix="award-bench-rounds-") as tmp:
        for opener in backends:
            with opener(Path(tmp)) as bench:
                print(f"\n[{bench.backend}] a round of {NOMINEES} nominees from {UNITS} units…")
                report = run(bench)
            reports.append(report)
            for name, seconds in report["seconds"].items():
                mark = "ok" if seconds < TARGET_S else "OVER"
                print(f"  {name:<20} {seconds * 1000:8.0f} ms  (target < {TARGET_S:.0f} s) {mark}")
            print(
                f"  {report['dossiers_received']} dossiers received, {report['nominees_listed']} "
                f"nominees listed, {report['nominee_results_back']} results back; "
                f"setup {report['setup_seconds']} s"
            )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(reports, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
