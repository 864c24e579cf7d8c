"""The hostile-content corpus against the real server (gunicorn, as `make run` serves it).

Every case is applied over HTTP as the administrator (and the demo users who walk a dossier to
the hostile step) and must be refused as its manifest says: a problem of the check, or a 422 at
run time with the dossier left where it was; each request under 2 s, /healthz (asked every
50 ms) never slower than 0.5 s meanwhile, and the worker's memory grown by less than 100 MB
over the whole corpus. On SQLite always, and on PostgreSQL when TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.hostile.cases import CASES, CLASSES, validate_manifest
from tests.hostile.harness import (
    MAX_RSS_GROWTH_MB,
    CaseResult,
    CorpusRun,
    served_corpus,
)

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_POSTGRES_URL") else [])


@pytest.fixture(scope="module", params=BACKENDS)
def corpus(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[CorpusRun, list[CaseResult]]]:
    postgres = os.environ["TEST_POSTGRES_URL"] if request.param == "postgresql" else None
    with served_corpus(tmp_path_factory.mktemp(f"hostile-{request.param}"), postgres) as run:
        yield run, []


def test_manifest_lists_every_file_of_every_class() -> None:
    assert validate_manifest() == []
    assert len(CASES) >= 40
    assert {case.klass for case in CASES} == set(CLASSES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_case_is_refused(corpus: tuple[CorpusRun, list[CaseResult]], case) -> None:
    run, results = corpus
    result = run.runner.run(case)
    results.append(result)
    assert result.ok, f"{case.name} ({case.what}): " + "; ".join(result.failures)


def test_server_memory_and_untouched_dossier(corpus: tuple[CorpusRun, list[CaseResult]]) -> None:
    run, results = corpus
    restarted = [r.case.name for r in results if r.restarted]
    assert not restarted, f"the server was restarted after {restarted}"
    growth = run.rss_growth_mb()
    assert growth is not None, "the worker changed: memory growth cannot be measured"
    steps, previous = [], run.rss_before_mb
    for result in results:
        if result.rss_after_mb is not None and previous is not None:
            steps.append((result.rss_after_mb - previous, result.case.name))
        previous = result.rss_after_mb
    largest = ", ".join(f"{name} +{mb:.0f} MB" for mb, name in sorted(steps, reverse=True)[:5])
    assert growth < MAX_RSS_GROWTH_MB, (
        f"the worker's resident memory grew by {growth:.0f} MB; most after: {largest}"
    )
    assert run.runner.sentinel_unchanged(), "the dossier left at approve_at_unit changed"
