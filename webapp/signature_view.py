"""Beside a PDF on the pages: what validating its signatures found (kept at upload)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, g

from webapp.models import Attachment, SignatureCheck
from webapp.request_db import db_session
from webapp.services.signed_pdfs import signature_checks


def signature_of(attachment: Attachment) -> SignatureCheck | None:
    """The stored check of a file, loaded once per request for every file asked about."""
    cache: dict[int, SignatureCheck | None] = g.setdefault("signature_checks", {})
    if attachment.id not in cache:
        found = signature_checks(db_session(), [attachment.id])
        cache[attachment.id] = found.get(attachment.id)
    return cache[attachment.id]


def signed_time(value: Any) -> datetime | None:
    """A signature's stored ISO time as a datetime for the datetime_vn filter."""
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def register(app: Flask) -> None:
    """Offer signature_of() and signed_time() to the templates."""
    app.jinja_env.globals["signature_of"] = signature_of
    app.jinja_env.globals["signed_time"] = signed_time
