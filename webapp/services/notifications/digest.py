"""The daily digest: one mail per user who chose it, with the unread notifications since the
last one."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import MailOutbox, Notification, NotificationPreference, User
from webapp.services.notifications.fanout import DIGEST
from webapp.services.notifications.wording import (
    GREETING,
    OPEN_LINK,
    SENTENCES,
    SIGNATURE,
    SUBJECTS,
    in_mail_language,
    local_day,
    mail_params,
)
from webapp.services.settings import settings_of

# With no digest before, the first one looks back this far.
FIRST_DIGEST_WINDOW = timedelta(days=1)


def queue_digests(session: Session, now: datetime) -> int:
    """Write today's digest of every user who chose one and has not had it today; returns how
    many mails were queued."""
    settings = settings_of(session)
    if not settings.mail_enabled:
        return 0
    zone = ZoneInfo(settings.time_zone)
    today = now.astimezone(zone).date()
    day = local_day(now, settings.time_zone)
    queued = 0
    choices = session.execute(
        select(NotificationPreference, User)
        .join(User, User.id == NotificationPreference.user_id)
        .where(NotificationPreference.email_mode == DIGEST, User.active.is_(True))
        .with_for_update(of=NotificationPreference, skip_locked=True)
    ).all()
    for preference, user in choices:
        last = preference.last_digest_at
        if last is not None and last.astimezone(zone).date() >= today:
            continue
        preference.last_digest_at = now
        since = last or now - FIRST_DIGEST_WINDOW
        unread = session.scalars(
            select(Notification)
            .where(
                Notification.user_id == user.id,
                Notification.read_at.is_(None),
                Notification.created_at > since,
                Notification.created_at <= now,
            )
            .order_by(Notification.id)
        ).all()
        if not unread or not user.email:
            continue
        lines = [in_mail_language(GREETING), ""]
        for notice in unread:
            params = mail_params(notice.kind, notice.params or {})
            lines.append("- " + in_mail_language(SENTENCES[notice.kind], params))
            if notice.link:
                lines.append(
                    "  "
                    + in_mail_language(OPEN_LINK, {"link": settings.app_base_url + notice.link})
                )
        lines += ["", "--", in_mail_language(SIGNATURE)]
        session.add(
            MailOutbox(
                user_id=user.id,
                recipient=user.email,
                kind="digest",
                subject=in_mail_language(SUBJECTS["digest"], {"day": day}),
                body="\n".join(lines),
                status="queued",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
        queued += 1
    session.flush()
    return queued
