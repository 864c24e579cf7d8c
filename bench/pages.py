"""`make bench-pages`: server time of every page with 10,000 dossiers in the database.

The app answers through Flask's test client in this process, so the figures are the app's own
time (routing, queries, templates), without the network. Each page is requested many times as
the user who normally opens it; median and 95th percentile are printed against the 200 ms target.
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

from bench.environment import sqlite_app
from bench.prefill import prefill
from bench.service_layer import ServiceLayer
from bench.stats import Samples
from webapp.models import Dossier, User, WorkItem

TARGET_MS = 200.0
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


def main(argv: list[str] | None = None) -> None:
    """Prefill, time the pages, print the table, write bench/results/pages.json."""
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__)
    parser.add_argument("--dossiers", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args(argv)
    began = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="award-bench-pages-") as tmp,
        sqlite_app(Path(tmp)) as bench,
    ):
        report = prefill(
            bench.db, ServiceLayer(bench.db, Samples(), prefix="prefill"), args.dossiers
        )
        bench.db.optimize()
        print(f"{report.dossiers:,} dossiers; timing each page {args.rounds} times…")
        samples, statuses = measure(bench.app, args.rounds)
    print(f"\n  {'page':<24} {'status':>6} {'median ms':>10} {'p95 ms':>9}  target")
    results: dict[str, Any] = {}
    worst = 0.0
    for name, status in statuses.items():
        summary = samples.summary(name)
        verdict = "ok" if summary.p95_ms < TARGET_MS and status < 400 else "MISSED"
        worst = max(worst, summary.p95_ms)
        print(
            f"  {name:<24} {status:>6} {summary.median_ms:>10.2f} {summary.p95_ms:>9.2f}  {verdict}"
        )
        results[name] = {
            "status": status,
            "median_ms": round(summary.median_ms, 2),
            "p95_ms": round(summary.p95_ms, 2),
        }
    print(
        f"\nslowest p95: {worst:.1f} ms (target < {TARGET_MS:.0f} ms); "
        f"{time.perf_counter() - began:.0f} s in all"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps({"pages": results, "dossiers": args.dossiers, "target_ms": TARGET_MS}, indent=2)
        + "\n"
    )
    print(f"wrote {RESULTS}")
    if any(s >= 400 for s in statuses.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
