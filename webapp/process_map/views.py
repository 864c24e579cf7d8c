"""Bản đồ quy trình: the deployed diagram with, on each step, the dossiers waiting there, how
many are overdue and how long the step usually takes; a click lists the dossiers.

The page renders the numbers as a table (phones, screen readers, no JavaScript); its script
draws the same numbers on the diagram from data.json and lists a step's dossiers from
dossiers.json. All three read the same filters from the query string.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required

from webapp.dossier_view import AWARD_FORM_LABELS
from webapp.forms import query_text
from webapp.i18n import format_datetime, format_due_date, local
from webapp.models import Movement
from webapp.movement_select import MovementChoice, page_movement
from webapp.request_db import db_session
from webapp.services import process_map, process_map_summary
from webapp.services.process_map import MapFilters, StepLoad
from webapp.services.rounds.round_instances import PROPOSAL_PROCESS_KEY
from webapp.services.settings import settings_of
from webapp.url_converters import query_int
from webapp.web_edge import page_actor

bp = Blueprint("process_map", __name__, cli_group=None)
NO_STORE = {"Cache-Control": "no-store"}


def _default_key() -> str:
    return settings_of(db_session()).process_key


def _processes() -> dict[str, str]:
    """The processes the map can show: ad-hoc dossiers' and dossiers in a round's."""
    return {
        settings_of(db_session()).process_key: _("Ad-hoc dossiers"),
        PROPOSAL_PROCESS_KEY: _("Dossiers in a round"),
    }


def _read_filters(units: dict[int, str]) -> tuple[MapFilters, MovementChoice]:
    """The filters of the query string, read leniently like the tracking list's: a unit the
    user cannot choose, an unknown award form or process means "any" (the default process);
    an unknown movement is refused (the choice carries the message naming the field)."""
    unit_id = request.args.get("unit_id", type=query_int)
    award_form = request.args.get("award_form") or None
    process = request.args.get("process") or None
    movement = page_movement(db_session())
    filters = MapFilters(
        unit_id=unit_id if unit_id in units else None,
        award_form=award_form if award_form in AWARD_FORM_LABELS else None,
        movement_id=movement.movement.id if movement.movement else None,
        # The default process is no filter: the links and the tracking list stay as they were.
        process_key=process if process in _processes() and process != _default_key() else None,
    )
    return filters, movement


def _filter_args(filters: MapFilters) -> dict[str, Any]:
    """The filters as query-string arguments, without empty ones (the tracking list's: unit,
    award form and movement)."""
    args: dict[str, Any] = {
        key: value
        for key, value in (("unit_id", filters.unit_id), ("award_form", filters.award_form))
        if value is not None
    }
    if filters.movement_id is not None:
        args["movement"] = db_session().get_one(Movement, filters.movement_id).code
    return args


def _map_args(filters: MapFilters) -> dict[str, Any]:
    """The map's own query-string arguments: the filters and the process shown."""
    args = _filter_args(filters)
    if filters.process_key is not None:
        args["process"] = filters.process_key
    return args


def _units() -> dict[int, str]:
    return dict(process_map.unit_choices(db_session(), page_actor()))


def duration_label(seconds: float | None) -> str:
    """A median duration in days and hours ("2 ngày 3 giờ"), "—" when there is none."""
    if seconds is None:
        return "—"
    total_hours = round(seconds / 3600)
    if total_hours < 1:
        return _("under an hour")
    days, hours = divmod(total_hours, 24)
    parts = []
    if days:
        parts.append(ngettext("%(num)d day", "%(num)d days", days))
    if hours:
        parts.append(ngettext("%(num)d hour", "%(num)d hours", hours))
    return " ".join(parts)


def durations_label(refreshed_at: datetime | None, now: datetime) -> str:
    """When the median times were computed: "cập nhật lúc 10:45" (with the date when that was
    not today), or that they have not been yet."""
    minutes = int(process_map_summary.REFRESH_EVERY.total_seconds() // 60)
    if refreshed_at is None:
        return _(
            "Median times not computed yet: they are recomputed every %(minutes)d minutes.",
            minutes=minutes,
        )
    at, today = local(refreshed_at), local(now)
    same_day = at is not None and today is not None and at.date() == today.date()
    when = at.strftime("%H:%M") if same_day and at is not None else format_datetime(refreshed_at)
    return _(
        "Median times updated at %(time)s, recomputed every %(minutes)d minutes.",
        time=when,
        minutes=minutes,
    )


def _links(step: StepLoad, filters: MapFilters) -> dict[str, str | None]:
    """Where a step's numbers lead. The tracking list filters by the deployed ad-hoc diagram's
    steps only, so a step the diagram no longer has, or a step of the round process, is listed
    by the map's own panel instead."""
    args = _filter_args(filters)
    tracking = overdue = None
    if step.in_diagram and filters.process_key is None:
        tracking = url_for("dossiers.tracking", step=step.step, **args)
        overdue = url_for("dossiers.tracking", step=step.step, overdue="yes", **args)
    return {
        "tracking_url": tracking,
        "overdue_url": overdue,
        "dossiers_url": url_for("process_map.dossiers", step=step.step, **_map_args(filters)),
    }


def _summary(step: StepLoad, median: str) -> str:
    """One sentence with a step's numbers, for screen readers and tooltips."""
    return _(
        "%(step)s: %(waiting)d waiting, %(overdue)d overdue, median time %(median)s",
        step=step.name,
        waiting=step.waiting,
        overdue=step.overdue,
        median=median,
    )


def _step_view(step: StepLoad, filters: MapFilters) -> dict[str, Any]:
    """A step's numbers as the table and data.json show them."""
    median = duration_label(step.median_seconds)
    return {
        "id": step.step,
        "name": step.name,
        "in_diagram": step.in_diagram,
        "waiting": step.waiting,
        "overdue": step.overdue,
        "older_versions": step.older_versions,
        "median_seconds": step.median_seconds,
        "median_label": median,
        "sample_size": step.sample_size,
        "heat": step.heat,
        "summary": _summary(step, median),
        **_links(step, filters),
    }


@bp.get("/process-map")
@login_required
def show() -> ResponseReturnValue:
    """The deployed diagram with counts per step, the same numbers as a table, and filters."""
    session = db_session()
    units = _units()
    filters, movement = _read_filters(units)
    found = process_map.process_map(session, page_actor(), filters)
    args = _map_args(filters)
    return render_template(
        "process_map/show.html",
        found=found,
        # The diagram's overlays are drawn from these: opening the map counts once, where the
        # script's fetch of data.json counted every open item again.
        figures=_figures(found, filters),
        steps=[_step_view(step, filters) for step in found.steps],
        retired=[_step_view(step, filters) for step in found.retired_steps],
        filters=filters,
        filtered=bool(_filter_args(filters)),
        units=units,
        award_forms=AWARD_FORM_LABELS,
        movement=movement,
        processes=_processes(),
        process_key=found.process_key,
        data_url=url_for("process_map.data", **args),
        diagram_url=url_for("process_map.diagram", **_process_arg(filters)),
        median_sample=process_map.MEDIAN_SAMPLE,
        durations_label=durations_label(found.durations.refreshed_at, found.now),
        list_limit=process_map.LIST_LIMIT,
        heat_bands=process_map.heat_bands(found.busiest),
        heat_floor=process_map.HEAT_FLOOR,
    ), movement.status


def _process_arg(filters: MapFilters) -> dict[str, str]:
    return {"process": filters.process_key} if filters.process_key else {}


def _refused(movement: MovementChoice) -> ResponseReturnValue:
    """The JSON answers refuse an unknown movement as the API does, naming the field."""
    return {
        "error": {
            "code": "invalid",
            "message": "unknown movement",
            "fields": {"movement": "is not a known movement code"},
        }
    }, 422


@bp.get("/process-map/data.json")
@login_required
def data() -> ResponseReturnValue:
    """The numbers per step for the diagram's overlays (same filters as the page)."""
    filters, movement = _read_filters(_units())
    if movement.error:
        return _refused(movement)
    found = process_map.process_map(db_session(), page_actor(), filters)
    return _figures(found, filters), 200, NO_STORE


def _figures(found: process_map.ProcessMap, filters: MapFilters) -> dict[str, Any]:
    """The numbers per step as data.json gives them (and the page embeds)."""
    return {
        "process_key": found.process_key,
        "version": found.version,
        "filters": {"unit_id": filters.unit_id, "award_form": filters.award_form},
        "generated_at": found.now.isoformat(),
        "durations_refreshed_at": (
            found.durations.refreshed_at.isoformat() if found.durations.refreshed_at else None
        ),
        "waiting": found.waiting,
        "overdue": found.overdue,
        "steps": [_step_view(step, filters) for step in found.steps],
        "retired_steps": [_step_view(step, filters) for step in found.retired_steps],
    }


@bp.get("/process-map/diagram.bpmn")
@login_required
def diagram() -> ResponseReturnValue:
    """The deployed version's BPMN file; revalidated by its fingerprint, so a new deployment
    shows at once and an unchanged diagram is not sent again."""
    filters, _movement = _read_filters({})
    found = process_map.deployed_diagram(db_session(), filters)
    response = Response(found.bpmn_xml, mimetype="application/xml")
    response.set_etag(found.source_hash)
    response.headers["Cache-Control"] = "private, no-cache"
    return response.make_conditional(request)


@bp.get("/process-map/dossiers.json")
@login_required
def dossiers() -> ResponseReturnValue:
    """The first dossiers waiting at ?step=, longest waiting first, for the map's side panel."""
    filters, movement = _read_filters(_units())
    if movement.error:
        return _refused(movement)
    step = query_text(request.args.get("step"), 100)
    found = process_map.waiting_at_step(db_session(), page_actor(), step, filters)
    args = _filter_args(filters)
    body = {
        "step": found.step,
        "name": found.name,
        "in_diagram": found.in_diagram,
        "waiting": found.waiting,
        "more": max(found.waiting - len(found.dossiers), 0),
        "tracking_url": (
            url_for("dossiers.tracking", step=found.step, **args) if found.in_diagram else None
        ),
        "dossiers": [
            {
                "id": row.dossier_id,
                "code": row.code,
                "title": row.title,
                "unit": row.unit,
                "since": row.since.isoformat(),
                "since_label": format_datetime(row.since),
                "due_label": format_due_date(row.due_at) if row.due_at else None,
                "overdue": row.overdue,
                "url": url_for("dossiers.show", dossier_id=row.dossier_id),
            }
            for row in found.dossiers
        ],
    }
    return body, 200, NO_STORE
