"""`python -m bench.hostile`: the hostile-content corpus (tests/hostile) against a served app.

The same server and runner as tests/hostile/test_corpus.py (gunicorn as `make run` starts it,
on a fresh SQLite database, or PostgreSQL with --postgres). For each class of the corpus it
prints the worst response time, the worst /healthz time measured while the class ran and how
many cases ended as expected; then the worker's resident-memory growth over the whole corpus.
Writes bench/results/hostile.json. Targets: every response < 2 s, /healthz < 0.5 s, memory
growth < 100 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from tests.hostile.cases import CASES, CLASSES
from tests.hostile.harness import (
    MAX_HEALTH_S,
    MAX_REQUEST_S,
    MAX_RSS_GROWTH_MB,
    CaseResult,
    served_corpus,
)

RESULTS = Path(__file__).resolve().parent / "results" / "hostile.json"


def summary(results: list[CaseResult]) -> dict[str, dict[str, object]]:
    """Per class: cases, how many ended as expected, worst response and /healthz times."""
    classes: dict[str, dict[str, object]] = {}
    for klass in CLASSES:
        mine = [r for r in results if r.case.klass == klass]
        if not mine:
            continue
        worst = max(mine, key=lambda r: r.worst_request_s)
        classes[klass] = {
            "cases": len(mine),
            "as_expected": sum(1 for r in mine if r.ok),
            "worst_response_s": round(worst.worst_request_s, 3),
            "worst_response_case": worst.case.name,
            "worst_healthz_s": round(max(r.worst_health_s for r in mine), 3),
            "healthz_failures": sum(r.health_failures for r in mine),
        }
    return classes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES_URL"),
        help="a PostgreSQL server URL: run on a throw-away database there instead of SQLite",
    )
    parser.add_argument("-k", dest="only", default="", help="only cases whose name has this")
    args = parser.parse_args(argv)
    cases = [c for c in CASES if args.only in c.name]
    results: list[CaseResult] = []
    began = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="bench-hostile-") as work,
        served_corpus(Path(work), args.postgres) as run,
    ):
        print(f"{len(cases)} cases against gunicorn on port {run.server.port}")
        for case in cases:
            result = run.runner.run(case)
            results.append(result)
            mark = "ok  " if result.ok else "FAIL"
            print(
                f"  {mark} {case.name:48} {result.worst_request_s:6.2f} s  "
                f"healthz {result.worst_health_s:5.2f} s  {result.end[:70]}"
            )
            for failure in result.failures:
                print(f"         {failure[:300]}")
        growth = run.rss_growth_mb()
        rss_after = run.server.worker_rss_mb()
        sentinel = run.runner.sentinel_unchanged()
        restarts = run.server.restarts
        rss_before = run.rss_before_mb
    elapsed = time.monotonic() - began
    classes = summary(results)
    print(f"\nper class (targets: response < {MAX_REQUEST_S:g} s, /healthz < {MAX_HEALTH_S:g} s)")
    print(f"  {'class':12} {'cases':>5} {'as expected':>11} {'worst response':>15} {'healthz':>8}")
    for klass, row in classes.items():
        print(
            f"  {klass:12} {row['cases']:>5} {row['as_expected']:>11} "
            f"{row['worst_response_s']:>13.2f} s {row['worst_healthz_s']:>6.2f} s"
        )
    growth_text = "unmeasurable (the worker was replaced)" if growth is None else f"{growth:.1f} MB"
    print(f"worker RSS growth over the corpus: {growth_text} (target < {MAX_RSS_GROWTH_MB:g} MB)")
    print(f"server restarts: {restarts}; untouched dossier unchanged: {sentinel}")
    print(f"{sum(r.ok for r in results)}/{len(results)} cases as expected in {elapsed:.0f} s")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "backend": "postgresql" if args.postgres else "sqlite",
                "seconds": round(elapsed, 1),
                "rss_before_mb": rss_before,
                "rss_after_mb": rss_after,
                "rss_growth_mb": growth,
                "restarts": restarts,
                "sentinel_unchanged": sentinel,
                "classes": classes,
                "cases": [r.as_dict() for r in results],
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS}")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
