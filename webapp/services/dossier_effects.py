"""What a completed step changes on the dossier and its nominees, beyond the engine state."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Dossier, Nominee, RoundEntry
from webapp.services.council import council_members
from webapp.services.errors import InvalidDataError
from webapp.services.nominee_details import check_dossier_details
from webapp.services.nominees_in_play import nominee_ids_in_play
from webapp.services.text_search import fold
from workflows import AutomatedStep, InstanceStatus

NOMINEE_FIELDS = (
    "kind",
    "name",
    "gender",
    "staff_category",
    "achievement",
    "next_of_kin",
    "org_unit_id",
)
RETURN_DECISIONS = frozenset({"return"})
AWARD_DECISION = "award"


def refresh_search_text(dossier: Dossier) -> None:
    """Fold code, title and nominee names for diacritic-insensitive search."""
    parts = [dossier.code or "", dossier.title] + [n.name for n in dossier.nominees]
    dossier.search_text = fold(" ".join(parts))


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def fill_nominee(nominee: Nominee, data: dict[str, Any]) -> None:
    """Copy a nominee's fields from API/form data."""
    for name in NOMINEE_FIELDS:
        if name in data:
            setattr(nominee, name, data[name])
    if "name" in data:
        nominee.folded_name = fold(data["name"])
    if "position" in data:
        nominee.job_title = data["position"]
    if "birth_date" in data:
        nominee.birth_date = _date(data["birth_date"])
    if "posthumous" in data:
        nominee.posthumous = bool(data["posthumous"])
    if "unit" in data:
        nominee.work_unit = data["unit"]
    if "death_date" in data:
        nominee.death_date = _date(data["death_date"])


def apply_dossier_edits(session: Session, dossier: Dossier, data: dict[str, Any]) -> None:
    """Corrections made at the preparing step: header fields and the nominee list."""
    check_dossier_details(session, data)
    for name in ("title", "track", "procedure", "simplified_reason", "simplified_case"):
        if data.get(name) is not None:
            setattr(dossier, name, data[name])
    simplified = dossier.procedure == "simplified"
    if simplified and not (dossier.simplified_case or (dossier.simplified_reason or "").strip()):
        raise InvalidDataError(
            "the simplified procedure needs its case",
            {"simplified_case": "is required when procedure is simplified"},
        )
    rows = data.get("nominees")
    if rows is None:
        refresh_search_text(dossier)
        return
    by_id = {n.id: n for n in dossier.nominees}
    unknown = [
        i for i, row in enumerate(rows) if row.get("id") is not None and row["id"] not in by_id
    ]
    if unknown:
        raise InvalidDataError(
            "nominee id not in this dossier",
            {f"nominees.{i}.id": "is not a nominee of this dossier" for i in unknown},
        )
    kept: list[Nominee] = []
    for position, row in enumerate(rows):
        nominee = by_id.get(row.get("id")) or Nominee(dossier=dossier)
        fill_nominee(nominee, row)
        nominee.position = position
        kept.append(nominee)
    dossier.nominees[:] = kept
    session.flush()
    refresh_search_text(dossier)


def engine_context(session: Session, dossier: Dossier) -> dict[str, Any]:
    """The dossier facts the diagram's conditions and rules read."""
    context = {
        "dossier_id": dossier.id,
        "award_form": dossier.award_form,
        "procedure": dossier.procedure,
        "track": dossier.track,
        # A new council round counts only the nominees still in play: a nominee failed earlier
        # keeps its first tally instead of a count of empty ballots.
        "nominee_ids": nominee_ids_in_play(dossier),
        "council_members": council_members(session, dossier.unit_id),
    }
    # A dossier in a round sends its proposal to the round it is in now (a late one may move).
    round_id = session.scalar(
        select(RoundEntry.round_id).where(RoundEntry.dossier_id == dossier.id)
    )
    if round_id is not None:
        context["round_id"] = round_id
    return context


def apply_step_data(dossier: Dossier, data: dict[str, Any]) -> None:
    """Record what a human step decided: the submission memo, the award decision."""
    if data.get("submission_number"):
        dossier.submission_number = data["submission_number"]
        dossier.submission_date = _date(data.get("submission_date")) or dossier.submission_date
    if data.get("decision") == AWARD_DECISION and data.get("decision_number"):
        refused = {str(i) for i in data.get("refused_nominees") or []}
        for nominee in dossier.nominees:
            if nominee.result in {"failed", "refused", "awarded"}:
                continue
            if str(nominee.id) in refused:
                nominee.result = "refused"
                continue
            nominee.result = "awarded"
            nominee.decision_number = data["decision_number"]
            nominee.decision_date = _date(data.get("decision_date"))
            nominee.decision_signer = data.get("signer")
            nominee.decided_by = data.get("decided_by")


def apply_automated(dossier: Dossier, steps: list[AutomatedStep]) -> None:
    """Take the council's tally into the nominees' results."""
    for step in steps:
        tally = step.updates.get("tally")
        if not isinstance(tally, dict):
            continue
        per_nominee = tally.get("nominees") or {}
        for nominee in dossier.nominees:
            result = per_nominee.get(str(nominee.id))
            if not isinstance(result, dict):
                continue
            nominee.council_agree = result.get("agree")
            nominee.council_disagree = result.get("disagree")
            nominee.council_members = result.get("members")
            nominee.result = "passed" if result.get("passed") else "failed"


def apply_status(
    dossier: Dossier, decision: str | None, status: InstanceStatus, now: datetime
) -> None:
    """The dossier's status after a step: returned, in progress, or its final outcome."""
    dossier.updated_at = now
    if not status.completed:
        dossier.status = "returned" if decision in RETURN_DECISIONS else "in_progress"
        return
    dossier.closed_at = now
    open_results = {"pending", "passed"}
    if status.outcome == "refused":
        for nominee in dossier.nominees:
            if nominee.result in open_results:
                nominee.result = "refused"
    elif status.outcome in {"awarded", None}:
        for nominee in dossier.nominees:
            if nominee.result in open_results:
                nominee.result = "awarded"
    if status.outcome == "withdrawn":
        dossier.status = "withdrawn"
        return
    results = {n.result for n in dossier.nominees}
    if "awarded" not in results:
        dossier.status = "refused"
    elif "refused" in results:
        dossier.status = "partly_awarded"
    else:
        dossier.status = "awarded"
