"""Other dossiers' nominees that are the same person as one of a dossier's own, for the Office's
check: read newest first and bounded per nominee, so that a name or a unit proposed thousands of
times costs one short index range instead of a count over every nominee of that name.

Two nominees are one when they are of the same kind and either both are collectives of a known
unit and the units are equal, or their folded names are equal and their dates of birth do not
both exist and differ (namesakes). The rule is written in SQL, so that only matches are read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, literal, or_, select, true, union_all
from sqlalchemy.orm import Session

from webapp.models import Dossier, Nominee
from webapp.services.text_search import fold

# Rows read per nominee and index range; past it a count is a lower bound. No Office reads
# a hundred other dossiers from a warning, and no real person has that many awards in a period.
READ_BOUND = 100
# SQLite refuses a compound SELECT of more than 500 members; a dossier has up to 200 nominees,
# each one or two ranges.
_MEMBERS_PER_READ = 200


class OtherNominee(NamedTuple):
    """One other dossier proposing the same person, with what dates its award."""

    dossier_id: int
    decision_date: date | None
    closed_at: datetime | None


@dataclass(frozen=True)
class Found:
    """The other dossiers' matching nominees, newest dossier first (a dossier proposing the
    person twice is there twice: `dossier_ids` is distinct), and whether the read stopped at
    its bound (there may be more)."""

    others: list[OtherNominee]
    bounded: bool

    @property
    def dossier_ids(self) -> list[int]:
        """The other dossiers' ids, newest first."""
        return list(dict.fromkeys(o.dossier_id for o in self.others))


def _ranges(nominee: Nominee) -> list[Any]:
    """The conditions matching `nominee`'s person, each an index range ordered by dossier:
    ix_nominee_unit_dossier for a collective's unit, ix_nominee_folded_dossier for the name."""
    born = (
        true()
        if nominee.birth_date is None
        else or_(Nominee.birth_date.is_(None), Nominee.birth_date == nominee.birth_date)
    )
    by_name = and_(Nominee.folded_name == fold(nominee.name), Nominee.kind == nominee.kind, born)
    if nominee.kind == "collective" and nominee.org_unit_id:
        return [
            and_(Nominee.org_unit_id == nominee.org_unit_id, Nominee.kind == "collective"),
            # A collective typed without its unit is known by its name.
            and_(by_name, Nominee.org_unit_id.is_(None)),
        ]
    return [by_name]


def proposed_elsewhere(
    session: Session, dossier: Dossier, nominees: Sequence[Nominee], reason: Any
) -> list[Found]:
    """For each of `nominees` (of `dossier`), the other dossiers meeting `reason` (a condition
    on Dossier and Nominee) that propose the same person, at most READ_BOUND per range read."""
    members: list[tuple[int, Any]] = [
        (index, condition)
        for index, nominee in enumerate(nominees)
        for condition in _ranges(nominee)
    ]
    rows: list[list[OtherNominee]] = [[] for _ in nominees]
    bounded = [False] * len(nominees)
    for start in range(0, len(members), _MEMBERS_PER_READ):
        chunk = members[start : start + _MEMBERS_PER_READ]
        parts = [
            select(
                select(
                    literal(number).label("member"),
                    Nominee.dossier_id,
                    Nominee.decision_date,
                    Dossier.closed_at,
                )
                .join(Dossier, Dossier.id == Nominee.dossier_id)
                .where(condition, Nominee.dossier_id != dossier.id, reason)
                .order_by(Nominee.dossier_id.desc())
                .limit(READ_BOUND + 1)
                # SQLite takes ORDER BY and LIMIT in a compound's member only in a subquery.
                .subquery()
            )
            for number, (_index, condition) in enumerate(chunk)
        ]
        read: list[list[OtherNominee]] = [[] for _ in chunk]
        for row in session.execute(union_all(*parts)):
            read[row[0]].append(OtherNominee(row[1], row[2], row[3]))
        for (index, _condition), found in zip(chunk, read, strict=True):
            rows[index].extend(found)
            bounded[index] = bounded[index] or len(found) > READ_BOUND
    return [
        Found(sorted(found, key=lambda o: o.dossier_id, reverse=True), cut)
        for found, cut in zip(rows, bounded, strict=True)
    ]
