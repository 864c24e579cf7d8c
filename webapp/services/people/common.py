"""What the people use cases share: the permission check, text checks, safe unique flushes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webapp.db import Base
from webapp.permissions import Actor, can_manage_processes
from webapp.services.errors import (
    InvalidDataError,
    PermissionDeniedError,
)


def require_admin(actor: Actor) -> None:
    """Only administrators manage units, roles and users."""
    if not can_manage_processes(actor):
        raise PermissionDeniedError("only administrators manage units, roles and users")


def invalid(code: str, field_name: str, message: str) -> InvalidDataError:
    """A field error with its stable code."""
    return InvalidDataError(message, {field_name: message}, code=code)


def clean_text(value: str | None) -> str:
    """Text with its spaces collapsed."""
    return " ".join((value or "").split())


def required_text(value: str | None, field_name: str, max_length: int) -> str:
    """Non-empty text within a length, or a field error."""
    text = clean_text(value)
    if not text:
        raise invalid("required", field_name, "this field is required")
    if len(text) > max_length:
        raise invalid("too_long", field_name, f"at most {max_length} characters")
    return text


@contextmanager
def unique_flush(session: Session, code: str, field_name: str, message: str) -> Iterator[None]:
    """Flush inside a savepoint: a value taken at the same moment by someone else becomes a
    field error, not a 500, and the rest of the transaction stays usable."""
    try:
        with session.begin_nested():
            yield
    except IntegrityError as exc:
        raise invalid(code, field_name, message) from exc


def forget_tree(session: Session) -> None:
    """Drop the organisation tree cached in the session after a change to it."""
    # actors.unit_parents caches the tree for the session; a change must not read the old one.
    session.info.pop("unit_parents", None)


def count_rows(session: Session, model: type[Base], *conditions: ColumnElement[bool]) -> int:
    """How many rows of `model` match."""
    return session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0
