"""The Office's movement report (/bao-cao/phong-trao): tables and charts, and its Excel file."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import login_required

from webapp.db import utcnow
from webapp.dossier_view import AWARD_FORM_LABELS
from webapp.models import Movement, OrgUnit
from webapp.reports.blueprint import bp
from webapp.reports.movement_xlsx import count_headers, report_xlsx
from webapp.reports.office import require_office
from webapp.request_db import db_session
from webapp.services import movement_report
from webapp.services.movement_report import COUNT_NAMES, MovementReport
from webapp.services.rounds import movements
from webapp.web_edge import page_actor

LOCAL_TIME = ZoneInfo("Asia/Ho_Chi_Minh")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _movement_id() -> tuple[int | None, str | None]:
    """The chosen movement, or the message naming the field when it is not one."""
    raw = (request.args.get("movement") or "").strip()
    if not raw:
        return None, None
    if raw.isdigit() and db_session().get(Movement, int(raw)) is not None:
        return int(raw), None
    return None, _("Movement: choose a movement from the list.")


def _report() -> tuple[MovementReport | None, int | None, str | None]:
    actor = page_actor()
    require_office(actor)
    movement_id, error = _movement_id()
    if error:
        return None, None, error
    report = movement_report.movement_report(db_session(), actor, movement_id, utcnow())
    return report, movement_id, None


def _chart_data(report: MovementReport) -> dict[str, Any]:
    by_form: dict[str, dict[str, int]] = {}
    by_unit: dict[str, dict[str, int]] = {}
    for row in report.rows:
        form = str(AWARD_FORM_LABELS.get(row.award_form, row.award_form))
        for target, key in ((by_form, form), (by_unit, row.unit_name)):
            sums = target.setdefault(key, dict.fromkeys(COUNT_NAMES, 0))
            for name in COUNT_NAMES:
                sums[name] += getattr(row.counts, name)
    return {
        "labels": dict(zip(COUNT_NAMES, count_headers(), strict=True)),
        "byForm": [{"label": k, "counts": v} for k, v in by_form.items()],
        "byUnit": [{"label": k, "counts": v} for k, v in by_unit.items()],
    }


@bp.get("/bao-cao/phong-trao")
@login_required
def movement_report_page() -> ResponseReturnValue:
    """`?movement=<id>`: the report of a movement (every dossier without one)."""
    report, movement_id, error = _report()
    page = render_template(
        "reports/movement_report.html",
        report=report,
        movement_id=movement_id,
        error=error,
        movements=movements.list_movements(db_session()),
        award_forms=AWARD_FORM_LABELS,
        count_names=COUNT_NAMES,
        count_headers=count_headers(),
        chart=_chart_data(report) if report else None,
    )
    return page, 422 if error else 200


@bp.get("/bao-cao/phong-trao.xlsx")
@login_required
def movement_report_xlsx() -> ResponseReturnValue:
    """The report as the Excel file the Office sends to the Ministry (always in Vietnamese)."""
    report, _movement, error = _report()
    if report is None:
        return Response(error or "", status=422, mimetype="text/plain")
    session = db_session()
    unit = session.get_one(OrgUnit, page_actor().unit_id)
    parent = session.get(OrgUnit, unit.parent_id) if unit.parent_id else None
    local_now = report.generated_at.astimezone(LOCAL_TIME)
    place = unit.name.removeprefix("Sở Tài chính ").strip() or unit.name
    with force_locale("vi"):
        body = report_xlsx(
            report,
            parent_body=parent.name if parent else unit.name,
            issuing_body=unit.name,
            place=place,
            local_now=local_now,
            award_forms={k: str(v) for k, v in AWARD_FORM_LABELS.items()},
        )
    # Only letters, digits and dashes in the file name (a code may hold anything).
    code = "".join(c if c.isascii() and c.isalnum() else "-" for c in report.movement_code or "")
    code = code.strip("-") or "tat-ca"
    stamp = local_now.strftime("%Y%m%d-%H%M")
    return Response(
        body,
        mimetype=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="bao-cao-phong-trao-{code}-{stamp}.xlsx"',
            "Cache-Control": "no-store",
        },
    )
