"""A round's history in words: the labels of its lines (the Department round's and the Ministry
round's), shared by the round pages and the dossier page, and the dossier's timeline with its
rounds' lines put in among its own events by time."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from webapp.models import Event
from webapp.services.rounds.dossier_round_history import DEPARTMENT, MINISTRY, RoundHistoryLine

DEPARTMENT_LABELS = {
    "department_submission": _l("Submitted to the Ministry round"),
    "ministry_result": _l("The Ministry round answered"),
    "resubmitted": _l("The supplemented submission was sent again"),
    "opened": _l("Round opened"),
    "joined": _l("A dossier joined the round"),
    "proposal_ready": _l("A proposal was received"),
    "intake_closed": _l("Intake closed"),
    "compiled": _l("Lists compiled"),
    "voted": _l("A council member voted"),
    "written_opinion": _l("An absent council member sent a written opinion"),
    "counted": _l("The council's votes were counted"),
    "concluded": _l("The council's conclusion recorded"),
    "signed": _l("Submission signed"),
    "moved_out": _l("A late dossier moved to another round"),
    "decided": _l("The Ministry's decision recorded"),
    "timer": _l("A timer of the round's process fired"),
}
MINISTRY_LABELS = {
    "opened": _l("Round opened"),
    "department_submission": _l("A Department's submission was received"),
    "submission_returned": _l("A Department's submission was returned"),
    "appraised": _l("Appraisal closed, lists compiled"),
    "council_decided": _l("The Ministry council's decision recorded"),
    "minister_decided": _l("The Minister signed"),
    "timer": _l("A timer of the round's process fired"),
}
# A line's labels by its round's level, and the level's own name (the dossier page marks
# each round line with it).
ROUND_LABELS = {DEPARTMENT: DEPARTMENT_LABELS, MINISTRY: MINISTRY_LABELS}
LEVEL_LABELS = {DEPARTMENT: _l("Department round"), MINISTRY: _l("Ministry round")}


# Round lines that the dossier's own step caused (its joining, its proposal arriving): at the
# same moment as one of its events they follow it; every other round line at that moment caused
# the dossier's event (results, a decision arriving) and comes before it.
_CAUSED_BY_DOSSIER = frozenset({"joined", "proposal_ready"})


def with_round_lines(
    history: list[Event], round_lines: list[RoundHistoryLine]
) -> list[Event | RoundHistoryLine]:
    """The dossier's events in their order, with each round line put in by its time (the
    round's note that the dossier joined, taken a moment before the dossier was created,
    follows its creation)."""
    merged: list[Event | RoundHistoryLine] = []
    pending = list(round_lines)
    first = history[0].at if history else None

    def before(line: RoundHistoryLine, event: Event) -> bool:
        at = line.event.at
        if line.event.action == "joined" and first is not None:
            at = max(at, first)
        return at < event.at or (at == event.at and line.event.action not in _CAUSED_BY_DOSSIER)

    for event in history:
        while pending and before(pending[0], event):
            merged.append(pending.pop(0))
        merged.append(event)
    return merged + pending
