"""The ballot box of a secret council vote: counts per nominee and choice, nothing else.

A member's secret ballot is split in two. The engine and the history learn only THAT the
member voted; the choices go here, as counters. Every ballot updates every counter of its box
in one statement (by one or by zero), so neither the rows nor their last-written marks (e.g.
PostgreSQL's xmin) tell which counters one ballot moved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from webapp.models import BallotBox, BallotCount, Dossier, Event
from webapp.services.errors import InvalidDataError

CHOICES = ("agree", "disagree")
# What the engine's ballot holds in a secret vote: a truthy mark with no choice in it.
SEALED = {"ballot": "sealed"}
# The rules table's output that makes a vote secret (award_rules.dmn, column "secret").
SECRECY_OUTPUT = "secret"


@dataclass(frozen=True)
class Subject:
    """What a council votes on: a dossier, or a round's whole list."""

    kind: str
    id: int


def dossier_subject(dossier: Dossier) -> Subject:
    """The subject of a dossier's own council vote."""
    return Subject("dossier", dossier.id)


def round_subject(round_id: int) -> Subject:
    """The subject of a round's council vote (one vote on the round's whole list)."""
    return Subject("round", round_id)


def rules_say_secret(session: Session, dossier: Dossier) -> bool:
    """Whether the rules the engine last applied to the dossier say the council votes secretly
    (the rule task's output is in its history line; older rules without the column: open)."""
    rows = session.scalars(
        select(Event.data)
        .where(Event.dossier_id == dossier.id, Event.action == "automated")
        .order_by(Event.id.desc())
    )
    for data in rows:
        if isinstance(data, dict) and SECRECY_OUTPUT in data:
            return data[SECRECY_OUTPUT] is True
    return False


def current_box(session: Session, subject: Subject, step: str) -> BallotBox | None:
    """The open box of the vote under way at `step`, if a ballot has been cast in it."""
    return session.scalar(
        select(BallotBox)
        .where(
            BallotBox.subject_kind == subject.kind,
            BallotBox.subject_id == subject.id,
            BallotBox.step == step,
            BallotBox.status == "open",
        )
        .order_by(BallotBox.id.desc())
        .limit(1)
    )


def open_box(
    session: Session, subject: Subject, step: str, nominee_keys: Iterable[str]
) -> BallotBox:
    """The open box for the vote at `step`, made with a zero counter for every nominee and
    choice when the first ballot arrives (all rows at once: their order says nothing)."""
    box = current_box(session, subject, step)
    if box is not None:
        return box
    box = BallotBox(subject_kind=subject.kind, subject_id=subject.id, step=step, status="open")
    session.add(box)
    session.flush()
    session.add_all(
        BallotCount(box_id=box.id, nominee_key=key, choice=choice, count=0)
        for key in sorted(set(nominee_keys))
        for choice in CHOICES
    )
    session.flush()
    return box


def cast(session: Session, box: BallotBox, choices: Mapping[str, Any]) -> None:
    """Add one ballot's `choices` (nominee key -> choice) to the box's counters."""
    keys = set(session.scalars(select(BallotCount.nominee_key).where(BallotCount.box_id == box.id)))
    chosen = []
    for nominee, choice in choices.items():
        if str(nominee) not in keys or choice not in CHOICES:
            raise InvalidDataError(
                "the ballot names a nominee or a choice this vote does not have",
                {f"votes.{nominee}": "is not a nominee of this vote"},
            )
        chosen.append(and_(BallotCount.nominee_key == str(nominee), BallotCount.choice == choice))
    if not chosen:
        return
    session.execute(
        update(BallotCount)
        .where(BallotCount.box_id == box.id)
        .values(count=BallotCount.count + case((or_(*chosen), 1), else_=0))
        .execution_options(synchronize_session=False)
    )


def counts(session: Session, box: BallotBox) -> dict[str, dict[str, int]]:
    """The box's totals: nominee key -> choice -> number of ballots (one row per nominee, so
    that even a debug log of the rows read shows numbers, not choices)."""
    rows = session.execute(
        select(
            BallotCount.nominee_key,
            func.sum(case((BallotCount.choice == "agree", BallotCount.count), else_=0)),
            func.sum(case((BallotCount.choice == "disagree", BallotCount.count), else_=0)),
        )
        .where(BallotCount.box_id == box.id)
        .group_by(BallotCount.nominee_key)
    )
    return {
        nominee: {"agree": int(agree or 0), "disagree": int(disagree or 0)}
        for nominee, agree, disagree in rows
    }


def close_box(box: BallotBox) -> None:
    """The box has been counted: the next vote on the subject opens a new one."""
    box.status = "counted"
