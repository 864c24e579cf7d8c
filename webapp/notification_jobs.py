"""The periodic jobs of notifications, as the job queue calls them: (session, now).

`deliver_outbox` sends the due mail of the outbox, committing each mail's fate as soon as it is
known (a mail that left is never sent again because a later one failed); `deadline_notices`
writes reminders and overdue notices; `daily_notices` the digests and the Office's summary once
a day after DAILY_HOUR local time.
"""

from __future__ import annotations

import contextlib
import smtplib
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from webapp.services.notifications.deadlines import (
    notify_escalations,
    notify_overdue,
    notify_reminders,
    office_daily_summary,
)
from webapp.services.notifications.digest import queue_digests
from webapp.services.notifications.outbox import (
    OutgoingMail,
    claim_due,
    mark_attempt_failed,
    mark_sent,
)
from webapp.services.notifications.smtp import connect, message_of
from webapp.services.settings import settings_of

# The digest and the Office's summary go out from this local time of each day.
DAILY_HOUR = time(7, 0)
BATCH = 50
SEND_ERRORS = (smtplib.SMTPException, OSError)


def _failed(session: Session, mails: list[OutgoingMail], error: str, now: datetime) -> None:
    for mail in mails:
        mark_attempt_failed(session, mail, error, now)
    session.commit()


def deliver_outbox(session: Session, now: datetime, limit: int = BATCH) -> int:
    """Claim the due mail (a lease: no other worker takes it meanwhile), send it over SMTP, mark
    each sent or retried later; returns how many left. Nothing happens when mail is off."""
    mail_settings = settings_of(session).mail
    if not mail_settings.enabled:
        return 0
    claimed = claim_due(session, now, limit)
    session.commit()
    if not claimed:
        return 0
    try:
        smtp = connect(mail_settings)
    except SEND_ERRORS as exc:
        _failed(session, claimed, f"{type(exc).__name__}: {exc}", now)
        return 0
    sent = 0
    try:
        for index, mail in enumerate(claimed):
            try:
                smtp.send_message(message_of(mail, mail_settings))
            except smtplib.SMTPServerDisconnected as exc:
                # The connection is gone: this mail and the rest wait for the next pass.
                _failed(session, claimed[index:], f"{type(exc).__name__}: {exc}", now)
                break
            except SEND_ERRORS as exc:
                _failed(session, [mail], f"{type(exc).__name__}: {exc}", now)
            else:
                mark_sent(session, mail.id, now)
                session.commit()
                sent += 1
    finally:
        with contextlib.suppress(*SEND_ERRORS):
            smtp.quit()
    return sent


def deadline_notices(session: Session, now: datetime) -> dict[str, int]:
    """Reminders two working days before a step's due date, overdue notices after it to those
    who may take it, and its escalation to the unit head or the Director."""
    return {
        "reminders": notify_reminders(session, now),
        "overdue": notify_overdue(session, now),
        "escalations": notify_escalations(session, now),
    }


def daily_notices(session: Session, now: datetime) -> dict[str, int]:
    """Once a day from DAILY_HOUR: each digest user's digest and each Office's late summary."""
    zone = settings_of(session).time_zone
    if now.astimezone(ZoneInfo(zone)).time() < DAILY_HOUR:
        return {"digests": 0, "office_summaries": 0}
    return {
        "digests": queue_digests(session, now),
        "office_summaries": office_daily_summary(session, now),
    }
