"""Command-line tasks: `flask db upgrade` (also `flask db-upgrade`), `flask seed-demo`,
`flask run-timers`, `flask jobs-worker`, `flask backup`, `flask restore`."""

from __future__ import annotations

from pathlib import Path

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import with_appcontext

from webapp.jobs.passes import run_pass
from webapp.jobs.worker import run_worker
from webapp.request_db import database
from webapp.services import backup, file_check, sample_dossiers, seeding
from webapp.services.history_chain import verify_chains, verify_round_chains

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str) -> AlembicConfig:
    """Alembic's config pointing at this app's migrations and database."""
    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade_database(app: Flask) -> None:
    """Bring the schema to the newest migration (creating the SQLite folder if needed)."""
    db = database(app)
    if db.engine.dialect.name == "sqlite" and db.engine.url.database:
        Path(db.engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    cfg = alembic_config(db.url)
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        # "heads": migrations written side by side branch from one parent until a merge joins them.
        command.upgrade(cfg, "heads")
    db.optimize()


@click.command("db-upgrade")
@with_appcontext
def db_upgrade_command() -> None:
    """Apply the Alembic migrations."""
    upgrade_database(current_app)
    click.echo("database is up to date")


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Only when the database has no users (default).")
@click.option("--samples", is_flag=True, help="Also a few sample dossiers on a fresh install.")
def seed_demo_command(if_empty: bool, samples: bool) -> None:
    """Install the shipped process and the demo organisation, accounts and roles."""
    config = current_app.config
    with database().transaction() as session:
        created = seeding.seed_demo(session, Path(config["BPMN_DIR"]), config["PROCESS_KEY"])
        if created and samples:
            sample_dossiers.seed_sample_dossiers(session)
        demo_accounts = created or seeding.demo_data_in_use(session)
    database().optimize()
    if created:
        click.echo("demo data installed")
    else:
        click.echo("users exist; demo data not installed")
    if demo_accounts:
        click.echo(f"demo accounts (admin, canbo_ns, vanphong…): password {seeding.DEMO_PASSWORD}")


@click.command("run-timers")
@with_appcontext
def run_timers_command() -> None:
    """Run one pass of the job queue now: due timers, rounds' intake deadlines, periodic jobs
    (cron's alternative to a running `flask jobs-worker`)."""
    app = current_app
    report = run_pass(database(), None, int(app.config["JOBS_TIMER_BATCH"]))
    # This command runs every minute: it is also where the planner's statistics stay fresh.
    database().optimize()
    click.echo(f"{report.timers_fired} dossier(s) advanced by timers")
    if report.intakes_closed:
        click.echo(f"intake closed for {len(report.intakes_closed)} round(s) past their deadline")
    for name in report.failed:
        click.echo(f"job {name} failed (see the log); the next pass tries again")


@click.command("jobs-worker")
@with_appcontext
@click.option("--workers", default=1, show_default=True, help="Worker threads.")
@click.option(
    "--no-periodic",
    is_flag=True,
    help="Take queued tasks only; another consumer enqueues the minute's pass.",
)
def jobs_worker_command(workers: int, no_periodic: bool) -> None:
    """Run a job-queue consumer (JOBS_URL) in the foreground: a pass every minute."""
    run_worker(current_app._get_current_object(), workers, not no_periodic)  # type: ignore[attr-defined]


@click.command("verify-history")
@with_appcontext
@click.option("--dossier-id", type=int, default=None, help="Check one dossier only.")
def verify_history_command(dossier_id: int | None) -> None:
    """Verify every dossier's and every round's history hash chain; name the first broken
    event of each (exit status 1 when one is broken)."""
    with database().transaction(write=False) as session:
        report = verify_chains(session, dossier_id)
        rounds = verify_round_chains(session) if dossier_id is None else None
    for found in report.breaks:
        click.echo(
            f"dossier {found.dossier_code or '-'} (id {found.dossier_id}): "
            f"chain broken at event {found.event_id} ({found.problem})"
        )
    for broken in rounds.breaks if rounds else []:
        click.echo(
            f"round {broken.round_name or '-'} (id {broken.round_id}): "
            f"chain broken at round event {broken.event_id} ({broken.problem})"
        )
    click.echo(
        f"{report.dossiers_checked} dossier(s), {report.events_checked} event(s) checked; "
        f"{len(report.breaks)} broken chain(s)"
    )
    if rounds is not None:
        click.echo(
            f"{rounds.rounds_checked} round(s), {rounds.events_checked} round event(s) checked; "
            f"{len(rounds.breaks)} broken chain(s)"
        )
    if report.breaks or (rounds and rounds.breaks):
        raise SystemExit(1)


@click.command("verify-files")
@with_appcontext
def verify_files_command() -> None:
    """Hash every stored file the database refers to (attachments, generated papers); list
    the missing and the altered ones with their owners. Exit status 1 when there is any."""
    with database().transaction() as session:
        report = file_check.verify_files(session)
    for problem in report.problems:
        click.echo(f"{problem.state.upper()} {problem.content_hash}")
        for owner in problem.owners:
            click.echo(f"    {owner}")
    click.echo(
        f"{report.checked} file(s) checked: {len(report.problems)} missing or altered, "
        f"{report.unreferenced} stored file(s) that nothing refers to"
    )
    if not report.ok:
        raise SystemExit(1)


@click.group("db")
def db_group() -> None:
    """The database's schema."""


@db_group.command("upgrade")
@with_appcontext
def db_group_upgrade_command() -> None:
    """Apply the Alembic migrations (same as `flask db-upgrade`)."""
    upgrade_database(current_app)
    click.echo("database is up to date")


@click.command("backup")
@with_appcontext
@click.option(
    "--to",
    "target",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="A new (or empty) folder for the backup.",
)
def backup_command(target: Path) -> None:
    """Back up the database (every table, one transaction) and the stored files, with a
    manifest of their SHA-256 hashes."""
    try:
        summary = backup.backup(database().engine, Path(current_app.config["UPLOAD_DIR"]), target)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backed up {sum(summary.rows.values())} rows and {summary.files} files to {target}")


@click.command("restore")
@with_appcontext
@click.option(
    "--from",
    "source",
    required=True,
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="A folder written by `flask backup`.",
)
def restore_command(source: Path) -> None:
    """Restore a backup into an empty database (migrated here first) and an empty upload
    folder; every file's hash is checked before anything is written."""
    upgrade_database(current_app)
    try:
        summary = backup.restore(database().engine, Path(current_app.config["UPLOAD_DIR"]), source)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    database().optimize()
    click.echo(f"restored {sum(summary.rows.values())} rows and {summary.files} files")


def register(app: Flask) -> None:
    """Attach the commands to the app."""
    app.cli.add_command(db_upgrade_command)
    app.cli.add_command(db_group)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(run_timers_command)
    app.cli.add_command(jobs_worker_command)
    app.cli.add_command(verify_files_command)
    app.cli.add_command(verify_history_command)
