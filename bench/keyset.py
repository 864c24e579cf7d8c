"""Deep pages of the lists: by OFFSET and by cursor (keyset), and the plan each one gets.

    python -m bench.keyset [--dossiers 20000] [--rounds 20] [--backends sqlite,postgresql]

Prefills the dossiers, then times, through the services, the page that starts at 90 % of each
list (the tracking list in every sort, seen by the Office and by the Ministry; the Office's
inbox in both orders), once read with OFFSET and once after a cursor, and prints the medians
and the database's plan of the cursor query. A keyset page should cost about what the first
page costs, however deep it is.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, select

from bench.environment import add_backend_options, check_backends, open_backend, resolve_backends
from bench.prefill import prefill
from bench.service_layer import ServiceLayer
from bench.stats import Samples
from webapp.models import User
from webapp.services import dossiers, work_items
from webapp.services.actors import actor_for_user

PER_PAGE = 50
DEPTH = 0.9


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.keyset", description=__doc__)
    parser.add_argument("--dossiers", type=int, default=20_000, help="dossiers to prefill")
    parser.add_argument("--rounds", type=int, default=20, help="timed reads per page")
    add_backend_options(parser)
    args = parser.parse_args(argv)
    resolve_backends(parser, args)
    return args


def _median_ms(read: Callable[[], Any], rounds: int) -> float:
    read()  # warm the caches and the statement cache
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        read()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


@contextmanager
def _statements(engine: Any) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", keep)


def _plan(session: Any, statement: str, parameters: Any) -> str:
    sqlite = session.get_bind().dialect.name == "sqlite"
    prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
    connection = session.connection()
    rows = connection.exec_driver_sql(prefix + statement, parameters).all()
    return "\n".join(f"      {row[-1]}" for row in rows)


def run_backend(name: str, work_dir: Path, args: argparse.Namespace) -> None:
    with open_backend(name, work_dir, args) as bench:
        report = prefill(
            bench.db, ServiceLayer(bench.db, Samples(), prefix="prefill"), args.dossiers
        )
        bench.db.optimize()
        print(
            f"\n[{name}] {report.dossiers:,} dossiers; page of {PER_PAGE}, median of "
            f"{args.rounds} reads (ms)"
        )
        print(f"  {'list':<36} {'rows':>7} {'first':>7} {'offset':>8} {'cursor':>8}")
        with bench.db.transaction(write=False) as session:
            users = {u.username: u for u in session.scalars(select(User))}
            for username in ("vanphong", "chuyenvien_bo"):
                actor = actor_for_user(session, users[username])
                for sort in sorted(dossiers.SORTS):
                    _dossier_row(session, bench.db.engine, actor, username, sort, args)
            actor = actor_for_user(session, users["vanphong"])
            for order in work_items.ORDERS:
                _inbox_row(session, actor, order, args)


def _dossier_row(
    session: Any, engine: Any, actor: Any, username: str, sort: str, args: argparse.Namespace
) -> None:
    def read(**kwargs: Any) -> dossiers.DossierPage:
        return dossiers.list_dossiers(
            session, actor, sort=sort, per_page=PER_PAGE, total_bound=100, **kwargs
        )

    whole = dossiers.list_dossiers(session, actor, sort=sort, per_page=1, total_bound=10**9)
    page = max(int(whole.total * DEPTH) // PER_PAGE, 1)
    before = read(page=page - 1) if page > 1 else None
    cursor = before.next_cursor if before else None
    first = _median_ms(read, args.rounds)
    deep = _median_ms(lambda: read(page=page), args.rounds)
    keyed = _median_ms(lambda: read(cursor=cursor), args.rounds) if cursor else float("nan")
    label = f"dossiers {sort} ({username})"
    print(f"  {label:<36} {whole.total:>7} {first:>7.2f} {deep:>8.2f} {keyed:>8.2f}")
    if cursor and sort in ("-created", "code", "-status", "award_form"):
        with _statements(engine) as seen:
            read(cursor=cursor)
        # One query per slice of the order the page needed (keyset.ranges_after).
        for listing in [s for s in seen if "ORDER BY" in s[0] and "FROM dossier" in s[0]]:
            print(_plan(session, *listing))


def _inbox_row(session: Any, actor: Any, order: str, args: argparse.Namespace) -> None:
    rows = work_items.my_work_items(session, actor, order=order)
    depth = int(len(rows) * DEPTH)
    if depth < 1:
        print(f"  inbox {order}: {len(rows)} items, nothing deep to read")
        return
    cursor = work_items.inbox_cursor(order, rows[depth - 1])

    def read(**kwargs: Any) -> list[work_items.InboxRow]:
        return work_items.my_work_items(session, actor, order=order, limit=PER_PAGE, **kwargs)

    first = _median_ms(read, args.rounds)
    deep = _median_ms(lambda: read(offset=depth), args.rounds)
    keyed = _median_ms(lambda: read(cursor=cursor), args.rounds)
    assert read(offset=depth) == read(cursor=cursor)
    counted = _median_ms(
        lambda: work_items.count_my_work_items(session, actor, rows[0].created_at), args.rounds
    )
    label = f"inbox {order} (vanphong)"
    engine = session.get_bind()
    with _statements(engine) as seen:
        read(cursor=cursor)
    plans = [_plan(session, *statement) for statement in seen if "FROM work_item" in statement[0]]
    print(
        f"  {label:<36} {len(rows):>7} {first:>7.2f} {deep:>8.2f} {keyed:>8.2f}"
        f"   bounded count {counted:.2f}"
    )
    for plan in plans:
        print(plan)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    check_backends(args)
    with tempfile.TemporaryDirectory(prefix="award-bench-keyset-") as tmp:
        for name in args.backends:
            run_backend(name, Path(tmp), args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
