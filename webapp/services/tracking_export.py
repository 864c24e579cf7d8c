"""The tracking list as a CSV file that Excel opens with its Vietnamese text intact.

Read as plain columns in two queries (no ORM objects, no engine state): the export may hold ten
thousand rows and should still come back as fast as a page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.db import utcnow
from webapp.models import Dossier, OrgUnit, WorkItem
from webapp.permissions import Actor
from webapp.services.dossiers import (
    DEFAULT_SORT,
    DossierFilters,
    filter_conditions,
    role_names,
    sort_order,
)
from webapp.services.settings import settings_of
from webapp.services.work_items import ASSIGNEE, CLAIMER

MAX_EXPORT_ROWS = 10_000
# The file is a Vietnamese office document whatever the interface language: fixed headers.
HEADERS = (
    "Mã hồ sơ",
    "Trích yếu",
    "Đơn vị",
    "Hình thức khen thưởng",
    "Bước hiện tại",
    "Người đang xử lý",
    "Từ lúc",
    "Hạn xử lý",
    "Trạng thái",
)
# A cell starting with one of these is a formula to Excel: user-typed text must not run.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NO_STEP = ("", "", "", "")


@dataclass(frozen=True)
class ExportLabels:
    """Display names of codes, in the file's language (the web edge translates them)."""

    statuses: Mapping[str, str]
    award_forms: Mapping[str, str]


def csv_line(fields: tuple[str, ...]) -> str:
    """One CSV record, every field quoted (RFC 4180), CRLF-terminated.

    Written by hand because quoting every field needs no scan for separators: ten thousand rows
    take two thirds of the time the csv module needs for the same text.
    """
    return ",".join(['"' + field.replace('"', '""') + '"' for field in fields]) + "\r\n"


def safe_cell(value: str | None) -> str:
    """Text as a cell that spreadsheets show, never evaluate."""
    text = value or ""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _open_steps(
    session: Session, conditions: list[Any], zone: ZoneInfo
) -> dict[int, tuple[str, str, str, str]]:
    """Per matching dossier: its open steps, who holds them, since when, the earliest due date.

    Joined on the list's conditions rather than on its first `limit` ids: open items are far
    fewer than dossiers, and an ordered, limited subquery costs more than the few extra rows
    read when more dossiers match than the file holds.
    """
    roles = role_names(session)
    claimer, assignee = CLAIMER, ASSIGNEE
    # Core execution on the session's connection: plain rows, without the ORM's per-row work.
    rows = session.connection().execute(
        select(
            WorkItem.dossier_id,
            WorkItem.title,
            WorkItem.role,
            WorkItem.created_at,
            WorkItem.due_at,
            claimer.full_name,
            assignee.full_name,
        )
        .join(Dossier, Dossier.id == WorkItem.dossier_id)
        .outerjoin(claimer, claimer.id == WorkItem.claimed_by_id)
        .outerjoin(assignee, assignee.id == WorkItem.assignee_id)
        .where(WorkItem.status == "open", *conditions)
        .order_by(WorkItem.dossier_id, WorkItem.id)
    )
    grouped: dict[int, list[tuple[str, str, datetime, datetime | None]]] = {}
    for dossier_id, title, role, since, due, claimed_by, assigned_to in rows:
        holder = claimed_by or assigned_to or roles.get(role or "", role or "")
        grouped.setdefault(dossier_id, []).append((title, holder, since, due))
    cells = {}
    for dossier_id, steps in grouped.items():
        dues = [due for _t, _h, _s, due in steps if due is not None]
        since = min(s for _t, _h, s, _d in steps)
        cells[dossier_id] = (
            # A council vote is one step waiting for several members: one name per step.
            safe_cell("; ".join(dict.fromkeys(t for t, _h, _s, _d in steps))),
            safe_cell("; ".join(dict.fromkeys(h for _t, h, _s, _d in steps if h))),
            since.astimezone(zone).strftime("%d/%m/%Y %H:%M"),
            min(dues).astimezone(zone).strftime("%d/%m/%Y") if dues else "",
        )
    return cells


def export_csv(
    session: Session,
    actor: Actor,
    filters: DossierFilters,
    labels: ExportLabels,
    *,
    sort: str = DEFAULT_SORT,
    limit: int = MAX_EXPORT_ROWS,
    now: datetime | None = None,
) -> bytes:
    """The dossiers the actor may see that match `filters`, as UTF-8 CSV with a BOM.

    One row per dossier (at most `limit`), in the list's order; dates dd/mm/yyyy in the
    configured time zone; several open steps of a dossier share one cell, "; "-separated.
    """
    zone = ZoneInfo(settings_of(session).time_zone)
    conditions = filter_conditions(actor, filters, now or utcnow())
    order = sort_order(sort)
    steps = _open_steps(session, conditions, zone)
    dossiers = session.connection().execute(
        select(
            Dossier.id,
            Dossier.code,
            Dossier.title,
            OrgUnit.name,
            Dossier.award_form,
            Dossier.status,
        )
        .join(OrgUnit, OrgUnit.id == Dossier.unit_id)
        .where(*conditions)
        .order_by(*order)
        .limit(limit)
    )
    award_forms = labels.award_forms
    statuses = labels.statuses
    lines: list[tuple[str, ...]] = [HEADERS]
    for dossier_id, code, title, unit, award_form, status in dossiers:
        step, holder, since, due = steps.get(dossier_id, NO_STEP)
        lines.append(
            (
                code or "",
                safe_cell(title),
                safe_cell(unit),
                award_forms.get(award_form, award_form),
                step,
                holder,
                since,
                due,
                statuses.get(status, status),
            )
        )
    # The BOM tells Excel the file is UTF-8; without it Vietnamese letters come out garbled.
    return "".join(map(csv_line, lines)).encode("utf-8-sig")
