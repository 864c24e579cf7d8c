"""`make bench`, papers: the tờ trình of a round of 500 nominees (one award form, 30 units).

Timed: making the DOCX from the round's data (the draft a clerk downloads; target under 3 s),
and, separately and only reported, its conversion to PDF by LibreOffice when installed.
Run alone with `python -m bench.documents` (a fresh SQLite database).
"""

from __future__ import annotations

import io
import json
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from docx import Document

from bench.environment import BenchApp, sqlite_app
from bench.rounds import _actor, _complete, _units_and_officers
from webapp.db import utcnow
from webapp.services import council_session
from webapp.services.documents import papers, pdf
from webapp.services.rounds import lifecycle, movements, round_council, steps

NOMINEES = 500
FORM = "bk_btc"
TARGET_S = 3.0
RESULTS = Path(__file__).resolve().parent / "results" / "documents.json"


def _round_of_500(bench: BenchApp) -> int:
    """A concluded, signed round whose bk_btc list holds 500 nominees (not timed)."""
    db = bench.db
    officers = _units_and_officers(db)
    office, chair = _actor(db, "vanphong"), _actor(db, "giamdoc")
    with db.transaction() as session:
        movement = movements.create_movement(
            session, office, {"code": "BENCH-DOCS", "name": "Tổng kết phong trào (bench)"}
        )
        round_id = lifecycle.open_round(
            session,
            office,
            {
                "name": "Tổng kết năm (bench giấy tờ)",
                "movement_id": movement.id,
                "kind": "tong_ket",
                "award_forms": [FORM],
                "intake_deadline": (utcnow() + timedelta(days=1)).isoformat(),
            },
        ).id
    per_unit, extra = divmod(NOMINEES, len(officers))
    for i, username in enumerate(officers):
        actor = _actor(db, username)
        with db.transaction() as session:
            dossier_id = lifecycle.join_round(
                session,
                actor,
                round_id,
                {
                    "title": f"Đề nghị của phòng {i + 1:02d}",
                    "award_form": FORM,
                    "track": "final",
                    "procedure": "regular",
                    "nominees": [
                        {
                            "kind": "individual",
                            "name": f"Nguyễn Thị Hằng {i:02d}-{n:02d}",
                            "position": "Chuyên viên",
                            "achievement": "Hoàn thành xuất sắc nhiệm vụ phòng, chống dịch "
                            "Covid-19 năm 2021; sáng kiến được Hội đồng cấp cơ sở công nhận.",
                        }
                        for n in range(per_unit + (1 if i < extra else 0))
                    ],
                },
            ).id
        _complete(db, actor, dossier_id, "prepare_dossier", {"decision": "submit"})
        _complete(db, actor, dossier_id, "approve_at_unit", {"decision": "approve"})
        _complete(db, office, dossier_id, "check_dossier", {"decision": "approve"})
    with db.transaction() as session:
        steps.close_intake(session, office, round_id)
        lists = steps.compile_lists(session, office, round_id)
        choices = {str(item.nominee_id): "agree" for items in lists.values() for item in items}
    with db.transaction(write=False) as session:
        council = council_session.latest_session(session, round_council.round_subject(round_id))
        members = list((council.minutes or {}).get("members") or []) if council else []
    for member in members:  # the whole council agrees on every nominee
        with db.transaction() as session:
            round_council.cast_ballot(session, _actor(db, member), round_id, {"votes": choices})
    with db.transaction() as session:
        steps.record_conclusion(session, chair, round_id)
        steps.sign_submission(
            session,
            chair,
            round_id,
            FORM,
            {"submission_number": "57/TTr-STC", "submission_date": "2026-12-06"},
        )
    return round_id


def run(bench: BenchApp) -> dict[str, Any]:
    """Build the round, then time the DOCX (and the PDF, when LibreOffice is there)."""
    began = time.perf_counter()
    round_id = _round_of_500(bench)
    setup = time.perf_counter() - began
    office = _actor(bench.db, "vanphong")
    began = time.perf_counter()
    with bench.db.transaction(write=False) as session:
        paper = papers.round_paper(session, office, round_id, "submission", FORM)
    docx_seconds = time.perf_counter() - began
    report: dict[str, Any] = {
        "backend": bench.backend,
        "nominees": NOMINEES,
        "docx_bytes": len(paper.data),
        # Rows of the list in the DOCX (header excluded): every nominee is on it.
        "list_rows": len(Document(io.BytesIO(paper.data)).tables[-1].rows) - 1,
        "setup_seconds": round(setup, 1),
        "docx_seconds": round(docx_seconds, 3),
        "target_seconds": TARGET_S,
        "within_target": docx_seconds < TARGET_S,
        "pdf_seconds": None,
    }
    if pdf.available():
        began = time.perf_counter()
        data = pdf.docx_to_pdf(paper.data)
        report["pdf_seconds"] = round(time.perf_counter() - began, 3)
        report["pdf_bytes"] = len(data)
    return report


def main() -> None:
    """Run on SQLite; print; save."""
    with (
        tempfile.TemporaryDirectory(prefix="award-bench-docs-") as tmp,
        sqlite_app(Path(tmp)) as bench,
    ):
        print(f"\n[{bench.backend}] the tờ trình of a round of {NOMINEES} nominees…")
        report = run(bench)
    mark = "ok" if report["within_target"] else "OVER"
    print(
        f"  docx {report['docx_seconds'] * 1000:8.0f} ms  (target < {TARGET_S:.0f} s) {mark}"
        f"  {report['docx_bytes'] // 1024} KB, {report['list_rows']} rows"
    )
    if report["pdf_seconds"] is not None:
        print(f"  pdf  {report['pdf_seconds'] * 1000:8.0f} ms  (LibreOffice, reported only)")
    else:
        print("  pdf  skipped: LibreOffice is not installed")
    print(f"  setup {report['setup_seconds']} s")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps([report], indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
