"""Cost of the expression and script budgets, and how fast hostile code is refused.

    .venv/bin/python -m bench.budgets [rounds]

Prints (1) the shipped diagram's path in memory (RunningProcess start and every step to
`awarded`, no load or dump) timed over `rounds` dossiers, and (2) for each hostile expression
or script of the test corpus, how long the refusal took and the longest single stretch the
evaluating thread held the interpreter without letting a second thread run (measured by a
thread that wakes every millisecond).
"""

from __future__ import annotations

import copy
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.engine_layer import _pick
from bench.path import MEMBERS, awarded_path
from workflows import RunningProcess, load_definition

ROOT = Path(__file__).resolve().parents[1]


def _context(n: int) -> dict[str, Any]:
    return {
        "dossier_id": n,
        "award_form": "bk_btc",
        "procedure": "regular",
        "track": "ad_hoc",
        "nominee_ids": [str(n + 1), str(n + 2)],
        "council_members": {m: m for m in sorted(MEMBERS)},
    }


def shipped_path(rounds: int) -> list[float]:
    """Milliseconds per dossier for start + every step of the awarded path, in memory."""
    bpmn = (ROOT / "bpmn" / "award_nomination.bpmn").read_bytes()
    dmn = {p.name: p.read_bytes() for p in sorted((ROOT / "bpmn").glob("*.dmn"))}
    definition = load_definition(bpmn, dmn, file_name="award_nomination.bpmn")
    timings = []
    for i in range(rounds):
        context = _context(1000 + 3 * i)
        began = time.perf_counter()
        process, _ = RunningProcess.start(definition, context)
        ready = process.ready_human_tasks()
        for action in awarded_path("ns", context["nominee_ids"]):
            task = _pick(ready, action)
            data = copy.deepcopy(action.data)
            data.update(context)
            process.complete(task.task_id, data)
            ready = process.ready_human_tasks()
        timings.append((time.perf_counter() - began) * 1000)
        assert process.status().completed
    return timings


class _GapMeter:
    """A thread that records the longest time it could not run (the GIL held elsewhere)."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        last = time.perf_counter()
        while not self._stop.is_set():
            time.sleep(0.001)
            now = time.perf_counter()
            self.longest = max(self.longest, now - last)
            last = now

    def __enter__(self) -> _GapMeter:
        self._thread.start()
        time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def hostile_cases() -> None:
    """Time the refusal of every case in the test corpus."""
    sys.path.insert(0, str(ROOT))
    from tests.workflows.test_budgets import HOSTILE_EXPRESSIONS, HOSTILE_SCRIPTS, run_hostile

    print(f"{'case':60} {'refused in':>11} {'longest gap':>12}  error")
    for kind, corpus in (("expression", HOSTILE_EXPRESSIONS), ("script", HOSTILE_SCRIPTS)):
        for case, _at_check in corpus:
            with _GapMeter() as meter:
                began = time.perf_counter()
                error = run_hostile(kind, case)
                took = time.perf_counter() - began
            label = f"{kind}: {case!r}"[:60]
            print(f"{label:60} {took * 1000:9.1f}ms {meter.longest * 1000:10.1f}ms  {error}"[:160])


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    shipped_path(2)  # warm up
    timings = shipped_path(rounds)
    print(
        f"shipped path in memory, {rounds} dossiers: median {statistics.median(timings):.1f} ms, "
        f"mean {statistics.mean(timings):.1f} ms, min {min(timings):.1f} ms per dossier"
    )
    if "--path-only" not in sys.argv:
        hostile_cases()


if __name__ == "__main__":
    main()
