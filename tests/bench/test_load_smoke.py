"""`make bench-load` in miniature: 200 dossiers, gunicorn with 2 workers, 5 users for 5 s with
think time and 5 s without. What an operator relies on is that the load test runs end to end
and tells the truth: every kind of request is made, none fails, and every dossier is consistent
afterwards. Its speed figures depend on the machine and are not asserted.

Runs on the PostgreSQL server of TEST_POSTGRES_URL (as on CI), or else on a private cluster."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import load, run
from bench.load_users import KINDS
from tests.faults.support import PrivatePostgres


@pytest.fixture
def server_url() -> Iterator[str]:
    given = os.environ.get("TEST_POSTGRES_URL")
    if given:
        yield given
        return
    cluster = PrivatePostgres()
    try:
        yield cluster.url
    finally:
        cluster.close()


def test_a_small_load_run_makes_every_request_without_error_and_leaves_dossiers_consistent(
    server_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BENCH_POSTGRES_URL", server_url)
    output = tmp_path / "load.json"
    args = load.parse_args(
        [
            "--dossiers", "200", "--events", "4000", "--workers", "2",
            "--users", "5", "--think", "0.2", "--seconds", "5",
            "--saturation-users", "5", "--saturation-seconds", "5",
            "--output", str(output),
        ]
    )  # fmt: skip
    load.run(args)

    document = json.loads(output.read_text())
    assert document["prefill"]["dossiers"] == 200
    assert document["prefill"]["events"] == 4000
    for name in ("think", "saturation"):
        run = document[name]
        assert run["errors"] == 0, (run["error_examples"], document["server_errors"])
        assert run["logins"]["errors"] == 0, run["logins"]["examples"]
        assert run["logins"]["count"] == 5
        made = {kind for kind, row in run["kinds"].items() if row["count"]}
        assert made == set(KINDS), f"{name}: none of {set(KINDS) - made}"
        # Steps were completed, not only tried.
        assert run["kinds"]["complete"]["count"] > run["kinds"]["complete"]["conflicts"]
    # Nothing went wrong on the server's side either, counted or not.
    assert document["server_errors"] == []
    # The job queue ran beside the server, in its own process, as in production.
    assert document["job_passes"] >= 1
    assert document["consistency"]["checked"] == 200
    assert document["consistency"]["inconsistent"] == 0, document["consistency"]["examples"]
    # The throw-away database is gone.
    admin = create_engine(make_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            left = conn.scalar(
                text("SELECT count(*) FROM pg_database WHERE datname = :name"),
                {"name": document["database"]},
            )
            autovacuum = conn.scalar(text("SHOW autovacuum"))
    finally:
        admin.dispose()
    assert document["database"].startswith("awards_load_")
    assert left == 0
    # Without the server's autovacuum the runs read what it would have cleaned: vacuumed first.
    assert document["vacuum"]["vacuumed"] == (autovacuum == "off")


def test_a_kept_database_is_run_again_without_filling_it(
    server_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BENCH_POSTGRES_URL", server_url)
    short = ["--workers", "1", "--users", "2", "--think", "0.2", "--seconds", "2",
             "--saturation-users", "2", "--saturation-seconds", "2"]  # fmt: skip
    first = tmp_path / "first.json"
    load.run(
        load.parse_args(
            ["--dossiers", "40", "--events", "800", "--keep", "--fill-only",
             "--output", str(first), *short]
        )
    )  # fmt: skip
    filled = json.loads(first.read_text())
    name = filled["database"]
    # Filled and kept, no user let in.
    assert (filled["prefill"]["dossiers"], filled["targets"]["fill_only"]) == (40, True)
    assert "think" not in filled
    assert "consistency" not in filled
    admin = create_engine(make_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        again = tmp_path / "again.json"
        load.run(load.parse_args(["--database", name, "--output", str(again), *short]))
        document = json.loads(again.read_text())
        assert document["database"] == name
        assert document["prefill"] == {"reused": name}
        assert document["think"]["errors"] == 0, document["think"]["error_examples"]
        assert document["think"]["requests"] + document["saturation"]["requests"] > 0
        # The same 40 dossiers, consistent after both runs; the database is still there.
        assert document["consistency"]["checked"] == 40
        assert document["consistency"]["inconsistent"] == 0, document["consistency"]["examples"]
        with admin.connect() as conn:
            assert conn.scalar(
                text("SELECT count(*) FROM pg_database WHERE datname = :name"), {"name": name}
            )
        with pytest.raises(SystemExit, match="no database awards_load_missing"):
            load.run(load.parse_args(["--database", "awards_load_missing", *short]))
        # bench.run times its paths and lists on the same kept database, not filling it.
        figures = tmp_path / "run.json"
        run.main(["--database", name, "--paths", "1", "--lists", "2", "--output", str(figures)])
        timed = json.loads(figures.read_text())
        assert timed["backend"] == "postgresql"
        assert (timed["dossiers"], timed["prefill"]["kept_database"]) == (40, name)
        assert timed["prefill"]["templates"] == 0
        assert timed["n"]["api.search_dossiers"] == 2
        assert timed["n"]["api.complete_work_item"] > 0
        with admin.connect() as conn:
            assert conn.scalar(
                text("SELECT count(*) FROM pg_database WHERE datname = :name"), {"name": name}
            )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
