"""What pages show about a dossier at a glance: labels, nominees, files, history."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from webapp.history_text import DECISION_LABELS, EventLine, event_line
from webapp.models import Dossier, Event
from webapp.permissions import Actor
from webapp.services.attachments import attachments_of
from webapp.services.history import history_of

AWARD_FORM_LABELS = {
    "bk_btc": _l("Certificate of Merit of the Minister of Finance"),
    "bk_ttg": _l("Certificate of Merit of the Prime Minister"),
    "hcld_1": _l("First-class Labour Order"),
    "hcld_2": _l("Second-class Labour Order"),
    "hcld_3": _l("Third-class Labour Order"),
}
TRACK_LABELS = {
    "ad_hoc": _l("Ad-hoc achievement"),
    "interim": _l("Interim review"),
    "final": _l("Final review"),
}
PROCEDURE_LABELS = {"regular": _l("Regular procedure"), "simplified": _l("Simplified procedure")}
STATUS_LABELS = {
    "in_progress": _l("In progress"),
    "returned": _l("Returned for supplement"),
    "awarded": _l("Awarded"),
    "refused": _l("Not awarded"),
    "partly_awarded": _l("Partly awarded"),
    "withdrawn": _l("Withdrawn"),
}
STATUS_BADGES = {
    "in_progress": "primary",
    "returned": "warning",
    "awarded": "success",
    "refused": "danger",
    "partly_awarded": "info",
    "withdrawn": "secondary",
}
NOMINEE_RESULT_LABELS = {
    "pending": _l("Pending"),
    "passed": _l("Passed the council"),
    "failed": _l("Not passed"),
    "awarded": _l("Awarded"),
    "refused": _l("Not awarded"),
    "sent_up": _l("Sent up to the central level"),
}
KIND_LABELS = {"individual": _l("Individual"), "collective": _l("Collective")}
ATTACHMENT_KIND_LABELS = {
    "achievement_report": _l("Achievement report"),
    "submission": _l("Submission memo"),
    "minutes": _l("Council minutes"),
    "ballot": _l("Ballot result"),
    "written_opinion": _l("Written opinion"),
    "certification": _l("Certification"),
    "concurrence": _l("Concurring opinion"),
    "decision": _l("Award decision"),
    "other": _l("Other"),
}
LABELS = {
    "award_forms": AWARD_FORM_LABELS,
    "tracks": TRACK_LABELS,
    "procedures": PROCEDURE_LABELS,
    "statuses": STATUS_LABELS,
    "status_badges": STATUS_BADGES,
    "results": NOMINEE_RESULT_LABELS,
    "kinds": KIND_LABELS,
    "decisions": DECISION_LABELS,
    "attachment_kinds": ATTACHMENT_KIND_LABELS,
}


def event_lines(history: list[Event], dossier_status: str | None) -> dict[int, EventLine]:
    """Each event's line in words, by event id; the last end of the process carries the
    dossier's outcome."""
    last_end = next((e.id for e in reversed(history) if e.action == "ended"), None)
    return {e.id: event_line(e, dossier_status if e.id == last_end else None) for e in history}


def dossier_context(session: Session, actor: Actor, dossier: Dossier) -> dict[str, Any]:
    """Template variables for the dossier header, nominees, files and history."""
    history = history_of(session, dossier.id)
    return {
        "labels": LABELS,
        "history": history,
        "event_lines": event_lines(history, dossier.status),
        "attachments": attachments_of(session, dossier.id),
        "nominees": list(dossier.nominees),
    }
