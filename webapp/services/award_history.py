"""The award history of a person or collective: every award recorded in the system, with its
decision, found by name typed with or without diacritics ("nguyen thi hang" finds "Nguyễn Thị
Hằng"), for the Office's eligibility check. Only units within the actor's reach are searched."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, select, true
from sqlalchemy.orm import Session

from webapp.models import Dossier, Movement, Nominee, OrgUnit
from webapp.permissions import Actor
from webapp.services.text_search import fold, search_terms

# A search returns at most this many awards; the page says when there may be more.
SEARCH_LIMIT = 200
MIN_QUERY_CHARS = 2


@dataclass(frozen=True)
class PastAward:
    """One award a nominee received, with its decision and the dossier that proposed it."""

    nominee_id: int
    name: str
    kind: str
    job_title: str | None
    unit: str
    award_form: str
    decision_number: str | None
    decision_date: date | None
    decided_by: str | None
    movement: str | None
    dossier_id: int
    dossier_code: str | None
    closed_at: datetime | None


def _reach(actor: Actor) -> ColumnElement[bool]:
    if actor.is_admin:
        return true()
    return Dossier.unit_id.in_(actor.visible_units)


def _awards(session: Session, *conditions: ColumnElement[bool]) -> list[PastAward]:
    rows = session.execute(
        select(Nominee, Dossier, OrgUnit.name, Movement.name)
        .join(Dossier, Dossier.id == Nominee.dossier_id)
        .join(OrgUnit, OrgUnit.id == Dossier.unit_id)
        .outerjoin(Movement, Movement.id == Dossier.movement_id)
        .where(Nominee.result == "awarded", *conditions)
        .order_by(
            Nominee.decision_date.desc().nulls_last(),
            Dossier.closed_at.desc().nulls_last(),
            Nominee.id.desc(),
        )
        .limit(SEARCH_LIMIT)
    )
    return [
        PastAward(
            nominee_id=nominee.id,
            name=nominee.name,
            kind=nominee.kind,
            job_title=nominee.job_title,
            unit=(nominee.work_unit or unit_name) if nominee.kind == "individual" else unit_name,
            award_form=dossier.award_form,
            decision_number=nominee.decision_number,
            decision_date=nominee.decision_date,
            decided_by=nominee.decided_by,
            movement=movement_name,
            dossier_id=dossier.id,
            dossier_code=dossier.code,
            closed_at=dossier.closed_at,
        )
        for nominee, dossier, unit_name, movement_name in rows
    ]


def search_awards(session: Session, actor: Actor, query: str) -> list[PastAward]:
    """The awards whose nominee's name holds every word of the query, diacritics ignored.
    A query shorter than two letters finds nothing (it would list everyone)."""
    terms = search_terms(query)
    if len("".join(terms)) < MIN_QUERY_CHARS:
        return []
    # Whole words: "hang" finds "Hằng" but not "Thắng" (spaces pad both sides of the name).
    padded = " " + Nominee.folded_name + " "
    words = [padded.contains(f" {term} ", autoescape=True) for term in terms]
    return _awards(session, _reach(actor), and_(*words))


def history_of_nominees(
    session: Session, actor: Actor, nominees: Iterable[Nominee]
) -> dict[int, list[PastAward]]:
    """For each nominee, the OTHER awards recorded under the same name and kind (itself left
    out): what the Office checks before proposing the same person again. One query."""
    listed = list(nominees)
    names = {fold(n.name) for n in listed} - {""}
    if not names:
        return {}
    found = _awards(session, _reach(actor), Nominee.folded_name.in_(names))
    history: dict[int, list[PastAward]] = {}
    for nominee in listed:
        key = fold(nominee.name)
        same = [
            a
            for a in found
            if a.nominee_id != nominee.id and fold(a.name) == key and a.kind == nominee.kind
        ]
        if same:
            history[nominee.id] = same
    return history
