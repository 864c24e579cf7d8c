"""`flask send-mail`: the notifications' periodic work by hand or from cron (the job queue runs
the same functions by itself)."""

from __future__ import annotations

import click

from webapp import notification_jobs
from webapp.db import utcnow
from webapp.notifications.views import bp
from webapp.request_db import database


@bp.cli.command("send-mail")
@click.option("--daily", is_flag=True, help="Also write the daily digests and Office summary.")
def send_mail_command(daily: bool) -> None:
    """Write reminders and overdue notices, then send the due mail of the outbox."""
    now = utcnow()
    with database().transaction() as session:
        notices = notification_jobs.deadline_notices(session, now)
    if daily:
        with database().transaction() as session:
            notices |= notification_jobs.daily_notices(session, now)
    with database().transaction() as session:
        sent = notification_jobs.deliver_outbox(session, now)
    click.echo(f"{sent} mail(s) sent; notices: {notices}")
