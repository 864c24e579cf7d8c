"""Sending one mail over SMTP with the standard library."""

from __future__ import annotations

import smtplib
import ssl
from email.header import Header
from email.mime.text import MIMEText
from email.utils import formatdate, make_msgid

from webapp.services.notifications.outbox import OutgoingMail
from webapp.services.settings import MailSettings

SMTP_TIMEOUT = 30.0


def message_of(mail: OutgoingMail, settings: MailSettings) -> MIMEText:
    """The mail as a MIME message, UTF-8 subject and body. The subject is encoded by
    email.header.Header: the newer policy's folding drops the space between two encoded words
    of a long Vietnamese subject ("trả lại" arrived as "trảlại")."""
    message = MIMEText(mail.body, "plain", "utf-8")
    message["From"] = settings.sender
    message["To"] = mail.recipient
    message["Subject"] = Header(mail.subject, "utf-8")  # type: ignore[assignment]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=f"outbox-{mail.id}")
    return message


def connect(settings: MailSettings) -> smtplib.SMTP:
    """An open, authenticated connection (STARTTLS when asked)."""
    assert settings.server is not None
    smtp = smtplib.SMTP(settings.server, settings.port, timeout=SMTP_TIMEOUT)
    try:
        if settings.use_tls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, settings.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp
