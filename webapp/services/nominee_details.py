"""Checks of a dossier's data the JSON Schema cannot make: the simplified-procedure case is on
the current list, a collective's organisation unit exists, a date of death is plausible."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.db import utcnow
from webapp.models import OrgUnit
from webapp.services.award_rules_catalog import check_simplified_case
from webapp.services.errors import InvalidDataError


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def check_nominee_rows(session: Session, rows: Any) -> None:
    """Refuse the first row whose organisation unit is unknown or whose date of death is in the
    future or before the date of birth (the error names `nominees.<n>.<field>`)."""
    if not isinstance(rows, list):
        return
    # A day of slack: the server's UTC date may be a day behind the users' own.
    latest = utcnow().date() + timedelta(days=1)
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            continue
        unit_id = row.get("org_unit_id")
        if unit_id is not None and session.get(OrgUnit, unit_id) is None:
            raise InvalidDataError(
                "unknown organisation unit",
                {f"nominees.{index}.org_unit_id": "is not a known organisation unit"},
            )
        died, born = _date(row.get("death_date")), _date(row.get("birth_date"))
        field = f"nominees.{index}.death_date"
        if died is not None and died > latest:
            raise InvalidDataError("date of death in the future", {field: "is in the future"})
        if died is not None and born is not None and died < born:
            raise InvalidDataError(
                "date of death before birth", {field: "is before the date of birth"}
            )


def check_dossier_details(session: Session, data: dict[str, Any]) -> None:
    """The chosen case (if any) and the nominees' details of a new or corrected dossier."""
    check_simplified_case(session, data.get("simplified_case"))
    check_nominee_rows(session, data.get("nominees"))


def organisation_units(session: Session) -> list[OrgUnit]:
    """The units a collective nominee may be, by name."""
    return list(session.scalars(select(OrgUnit).order_by(OrgUnit.name)))
