"""`make bench-load`: the application under concurrent users, in production shape, on loopback.

A throw-away PostgreSQL database (awards_load_<random>, on the server of BENCH_POSTGRES_URL,
dropped afterwards unless --keep) is migrated, seeded and filled with 100,000 dossiers and two
million history events (bench/prefill.py); one pass of the job queue catches up on what the
bulk load left its periodic jobs (as on a site that has been running), then, when the server's
autovacuum is off, VACUUM ANALYZE does what it would have done. gunicorn serves it with
4 workers on a free loopback port, configured as in production (gunicorn.conf.py,
APP_ENV=production), with the job queue's `flask jobs-worker` beside it (JOBS_EMBEDDED=0, as
production sets). Then two bounded runs of virtual users (bench/load_users.py: inbox, open an
item, complete it, search, open dossiers, the process map, export):

1. `--users` users (50) thinking `--think` seconds (1) between requests, for `--seconds`;
2. `--saturation-users` users (20) without think time, for `--saturation-seconds`: the
   throughput the machine saturates at.

It prints per kind of request the count, throughput, median, p95 and errors, and the total
throughput; then checks every dossier's rows against its engine state (services.consistency)
and prints how many disagree. The figures go to bench/results/load.json (--output). The exit
status is 1 when a request failed, a dossier is inconsistent or a target is missed: with think
time p95 under 300 ms for every kind, without it at least 150 requests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import URL, make_url

from bench.environment import build_app, kept_database, reused_app
from bench.load_users import KINDS, RunResult, run_users
from bench.prefill import STATES, prefill
from bench.server import Gunicorn, JobsWorker
from bench.service_layer import ServiceLayer
from bench.stats import Samples
from webapp.jobs.passes import run_pass
from webapp.models import Dossier, Event
from webapp.request_db import database
from webapp.services.consistency import find_inconsistent_dossiers

RESULTS = Path(__file__).resolve().parent / "results" / "load.json"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
THINK_P95_MS = 300.0
SATURATION_RPS = 150.0


# ----- the database -----------------------------------------------------------------------------


def server_url(raw: str) -> URL:
    """The server's URL with the psycopg driver (the app's)."""
    url = make_url(raw)
    if url.get_backend_name() != "postgresql":
        raise SystemExit(f"the load test runs on PostgreSQL, not {url.get_backend_name()}")
    return url.set(drivername="postgresql+psycopg")


@contextmanager
def throw_away_database(server: URL, keep: bool) -> Iterator[URL]:
    """A new database awards_load_<random> on `server`, dropped afterwards unless `keep`."""
    name = f"awards_load_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield server.set(database=name)
        finally:
            if keep:
                print(f"\nkept the database {name} (--keep); drop it with: DROP DATABASE {name}")
            else:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def fill(app: Flask, dossiers: int, events: int) -> dict[str, Any]:
    """Prefill `dossiers` dossiers and about `events` events; returns what it did."""
    db = database(app)
    print(f"prefilling {dossiers:,} dossiers and {events:,} events…", flush=True)
    report = prefill(db, ServiceLayer(db, Samples(), prefix="prefill"), dossiers, events)
    db.optimize()
    with db.engine.connect() as conn:
        counted_events = conn.scalar(select(func.count()).select_from(Event)) or 0
        size = conn.scalar(text("SELECT pg_database_size(current_database())"))
    print(
        f"{report.dossiers:,} dossiers, {counted_events:,} events: templates "
        f"{report.template_seconds:.1f} s, clones {report.clone_seconds:.1f} s, "
        f"database {size / 1e6:,.0f} MB",
        flush=True,
    )
    return {
        "dossiers": report.dossiers,
        "events": counted_events,
        "template_seconds": round(report.template_seconds, 1),
        "clone_seconds": round(report.clone_seconds, 1),
        "database_bytes": size,
        "rows": report.rows,
    }


def catch_up(app: Flask) -> dict[str, Any]:
    """One pass of the job queue before the users come, as on a site that has been running:
    after a bulk load its periodic jobs have everything to catch up on at once (a deadline
    notice for every overdue dossier, the process map's summary), and that burst in the
    first seconds of the think-time run was measured as the users' slowest requests."""
    began = time.perf_counter()
    report = run_pass(database(app))
    seconds = time.perf_counter() - began
    print(
        f"the job queue caught up in {seconds:.1f} s (periodic jobs: "
        f"{', '.join(sorted(report.jobs)) or 'none due'})",
        flush=True,
    )
    return {"seconds": round(seconds, 1), "jobs": sorted(report.jobs), "failed": report.failed}


def vacuum_when_autovacuum_is_off(url: URL) -> dict[str, Any]:
    """VACUUM ANALYZE before the users come when the server's autovacuum is off (as on this
    machine's CI configuration): a site's autovacuum would have cleaned up after the catch-up's
    rebuild of the map's summary and the earlier runs on a kept database, and without it every
    run reads the dead rows all the runs before it left (89,000 in the summary after a few)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if conn.scalar(text("SHOW autovacuum")) != "off":
                return {"autovacuum": "on", "vacuumed": False}
            began = time.perf_counter()
            conn.execute(text("VACUUM ANALYZE"))
            seconds = time.perf_counter() - began
    finally:
        engine.dispose()
    print(f"the server's autovacuum is off: VACUUM ANALYZE in {seconds:.1f} s", flush=True)
    return {"autovacuum": "off", "vacuumed": True, "seconds": round(seconds, 1)}


def check_consistency(app: Flask) -> dict[str, Any]:
    """Every dossier's rows against its engine state: how many disagree, and the first few."""
    began = time.perf_counter()
    db = database(app)
    with db.transaction(write=False) as session:
        checked = session.scalar(select(func.count()).select_from(Dossier)) or 0
        print(f"\nchecking the consistency of {checked:,} dossiers…", flush=True)
        found = find_inconsistent_dossiers(session)
    seconds = time.perf_counter() - began
    dossiers = sorted({f.dossier_id for f in found})
    print(
        f"consistency: {len(dossiers)} inconsistent dossiers of {checked:,} "
        f"(checked in {seconds:.0f} s)"
    )
    for problem in found[:10]:
        print(f"  dossier {problem.dossier_id} ({problem.code}): {problem.problem}")
    return {
        "checked": checked,
        "inconsistent": len(dossiers),
        "examples": [f"{f.dossier_id} {f.code}: {f.problem}" for f in found[:10]],
        "seconds": round(seconds, 1),
    }


# ----- the server -------------------------------------------------------------------------------


@dataclass
class Site:
    """The web server and the job queue's worker, as production runs them on one host."""

    web: Gunicorn
    jobs: JobsWorker

    @property
    def logs(self) -> list[Path]:
        """Both processes' output."""
        return [self.web.log, self.jobs.log]

    def close(self) -> None:
        """Stop both."""
        try:
            self.web.close()
        finally:
            self.jobs.close()


def serve(url: URL, work: Path, workers: int) -> Site:
    """gunicorn as production runs it (gunicorn.conf.py, APP_ENV=production) on loopback, and
    `flask jobs-worker` beside it (JOBS_EMBEDDED=0, as deploy/awards.env.example sets).

    Differences, each for a reason: cookies are not Secure (plain HTTP on loopback); the login
    limits per address and per account are raised (every virtual user comes from 127.0.0.1 and
    a dozen demo accounts stand for the fifty people); the job queue is an SQLite file here.
    """
    env = {
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": url.render_as_string(hide_password=False),
        "UPLOAD_DIR": str(work / "uploads"),
        "JOBS_URL": f"sqlite:///{work / 'jobs.sqlite'}",
        "COOKIE_SECURE": "false",
        "LOGIN_LIMIT_PER_ADDRESS": "100000 per minute",
        "LOGIN_LIMIT_PER_ACCOUNT": "100000 per minute",
        "WEB_WORKERS": str(workers),
        "LOG_LEVEL": "warning",
        "JOBS_EMBEDDED": "0",
    }
    web = Gunicorn(env, work / "gunicorn.log", workers=workers, options=("-c", "gunicorn.conf.py"))
    return Site(web, JobsWorker(env, work / "jobs-worker.log"))


def server_errors(log: Path, limit: int = 20) -> list[str]:
    """The server's errors as its log wrote them, each with its traceback: a request counted
    as an error is explained there, and the log goes with the work folder."""
    blocks: list[list[str]] = []
    in_error = False
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if " [ERROR] " in line or "] ERROR in " in line or line.startswith("Traceback"):
            if not (in_error and line.startswith("Traceback")):
                blocks.append([])
            blocks[-1].append(line)
            in_error = True
        elif line.startswith(("[", "{")):
            in_error = False  # gunicorn's next line, or a request's JSON line
        elif in_error:
            blocks[-1].append(line)
    return ["\n".join(block).strip() for block in blocks[:limit]]


def job_passes(log: Path) -> int:
    """How many passes of the job queue the worker beside the server finished (its log has a
    line for each)."""
    text = log.read_text(encoding="utf-8", errors="replace")
    return sum(1 for line in text.splitlines() if " pass: " in line)


# ----- the runs ---------------------------------------------------------------------------------


def run_figures(result: RunResult) -> dict[str, Any]:
    """Per kind and in all: count, throughput, median, p95, errors."""
    recorder = result.recorder
    window = recorder.window or result.seconds
    kinds: dict[str, Any] = {}
    for kind in KINDS:
        summary = recorder.summary(kind)
        if summary is None:
            kinds[kind] = {"count": 0, "errors": recorder.errors[kind], "conflicts": 0}
            continue
        kinds[kind] = {
            "count": summary.n,
            "per_second": round(recorder.in_window[kind] / window, 2) if window else 0.0,
            "median_ms": round(summary.median_ms, 1),
            "p95_ms": round(summary.p95_ms, 1),
            "max_ms": round(summary.max_ms, 1),
            "errors": recorder.errors[kind],
            "conflicts": recorder.conflicts[kind],
        }
    total = sum(k["count"] for k in kinds.values())
    answered = sum(recorder.in_window.values())
    login = result.logins.summary("login")
    return {
        "users": result.users,
        "think_seconds": result.think,
        "seconds": result.seconds,
        "window_seconds": round(window, 2),
        "requests": total,
        "per_second": round(answered / window, 1) if window else 0.0,
        "answered_after_the_end": total - answered,
        "errors": sum(recorder.errors.values()),
        "conflicts": sum(recorder.conflicts.values()),
        "error_examples": recorder.examples,
        "kinds": kinds,
        "logins": {
            "count": login.n if login else 0,
            "median_ms": round(login.median_ms, 1) if login else None,
            "p95_ms": round(login.p95_ms, 1) if login else None,
            "errors": sum(result.logins.errors.values()),
            "examples": result.logins.examples,
        },
    }


def print_run(title: str, figures: dict[str, Any]) -> None:
    """The table of one run."""
    print(f"\n{title}")
    print(
        f"  {'request':<18} {'count':>7} {'req/s':>8} {'median ms':>10} {'p95 ms':>9} "
        f"{'errors':>7} {'409 stale':>10}"
    )
    for kind, row in figures["kinds"].items():
        if not row["count"]:
            print(f"  {kind:<18} {0:>7} {'-':>8} {'-':>10} {'-':>9} {row['errors']:>7}")
            continue
        print(
            f"  {kind:<18} {row['count']:>7} {row['per_second']:>8.1f} {row['median_ms']:>10.1f} "
            f"{row['p95_ms']:>9.1f} {row['errors']:>7} {row['conflicts']:>10}"
        )
    print(
        f"  {'all':<18} {figures['requests']:>7} {figures['per_second']:>8.1f} "
        f"{'':>10} {'':>9} {figures['errors']:>7} {figures['conflicts']:>10}"
        f"   over {figures['window_seconds']:.1f} s"
    )
    if figures["answered_after_the_end"]:
        print(
            f"  ({figures['answered_after_the_end']} requests answered after the end: in the "
            "durations, not in requests/s)"
        )
    logins = figures["logins"]
    print(
        f"  logins before the run ({logins['count']} users at once, a token and a page session "
        f"each): median {logins['median_ms']} ms, p95 {logins['p95_ms']} ms, "
        f"errors {logins['errors']}"
    )
    for example in [*figures["error_examples"], *logins["examples"]][:10]:
        print(f"  error: {example}")


def verdicts(think: dict[str, Any], saturation: dict[str, Any]) -> list[str]:
    """Every target missed, as sentences (none: all met)."""
    missed = []
    for name, figures in (("think time", think), ("saturation", saturation)):
        errors = figures["errors"] + figures["logins"]["errors"]
        if errors:
            missed.append(f"{name}: {errors} requests failed")
        absent = [kind for kind, row in figures["kinds"].items() if not row["count"]]
        if absent:
            missed.append(f"{name}: no request of {', '.join(absent)}")
    for kind, row in think["kinds"].items():
        if row["count"] and row["p95_ms"] >= THINK_P95_MS:
            missed.append(f"think time: {kind} p95 {row['p95_ms']} ms >= {THINK_P95_MS:.0f} ms")
    if saturation["per_second"] < SATURATION_RPS:
        missed.append(f"saturation: {saturation['per_second']} requests/s < {SATURATION_RPS:.0f}")
    return missed


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options; the defaults are what `make bench-load` runs."""
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--dossiers", type=int, default=100_000, help="dossiers to prefill")
    parser.add_argument(
        "--events", type=int, default=2_000_000, help="history events in all (about)"
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--users", type=int, default=50, help="users of the think-time run")
    parser.add_argument("--think", type=float, default=1.0, help="seconds between requests")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the think run")
    parser.add_argument(
        "--saturation-users", type=int, default=20, help="users of the run without think time"
    )
    parser.add_argument(
        "--saturation-seconds",
        type=float,
        default=None,
        help="length of the run without think time (default: --seconds)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the database afterwards (its name is printed)"
    )
    parser.add_argument(
        "--database",
        help="run on a database an earlier run kept (--keep), without prefilling it; the "
        "steps completed by earlier runs stay completed",
    )
    parser.add_argument(
        "--fill-only",
        action="store_true",
        help="with --keep: prefill the database and stop, for `python -m bench.run --database` "
        "(a national-scale fill once, timed as often as needed)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON")
    parser.add_argument("--seed", type=int, default=2026, help="the users' random choices")
    args = parser.parse_args(argv)
    if args.fill_only and not (args.keep and args.database is None):
        parser.error("--fill-only needs --keep (and no --database): the filled database is kept")
    if args.dossiers < len(STATES) * 2:
        parser.error(f"--dossiers must be at least {len(STATES) * 2}")
    if args.saturation_seconds is None:
        args.saturation_seconds = args.seconds
    return args


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Prefill, serve, run both loads, check consistency, print, save; the figures."""
    began = time.perf_counter()
    server = server_url(os.environ.get("BENCH_POSTGRES_URL") or DEFAULT_SERVER)
    document: dict[str, Any] = {
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "workers": args.workers,
        # Other work on the machine skews every figure: the load average when it started.
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    opened = (
        kept_database(server, args.database)
        if args.database
        else throw_away_database(server, args.keep)
    )
    with tempfile.TemporaryDirectory(prefix="award-bench-load-") as tmp, opened as url:
        work = Path(tmp)
        document["database"] = url.database
        document["kept"] = args.keep
        print(
            f"load test on PostgreSQL database {url.database} at {url.host}:{url.port}; "
            f"load average {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)"
        )
        if args.database:
            app = reused_app(url, work / "uploads")
        else:
            app = build_app(url.render_as_string(hide_password=False), work / "uploads")
        try:
            if args.database:
                document["prefill"] = {"reused": args.database}
            else:
                document["prefill"] = fill(app, args.dossiers, args.events)
            document["catch_up"] = catch_up(app)
            database(app).dispose()
            document["vacuum"] = vacuum_when_autovacuum_is_off(url)
            if args.fill_only:
                return _filled_only(document, args)
            site = serve(url, work, args.workers)
            try:
                base = f"http://127.0.0.1:{site.web.port}"
                print(
                    f"gunicorn: {args.workers} workers on {base}; flask jobs-worker beside it",
                    flush=True,
                )
                think = run_figures(
                    asyncio.run(
                        run_users(base, args.users, args.think, args.seconds, args.seed, "think")
                    )
                )
                print_run(
                    f"{args.users} users thinking {args.think:g} s, {args.seconds:g} s:", think
                )
                saturation = run_figures(
                    asyncio.run(
                        run_users(
                            base,
                            args.saturation_users,
                            0.0,
                            args.saturation_seconds,
                            args.seed + 1,
                            "saturation",
                        )
                    )
                )
                print_run(
                    f"{args.saturation_users} users without think time, "
                    f"{args.saturation_seconds:g} s:",
                    saturation,
                )
            finally:
                site.close()
            document["server_errors"] = [e for log in site.logs for e in server_errors(log)]
            document["job_passes"] = job_passes(site.jobs.log)
            print(f"\nthe job queue's worker beside the server ran {document['job_passes']} passes")
            for block in document["server_errors"][:3]:
                print(f"\nserver log:\n{block}")
            document["think"] = think
            document["saturation"] = saturation
            document["consistency"] = check_consistency(app)
        finally:
            database(app).dispose()
    missed = verdicts(think, saturation)
    if document["consistency"]["inconsistent"]:
        missed.append(f"{document['consistency']['inconsistent']} inconsistent dossiers")
    document["targets"] = {
        "think_p95_ms": THINK_P95_MS,
        "saturation_per_second": SATURATION_RPS,
        "missed": missed,
        "met": not missed,
    }
    document["seconds"] = round(time.perf_counter() - began, 1)
    _write(document, args.output)
    print(
        f"\nsaturation throughput {saturation['per_second']} requests/s "
        f"(target >= {SATURATION_RPS:.0f}); think-time p95 target < {THINK_P95_MS:.0f} ms"
    )
    for line in missed:
        print(f"MISSED: {line}")
    print(f"wrote {args.output} in {document['seconds']:.0f} s in all")
    return document


def _filled_only(document: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """The document of a --fill-only run, written: the database is filled and kept, no load."""
    document["targets"] = {"missed": [], "met": True, "fill_only": True}
    _write(document, args.output)
    print(f"filled and kept (--fill-only); wrote {args.output}")
    return document


def _write(document: dict[str, Any], output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.load`: 1 when a request failed, a dossier is inconsistent or a target
    is missed."""
    document = run(parse_args(argv))
    return 0 if document["targets"]["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
