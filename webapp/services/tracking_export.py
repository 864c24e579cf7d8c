"""The tracking list as files: CSV (dossiers, or one row per nominee) and XLSX (both sheets).

Every row the user may see is written: no cap, nothing silently left out. Rows are read as plain
columns (no ORM objects, no engine state) from a streamed query, in batches; each batch's open
steps and nominees come in one query each, so the memory a file takes stays flat however many
dossiers there are, and the CSV reaches the browser while it is being written.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.orm import Session

from webapp.db import utcnow
from webapp.models import Dossier, Nominee, OrgUnit, WorkItem
from webapp.permissions import Actor
from webapp.services.calendar import load_calendar
from webapp.services.dossiers import (
    DEFAULT_SORT,
    DossierFilters,
    filter_conditions,
    role_names,
    sort_order,
)
from webapp.services.folded_search import is_indexed_search
from webapp.services.id_lists import ids_in
from webapp.services.settings import settings_of
from webapp.services.status_sentence import (
    NO_OUTCOME,
    OpenStep,
    Outcome,
    StatusSentence,
    status_sentence,
)
from webapp.services.text_search import search_terms
from webapp.services.work_items import ASSIGNEE, CLAIMER

# Rows read from the database at a time: each batch costs two more small queries.
BATCH = 500
# Distinct status sentences remembered while a file is written (then forgotten, so that the
# memory stays flat): a sentence's words are the same for every dossier in the same situation.
SENTENCES_KEPT = 1_000
# Bytes of CSV handed to the response at a time, and of the XLSX file read back.
CHUNK = 64 * 1024
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
    "Tình trạng",
    "Số người được đề nghị",
    "Số người được khen thưởng",
    "Ngày tạo",
    "Ngày kết thúc",
)
NOMINEE_HEADERS = (
    "Mã hồ sơ",
    "Trích yếu",
    "Đơn vị",
    "Hình thức khen thưởng",
    "STT",
    "Người được đề nghị",
    "Cá nhân/tập thể",
    "Chức vụ, đơn vị",
    "Kết quả",
    "Số quyết định",
    "Ngày quyết định",
    "Trạng thái hồ sơ",
    "Ngày kết thúc",
)
SHEET_DOSSIERS = "Hồ sơ"
SHEET_NOMINEES = "Người được đề nghị"
LEVELS = ("dossiers", "nominees")
# A cell starting with one of these is a formula to Excel: user-typed text must not run.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NO_STEP = ("", "", "", "")


@dataclass(frozen=True)
class ExportLabels:
    """Display names of codes, and the status sentence, in the file's language (the web edge
    translates them)."""

    statuses: Mapping[str, str]
    award_forms: Mapping[str, str]
    results: Mapping[str, str]
    kinds: Mapping[str, str]
    sentence: Callable[[StatusSentence], str]


def csv_line(fields: Sequence[str]) -> str:
    """One CSV record, every field quoted (RFC 4180), CRLF-terminated.

    Written by hand because quoting every field needs no scan for separators: ten thousand rows
    take two thirds of the time the csv module needs for the same text.
    """
    return ",".join(['"' + field.replace('"', '""') + '"' for field in fields]) + "\r\n"


def safe_cell(value: str | None) -> str:
    """Text as a cell that spreadsheets show, never evaluate."""
    text = value or ""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _day(value: date | datetime | None, zone: ZoneInfo) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(zone).date()
    return value.strftime("%d/%m/%Y")


@dataclass(frozen=True)
class _Export:
    session: Session
    conditions: list[Any]
    order: list[Any]
    labels: ExportLabels
    zone: ZoneInfo
    now: datetime
    # A search: the index finds few rows, read them all rather than the date order's first.
    searched: bool = False


def _prepare(
    session: Session,
    actor: Actor,
    filters: DossierFilters,
    labels: ExportLabels,
    sort: str,
    now: datetime | None,
) -> _Export:
    """Check the filters and the sort before the first byte is sent (bad input is a 4xx)."""
    zone = ZoneInfo(settings_of(session).time_zone)
    conditions = filter_conditions(actor, filters, now or utcnow())
    searched = is_indexed_search(search_terms(filters.q))
    return _Export(session, conditions, sort_order(sort), labels, zone, now or utcnow(), searched)


def _streamed(session: Session, query: Any, *, searched: bool) -> Iterator[Sequence[Any]]:
    """The query's rows in batches, read from a server-side cursor where the database has one."""
    connection = session.connection()
    if searched and connection.dialect.name == "postgresql":
        # For a cursor PostgreSQL plans for the first tenth of the rows: a searched name's few
        # hundred dossiers were read along the date index, filtering every dossier (0.4 to 0.9 s
        # at 100,000 under load). Planned for all of them, the search index finds them. (A
        # whole list keeps the date order's plan: its first rows go out at once.)
        connection.exec_driver_sql("SET LOCAL cursor_tuple_fraction = 1.0")
    result = connection.execute(query.execution_options(stream_results=True, yield_per=BATCH))
    try:
        yield from result.partitions(BATCH)
    finally:
        # A download stopped half-way closes its server-side cursor now, not at collection.
        result.close()


def open_steps_query(
    of_dossiers: ColumnElement[bool],
) -> Select[int, str, str | None, datetime, datetime | None, str, str]:
    """The open steps of the dossiers `of_dossiers` picks (a condition on
    WorkItem.dossier_id) with the names of who claimed or was assigned each."""
    claimer, assignee = CLAIMER, ASSIGNEE
    return (
        select(
            WorkItem.dossier_id,
            WorkItem.title,
            WorkItem.role,
            WorkItem.created_at,
            WorkItem.due_at,
            claimer.full_name,
            assignee.full_name,
        )
        .outerjoin(claimer, claimer.id == WorkItem.claimed_by_id)
        .outerjoin(assignee, assignee.id == WorkItem.assignee_id)
        .where(WorkItem.status == "open", of_dossiers)
        .order_by(WorkItem.dossier_id, WorkItem.id)
    )


def _open_steps(session: Session, ids: list[int]) -> dict[int, list[OpenStep]]:
    """The open steps of these dossiers, with who holds them (one query)."""
    roles = role_names(session)
    rows = session.connection().execute(open_steps_query(ids_in(session, WorkItem.dossier_id, ids)))
    steps: dict[int, list[OpenStep]] = {}
    for dossier_id, title, role, since, due, claimed_by, assigned_to in rows:
        role_name = roles.get(role or "", role or "") or None
        steps.setdefault(dossier_id, []).append(
            OpenStep(title, role_name, claimed_by or assigned_to, since, due)
        )
    return steps


def _outcomes(session: Session, ids: list[int]) -> dict[int, Outcome]:
    """What each dossier's nominees got, counted by the database (one query, one row per
    dossier): the same as status_sentence.outcome_of, without reading every nominee."""
    awarded = Nominee.result == "awarded"
    # Code-point order, as Python compares the numbers (PostgreSQL's default follows the locale).
    number: Any = Nominee.decision_number
    if session.get_bind().dialect.name == "postgresql":
        number = number.collate("C")
    query = (
        select(
            Nominee.dossier_id,
            func.count(),
            func.count(case((awarded, 1))),
            func.min(case((and_(awarded, Nominee.decision_number != ""), number))),
            func.max(case((awarded, Nominee.decision_date))),
        )
        .where(ids_in(session, Nominee.dossier_id, ids))
        .group_by(Nominee.dossier_id)
    )
    found = {
        dossier_id: Outcome(nominees, got, number, day)
        for dossier_id, nominees, got, number, day in session.connection().execute(query)
    }
    return {dossier_id: found.get(dossier_id, NO_OUTCOME) for dossier_id in ids}


def _step_cells(steps: list[OpenStep], zone: ZoneInfo) -> tuple[str, str, str, str]:
    if not steps:
        return NO_STEP
    dues = [s.due_at for s in steps if s.due_at is not None]
    return (
        # A council vote is one step waiting for several members: one name per step.
        safe_cell("; ".join(dict.fromkeys(s.title for s in steps))),
        safe_cell("; ".join(dict.fromkeys(h for s in steps if (h := s.holder or s.role_name)))),
        min(s.created_at for s in steps).astimezone(zone).strftime("%d/%m/%Y %H:%M"),
        _day(min(dues), zone) if dues else "",
    )


class _SentenceTexts:
    """Each distinct sentence put into words once per file: through the translation catalog a
    sentence cost a third of a searched export's time, and most rows repeat one (an awarded
    dossier's decision, a step late since the same day). The words name a deadline by its day
    only, so sentences differing only in the hour of their deadline share their words."""

    def __init__(self, words: Callable[[StatusSentence], str], zone: ZoneInfo) -> None:
        self.words = words
        self.zone = zone
        self.known: dict[tuple[StatusSentence, date | None], str] = {}

    def text(self, sentence: StatusSentence) -> str:
        """The sentence's words, as a safe cell."""
        due = sentence.due_at
        if due is None:
            key: tuple[StatusSentence, date | None] = (sentence, None)
        else:
            key = (replace(sentence, due_at=None), due.astimezone(self.zone).date())
        known = self.known.get(key)
        if known is None:
            if len(self.known) >= SENTENCES_KEPT:
                self.known.clear()
            known = self.known[key] = safe_cell(self.words(sentence))
        return known


def dossier_rows(export: _Export) -> Iterator[tuple[str, ...]]:
    """One row per dossier, in the list's order (HEADERS)."""
    session, labels, zone = export.session, export.labels, export.zone
    calendar = load_calendar(session)
    sentence_texts = _SentenceTexts(labels.sentence, zone)
    query = (
        select(
            Dossier.id,
            Dossier.code,
            Dossier.title,
            OrgUnit.name,
            Dossier.award_form,
            Dossier.status,
            Dossier.created_at,
            Dossier.closed_at,
        )
        .join(OrgUnit, OrgUnit.id == Dossier.unit_id)
        .where(*export.conditions)
        .order_by(*export.order)
    )
    for batch in _streamed(session, query, searched=export.searched):
        ids = [row[0] for row in batch]
        steps = _open_steps(session, ids)
        outcomes = _outcomes(session, ids)
        for dossier_id, code, title, unit, award_form, status, created, closed in batch:
            open_steps = steps.get(dossier_id, [])
            outcome = outcomes[dossier_id]
            sentence = status_sentence(status, open_steps, outcome, export.now, calendar)
            yield (
                code or "",
                safe_cell(title),
                safe_cell(unit),
                labels.award_forms.get(award_form, award_form),
                *_step_cells(open_steps, zone),
                labels.statuses.get(status, status),
                sentence_texts.text(sentence),
                str(outcome.nominees),
                str(outcome.awarded),
                _day(created, zone),
                _day(closed, zone),
            )


def nominee_rows(export: _Export) -> Iterator[tuple[str, ...]]:
    """One row per nominee, dossiers in the list's order (NOMINEE_HEADERS)."""
    labels, zone = export.labels, export.zone
    query = (
        select(
            Dossier.code,
            Dossier.title,
            OrgUnit.name.label("unit_name"),
            Dossier.award_form,
            Dossier.status,
            Dossier.closed_at,
            Nominee.name.label("nominee_name"),
            Nominee.kind,
            Nominee.job_title,
            Nominee.result,
            Nominee.decision_number,
            Nominee.decision_date,
        )
        .join(Dossier, Dossier.id == Nominee.dossier_id)
        .join(OrgUnit, OrgUnit.id == Dossier.unit_id)
        .where(*export.conditions)
        .order_by(*export.order, Nominee.position, Nominee.id)
    )
    position, previous = 0, None
    for batch in _streamed(export.session, query, searched=export.searched):
        for row in batch:
            position = position + 1 if row.code == previous else 1
            previous = row.code
            yield (
                row.code or "",
                safe_cell(row.title),
                safe_cell(row.unit_name),
                labels.award_forms.get(row.award_form, row.award_form),
                str(position),
                safe_cell(row.nominee_name),
                labels.kinds.get(row.kind, row.kind),
                safe_cell(row.job_title),
                labels.results.get(row.result, row.result),
                safe_cell(row.decision_number),
                _day(row.decision_date, zone),
                labels.statuses.get(row.status, row.status),
                _day(row.closed_at, zone),
            )


def _csv_chunks(headers: Sequence[str], rows: Iterable[tuple[str, ...]]) -> Iterator[bytes]:
    # The BOM tells Excel the file is UTF-8; without it Vietnamese letters come out garbled.
    buffer = ["\ufeff" + csv_line(headers)]
    size = 0
    for row in rows:
        line = csv_line(row)
        buffer.append(line)
        size += len(line)
        if size >= CHUNK:
            yield "".join(buffer).encode("utf-8")
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode("utf-8")


def stream_csv(
    session: Session,
    actor: Actor,
    filters: DossierFilters,
    labels: ExportLabels,
    *,
    level: str = "dossiers",
    sort: str = DEFAULT_SORT,
    now: datetime | None = None,
) -> Iterator[bytes]:
    """Every dossier (or, with level="nominees", every nominee) the actor may see that
    matches `filters`, as UTF-8 CSV with a BOM, in the list's order, written as it is read.

    Filters and sort are checked now, before the first chunk (InvalidDataError).
    """
    export = _prepare(session, actor, filters, labels, sort, now)
    if level == "nominees":
        return _csv_chunks(NOMINEE_HEADERS, nominee_rows(export))
    return _csv_chunks(HEADERS, dossier_rows(export))


def export_csv(
    session: Session,
    actor: Actor,
    filters: DossierFilters,
    labels: ExportLabels,
    *,
    sort: str = DEFAULT_SORT,
    now: datetime | None = None,
) -> bytes:
    """The dossiers' CSV in one piece (for callers that want bytes, e.g. tests)."""
    return b"".join(stream_csv(session, actor, filters, labels, sort=sort, now=now))


def _xlsx_cell(value: str) -> str:
    # XML 1.0 cannot hold most control characters: openpyxl refuses them, so they go.
    cleaned: str = ILLEGAL_CHARACTERS_RE.sub("", value)
    return cleaned


def write_xlsx(
    session: Session,
    actor: Actor,
    filters: DossierFilters,
    labels: ExportLabels,
    target: IO[bytes],
    *,
    sort: str = DEFAULT_SORT,
    now: datetime | None = None,
) -> int:
    """Both levels as an XLSX workbook written to `target`: sheet "Hồ sơ" (one row per
    dossier) and sheet "Người được đề nghị" (one row per nominee, with result and decision).
    Returns how many dossiers it holds.

    A write-only workbook keeps each sheet in a temporary file, not in memory.
    """
    export = _prepare(session, actor, filters, labels, sort, now)
    book = Workbook(write_only=True)
    written = {}
    for title, headers, rows in (
        (SHEET_DOSSIERS, HEADERS, dossier_rows(export)),
        (SHEET_NOMINEES, NOMINEE_HEADERS, nominee_rows(export)),
    ):
        sheet = book.create_sheet(title)
        sheet.freeze_panes = "A2"
        sheet.append(list(headers))
        count = 0
        for count, row in enumerate(rows, start=1):  # noqa: B007 - the count is kept
            sheet.append([_xlsx_cell(cell) for cell in row])
        written[title] = count
    book.save(target)
    return written[SHEET_DOSSIERS]


def stream_xlsx(
    session: Session,
    actor: Actor,
    filters: DossierFilters,
    labels: ExportLabels,
    *,
    sort: str = DEFAULT_SORT,
    now: datetime | None = None,
) -> Iterator[bytes]:
    """The XLSX workbook, built in a temporary file, then read out in chunks.

    Filters and sort are checked now; the file is built when the first chunk is asked for.
    """
    _prepare(session, actor, filters, labels, sort, now)

    def chunks() -> Iterator[bytes]:
        with tempfile.TemporaryFile() as file:
            write_xlsx(session, actor, filters, labels, file, sort=sort, now=now)
            file.seek(0)
            yield from chunks_of(file)

    return chunks()


def chunks_of(file: IO[bytes]) -> Iterator[bytes]:
    """A file's bytes, CHUNK at a time from where it stands; closed once read to the end (or
    when the reader stops)."""
    with file:
        while chunk := file.read(CHUNK):
            yield chunk
