"""Theo dõi hồ sơ (the tracking list and its CSV), the dossier page with its diagram, files."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import (
    Response,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_login import login_required
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from webapp.db import utcnow
from webapp.dossier_view import (
    AWARD_FORM_LABELS,
    LABELS,
    STATUS_LABELS,
    dossier_context,
)
from webapp.dossiers.blueprint import bp
from webapp.dossiers.close_vote_form import CloseVoteForm
from webapp.export_labels import FILE_LOCALE, export_labels
from webapp.forms import query_text
from webapp.i18n import local, total_label
from webapp.movement_select import MovementChoice, page_movement
from webapp.permissions import can_close_votes
from webapp.request_db import db_session
from webapp.round_history_text import LEVEL_LABELS, ROUND_LABELS, with_round_lines
from webapp.services import (
    attachments,
    background_exports,
    council_closing,
    council_session,
    dossier_trail,
    dossiers,
    tracking_export,
)
from webapp.services.errors import InvalidDataError
from webapp.services.rounds.dossier_round_history import dossier_round_history
from webapp.services.rounds.lifecycle import round_of_dossier
from webapp.status_text import dossier_status
from webapp.url_converters import query_int, query_page
from webapp.web_edge import page_actor

PER_PAGE = 50
# Page links shown around the current one; the first and last page are always linked.
PAGE_WINDOW = 2
OVERDUE_CHOICES = {"yes": True, "no": False}
# Sortable columns (keys of services.dossiers.SORT_KEYS); a first click on the creation date
# shows the newest first, on the others A to Z.
SORTABLE = ("code", "created", "status", "award_form")
FIRST_CLICK_DESCENDING = frozenset({"created"})


@dataclass(frozen=True)
class TrackingQuery:
    """The list's query string, read leniently: a value the lists do not offer means "any"."""

    q: str
    status: str | None
    step: str | None
    unit_id: int | None
    award_form: str | None
    overdue: str | None
    sort: str
    page: int
    movement: MovementChoice | None = None

    @property
    def movement_id(self) -> int | None:
        """The chosen movement's id (checked against the table), or None."""
        chosen = self.movement.movement if self.movement else None
        return chosen.id if chosen else None

    def filters(self) -> dossiers.DossierFilters:
        """The filters as the services take them."""
        return dossiers.DossierFilters(
            q=self.q or None,
            status=self.status,
            step=self.step,
            unit_id=self.unit_id,
            award_form=self.award_form,
            overdue=OVERDUE_CHOICES.get(self.overdue or ""),
            movement_id=self.movement_id,
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """Query-string arguments of this list with `changes`, without empty values."""
        values: dict[str, Any] = {
            "q": self.q,
            "status": self.status,
            "step": self.step,
            "unit_id": self.unit_id,
            "award_form": self.award_form,
            "overdue": self.overdue,
            "movement": self.movement.code if self.movement else None,
            "sort": None if self.sort == dossiers.DEFAULT_SORT else self.sort,
            "page": self.page if self.page > 1 else None,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}

    @property
    def filtered(self) -> bool:
        """Whether anything narrows the list."""
        return bool(
            self.q
            or self.status
            or self.step
            or self.unit_id
            or self.award_form
            or self.overdue
            or self.movement_id
        )


def read_query(steps: dict[str, str], units: dict[int, str]) -> TrackingQuery:
    """The list's query string as the page reads it (the steps and units it offers)."""
    args = request.args
    sort = args.get("sort", "")
    unit_id = args.get("unit_id", type=query_int)
    return TrackingQuery(
        q=query_text(args.get("q")),
        status=_offered(args.get("status"), STATUS_LABELS),
        step=_offered(args.get("step"), steps),
        unit_id=unit_id if unit_id in units else None,
        award_form=_offered(args.get("award_form"), AWARD_FORM_LABELS),
        overdue=_offered(args.get("overdue"), OVERDUE_CHOICES),
        sort=sort if sort in dossiers.SORTS else dossiers.DEFAULT_SORT,
        page=max(args.get("page", 1, type=query_page) or 1, 1),
        # Unlike the other filters, an unknown movement is refused (422), never read as "any".
        movement=page_movement(db_session()),
    )


def _offered(value: str | None, choices: Any) -> str | None:
    return value if value and value in choices else None


def tracking_choices() -> tuple[dict[str, str], dict[int, str]]:
    """The steps and the units the list's filters offer the current user."""
    session = db_session()
    steps = dict(dossiers.tracking_steps(session))
    units = {unit.id: unit.name for unit in dossiers.visible_units(session, page_actor())}
    return steps, units


def _page_numbers(page: int, pages: int) -> list[int | None]:
    """1 … 4 5 [6] 7 8 … 200: None marks a gap."""
    shown = sorted({1, pages, *range(page - PAGE_WINDOW, page + PAGE_WINDOW + 1)})
    numbers: list[int | None] = []
    for number in (n for n in shown if 1 <= n <= pages):
        if numbers and number - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers


def _sort_link(query: TrackingQuery, column: str) -> dict[str, Any]:
    """Where a column header leads (same column: the other direction) and its aria-sort."""
    active = query.sort.lstrip("-") == column
    descending = query.sort.startswith("-")
    if active:
        target = column if descending else f"-{column}"
    else:
        target = f"-{column}" if column in FIRST_CLICK_DESCENDING else column
    return {
        "url": url_for("dossiers.tracking", **query.args(sort=target, page=None)),
        "active": active,
        "aria": ("descending" if descending else "ascending") if active else None,
    }


def _holders(items: list[Any], roles: dict[str, str]) -> list[str]:
    """Who holds the open steps: the person who took it or was given it, else the role."""
    names = []
    for item in items:
        person = item.claimed_by or item.assignee
        names.append(person.full_name if person else roles.get(item.role or "", item.role or ""))
    return list(dict.fromkeys(n for n in names if n))


@bp.get("/dossiers")
@login_required
def tracking() -> ResponseReturnValue:
    """Theo dõi hồ sơ: the visible dossiers, filtered, searched, sorted and paged."""
    actor = page_actor()
    session = db_session()
    steps, units = tracking_choices()
    query = read_query(steps, units)
    now = utcnow()
    filters = query.filters()

    def read(cursor: str | None) -> dossiers.DossierPage:
        return dossiers.list_dossiers(
            session,
            actor,
            q=filters.q,
            status=filters.status,
            step=filters.step,
            unit_id=filters.unit_id,
            award_form=filters.award_form,
            overdue=filters.overdue,
            page=query.page,
            per_page=PER_PAGE,
            sort=query.sort,
            now=now,
            movement_id=query.movement_id,
            total_bound=current_app.config.get("LIST_TOTAL_BOUND", dossiers.TOTAL_BOUND),
            search_bound=current_app.config.get("SEARCH_TOTAL_BOUND", dossiers.SEARCH_TOTAL_BOUND),
            cursor=cursor,
        )

    # "Next page" carries where the page ended (keyset: a deep page costs a page); the numbered
    # links stay plain page numbers. A cursor that is not one (mangled, or of another sort)
    # falls back to the page number, like any other value the list does not offer.
    cursor = request.args.get("cursor") or None
    try:
        page = read(cursor)
    except InvalidDataError as exc:
        if cursor is None or "cursor" not in exc.fields:
            raise
        page = read(None)
    pages = max((page.total + PER_PAGE - 1) // PER_PAGE, 1)
    if page.total_is_lower_bound:
        # Counting stopped at the bound: there is at least one page after the bound's last.
        pages = max(pages + 1, query.page + (len(page.items) == PER_PAGE))
    status = query.movement.status if query.movement else 200
    if query.page > pages and status == 200:
        # A bookmarked page past the end (the list got shorter): show the last one.
        return redirect(url_for("dossiers.tracking", **query.args(page=pages)))
    roles = dossiers.role_names(session)
    rows = []
    for dossier in page.items:
        items = page.open_items.get(dossier.id, [])
        dues = [i.due_at for i in items if i.due_at is not None]
        rows.append(
            {
                "dossier": dossier,
                "steps": list(dict.fromkeys(i.title for i in items)),
                "holders": _holders(items, roles),
                "since": min((i.created_at for i in items), default=None),
                "due": min(dues, default=None),
                "sentence": dossier_status(dossier, items, page.outcomes.get(dossier.id)),
                "matched": page.matched_nominees.get(dossier.id, []),
            }
        )
    return render_template(
        "dossiers/tracking.html",
        rows=rows,
        total=page.total,
        total_is_lower_bound=page.total_is_lower_bound,
        total_label=total_label(page.total, page.total_is_lower_bound),
        page=query.page,
        per_page=PER_PAGE,
        pages=pages,
        page_numbers=_page_numbers(query.page, pages),
        next_cursor=page.next_cursor,
        query=query,
        steps=steps,
        units=units,
        labels=LABELS,
        sort_links={column: _sort_link(query, column) for column in SORTABLE},
        now=now,
    ), status


def _in_vietnamese(chunks: Iterator[bytes]) -> Iterator[bytes]:
    # The file is Vietnamese whatever language the user reads the site in.
    with force_locale(FILE_LOCALE):
        yield from chunks


def _closing_session(chunks: Iterator[bytes], session: Session) -> Iterator[bytes]:
    # The request's teardown ran when the response was returned, before the rows were read:
    # the stream gives back the connection it read them on, or it idles in a transaction.
    try:
        yield from chunks
    finally:
        with contextlib.suppress(SQLAlchemyError):
            session.rollback()
        with contextlib.suppress(SQLAlchemyError):
            session.close()


def _file_response(chunks: Iterator[bytes], mimetype: str, name: str) -> Response:
    return Response(
        stream_with_context(_closing_session(_in_vietnamese(chunks), db_session())),
        mimetype=mimetype,
        headers=download_headers(name, utcnow(), mimetype),
    )


def download_headers(name: str, moment: datetime, mimetype: str) -> dict[str, str]:
    """An exported file's headers: downloaded under `name` and the local time it stands for,
    never cached."""
    stamp = (local(moment) or moment).strftime("%Y%m%d-%H%M")
    return {
        "Content-Disposition": f'attachment; filename="{name}-{stamp}.{name_ext(mimetype)}"',
        "Cache-Control": "no-store",
    }


def name_ext(mimetype: str) -> str:
    """The file name's extension for an export's type."""
    return "csv" if mimetype == "text/csv" else "xlsx"


@bp.get("/dossiers.csv")
@login_required
def tracking_csv() -> ResponseReturnValue:
    """Every row of the filtered tracking list as CSV, streamed: one row per dossier, or one
    per nominee with ?level=nominees."""
    steps, units = tracking_choices()
    query = read_query(steps, units)
    if query.movement and query.movement.error:
        return refused_export(query.movement.error)
    level = request.args.get("level")
    labels = export_labels()
    chunks = tracking_export.stream_csv(
        db_session(),
        page_actor(),
        query.filters(),
        labels,
        level="nominees" if level == "nominees" else "dossiers",
        sort=query.sort,
        now=utcnow(),
    )
    name = "nguoi-duoc-de-nghi" if level == "nominees" else "theo-doi-ho-so"
    return _file_response(chunks, "text/csv", name)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_direct_rows() -> int:
    """Past this many dossiers a workbook is made by the job queue (EXPORT_DIRECT_ROWS)."""
    return int(current_app.config.get("EXPORT_DIRECT_ROWS", background_exports.DIRECT_ROWS))


def refused_export(message: str) -> ResponseReturnValue:
    """No file for a filter that names no movement: the reason, naming the field."""
    return Response(message, status=422, mimetype="text/plain")


@bp.get("/dossiers.xlsx")
@login_required
def tracking_xlsx() -> ResponseReturnValue:
    """Every row of the filtered tracking list as an Excel workbook: a sheet of dossiers and a
    sheet of nominees with their results and decisions."""
    steps, units = tracking_choices()
    query = read_query(steps, units)
    if query.movement and query.movement.error:
        return refused_export(query.movement.error)
    _count, too_long = background_exports.count_up_to(
        db_session(), page_actor(), query.filters(), export_direct_rows(), utcnow()
    )
    if too_long:
        # Longer to build than a proxy waits: the job queue makes it (webapp/dossiers/exports.py).
        return redirect(url_for("dossiers.new_export", **query.args(page=None)), code=303)
    labels = export_labels()
    chunks = tracking_export.stream_xlsx(
        db_session(), page_actor(), query.filters(), labels, sort=query.sort, now=utcnow()
    )
    return _file_response(chunks, XLSX, "theo-doi-ho-so")


@bp.get("/dossiers/<int:dossier_id>")
@login_required
def show(dossier_id: int) -> ResponseReturnValue:
    """The dossier page: header, current steps, the diagram, timeline, nominees and files."""
    return render_dossier_page(dossier_id)


def render_dossier_page(
    dossier_id: int, close_form: CloseVoteForm | None = None, status: int = 200
) -> ResponseReturnValue:
    """The dossier page, with the chair's form to close a vote when one is under way."""
    actor = page_actor()
    session = db_session()
    detail = dossiers.dossier_detail(session, actor, dossier_id)
    # Only the council's chair sees the vote's progress card: nobody else pays for the query.
    chair = can_close_votes(actor, detail.dossier)
    vote = council_closing.open_vote(session, detail.dossier) if chair else None
    context = dossier_context(session, actor, detail.dossier)
    # The steps of the dossier's rounds (Department's, Ministry's) among its own events.
    round_lines = dossier_round_history(session, actor, detail.dossier)
    files_by_event: dict[int, list[Any]] = {}
    for attachment in context["attachments"]:
        if attachment.event_id is not None:
            files_by_event.setdefault(attachment.event_id, []).append(attachment)
    return render_template(
        "dossiers/show.html",
        detail=detail,
        dossier=detail.dossier,
        open_items=detail.open_items,
        roles=dossiers.role_names(session),
        files_by_event=files_by_event,
        nominee_names={n.id: n.name for n in context["nominees"]},
        now=utcnow(),
        vote=vote,
        close_form=(close_form or CloseVoteForm()) if vote is not None else None,
        path=dossier_trail.dossier_path(
            detail.dossier, detail.version, detail.open_items, context["history"]
        ),
        dossier_round=round_of_dossier(session, detail.dossier.id),
        council_link=council_session.has_session_page(session, actor, detail.dossier),
        timeline=with_round_lines(context["history"], round_lines),
        round_labels=ROUND_LABELS,
        round_levels=LEVEL_LABELS,
        **context,
    ), status


@bp.get("/dossiers/<int:dossier_id>/diagram.json")
@login_required
def diagram(dossier_id: int) -> ResponseReturnValue:
    """The dossier's BPMN XML and its trail, for the page's diagram viewer."""
    trail = dossier_trail.dossier_trail(db_session(), page_actor(), dossier_id)
    response = {
        "xml": trail.bpmn_xml,
        "process_key": trail.process_key,
        "version": trail.version,
        "completed": trail.completed,
        "current": trail.current,
        "flows": trail.flows,
        "finished": trail.finished,
        "complete": trail.complete,
    }
    return response, 200, {"Cache-Control": "no-store"}


@bp.get("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int) -> ResponseReturnValue:
    """A file of a dossier the user may see: PDFs and pictures open in the browser, in a
    sandbox (see attachments.INLINE_POLICY); other files download."""
    found, stream = attachments.open_attachment(db_session(), page_actor(), attachment_id)
    served = attachments.serving(found)
    response = send_file(
        stream,
        mimetype=served.mime_type,
        as_attachment=not served.inline,
        download_name=served.file_name,
    )
    # The store hands a stream (no path): its size and its content hash, from the row.
    response.content_length = found.size
    response.set_etag(found.content_hash)
    response.headers["Content-Security-Policy"] = attachments.INLINE_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
