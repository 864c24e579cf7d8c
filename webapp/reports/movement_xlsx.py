"""The movement report as the Excel file the Office sends to the Ministry: the two bodies and
the national motto, the title, the movement and the date, a header row, one row per unit and
award form, and the totals row counted by the database."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from io import BytesIO
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from webapp.services.movement_report import COUNT_NAMES, MovementReport, by_unit_and_form

FONT = "Times New Roman"
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def count_headers() -> list[str]:
    """The stage columns' headings, in COUNT_NAMES order."""
    return [
        _("Proposed"),
        _("Passed the council"),
        _("Sent up"),
        _("Awarded"),
        _("Not awarded"),
        _("Pending"),
        _("Overdue"),
    ]


def _title(sheet: Any, row: int, text: str, width: int, *, bold: bool = True) -> None:
    sheet.cell(row=row, column=1, value=text).font = Font(name=FONT, size=13, bold=bold)
    sheet.cell(row=row, column=1).alignment = Alignment(horizontal="center")
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)


def _boxed_row(sheet: Any, row: int, values: list[Any], *, bold: bool = False) -> None:
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column, value=value)
        cell.font = Font(name=FONT, size=12, bold=bold)
        cell.border = BOX
        cell.alignment = Alignment(wrap_text=True, vertical="center")


def report_xlsx(
    report: MovementReport,
    *,
    parent_body: str,
    issuing_body: str,
    place: str,
    local_now: datetime,
    award_forms: Mapping[str, Any],
) -> bytes:
    """The workbook's bytes: the report sheet and the time-per-step sheet."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has its first sheet
    sheet.title = _("Report")
    headers = [_("No."), _("Unit"), _("Award form"), *count_headers()]
    width = len(headers)
    half = width // 2
    # The two bodies on the left, the national motto on the right (Decree 30/2020).
    sheet.cell(row=1, column=1, value=parent_body.upper()).font = Font(name=FONT, size=12)
    sheet.cell(row=2, column=1, value=issuing_body.upper()).font = Font(
        name=FONT, size=12, bold=True
    )
    motto = sheet.cell(row=1, column=half + 1, value="CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    motto.font = Font(name=FONT, size=12, bold=True)
    sub = sheet.cell(row=2, column=half + 1, value="Độc lập - Tự do - Hạnh phúc")
    sub.font = Font(name=FONT, size=13, bold=True)
    day, month = local_now.strftime("%d"), local_now.strftime("%m")
    date_line = _(
        "%(place)s, day %(day)s month %(month)s year %(year)s",
        place=place,
        day=day,
        month=month,
        year=local_now.year,
    )
    sheet.cell(row=3, column=half + 1, value=date_line).font = Font(name=FONT, size=13, italic=True)
    # Each side centred over its half of the sheet, as on the paper form.
    for row_number in (1, 2, 3):
        for first, last in ((1, half), (half + 1, width)):
            sheet.cell(row=row_number, column=first).alignment = Alignment(horizontal="center")
            sheet.merge_cells(
                start_row=row_number, start_column=first, end_row=row_number, end_column=last
            )
    _title(sheet, 5, _("REPORT ON THE RESULTS OF EMULATION AND COMMENDATION"), width)
    movement = report.movement_name or _("All dossiers")
    _title(sheet, 6, _("Emulation movement: %(name)s", name=movement), width, bold=False)
    header_row = 8
    _boxed_row(sheet, header_row, headers, bold=True)
    row = header_row
    for number, (unit, form, counts) in enumerate(by_unit_and_form(report), start=1):
        row += 1
        values = [getattr(counts, name) for name in COUNT_NAMES]
        _boxed_row(sheet, row, [number, unit, str(award_forms.get(form, form)), *values])
    totals = [getattr(report.totals, name) for name in COUNT_NAMES]
    _boxed_row(sheet, row + 1, ["", _("Total"), "", *totals], bold=True)
    # The signatures under the table: who compiled it, and the head of the body who signs.
    signed = row + 3
    compiler = sheet.cell(row=signed, column=2, value=_("COMPILED BY"))
    compiler.font = Font(name=FONT, size=12, bold=True)
    head = sheet.cell(row=signed, column=half + 1, value=_("HEAD OF THE BODY"))
    head.font = Font(name=FONT, size=12, bold=True)
    for column, note in ((2, _("(Signature, full name)")), (half + 1, _("(Signature, seal)"))):
        sheet.cell(row=signed + 1, column=column, value=note).font = Font(
            name=FONT, size=12, italic=True
        )
    for column, size in enumerate([6, 34, 34] + [13] * len(COUNT_NAMES), start=1):
        sheet.column_dimensions[get_column_letter(column)].width = size

    steps = book.create_sheet(_("Time per step"))
    step_headers = [
        _("Step"),
        _("Finished"),
        _("Mean days"),
        _("Longest (days)"),
        _("Open now"),
        _("Overdue"),
    ]
    _boxed_row(steps, 1, step_headers, bold=True)
    for index, step in enumerate(report.steps, start=2):
        _boxed_row(
            steps,
            index,
            [step.title, step.done, step.mean_days, step.max_days, step.open, step.overdue],
        )
    steps.column_dimensions["A"].width = 44
    out = BytesIO()
    book.save(out)
    return out.getvalue()
