"""Document registers: numbers per document type, issuing body and year ("12/TTr-STC"), each
given once, in order, with no gap, whatever runs at the same time; the administrator sets
where a register continues (the paper register was already at 57)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webapp.db import utcnow
from webapp.models import DocumentRegister, Dossier, IssuedNumber, User
from webapp.permissions import Actor
from webapp.services.errors import InvalidDataError, PermissionDeniedError

# Decree 30/2020's abbreviations of the document types the product numbers.
DOC_TYPES = ("TTr", "BB", "QĐ", "TB", "BC", "KH")
SUBMISSION = "TTr"
DEFAULT_BODY = "STC"
MAX_NUMBER = 999_999
_BODY = re.compile(r"^[A-Za-zĐđ0-9][A-Za-zĐđ0-9.\-]{0,39}$")


@dataclass(frozen=True)
class IssuedNumberView:
    """A number given out: the register it came from and the text printed on the paper."""

    number: int
    text: str
    doc_type: str
    body: str
    year: int
    issued_at: datetime


@dataclass(frozen=True)
class RegisterLine:
    """A register as the administrator's page lists it."""

    register: DocumentRegister
    last_issued: IssuedNumber | None
    issued_count: int


def number_text(number: int, doc_type: str, body: str) -> str:
    """The number as printed: "12/TTr-STC"."""
    return f"{number}/{doc_type}-{body}"


def _check_key(doc_type: str, body: str, year: int) -> None:
    fields: dict[str, str] = {}
    if doc_type not in DOC_TYPES:
        fields["doc_type"] = "must be one of " + ", ".join(DOC_TYPES)
    if not isinstance(body, str) or not _BODY.match(body):
        fields["body"] = "must be an abbreviation such as STC (letters, digits, '-', '.')"
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        fields["year"] = "must be a year between 2000 and 2100"
    if fields:
        raise InvalidDataError("not a register", fields)


def _register_id(session: Session, doc_type: str, body: str, year: int) -> int:
    """The register's id, creating it (starting at 1) the first time; two first requests at
    once both end up with the one row (the loser's insert is undone by its savepoint)."""
    key = (
        DocumentRegister.doc_type == doc_type,
        DocumentRegister.body == body,
        DocumentRegister.year == year,
    )
    found = session.scalar(select(DocumentRegister.id).where(*key))
    if found is not None:
        return found
    try:
        with session.begin_nested():
            session.add(
                DocumentRegister(
                    doc_type=doc_type, body=body, year=year, next_number=1, updated_at=utcnow()
                )
            )
    except IntegrityError:
        pass
    return session.scalars(select(DocumentRegister.id).where(*key)).one()


def issue_number(
    session: Session,
    actor: Actor,
    doc_type: str,
    body: str,
    year: int,
    *,
    subject_kind: str | None = None,
    subject_id: int | None = None,
    purpose: str | None = None,
) -> IssuedNumberView:
    """Take the register's next number and record who took it, when and for what.

    The increment is one UPDATE ... RETURNING: PostgreSQL locks the row until this transaction
    ends, SQLite's writing transaction (BEGIN IMMEDIATE) holds the database; either way a
    concurrent request waits and gets the following number, and a rolled-back transaction gives
    its number back, so the register has no gap. The caller checks that the actor may ask
    for this document's number (e.g. holds the signing step) and commits."""
    _check_key(doc_type, body, year)
    register_id = _register_id(session, doc_type, body, year)
    taken = session.execute(
        update(DocumentRegister)
        .where(DocumentRegister.id == register_id)
        .values(next_number=DocumentRegister.next_number + 1, updated_at=utcnow())
        .returning(DocumentRegister.next_number)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    number = taken - 1
    if number > MAX_NUMBER:
        raise InvalidDataError("the register is full", {"next_number": "is past the last number"})
    text = number_text(number, doc_type, body)
    issued_at = utcnow()
    session.add(
        IssuedNumber(
            register_id=register_id,
            number=number,
            text=text,
            subject_kind=subject_kind,
            subject_id=subject_id,
            purpose=(purpose or "")[:300] or None,
            issued_by_id=actor.user_id,
            issued_at=issued_at,
        )
    )
    session.flush()
    return IssuedNumberView(number, text, doc_type, body, year, issued_at)


def number_issued_for(
    session: Session, doc_type: str, subject_kind: str, subject_id: int
) -> IssuedNumber | None:
    """The number a register already gave for this dossier or round (the newest), if any."""
    return session.scalars(
        select(IssuedNumber)
        .join(DocumentRegister, DocumentRegister.id == IssuedNumber.register_id)
        .where(
            DocumentRegister.doc_type == doc_type,
            IssuedNumber.subject_kind == subject_kind,
            IssuedNumber.subject_id == subject_id,
        )
        .order_by(IssuedNumber.id.desc())
        .limit(1)
    ).first()


def _admin_only(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDeniedError("only an administrator manages the registers")


def list_registers(session: Session, actor: Actor) -> list[RegisterLine]:
    """Every register, newest year first, with its last issued number and how many."""
    _admin_only(actor)
    registers = session.scalars(
        select(DocumentRegister)
        .order_by(DocumentRegister.year.desc(), DocumentRegister.doc_type, DocumentRegister.body)
        # Issuing moves next_number with a bare UPDATE: read the rows afresh.
        .execution_options(populate_existing=True)
    ).all()
    lines = []
    for register in registers:
        last = session.scalars(
            select(IssuedNumber)
            .where(IssuedNumber.register_id == register.id)
            .order_by(IssuedNumber.number.desc())
            .limit(1)
        ).first()
        count = session.scalar(
            select(func.count())
            .select_from(IssuedNumber)
            .where(IssuedNumber.register_id == register.id)
        )
        lines.append(RegisterLine(register, last, int(count or 0)))
    return lines


@dataclass(frozen=True)
class IssuedLine:
    """A number given out, as the administrator's page lists it."""

    issued: IssuedNumber
    issued_by: str
    dossier_id: int | None
    dossier_code: str | None


def recent_issued(session: Session, actor: Actor, limit: int = 50) -> list[IssuedLine]:
    """The numbers given out last, newest first: what for, by whom, when."""
    _admin_only(actor)
    rows = session.execute(
        select(IssuedNumber, User.full_name, Dossier.id, Dossier.code)
        .join(User, User.id == IssuedNumber.issued_by_id)
        .outerjoin(
            Dossier,
            (IssuedNumber.subject_kind == "dossier") & (Dossier.id == IssuedNumber.subject_id),
        )
        .order_by(IssuedNumber.id.desc())
        .limit(limit)
    ).all()
    return [IssuedLine(issued, name, did, code) for issued, name, did, code in rows]


def set_next_number(
    session: Session, actor: Actor, doc_type: str, body: str, year: int, next_number: int
) -> DocumentRegister:
    """Where the register continues (creating it if new); never at or below a number it
    already gave, so no number is given twice."""
    _admin_only(actor)
    _check_key(doc_type, body, year)
    if not isinstance(next_number, int) or not 1 <= next_number <= MAX_NUMBER:
        raise InvalidDataError(
            "not a number", {"next_number": f"must be a whole number from 1 to {MAX_NUMBER}"}
        )
    register_id = _register_id(session, doc_type, body, year)
    # Lock the row first (PostgreSQL) so no number is issued between the check and the change.
    register = session.scalars(
        select(DocumentRegister)
        .where(DocumentRegister.id == register_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    highest = session.scalar(
        select(func.max(IssuedNumber.number)).where(IssuedNumber.register_id == register_id)
    )
    if highest is not None and next_number <= highest:
        raise InvalidDataError(
            f"number {highest} was already issued",
            {"next_number": f"must be greater than {highest}, the last number issued"},
            code="number_already_issued",
        )
    register.next_number = next_number
    register.updated_at = utcnow()
    session.flush()
    return register
