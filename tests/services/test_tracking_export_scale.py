"""The tracking export holds every row and streams: 25,000 dossiers as CSV and as XLSX.

The rows are inserted in bulk with SQLAlchemy core (starting 25,000 processes through the engine
would take minutes); a fifth of the dossiers have an open step, every dossier three nominees.
Memory is measured with tracemalloc while the dossiers' CSV is read chunk by chunk and written
to disk, as a response would send it (peak under half the file and under 30 MB; measured 1.9 MB
for 6.5 MB). The XLSX (too slow under tracemalloc) is measured by the process's resident-memory
high-water mark instead: freed memory handed back first, the mark reset, then the export.
"""

from __future__ import annotations

import csv
import ctypes
import gc
import io
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

from openpyxl import load_workbook
from sqlalchemy import insert, select

from tests.conftest import actor_named
from webapp.models import Dossier, Nominee, ProcessInstance, ProcessVersion, User, WorkItem
from webapp.services import tracking_export
from webapp.services.dossiers import DossierFilters

DOSSIERS = 25_000
NOMINEES_EACH = 3
WITH_OPEN_STEP_EVERY = 5
LABELS = tracking_export.ExportLabels(
    statuses={"in_progress": "Đang xử lý", "awarded": "Đã khen thưởng"},
    award_forms={"bk_btc": "Bằng khen của Bộ trưởng Bộ Tài chính"},
    results={"pending": "Chờ xét", "awarded": "Được khen thưởng"},
    kinds={"individual": "Cá nhân"},
    sentence=lambda sentence: sentence.kind,
)


def _fill(db) -> int:
    officer = db.scalars(select(User).where(User.username == "canbo_ns")).one()
    version_id = db.scalars(select(ProcessVersion.id)).first()
    start = datetime(2026, 1, 5, 2, tzinfo=UTC)
    conn = db.connection()
    first_id = 1_000_000
    dossiers, nominees, instances, items = [], [], [], []
    for n in range(DOSSIERS):
        dossier_id = first_id + n
        awarded = n % 2 == 0
        dossiers.append(
            {
                "id": dossier_id,
                "code": f"BN-QLNS-2026-{dossier_id}",
                "title": f"Đề nghị khen thưởng số {n} — Phòng Quản lý ngân sách",
                "award_form": "bk_btc",
                "track": "ad_hoc",
                "procedure": "regular",
                "status": "awarded" if awarded else "in_progress",
                "unit_id": officer.unit_id,
                "created_by_id": officer.id,
                "created_at": start + timedelta(minutes=n),
                "updated_at": start + timedelta(minutes=n),
                "closed_at": start + timedelta(days=30) if awarded else None,
                "search_text": f"bn-qlns-2026-{dossier_id} de nghi khen thuong so {n}",
            }
        )
        for position in range(NOMINEES_EACH):
            nominees.append(
                {
                    "dossier_id": dossier_id,
                    "position": position,
                    "kind": "individual",
                    "name": f"Nguyễn Văn {n}-{position}",
                    "posthumous": False,
                    "result": "awarded" if awarded else "pending",
                    "decision_number": f"{n}/QĐ-BTC" if awarded else None,
                    "decision_date": date(2026, 11, 30) if awarded else None,
                }
            )
        if not awarded and n % WITH_OPEN_STEP_EVERY == 1:
            instances.append(
                {
                    "id": dossier_id,
                    "dossier_id": dossier_id,
                    "version_id": version_id,
                    "state": b"{}",
                    "serializer_version": "1",
                    "revision": 1,
                    "status": "running",
                }
            )
            items.append(
                {
                    "dossier_id": dossier_id,
                    "instance_id": dossier_id,
                    "version_id": version_id,
                    "task_id": f"t{n}",
                    "step": "check_dossier",
                    "title": "Kiểm tra hồ sơ",
                    "role": "office",
                    "unit_id": officer.unit_id,
                    "status": "open",
                    "created_at": start + timedelta(minutes=n),
                    "due_at": start + timedelta(days=3, minutes=n),
                }
            )
    conn.execute(insert(Dossier), dossiers)
    conn.execute(insert(Nominee), nominees)
    conn.execute(insert(ProcessInstance), instances)
    conn.execute(insert(WorkItem), items)
    db.commit()
    return len(items)


def _resident_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1])


def _resident_growth_mb(run: Callable[[], object]) -> float:
    """How far resident memory rose above where it started while `run` ran (Linux: VmHWM,
    reset through /proc/self/clear_refs after freed memory is handed back to the system)."""
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    before = _resident_kib("VmRSS")
    with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
        clear.write("5")
    run()
    return (_resident_kib("VmHWM") - before) / 1024


def _drain(chunks: Iterator[bytes], *, traced: bool = True) -> tuple[bytes, int, float]:
    """Read the stream as a response would, to a file; (content, traced peak, seconds).

    tracemalloc slows allocation-heavy code many times over (openpyxl's XLSX took minutes under
    it on the shared machine): `traced=False` only reads, and the peak is then 0.
    """
    with tempfile.TemporaryFile() as out:
        if not traced:
            began = time.perf_counter()
            for chunk in chunks:
                out.write(chunk)
            seconds = time.perf_counter() - began
            out.seek(0)
            return out.read(), 0, seconds
        tracemalloc.start()
        began = time.perf_counter()
        try:
            for chunk in chunks:
                out.write(chunk)
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        seconds = time.perf_counter() - began
        out.seek(0)
        return out.read(), peak, seconds


def test_25000_dossiers_export_every_row_as_csv_and_xlsx_in_flat_memory(db, app):
    open_items = _fill(db)
    actor = actor_named(db, "canbo_ns")
    filters = DossierFilters()

    # One-time allocations (lazy imports, the holiday calendar, compiled queries) are not what
    # grows with the rows: a first batch read before tracing pays them, whatever ran before.
    warm = tracking_export.stream_csv(db, actor, filters, LABELS)
    for _chunk in zip(range(3), warm, strict=False):
        pass
    warm.close()
    db.rollback()
    data, peak, seconds = _drain(tracking_export.stream_csv(db, actor, filters, LABELS))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == list(tracking_export.HEADERS)
    assert len(rows) == DOSSIERS + 1
    assert len({row[0] for row in rows[1:]}) == DOSSIERS
    assert sum(1 for row in rows[1:] if row[4] == "Kiểm tra hồ sơ") == open_items
    print(f"\nCSV dossiers: {len(data) / 1e6:.1f} MB, peak {peak / 1e6:.2f} MB, {seconds:.1f} s")
    assert peak < min(len(data) / 2, 30e6)

    data, peak, seconds = _drain(
        tracking_export.stream_csv(db, actor, filters, LABELS, level="nominees"), traced=False
    )
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == DOSSIERS * NOMINEES_EACH + 1
    awarded = [row for row in rows[1:] if row[8] == "Được khen thưởng"]
    assert len(awarded) == DOSSIERS // 2 * NOMINEES_EACH
    assert all(row[9].endswith("/QĐ-BTC") and row[10] == "30/11/2026" for row in awarded)
    print(f"CSV nominees: {len(data) / 1e6:.1f} MB, {seconds:.1f} s (not traced)")

    drained: list[tuple[bytes, int, float]] = []
    growth = _resident_growth_mb(
        lambda: drained.append(
            _drain(tracking_export.stream_xlsx(db, actor, filters, LABELS), traced=False)
        )
    )
    data, _peak, seconds = drained[0]
    print(f"XLSX: {len(data) / 1e6:.1f} MB, {seconds:.1f} s, resident memory +{growth:.1f} MB")
    # Built in memory, 100,000 rows of cells would take hundreds of MB.
    assert growth < 60
    book = load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames == [tracking_export.SHEET_DOSSIERS, tracking_export.SHEET_NOMINEES]
    dossier_sheet = book[tracking_export.SHEET_DOSSIERS]
    nominee_sheet = book[tracking_export.SHEET_NOMINEES]
    assert sum(1 for _ in dossier_sheet.iter_rows(values_only=True)) == DOSSIERS + 1
    assert sum(1 for _ in nominee_sheet.iter_rows(values_only=True)) == (
        DOSSIERS * NOMINEES_EACH + 1
    )
    book.close()
