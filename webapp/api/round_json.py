"""Movements and rounds to the JSON shapes of the API (webapp/api/openapi.json).

A council's ballots stay secret here as everywhere: a round's JSON gives each nominee's tally
(agree, disagree, members) and how many members attended and voted, never who chose what. The
history keeps THAT a member voted, never the ballot, and that for open votes too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from webapp.api.edge import iso_date, local_time
from webapp.api.serializers import process_ref_json
from webapp.models import CouncilSession, Movement, Round, RoundEntry, RoundEvent, RoundListItem
from webapp.services.dossier_schema import AWARD_FORMS
from webapp.services.rounds.lifecycle import RoundDetail

# A member's ballot in the history: who voted is kept, what they chose never leaves.
BALLOT_ACTIONS = frozenset({"voted", "written_opinion"})
# What a history line may carry (everything else of its data stays inside): ids, numbers,
# dates and counts. Per award form, the count of a compiled list (`compiled`, `appraised`).
HISTORY_KEYS = frozenset(
    {
        "dossier_id",
        "from",
        "to",
        "late",
        "award_form",
        "submission_number",
        "submission_date",
        "ministry_round_id",
        "department_round_id",
        "decision_number",
        "upward_number",
        "decision_date",
        "awarded",
        "refused",
        "sent_up",
        "passed",
        "dropped",
        "nominees",
        "returned",
        "reason",
        "note",
    }
)


def _username(user: Any) -> str | None:
    return user.username if user is not None else None


def _unit(unit: Any) -> dict[str, Any] | None:
    return {"id": unit.id, "name": unit.name} if unit is not None else None


def _iso_text_time(value: Any) -> str | None:
    """A timestamp kept as ISO text in JSON (the council's minutes), in the output zone."""
    if not isinstance(value, str):
        return None
    try:
        return local_time(datetime.fromisoformat(value))
    except ValueError:
        return None


def movement_json(movement: Movement) -> dict[str, Any]:
    """A movement as listed."""
    return {
        "id": movement.id,
        "code": movement.code,
        "name": movement.name,
        "plan_number": movement.plan_number,
        "plan_date": iso_date(movement.plan_date),
        "issuing_level": movement.issuing_level,
        "period_start": iso_date(movement.period_start),
        "period_end": iso_date(movement.period_end),
        "criteria": movement.criteria,
        "award_forms": list(movement.award_forms or []),
    }


def movement_detail_json(movement: Movement, rounds: list[Round]) -> dict[str, Any]:
    """A movement with the rounds of it the caller may see."""
    return {**movement_json(movement), "rounds": [round_summary_json(r) for r in rounds]}


def round_summary_json(round_: Round) -> dict[str, Any]:
    """A round as listed."""
    movement = round_.movement
    return {
        "id": round_.id,
        "name": round_.name,
        "kind": round_.kind,
        "status": round_.status,
        "step": round_.step,
        "step_title": round_.step_title,
        "movement": {"id": movement.id, "code": movement.code, "name": movement.name},
        "unit": _unit(round_.unit),
        "award_forms": list(round_.award_forms or []),
        "intake_deadline": local_time(round_.intake_deadline),
        "intake_closed_at": local_time(round_.intake_closed_at),
        "created_at": local_time(round_.created_at),
    }


def _entry_json(entry: RoundEntry) -> dict[str, Any]:
    dossier = entry.dossier
    return {
        "dossier": {
            "id": dossier.id,
            "code": dossier.code,
            "title": dossier.title,
            "award_form": dossier.award_form,
            "status": dossier.status,
            "unit": _unit(dossier.unit),
        },
        "status": entry.status,
        "reason": entry.reason,
        "joined_at": local_time(entry.joined_at),
        "received_at": local_time(entry.received_at),
    }


def _list_item_json(item: RoundListItem) -> dict[str, Any]:
    nominee = item.nominee
    counts = {"agree": item.agree, "disagree": item.disagree, "members": item.members}
    # Counts only, and only whole: a result recorded without its counts has no tally.
    tally = counts if all(isinstance(n, int) for n in counts.values()) else None
    return {
        "position": item.position,
        "nominee": {"id": nominee.id, "kind": nominee.kind, "name": nominee.name},
        "dossier_id": item.dossier_id,
        "unit": _unit(item.unit),
        "result": item.result,
        "tally": tally,
        "final_result": nominee.result,
        "decision_number": nominee.decision_number,
    }


def council_json(council: CouncilSession | None) -> dict[str, Any] | None:
    """The round's council session in counts: when and where, how many attended and voted,
    the form of vote and the chair's conclusion; never a member's choice."""
    if council is None:
        return None
    minutes = council.minutes or {}
    members = minutes.get("members") or []
    attendance = council.attendance or {}
    participation = council.participation or {}
    conclusion = minutes.get("conclusion") if council.status == "concluded" else None
    return {
        "status": council.status,
        "form_of_vote": "secret" if council.secret else "open",
        "meeting_date": iso_date(council.meeting_date),
        "place": council.place,
        "online": bool(council.online),
        "members": len(members),
        "present": sum(1 for v in attendance.values() if v == "present"),
        "absent": sum(1 for v in attendance.values() if v == "absent"),
        "ballots_cast": len(participation),
        "written_opinions": sum(1 for v in participation.values() if v == "written"),
        "counted": isinstance(minutes.get("tally"), dict),
        "conclusion": {
            "comment": conclusion.get("comment"),
            "chair": conclusion.get("chair"),
            "at": _iso_text_time(conclusion.get("at")),
        }
        if isinstance(conclusion, dict)
        else None,
    }


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _count(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def submissions_json(history: list[RoundEvent]) -> list[dict[str, Any]]:
    """The tờ trình the Director signed, one per award form, with their numbers."""
    out = []
    for event in history:
        if event.action != "signed" or not isinstance(event.data, dict):
            continue
        data = event.data
        out.append(
            {
                "award_form": _text(data, "award_form"),
                "number": _text(data, "submission_number"),
                "date": _text(data, "submission_date"),
                "ministry_round_id": _count(data, "ministry_round_id"),
                "signed_at": local_time(event.at),
                "signed_by": _username(event.actor),
            }
        )
    return out


def decisions_json(history: list[RoundEvent]) -> list[dict[str, Any]]:
    """The decisions recorded on the round: the Ministry's per award form on a Department
    round, the Minister's on a Ministry round."""
    out = []
    for event in history:
        if event.action not in {"decided", "minister_decided"} or not isinstance(event.data, dict):
            continue
        data = event.data
        out.append(
            {
                "award_form": _text(data, "award_form"),
                "number": _text(data, "decision_number"),
                "date": _text(data, "decision_date"),
                "upward_number": _text(data, "upward_number"),
                "awarded": _count(data, "awarded"),
                "refused": _count(data, "refused"),
                "sent_up": _count(data, "sent_up"),
                "recorded_at": local_time(event.at),
            }
        )
    return out


def round_json(detail: RoundDetail, council: CouncilSession | None) -> dict[str, Any]:
    """A round as GET /rounds/{id} returns it."""
    round_ = detail.round
    lists = [
        {"award_form": form, "items": [_list_item_json(item) for item in items]}
        for form, items in detail.lists.items()
    ]
    return {
        **round_summary_json(round_),
        "quota": round_.quota,
        "process": process_ref_json(detail.holder.version) if detail.holder else None,
        "entries": [_entry_json(entry) for entry in detail.entries],
        "lists": lists,
        "council": council_json(council),
        "submissions": submissions_json(detail.history),
        "decisions": decisions_json(detail.history),
    }


def _history_value(value: Any) -> bool:
    if isinstance(value, list):
        return all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    return value is None or isinstance(value, str | int | bool)


def history_data(event: RoundEvent) -> dict[str, Any] | None:
    """What a history line shows of its data: a ballot nothing; the rest its ids, numbers,
    dates and counts."""
    if event.action in BALLOT_ACTIONS or not isinstance(event.data, dict):
        return None
    kept = {
        key: value
        for key, value in event.data.items()
        if (key in HISTORY_KEYS or key in AWARD_FORMS) and _history_value(value)
    }
    return kept or None


def round_event_json(event: RoundEvent) -> dict[str, Any]:
    """One line of a round's history."""
    return {
        "at": local_time(event.at),
        "actor": _username(event.actor),
        "actor_name": event.actor.full_name if event.actor else None,
        "action": event.action,
        "step": event.step,
        "data": history_data(event),
    }
