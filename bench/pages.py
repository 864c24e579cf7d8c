"""`make bench-pages`: server time of every page with 10,000 dossiers in the database.

The app answers through Flask's test client in this process, so the figures are the app's own
time (routing, queries, templates), without the network. Each page is requested many times as
the user who normally opens it; median and 95th percentile are printed against the page's
target: p95 under 200 ms, and under 100 ms for the tracking list, its search and the process
map. Runs on SQLite, and on PostgreSQL when BENCH_POSTGRES_URL is set (--backends chooses; the
database is chosen as for `bench.run`). Writes bench/results/pages.json (--output) and exits
with status 1, naming each miss, when a page misses its target or answers an error.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from bench.environment import (
    add_backend_options,
    check_backends,
    open_backend,
    resolve_backends,
)
from bench.prefill import STATES, prefill
from bench.service_layer import ServiceLayer
from bench.stats import Samples, missed
from webapp.models import Dossier, User, WorkItem

TARGET_MS = 200.0
# The pages the issue holds to a tighter p95 than TARGET_MS.
PAGE_TARGETS_MS = {
    "tracking": 100.0,
    "tracking_search": 100.0,
    "process_map": 100.0,
    "process_map_json": 100.0,
}
MIN_DOSSIERS = len(STATES) * 2
RESULTS = Path(__file__).resolve().parent / "results" / "pages.json"
CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


def logged_in(client: FlaskClient, username: str) -> FlaskClient:
    """Log a test client in through the login form."""
    page = client.get("/login").get_data(as_text=True)
    token = CSRF.search(page)
    assert token, "no CSRF token on the login page"
    response = client.post(
        "/login", data={"csrf_token": token.group(1), "username": username, "password": "demo"}
    )
    assert response.status_code == 302, response.status_code
    return client


def _page_list(app: Any) -> list[tuple[str, str, str]]:
    """(name, user, url) of every page, with ids picked from the prefilled data."""
    from webapp.request_db import database

    session = database(app).session()
    try:
        office_id = session.scalar(select(User.id).where(User.username == "vanphong"))
        check_item = session.scalar(
            select(WorkItem.id).where(WorkItem.step == "check_dossier", WorkItem.status == "open")
        )
        vote = session.execute(
            select(WorkItem.id, User.username)
            .join(User, User.id == WorkItem.assignee_id)
            .where(WorkItem.step == "council_vote", WorkItem.status == "open")
        ).first()
        assert vote is not None
        vote_item, voter = vote
        prepare_item = session.scalar(
            select(WorkItem.id).where(WorkItem.step == "prepare_dossier", WorkItem.status == "open")
        )
        busy = session.scalar(
            select(Dossier.id).where(Dossier.status == "awarded").order_by(Dossier.id.desc())
        )
        assert office_id
        assert check_item
        assert vote_item
        assert prepare_item
        assert busy
    finally:
        session.close()
    return [
        ("login", "", "/login"),
        ("inbox", "vanphong", "/work"),
        ("inbox_by_due", "vanphong", "/work?order=due"),
        ("work_item_check", "vanphong", f"/work/{check_item}"),
        ("work_item_vote", voter, f"/work/{vote_item}"),
        ("work_item_prepare", "canbo_ns", f"/work/{prepare_item}"),
        ("tracking", "vanphong", "/dossiers"),
        ("tracking_search", "vanphong", "/dossiers?q=nguyen+thi+hang"),
        ("tracking_filtered", "vanphong", "/dossiers?status=in_progress&overdue=true"),
        ("tracking_csv", "vanphong", "/dossiers.csv"),
        ("dossier_page", "vanphong", f"/dossiers/{busy}"),
        ("dossier_diagram_json", "vanphong", f"/dossiers/{busy}/diagram.json"),
        ("new_dossier", "canbo_ns", "/dossiers/new"),
        ("process_map", "vanphong", "/process-map"),
        ("process_map_json", "vanphong", "/process-map/data.json"),
        ("healthz", "", "/healthz"),
    ]


def measure(app: Any, rounds: int) -> tuple[Samples, dict[str, int]]:
    """Time every page `rounds` times (after one warm-up request each)."""
    samples = Samples()
    statuses: dict[str, int] = {}
    clients: dict[str, FlaskClient] = {}
    pages = _page_list(app)
    for name, user, url in pages:
        if user not in clients:
            client = app.test_client()
            clients[user] = logged_in(client, user) if user else client
        client = clients[user]
        statuses[name] = client.get(url).status_code
        request: Callable[[], Any] = lambda c=client, u=url: c.get(u)  # noqa: E731
        for _ in range(rounds):
            began = time.perf_counter()
            request()
            samples.add(name, (time.perf_counter() - began) * 1000)
    return samples, statuses


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options; the defaults are what `make bench-pages` runs."""
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__)
    parser.add_argument("--dossiers", type=int, default=10_000, help="dossiers to prefill")
    parser.add_argument("--rounds", type=int, default=30, help="timed requests per page")
    parser.add_argument(
        "--target-ms",
        type=float,
        default=None,
        metavar="MS",
        help=f"one p95 target for every page instead of {TARGET_MS:g} ms "
        f"({PAGE_TARGETS_MS['tracking']:g} ms for {', '.join(PAGE_TARGETS_MS)})",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON")
    add_backend_options(parser)
    args = parser.parse_args(argv)
    if args.dossiers < MIN_DOSSIERS:
        parser.error(f"--dossiers must be at least {MIN_DOSSIERS} (two of each state)")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.target_ms is not None and not args.target_ms > 0:
        parser.error("--target-ms must be positive")
    resolve_backends(parser, args)
    return args


def target_of(page: str, override: float | None = None) -> float:
    """The p95 target of `page` in ms (`override` for every page when given)."""
    if override is not None:
        return override
    return PAGE_TARGETS_MS.get(page, TARGET_MS)


def missed_pages(documents: list[dict[str, Any]]) -> list[str]:
    """One line per page that missed its p95 target or answered an error, on every backend."""
    lines = []
    for document in documents:
        pages: dict[str, Any] = document["pages"]
        figures = {n: p["p95_ms"] if p["status"] < 400 else None for n, p in pages.items()}
        for name in missed(figures, {n: p["target_ms"] for n, p in pages.items()}):
            page = pages[name]
            figure = (
                f"answered HTTP {page['status']}"
                if page["status"] >= 400
                else f"p95 {page['p95_ms']:.2f} ms"
            )
            lines.append(
                f"MISSED [{document['backend']}, {document['dossiers']:,} dossiers] "
                f"{name}: {figure}, target p95 < {page['target_ms']:g} ms"
            )
    return lines


def run_backend(name: str, work_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Prefill one backend, time its pages, print the table; the backend's JSON document."""
    with open_backend(name, work_dir, args) as bench:
        report = prefill(
            bench.db, ServiceLayer(bench.db, Samples(), prefix="prefill"), args.dossiers
        )
        bench.db.optimize()
        print(f"[{name}] {report.dossiers:,} dossiers; timing each page {args.rounds} times…")
        samples, statuses = measure(bench.app, args.rounds)
    print(f"\n[{name}] server time per page:")
    print(f"  {'page':<24} {'status':>6} {'median ms':>10} {'p95 ms':>9}  target")
    pages: dict[str, Any] = {}
    for page, status in statuses.items():
        summary = samples.summary(page)
        target = target_of(page, args.target_ms)
        met = not missed({page: summary.p95_ms if status < 400 else None}, {page: target})
        print(
            f"  {page:<24} {status:>6} {summary.median_ms:>10.2f} {summary.p95_ms:>9.2f}  "
            f"< {target:g} {'ok' if met else 'MISSED'}"
        )
        pages[page] = {
            "status": status,
            "median_ms": round(summary.median_ms, 2),
            "p95_ms": round(summary.p95_ms, 2),
            "target_ms": target,
            "met": met,
        }
    worst = max(pages, key=lambda p: pages[p]["p95_ms"])
    print(f"\n[{name}] slowest p95: {worst}, {pages[worst]['p95_ms']:.1f} ms")
    return {"backend": name, "dossiers": report.dossiers, "pages": pages}


def main(argv: list[str] | None = None) -> int:
    """Prefill, time the pages, print the tables, write the JSON; 1 when a target is missed."""
    args = parse_args(argv)
    check_backends(args)
    began = time.perf_counter()
    documents = []
    with tempfile.TemporaryDirectory(prefix="award-bench-pages-") as tmp:
        for name in args.backends:
            documents.append(run_backend(name, Path(tmp), args))
    misses = missed_pages(documents)
    first = documents[0]
    document: dict[str, Any] = {
        "pages": first["pages"],
        "dossiers": first["dossiers"],
        "backend": first["backend"],
        "target_ms": TARGET_MS if args.target_ms is None else args.target_ms,
    }
    for extra in documents[1:]:
        document[extra["backend"]] = extra
    document["missed"] = misses
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwrote {args.output} in {time.perf_counter() - began:.0f} s in all")
    for line in misses:
        print(line)
    if misses:
        print(f"{len(misses)} target{'s' if len(misses) > 1 else ''} missed: exit status 1")
        return 1
    print("every page met its target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
