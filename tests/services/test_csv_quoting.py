"""The export's hand-written CSV quoting reads back exactly as the csv module reads files."""

from __future__ import annotations

import csv
import io

import pytest

from webapp.services.tracking_export import csv_line, safe_cell

AWKWARD = [
    ("Mã hồ sơ", "Trích yếu", "Đơn vị"),
    ("HS-1", 'Tập thể "Phòng Kế toán", năm 2026', "Sở Tài chính\r\nBắc Ninh"),
    ("HS-2", "", '""'),
    ("HS-3", "dòng\nmới", ","),
]


def read_back(text: str) -> list[list[str]]:
    """Parse CSV text as a spreadsheet import would."""
    return list(csv.reader(io.StringIO(text, newline="")))


def written_by_csv_module(records: list[tuple[str, ...]]) -> str:
    """The same records through the standard library, every field quoted."""
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(records)
    return out.getvalue()


def csv_text(records: list[tuple[str, ...]]) -> str:
    """The records as the export writes them."""
    return "".join(map(csv_line, records))


def test_quotes_commas_and_line_breaks_survive_the_round_trip():
    text = csv_text(AWKWARD)
    assert text == written_by_csv_module(AWKWARD)
    assert read_back(text) == [list(record) for record in AWKWARD]


@pytest.mark.parametrize("text", ["=1+1", "+84912", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_text_a_spreadsheet_would_evaluate_is_prefixed(text):
    assert safe_cell(text) == "'" + text


def test_ordinary_text_and_missing_values_are_kept():
    assert safe_cell("Nguyễn Thị Hằng") == "Nguyễn Thị Hằng"
    assert safe_cell(None) == ""
