"""Models to the JSON shapes of API.md."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from webapp.api.edge import iso_date, local_time, output_zone
from webapp.db import utcnow
from webapp.models import Dossier, Event, Nominee, ProcessVersion, WorkItem
from webapp.round_step_links import round_step_url
from webapp.services.dossiers import DossierDetail, DossierPage
from webapp.services.round_inbox import RoundStepRow
from webapp.services.work_items import InboxRow, WorkItemDetail

# A council ballot is secret: the history says who voted, never how.
SECRET_STEPS_DATA = frozenset({"council_vote"})


def _username(user: Any) -> str | None:
    return user.username if user is not None else None


def work_item_json(item: WorkItem, now: datetime | None = None) -> dict[str, Any]:
    """A work item as listed in an inbox or in a dossier's `current`."""
    now = now or utcnow()
    return {
        "id": item.id,
        "dossier_id": item.dossier_id,
        "dossier_code": item.dossier.code if item.dossier else None,
        "dossier_title": item.dossier.title if item.dossier else None,
        "step": item.step,
        "title": item.title,
        "role": item.role,
        "status": item.status,
        "created_at": local_time(item.created_at),
        "due_at": local_time(item.due_at),
        "overdue": bool(item.status == "open" and item.due_at and item.due_at < now),
        "claimed_by": _username(item.claimed_by),
        "assignee": _username(item.assignee),
    }


def inbox_json(rows: list[InboxRow], now: datetime) -> list[dict[str, Any]]:
    """The caller's inbox."""
    zone = output_zone()
    return [inbox_row_json(row, now, zone) for row in rows]


def inbox_row_json(row: InboxRow, now: datetime, zone: ZoneInfo) -> dict[str, Any]:
    """A line of the caller's inbox."""
    return {
        "id": row.id,
        "dossier_id": row.dossier_id,
        "dossier_code": row.dossier_code,
        "dossier_title": row.dossier_title,
        "step": row.step,
        "title": row.title,
        "role": row.role,
        "status": row.status,
        "created_at": local_time(row.created_at, zone),
        "due_at": local_time(row.due_at, zone),
        "overdue": bool(row.due_at and row.due_at < now),
        "claimed_by": row.claimed_by,
        "assignee": row.assignee,
        "subject": {"kind": "dossier", "id": row.dossier_id, "code": row.dossier_code},
    }


def round_step_json(row: RoundStepRow, now: datetime, zone: ZoneInfo) -> dict[str, Any]:
    """A round's open step in the caller's inbox: done on the round's page (`url`)."""
    return {
        "id": None,
        "step": row.step,
        "title": row.title,
        "role": row.role,
        "status": "open",
        "created_at": local_time(row.since, zone),
        "due_at": local_time(row.due_at, zone),
        "overdue": bool(row.due_at and row.due_at < now),
        "subject": {
            "kind": "round",
            "id": row.round_id,
            "name": row.round_name,
            "movement": row.movement_code,
            "award_form": row.award_form,
        },
        "url": round_step_url(row),
    }


def current_json(item: WorkItem, now: datetime) -> dict[str, Any]:
    """An open step of a dossier."""
    return {
        "work_item_id": item.id,
        "step": item.step,
        "title": item.title,
        "role": item.role,
        "since": local_time(item.created_at),
        "due_at": local_time(item.due_at),
        "overdue": bool(item.due_at and item.due_at < now),
        "claimed_by": _username(item.claimed_by),
        "assignee": _username(item.assignee),
    }


def nominee_json(nominee: Nominee) -> dict[str, Any]:
    """A nominee with its council tally and decision."""
    council = None
    if nominee.council_members is not None:
        council = {
            "agree": nominee.council_agree,
            "disagree": nominee.council_disagree,
            "members": nominee.council_members,
        }
    decision = None
    if nominee.decision_number:
        decision = {
            "number": nominee.decision_number,
            "date": iso_date(nominee.decision_date),
            "signer": nominee.decision_signer,
            "decided_by": nominee.decided_by,
        }
    return {
        "id": nominee.id,
        "kind": nominee.kind,
        "name": nominee.name,
        "position": nominee.job_title,
        "gender": nominee.gender,
        "birth_date": iso_date(nominee.birth_date),
        "staff_category": nominee.staff_category,
        "posthumous": nominee.posthumous,
        "achievement": nominee.achievement,
        "unit": nominee.work_unit,
        "death_date": iso_date(nominee.death_date),
        "next_of_kin": nominee.next_of_kin,
        "org_unit_id": nominee.org_unit_id,
        "result": nominee.result,
        "council": council,
        "decision": decision,
    }


def event_json(event: Event) -> dict[str, Any]:
    """One line of history."""
    return {
        "at": local_time(event.at),
        "actor": _username(event.actor),
        "actor_name": event.actor.full_name if event.actor else None,
        "action": event.action,
        "step": event.step,
        "step_title": event.step_title,
        "decision": event.decision,
        "comment": event.comment,
    }


def dossier_summary_json(
    dossier: Dossier, open_items: list[WorkItem], now: datetime
) -> dict[str, Any]:
    """A dossier as a row of the tracking list."""
    return {
        "id": dossier.id,
        "code": dossier.code,
        "title": dossier.title,
        "award_form": dossier.award_form,
        "track": dossier.track,
        "procedure": dossier.procedure,
        "status": dossier.status,
        "unit": {"id": dossier.unit.id, "name": dossier.unit.name},
        "created_at": local_time(dossier.created_at),
        "updated_at": local_time(dossier.updated_at),
        "current": [current_json(item, now) for item in open_items],
    }


def dossier_json(detail: DossierDetail) -> dict[str, Any]:
    """A dossier as GET /dossiers/{id} returns it."""
    now = utcnow()
    dossier = detail.dossier
    body = dossier_summary_json(dossier, detail.open_items, now)
    body.update(
        {
            "simplified_reason": dossier.simplified_reason,
            "simplified_case": dossier.simplified_case,
            "process": process_ref_json(detail.version),
            "submission": {
                "number": dossier.submission_number,
                "date": iso_date(dossier.submission_date),
            },
            "closed_at": local_time(dossier.closed_at),
            "nominees": [nominee_json(n) for n in dossier.nominees],
            "history": [event_json(e) for e in detail.history],
        }
    )
    return body


def process_ref_json(version: ProcessVersion) -> dict[str, Any]:
    """Which process and version a dossier runs on."""
    return {"key": version.process_key, "version": version.version}


def dossier_page_json(page: DossierPage) -> dict[str, Any]:
    """A page of the tracking list."""
    now = utcnow()
    return {
        "items": [dossier_summary_json(d, page.open_items.get(d.id, []), now) for d in page.items],
        "total": page.total,
        "total_is_lower_bound": page.total_is_lower_bound,
        "page": page.page,
        "per_page": page.per_page,
        "next_cursor": page.next_cursor,
    }


def work_item_detail_json(detail: WorkItemDetail) -> dict[str, Any]:
    """A work item with its form."""
    item = detail.item
    body = work_item_json(item)
    body.update(
        {
            "form": detail.form,
            "ui_schema": detail.ui_form,
            "completed_at": local_time(item.completed_at),
            "completed_by": _username(item.completed_by),
            "decision": item.decision,
        }
    )
    return body
