"""Where a dossier stands, as one structured value the pages turn into a sentence.

Built only from what the lists already read (the dossier's status, its open work items, the
results and decisions stored on its nominees) and the working-day calendar: never a query of
its own, so a list of fifty dossiers or an export of a hundred thousand costs nothing more.
The words live at the web edge (webapp/status_text.py), through the translation catalog.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

# Re-exported: the lists and their tests reach the calendar through this module too.
from webapp.services.calendar import WorkingCalendar as WorkingCalendar

# What a dossier's sentence says, by kind.
WAITING = "waiting"  # someone must act (deadline fields say how long is left)
OVERDUE = "overdue"  # someone must act and the time limit has passed
RETURNED = "returned"  # sent back to the unit to complete it
PROCESSING = "processing"  # in progress, no person has a step (the system or a higher level)
AWARDED = "awarded"
PARTLY_AWARDED = "partly_awarded"
REFUSED = "refused"
WITHDRAWN = "withdrawn"
FINISHED = frozenset({AWARDED, PARTLY_AWARDED, REFUSED, WITHDRAWN})


@dataclass(frozen=True)
class OpenStep:
    """An open work item as the lists read it (plain values, no ORM object needed)."""

    title: str
    role_name: str | None
    holder: str | None  # the person who took it or was given it
    created_at: datetime
    due_at: datetime | None


@dataclass(frozen=True)
class Outcome:
    """What the dossier's nominees got: counts and the award decision, if any."""

    nominees: int = 0
    awarded: int = 0
    decision_number: str | None = None
    decision_date: date | None = None


NO_OUTCOME = Outcome()


def outcome_of(nominees: Iterable[Any]) -> Outcome:
    """The outcome of nominees already loaded (objects with `result`, `decision_number` and
    `decision_date`): the export counts the same in SQL (tracking_export._outcomes)."""
    listed = list(nominees)
    awarded = [n for n in listed if n.result == "awarded"]
    numbers = sorted(n.decision_number for n in awarded if n.decision_number)
    dates = [n.decision_date for n in awarded if n.decision_date]
    return Outcome(
        nominees=len(listed),
        awarded=len(awarded),
        decision_number=numbers[0] if numbers else None,
        decision_date=max(dates) if dates else None,
    )


@dataclass(frozen=True)
class StatusSentence:
    """Where a dossier stands. `kind` is one of the constants above.

    For WAITING, OVERDUE and RETURNED: `waiting_for` names who must act (the person who took
    the step, or its role), `steps` the step titles, `people` how many items wait (a council vote
    is one per member); `limit_days` is the step's time limit in working days, `days_left` the
    working days still left (0: due today) or `days_late` the working days past the limit.
    For the outcomes: the number of nominees awarded and the decision that awarded them.
    """

    kind: str
    waiting_for: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    people: int = 0
    limit_days: int | None = None
    days_left: int | None = None
    days_late: int | None = None
    due_at: datetime | None = None
    awarded: int = 0
    nominees: int = 0
    decision_number: str | None = None
    decision_date: date | None = None

    @property
    def tone(self) -> str:
        """A Bootstrap colour for the sentence: red late, amber due today or returned."""
        if self.kind == OVERDUE:
            return "danger"
        if self.kind == RETURNED or self.days_left == 0:
            return "warning"
        if self.kind in (AWARDED, PARTLY_AWARDED):
            return "success"
        if self.kind in (REFUSED, WITHDRAWN):
            return "secondary"
        return "primary"


def _who(steps: Sequence[OpenStep]) -> tuple[str, ...]:
    """The person who took or was given each step, else its role; each name once."""
    names = (step.holder or step.role_name or "" for step in steps)
    return tuple(dict.fromkeys(name for name in names if name))


def status_sentence(
    status: str,
    open_steps: Iterable[OpenStep],
    outcome: Outcome,
    now: datetime,
    calendar: WorkingCalendar,
) -> StatusSentence:
    """Where the dossier stands, from its status, open steps and outcome (no query)."""
    if status in FINISHED:
        awarded = outcome.awarded if status != AWARDED else outcome.awarded or outcome.nominees
        return StatusSentence(
            kind=status,
            awarded=awarded,
            nominees=outcome.nominees,
            decision_number=outcome.decision_number
            if status in (AWARDED, PARTLY_AWARDED)
            else None,
            decision_date=outcome.decision_date if status in (AWARDED, PARTLY_AWARDED) else None,
        )
    steps = sorted(open_steps, key=lambda s: (s.due_at is None, s.due_at or s.created_at))
    if not steps:
        return StatusSentence(kind=RETURNED if status == RETURNED else PROCESSING)
    first = steps[0]
    limit = left = late = None
    if first.due_at is not None:
        due_day = calendar.local_date(first.due_at)
        today = calendar.local_date(now)
        limit = calendar.working_days(calendar.local_date(first.created_at), due_day)
        if now <= first.due_at:
            left = calendar.working_days(today, due_day)
        else:
            late = calendar.working_days(due_day, today)
    kind = OVERDUE if late is not None else WAITING
    if status == RETURNED:
        kind = RETURNED
    return StatusSentence(
        kind=kind,
        waiting_for=_who(steps),
        steps=tuple(dict.fromkeys(step.title for step in steps)),
        people=len(steps),
        limit_days=limit,
        days_left=left,
        days_late=late,
        due_at=first.due_at,
    )
