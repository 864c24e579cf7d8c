"""The bench's options and verdicts: which backends run, which PostgreSQL database is used, and
the exit status when a target is missed (issue 14 part 7).

The bench's figures are never asserted here (they depend on the machine); what an operator relies
on is: the options exist and are checked, BENCH_POSTGRES_URL's database is used as given (and a
database holding tables is not dropped by surprise), and a missed target fails `make bench`.
The PostgreSQL cases run when TEST_POSTGRES_URL points at a server (as on CI).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import load, pages, run
from bench.environment import (
    DatabaseInUseError,
    check_backends,
    plan_postgres,
    postgres_app,
    postgres_database,
)
from bench.stats import missed

BENCH_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


# ----- options ---------------------------------------------------------------------------------


@pytest.mark.parametrize("module", [run, pages], ids=["run", "pages"])
def test_backends_default_to_sqlite_and_postgresql_when_its_url_is_set(
    module: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BENCH_POSTGRES_URL", raising=False)
    args = module.parse_args([])
    assert args.backends == ["sqlite"]
    assert args.postgres_url is None
    assert args.reuse_database is False

    monkeypatch.setenv("BENCH_POSTGRES_URL", BENCH_URL)
    args = module.parse_args([])
    assert args.backends == ["sqlite", "postgresql"]
    assert args.postgres_url == BENCH_URL


@pytest.mark.parametrize("module", [run, pages], ids=["run", "pages"])
def test_a_postgresql_only_run(module: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCH_POSTGRES_URL", BENCH_URL)
    args = module.parse_args(["--backends", "postgresql", "--reuse-database"])
    assert args.backends == ["postgresql"]
    assert args.postgres_url == BENCH_URL
    assert args.reuse_database is True
    # SQLite alone ignores the URL.
    args = module.parse_args(["--backends", "sqlite"])
    assert args.backends == ["sqlite"]
    assert args.postgres_url is None


@pytest.mark.parametrize("module", [run, pages], ids=["run", "pages"])
def test_postgresql_without_its_url_is_a_usage_error(
    module: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("BENCH_POSTGRES_URL", raising=False)
    with pytest.raises(SystemExit) as stopped:
        module.parse_args(["--backends", "sqlite,postgresql"])
    assert stopped.value.code == 2
    assert "--backends postgresql needs BENCH_POSTGRES_URL" in capsys.readouterr().err


@pytest.mark.parametrize("module", [run, pages], ids=["run", "pages"])
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--backends", "mysql"], "unknown mysql"),
        (["--backends", ","], "empty list"),
        (["--dossiers", "5"], "--dossiers must be at least"),
        (["--target-ms", "0"], "--target-ms must be positive"),
    ],
)
def test_bad_options_are_refused(
    module: Any, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        module.parse_args(argv)
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


def test_run_options(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("BENCH_POSTGRES_URL", raising=False)
    args = run.parse_args([])
    assert (args.dossiers, args.profile, args.target_ms) == (10_000, 0, 15.0)
    assert args.output == run.RESULTS
    out = tmp_path / "x.json"
    args = run.parse_args(["--profile", "3", "--target-ms", "20", "--output", str(out)])
    assert (args.profile, args.target_ms, args.output) == (3, 20.0, out)
    with pytest.raises(SystemExit):
        run.parse_args(["--lists", "0"])


def test_a_kept_database_runs_on_postgresql_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    args = run.parse_args(["--database", "awards_load_kept"])
    assert (args.database, args.backends) == ("awards_load_kept", ["postgresql"])
    for clash in (["--backends", "sqlite"], ["--backends", "sqlite,postgresql"]):
        with pytest.raises(SystemExit):
            run.parse_args(["--database", "awards_load_kept", *clash])
    with pytest.raises(SystemExit):
        run.parse_args(["--database", "awards_load_kept", "--reuse-database"])
    monkeypatch.delenv("BENCH_POSTGRES_URL")
    with pytest.raises(SystemExit):
        run.parse_args(["--database", "awards_load_kept"])


def test_a_fill_only_load_keeps_its_database() -> None:
    assert load.parse_args(["--keep", "--fill-only"]).fill_only
    for argv in (["--fill-only"], ["--keep", "--fill-only", "--database", "awards_load_x"]):
        with pytest.raises(SystemExit):
            load.parse_args(argv)


def test_pages_options(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("BENCH_POSTGRES_URL", raising=False)
    args = pages.parse_args([])
    assert args.output == pages.RESULTS == Path(pages.__file__).parent / "results" / "pages.json"
    assert args.target_ms is None
    out = tmp_path / "pages.json"
    assert pages.parse_args(["--output", str(out)]).output == out
    # The targets: 100 ms for the tracking list, its search and the process map.
    assert pages.target_of("tracking") == pages.target_of("process_map") == 100.0
    assert pages.target_of("tracking_search") == 100.0
    assert pages.target_of("dossier_page") == 200.0
    assert pages.target_of("tracking", 50.0) == 50.0


# ----- verdicts --------------------------------------------------------------------------------


def test_missed_names_every_figure_not_under_its_target() -> None:
    targets = {"a": 15.0, "b": 15.0, "c": 15.0, "d": 15.0}
    assert missed({"a": 14.99, "b": 15.0, "c": 40.0}, targets) == ["b", "c", "d"]
    assert missed({"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0}, targets) == []


def _run_document(backend: str, medians: dict[str, float | None]) -> dict[str, Any]:
    return {
        "backend": backend,
        "dossiers": 100_000,
        "targets": {
            name: {"label": f"the {name}", "median_ms": m, "target_ms": 15.0, "met": True}
            for name, m in medians.items()
        },
    }


def test_run_names_each_missed_operation_on_each_backend() -> None:
    documents = [
        _run_document("sqlite", {"api.complete_work_item": 6.7, "api.search_dossiers": 174.6}),
        _run_document("postgresql", {"api.list_dossiers": 21.2, "api.list_my_work_items": None}),
    ]
    assert run.missed_targets(documents) == [
        "MISSED [sqlite, 100,000 dossiers] api.search_dossiers: the api.search_dossiers: "
        "median 174.60 ms, target < 15 ms",
        "MISSED [postgresql, 100,000 dossiers] api.list_dossiers: the api.list_dossiers: "
        "median 21.20 ms, target < 15 ms",
        "MISSED [postgresql, 100,000 dossiers] api.list_my_work_items: the "
        "api.list_my_work_items: not measured, target < 15 ms",
    ]
    assert run.missed_targets([_run_document("sqlite", {"api.list_dossiers": 4.7})]) == []


def test_pages_names_each_slow_or_failing_page() -> None:
    def page(status: int, p95: float, target: float) -> dict[str, Any]:
        return {"status": status, "median_ms": p95 / 2, "p95_ms": p95, "target_ms": target}

    document = {
        "backend": "sqlite",
        "dossiers": 10_000,
        "pages": {
            "inbox": page(200, 150.0, 200.0),
            "tracking_search": page(200, 205.0, 100.0),
            "process_map": page(500, 3.0, 100.0),
            "healthz": page(200, 2.0, 200.0),
        },
    }
    assert pages.missed_pages([document]) == [
        "MISSED [sqlite, 10,000 dossiers] tracking_search: p95 205.00 ms, target p95 < 100 ms",
        "MISSED [sqlite, 10,000 dossiers] process_map: answered HTTP 500, target p95 < 100 ms",
    ]


def test_run_exits_1_naming_each_miss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A small run on SQLite with a target no request can meet: every target is named."""
    monkeypatch.delenv("BENCH_POSTGRES_URL", raising=False)
    # What main sets when unset (its gunicorn serves without the job queue's consumer), kept
    # out of this process's environment after the test.
    monkeypatch.setenv("JOBS_EMBEDDED", "0")
    output = tmp_path / "latest.json"
    argv = ["--dossiers", "40", "--paths", "1", "--lists", "1", "--target-ms", "0.001"]
    status = run.main([*argv, "--output", str(output)])
    assert status == 1
    document = json.loads(output.read_text())
    assert document["backend"] == "sqlite"
    assert set(document["targets"]) == {
        "api.complete_work_item",
        "api.list_my_work_items",
        "api.list_dossiers",
        "api.search_dossiers",
    }
    assert len(document["missed"]) == 4
    printed = capsys.readouterr().out
    assert "the job queue's consumer not in the server" in printed
    for line in document["missed"]:
        assert line in printed
    assert "4 targets missed: exit status 1" in printed


def test_pages_writes_its_output_and_exits_0_when_every_page_meets_its_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BENCH_POSTGRES_URL", raising=False)
    output = tmp_path / "nested" / "pages.json"
    argv = ["--dossiers", "40", "--rounds", "1", "--target-ms", "60000"]
    assert pages.main([*argv, "--output", str(output)]) == 0
    document = json.loads(output.read_text())
    assert document["backend"] == "sqlite"
    assert document["missed"] == []
    assert {"tracking", "tracking_search", "process_map"} <= set(document["pages"])
    assert all(p["status"] == 200 and p["met"] for p in document["pages"].values())


# ----- which PostgreSQL database ---------------------------------------------------------------

SERVER = os.environ.get("TEST_POSTGRES_URL")

if SERVER:

    def _admin_scalar(sql: str, **params: Any) -> Any:
        admin = create_engine(
            make_url(SERVER).set(database="postgres"), isolation_level="AUTOCOMMIT"
        )
        try:
            with admin.connect() as conn:
                result = conn.execute(text(sql), params)
                return result.scalar() if result.returns_rows else None
        finally:
            admin.dispose()

    def _name(url: str) -> str:
        return str(make_url(url).database)

    def _exists(name: str) -> bool:
        return bool(_admin_scalar("SELECT 1 FROM pg_database WHERE datname = :n", n=name))

    def _tables(url: str) -> list[str]:
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                return list(
                    conn.scalars(
                        text(
                            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
                        )
                    )
                )
        finally:
            engine.dispose()

    def _execute(url: str, sql: str) -> None:
        engine = create_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(text(sql))
        finally:
            engine.dispose()

    @pytest.fixture
    def named() -> Iterator[str]:
        """A URL naming a database that does not exist yet (dropped after the test if left)."""
        assert SERVER
        name = f"awards_bench_named_{uuid.uuid4().hex[:8]}"
        yield make_url(SERVER).set(database=name).render_as_string(hide_password=False)
        _admin_scalar(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def test_a_url_naming_a_new_database_creates_it_and_drops_it_afterwards(
        named: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        name = _name(named)
        assert not _exists(name)
        with postgres_database(named) as url:
            assert make_url(url).database == name
            assert _exists(name)
            _execute(url, "CREATE TABLE bench_rows (x int)")
        assert not _exists(name)
        assert f'"{name}" on 127.0.0.1: created for this run, dropped afterwards' in (
            capsys.readouterr().out
        )

    def test_the_app_runs_in_the_named_database(named: str, tmp_path: Path) -> None:
        name = _name(named)
        with postgres_app(named, tmp_path) as bench:
            assert bench.backend == "postgresql"
            with bench.db.engine.connect() as conn:
                assert conn.scalar(text("SELECT current_database()")) == name
                assert conn.scalar(text("SELECT COUNT(*) FROM app_user")) > 0
        assert not _exists(name)

    def test_a_database_holding_tables_is_refused_without_reuse_database(
        named: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        name = _name(named)
        _admin_scalar(f'CREATE DATABASE "{name}"')
        _execute(named, "CREATE TABLE precious (x int)")
        _execute(named, "INSERT INTO precious VALUES (1)")
        with pytest.raises(DatabaseInUseError, match=r"already holds 1 table \(public.precious\)"):
            plan_postgres(named)
        with pytest.raises(DatabaseInUseError), postgres_database(named):
            pass
        # The command refuses before any work, naming the way out.
        monkeypatch.setenv("BENCH_POSTGRES_URL", named)
        args = run.parse_args(["--backends", "postgresql"])
        with pytest.raises(SystemExit) as stopped:
            check_backends(args)
        assert "refused:" in str(stopped.value.code)
        assert "--reuse-database" in str(stopped.value.code)
        # Nothing was touched.
        assert _tables(named) == ["precious"]

        with postgres_database(named, reuse_database=True) as url:
            assert _tables(url) == []
            _execute(url, "CREATE TABLE bench_rows (x int)")
        assert "--reuse-database: schema public dropped and recreated" in capsys.readouterr().out
        # The database stays (the bench did not create it), emptied of the bench's tables.
        assert _exists(name)
        assert _tables(named) == []

    def test_an_existing_empty_database_is_used_and_emptied_afterwards(named: str) -> None:
        name = _name(named)
        _admin_scalar(f'CREATE DATABASE "{name}"')
        plan = plan_postgres(named)
        assert (plan.created, plan.reused, plan.name) == (False, False, name)
        with postgres_database(named) as url:
            assert make_url(url).database == name
            _execute(url, "CREATE TABLE bench_rows (x int)")
        assert _exists(name)
        assert _tables(named) == []

    def test_a_url_naming_postgres_gets_a_throw_away_database(
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        assert SERVER
        with postgres_database(SERVER) as url:
            name = _name(url)
            assert name.startswith("awards_bench_")
            assert _exists(name)
        assert not _exists(name)
        assert "a throw-away database, dropped afterwards" in capsys.readouterr().out
