"""`flask refresh-process-map`: rebuild the process map's summary of median times now (the job
queue rebuilds it by itself every few minutes)."""

from __future__ import annotations

import click

from webapp.db import utcnow
from webapp.process_map.views import bp
from webapp.request_db import database
from webapp.services import process_map_summary


@bp.cli.command("refresh-process-map")
def refresh_process_map_command() -> None:
    """Rebuild the process map's median times from the newest completed work items."""
    with database().transaction() as session:
        counted = process_map_summary.refresh(session, utcnow())
    visits = ", ".join(f"{key}: {n}" for key, n in sorted(counted.items())) or "none"
    click.echo(f"process map summary rebuilt; completed visits per process: {visits}")
