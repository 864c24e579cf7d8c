"""A dossier's history in words: each event as a sentence in the page's language, with its
details (who, which step, which decision, which versions and why); the codes behind it only
as a marked technical detail."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp.models import Event

DECISION_LABELS = {
    "submit": _l("Submitted"),
    "approve": _l("Approved"),
    "return": _l("Returned for supplement"),
    "refuse": _l("Refused"),
    "confirm": _l("Confirmed"),
    "award": _l("Awarded"),
    "publish": _l("Published"),
    "voted": _l("Voted"),
    "absent": _l("Absent"),
}
# The dossier's status once its process has ended: what the end event meant.
OUTCOME_LABELS = {
    "awarded": _l("Awarded"),
    "refused": _l("Not awarded"),
    "partly_awarded": _l("Partly awarded"),
    "withdrawn": _l("Withdrawn"),
}
# Engine data shown as a technical detail is cut here: it explains, it is not a dump.
MAX_TECHNICAL_CHARS = 300


@dataclass(frozen=True)
class EventLine:
    """One line of the timeline: the sentence, the decision's label, more lines of detail,
    and the codes behind it (shown marked as a technical detail)."""

    sentence: str
    decision: str | None = None
    details: list[str] = field(default_factory=list)
    technical: str | None = None


def _who(event: Event) -> str:
    return event.actor.full_name if event.actor is not None else _("The system")


def _step(event: Event) -> str:
    return event.step_title or event.step or _("an unnamed step")


def _decision(event: Event) -> str | None:
    if not event.decision:
        return None
    return str(DECISION_LABELS.get(event.decision, event.decision))


def _reason(event: Event) -> list[str]:
    reason = (event.data or {}).get("reason")
    return [_("Reason: %(reason)s", reason=reason)] if isinstance(reason, str) and reason else []


def _technical(values: dict[str, Any] | None) -> str | None:
    if not values:
        return None
    text = ", ".join(
        f"{key} = {round(value, 4) if isinstance(value, float) else value}"
        for key, value in values.items()
    )
    return text if len(text) <= MAX_TECHNICAL_CHARS else text[: MAX_TECHNICAL_CHARS - 1] + "…"


def _started(event: Event, status: str | None) -> EventLine:
    return EventLine(_("%(who)s created the dossier.", who=_who(event)))


def _completed(event: Event, status: str | None) -> EventLine:
    # A council member's ballot holds the member's votes and no decision of its own.
    if event.decision == "voted" or (event.decision is None and "votes" in (event.data or {})):
        return EventLine(
            _("%(who)s cast a ballot at “%(step)s”.", who=_who(event), step=_step(event))
        )
    return EventLine(
        _("%(who)s completed the step “%(step)s”.", who=_who(event), step=_step(event)),
        _decision(event),
    )


def _claimed(event: Event, status: str | None) -> EventLine:
    return EventLine(_("%(who)s took the step “%(step)s”.", who=_who(event), step=_step(event)))


def _released(event: Event, status: str | None) -> EventLine:
    data = event.data or {}
    user = data.get("released_for") or "—"
    if data.get("reason") == "user_deactivated":
        return EventLine(
            _(
                "%(who)s deactivated the account of %(user)s; the step “%(step)s” they had "
                "taken went back to everyone in its role.",
                who=_who(event),
                user=user,
                step=_step(event),
            )
        )
    if data.get("reason") == "role_removed":
        return EventLine(
            _(
                "%(who)s took a role away from %(user)s; the step “%(step)s” they had taken "
                "went back to everyone in its role.",
                who=_who(event),
                user=user,
                step=_step(event),
            )
        )
    return EventLine(
        _(
            "%(who)s gave the step “%(step)s” back to everyone in its role.",
            who=_who(event),
            step=_step(event),
        )
    )


def _tally(data: dict[str, Any] | None) -> list[str]:
    """The council's count in words, when a step's result is the shape tally_votes gives."""
    for value in (data or {}).values():
        if isinstance(value, dict) and {"members", "voted", "passed", "failed"} <= set(value):
            counted = [
                _(
                    "%(voted)s of %(members)s members voted; %(passed)s nominee(s) passed, "
                    "%(failed)s did not.",
                    voted=value["voted"],
                    members=value["members"],
                    passed=len(value["passed"] or []),
                    failed=len(value["failed"] or []),
                )
            ]
            if value.get("quorum_met") is False:
                counted.append(_("Too few members voted for the vote to count."))
            return counted
    return []


def _automated(event: Event, status: str | None) -> EventLine:
    return EventLine(
        _("The system ran “%(step)s” by itself.", step=_step(event)),
        details=_tally(event.data),
        technical=_technical(event.data),
    )


def _ended(event: Event, status: str | None) -> EventLine:
    outcome = OUTCOME_LABELS.get(status or "")
    return EventLine(
        _("The process ended at “%(step)s”.", step=_step(event)),
        details=[_("Outcome: %(outcome)s", outcome=outcome)] if outcome else [],
        technical=_technical(event.data),
    )


def _draft_saved(event: Event, status: str | None) -> EventLine:
    return EventLine(
        _("%(who)s saved a draft at the step “%(step)s”.", who=_who(event), step=_step(event))
    )


def _vote_closed(event: Event, status: str | None) -> EventLine:
    names = (event.data or {}).get("absent_names") or []
    return EventLine(
        _("%(who)s closed the vote at “%(step)s”.", who=_who(event), step=_step(event)),
        details=[_("Absent: %(names)s", names=", ".join(map(str, names)))] if names else [],
    )


def _mapped_steps(data: dict[str, Any]) -> list[str]:
    return [
        _(
            "The step “%(old)s” became the step “%(new)s” of version %(number)s.",
            old=step.get("from_title") or step.get("from"),
            new=step.get("to_title") or step.get("to"),
            number=data.get("to_version"),
        )
        for step in data.get("steps") or []
        if isinstance(step, dict)
    ]


def _moved(event: Event, status: str | None) -> EventLine:
    data = event.data or {}
    return EventLine(
        _(
            "%(who)s moved the dossier from version %(old)s to version %(new)s.",
            who=_who(event),
            old=data.get("from_version", "?"),
            new=data.get("to_version", "?"),
        ),
        details=_reason(event) + _mapped_steps(data),
    )


def _move_undone(event: Event, status: str | None) -> EventLine:
    data = event.data or {}
    return EventLine(
        _(
            "%(who)s undid the move: the dossier went back from version %(old)s to "
            "version %(new)s.",
            who=_who(event),
            old=data.get("from_version", "?"),
            new=data.get("to_version", "?"),
        ),
        details=_reason(event),
    )


SENTENCES: dict[str, Callable[[Event, str | None], EventLine]] = {
    "started": _started,
    "completed": _completed,
    "claimed": _claimed,
    "released": _released,
    "automated": _automated,
    "ended": _ended,
    "draft_saved": _draft_saved,
    "vote_closed": _vote_closed,
    "moved": _moved,
    "move_undone": _move_undone,
}


def event_line(event: Event, dossier_status: str | None = None) -> EventLine:
    """The event as the timeline reads it; `dossier_status` gives an end its outcome. A kind
    this module does not know yet still reads as a sentence, its code a technical detail."""
    sentence = SENTENCES.get(event.action)
    if sentence is not None:
        return sentence(event, dossier_status)
    line = (
        _("%(who)s: an event this page cannot describe yet.", who=_who(event))
        if event.actor is not None
        else _("An event this page cannot describe yet.")
    )
    return EventLine(line, technical=event.action)
