"""The mail outbox: workers claim due rows under a lease, send, then mark them sent or retry
them with exponential back-off until they are marked failed for the administrator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from webapp.models import MailOutbox
from webapp.services.errors import NotFoundError

# A row being sent is the worker's for this long; a worker killed mid-send leaves it to be
# taken again after it (a mail may then go twice, never zero times).
LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 6
FIRST_RETRY = timedelta(minutes=1)
LAST_ERROR_CHARS = 1000


@dataclass(frozen=True)
class OutgoingMail:
    """A claimed row, as plain values (sent outside the transaction that claimed it)."""

    id: int
    recipient: str
    subject: str
    body: str
    attempts: int


def _due(now: datetime) -> ColumnElement[bool]:
    # Queued and due, or being sent by a worker whose lease ran out.
    return or_(MailOutbox.status == "queued", MailOutbox.status == "sending") & (
        MailOutbox.next_attempt_at <= now
    )


def claim_due(session: Session, now: datetime, limit: int = 50) -> list[OutgoingMail]:
    """Take up to `limit` due rows for this worker: one UPDATE … WHERE id IN (the due rows,
    locked and skipping those other workers hold on PostgreSQL) … RETURNING; SQLite's writing
    transaction holds the database while it runs."""
    due = select(MailOutbox.id).where(_due(now)).order_by(MailOutbox.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    rows = session.execute(
        update(MailOutbox)
        .where(MailOutbox.id.in_(due.scalar_subquery()), _due(now))
        .values(status="sending", attempts=MailOutbox.attempts + 1, next_attempt_at=now + LEASE)
        .returning(
            MailOutbox.id,
            MailOutbox.recipient,
            MailOutbox.subject,
            MailOutbox.body,
            MailOutbox.attempts,
        )
        .execution_options(synchronize_session=False)
    ).all()
    return sorted((OutgoingMail(*row) for row in rows), key=lambda mail: mail.id)


def mark_sent(session: Session, mail_id: int, now: datetime) -> None:
    """The mail left."""
    session.execute(
        update(MailOutbox)
        .where(MailOutbox.id == mail_id, MailOutbox.status == "sending")
        .values(status="sent", sent_at=now, last_error=None)
        .execution_options(synchronize_session=False)
    )


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after the 1st, 2nd, 3rd … failed attempt."""
    factor: int = 2 ** max(attempts - 1, 0)
    return FIRST_RETRY * factor


def mark_attempt_failed(session: Session, mail: OutgoingMail, error: str, now: datetime) -> str:
    """The attempt failed: queued again after a back-off, or failed after MAX_ATTEMPTS."""
    status = "failed" if mail.attempts >= MAX_ATTEMPTS else "queued"
    session.execute(
        update(MailOutbox)
        .where(MailOutbox.id == mail.id, MailOutbox.status == "sending")
        .values(
            status=status,
            next_attempt_at=now + retry_delay(mail.attempts),
            last_error=error[:LAST_ERROR_CHARS],
        )
        .execution_options(synchronize_session=False)
    )
    return status


def failed_mails(session: Session, limit: int = 200) -> list[MailOutbox]:
    """The mails that gave up, newest first (the administrator's page)."""
    return list(
        session.scalars(
            select(MailOutbox)
            .where(MailOutbox.status == "failed")
            .order_by(MailOutbox.id.desc())
            .limit(limit)
        )
    )


def outbox_counts(session: Session) -> dict[str, int]:
    """How many rows are in each status."""
    rows = session.execute(select(MailOutbox.status, func.count()).group_by(MailOutbox.status))
    return {status: int(count) for status, count in rows}


def retry_mail(session: Session, mail_id: int, now: datetime) -> MailOutbox:
    """A failed mail goes back to the queue, due now, its attempts counted afresh."""
    mail = session.get(MailOutbox, mail_id)
    if mail is None or mail.status != "failed":
        raise NotFoundError(f"failed mail {mail_id} not found")
    mail.status, mail.attempts, mail.next_attempt_at = "queued", 0, now
    session.flush()
    return mail
