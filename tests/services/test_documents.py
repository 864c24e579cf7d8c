"""A round's papers: the tờ trình with its list, the minutes, the draft decision, the notice of
non-award and the written-opinion form, generated as DOCX, converted by LibreOffice, read back."""

from __future__ import annotations

import http.server
import io
import os
import struct
import subprocess
import threading
import time
import zlib
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from jinja2.exceptions import SecurityError
from sqlalchemy import select

from tests.conftest import actor_named
from tests.services.rounds_support import join, open_round, propose
from webapp.models import CouncilSession
from webapp.services import council_session, registers
from webapp.services.documents import papers, pdf, render
from webapp.services.errors import (
    ConflictError,
    InvalidDataError,
    NotFoundError,
    PermissionDeniedError,
)
from webapp.services.rounds import round_council, steps

ARTIFACTS = Path(__file__).resolve().parents[1] / "e2e" / "artifacts"


def _demo_round(db):
    """Three nominees from two units for the Minister's certificate; the council passes two."""
    round_ = open_round(db, "Tổng kết phong trào chống dịch Covid-19", forms=("bk_btc",))
    ns = join(db, round_, "canbo_ns", ("Nguyễn Thị Hằng", "Lê Văn Tám"))
    dn = join(db, round_, "canbo_dn", ("Phạm Quốc Huy",))
    propose(db, ns, "canbo_ns")
    propose(db, dn, "canbo_dn")
    office, chair = actor_named(db, "vanphong"), actor_named(db, "giamdoc")

    steps.close_intake(db, office, round_.id)
    steps.compile_lists(db, office, round_.id)
    db.commit()
    # Five members vote: all agree on Hằng, four on Huy, two on Tám (the threshold is 2/3).
    council = council_session.latest_session(db, round_council.round_subject(round_.id))
    hang, tam, huy = (str(n.id) for n in (*ns.nominees, *dn.nominees))
    for index, member in enumerate(council.minutes["members"]):
        choices = {
            hang: "agree",
            huy: "disagree" if index == 0 else "agree",
            tam: "agree" if index < 2 else "disagree",
        }
        round_council.cast_ballot(db, actor_named(db, member), round_.id, {"votes": choices})
    db.commit()
    results = {hang: "passed", tam: "failed", huy: "passed"}
    steps.record_conclusion(db, chair, round_.id, results)
    issued = registers.issue_number(
        db, chair, "TTr", "STC", 2026, subject_kind="round", subject_id=round_.id
    )
    steps.sign_submission(
        db,
        chair,
        round_.id,
        "bk_btc",
        {"submission_number": issued.text, "submission_date": "2026-11-05"},
    )
    db.commit()
    return round_, issued.text, ns, dn


def _pdf_text(data: bytes, tmp_path: Path, stem: str) -> str:
    source = tmp_path / f"{stem}.pdf"
    source.write_bytes(data)
    subprocess.run(  # noqa: S603
        [  # noqa: S607
            "pdftotext",
            str(source),
            str(tmp_path / f"{stem}.txt"),
        ],
        check=True,
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(  # noqa: S603
        [  # noqa: S607
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(source),
            str(ARTIFACTS / f"papers_{stem}"),
        ],
        check=True,
    )
    assert (ARTIFACTS / f"papers_{stem}.png").stat().st_size > 1000
    return " ".join((tmp_path / f"{stem}.txt").read_text(encoding="utf-8").split())


def _docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return " ".join(" ".join(parts).split())


def test_the_submission_list_and_minutes_of_a_round_read_back_from_their_pdfs(db, tmp_path):
    round_, number, _ns, _dn = _demo_round(db)
    office = actor_named(db, "vanphong")

    submission = papers.round_paper(
        db, office, round_.id, "submission", "bk_btc", file_format="pdf"
    )
    assert submission.data.startswith(b"%PDF-")
    text = _pdf_text(submission.data, tmp_path, "to_trinh")
    assert f"Số: {number}" in text
    assert number.endswith("/TTr-STC")
    assert "Bắc Ninh, ngày 05 tháng 11 năm 2026" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "UBND TỈNH BẮC NINH" in text
    assert "SỞ TÀI CHÍNH" in text
    assert "Kính gửi: Bộ trưởng Bộ Tài chính" in text
    assert "Ban TĐKT tỉnh (b/c)" in text
    assert "Lưu: VT, VP" in text
    assert "cho 2 cá nhân và 0 tập thể" in text
    # The list: the two nominees the council passed, with unit and tally; not the one it failed.
    assert "DANH SÁCH ĐỀ NGHỊ TẶNG BẰNG KHEN CỦA BỘ TRƯỞNG BỘ TÀI CHÍNH" in text
    assert "Nguyễn Thị Hằng" in text
    assert "Phạm Quốc Huy" in text
    assert "Lê Văn Tám" not in text
    assert "5/5 (100%)" in text
    assert "4/5 (80%)" in text

    minutes = papers.round_paper(db, office, round_.id, "minutes", file_format="pdf")
    text = _pdf_text(minutes.data, tmp_path, "bien_ban")
    council = db.scalars(
        select(CouncilSession).where(
            CouncilSession.subject_kind == "round", CouncilSession.subject_id == round_.id
        )
    ).first()
    secret = council is None or council.secret
    vote = "bỏ phiếu kín" if secret else "biểu quyết công khai"
    assert "BIÊN BẢN" in text
    assert f"Hình thức biểu quyết: {vote}" in text
    assert "Chủ trì: Nguyễn Văn Đức; Thư ký: Ngô Thị Lan" in text
    for name, tally, result in (
        ("Nguyễn Thị Hằng", "5/5 (100%)", "Đạt"),
        ("Lê Văn Tám", "2/5 (40%)", "Không đạt"),
        ("Phạm Quốc Huy", "4/5 (80%)", "Đạt"),
    ):
        assert name in text
        assert tally in text
        assert result in text
    assert "Hội đồng thống nhất đề nghị 2/3 trường hợp" in text
    assert "CHỦ TỊCH HỘI ĐỒNG" in text
    assert "THƯ KÝ" in text


def test_the_list_rows_carry_name_unit_form_and_tally_in_the_docx(db):
    round_, _number, ns, dn = _demo_round(db)
    office = actor_named(db, "vanphong")
    paper = papers.round_paper(db, office, round_.id, "submission", "bk_btc")
    document = Document(io.BytesIO(paper.data))
    rows = [[c.text for c in r.cells] for r in document.tables[-1].rows]
    assert rows[0] == [
        "STT",
        "Họ tên / Tên tập thể",
        "Chức vụ, đơn vị",
        "Hình thức đề nghị",
        "Tóm tắt thành tích",
        "Ghi chú",
    ]
    body = rows[1:]
    assert [(r[0], r[1], r[3], r[5]) for r in body] == [
        ("1", "Nguyễn Thị Hằng", "Bằng khen của Bộ trưởng Bộ Tài chính", "5/5 (100%)"),
        ("2", "Phạm Quốc Huy", "Bằng khen của Bộ trưởng Bộ Tài chính", "4/5 (80%)"),
    ]
    assert body[0][2] == ns.unit.name
    assert body[1][2] == dn.unit.name
    style = document.styles["Normal"].font
    assert (style.name, style.size.pt) == ("Times New Roman", 14)
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)


def test_decision_notice_and_opinion_form_name_who_they_are_about(db):
    round_, number, ns, _dn = _demo_round(db)
    office = actor_named(db, "vanphong")
    decision = _docx_text(papers.round_paper(db, office, round_.id, "decision", "bk_btc").data)
    assert "QUYẾT ĐỊNH" in decision
    assert "BỘ TRƯỞNG BỘ TÀI CHÍNH" in decision
    assert f"Tờ trình số {number} ngày 05 tháng 11 năm 2026" in decision
    assert "Nguyễn Thị Hằng" in decision
    assert "Lê Văn Tám" not in decision
    notice = _docx_text(
        papers.round_paper(
            db, office, round_.id, "notice", str(ns.unit_id), day=date(2026, 12, 1)
        ).data
    )
    assert "THÔNG BÁO" in notice
    assert f"Kính gửi: {ns.unit.name}" in notice
    assert "Lê Văn Tám" in notice
    assert "2/5 (40%)" in notice
    assert "Nguyễn Thị Hằng" not in notice
    opinion = _docx_text(
        papers.round_paper(db, office, round_.id, "written_opinion", "Vũ Thị Mai").data
    )
    assert "PHIẾU LẤY Ý KIẾN" in opinion
    assert "Vũ Thị Mai" in opinion
    assert all(n in opinion for n in ("Nguyễn Thị Hằng", "Lê Văn Tám", "Phạm Quốc Huy"))
    with pytest.raises(InvalidDataError) as caught:
        papers.round_paper(db, office, round_.id, "submission", "bk_ttg")
    assert "award_form" in caught.value.fields


def test_a_stored_paper_keeps_its_provenance_and_a_signed_one_is_never_replaced(db):
    round_, _number, _ns, _dn = _demo_round(db)
    office = actor_named(db, "vanphong")
    paper = papers.round_paper(db, office, round_.id, "submission", "bk_btc")
    again = papers.round_paper(db, office, round_.id, "submission", "bk_btc")
    assert paper.data_hash == again.data_hash  # same data, same hash
    stored = papers.store_round_paper(db, office, round_.id, paper)
    db.commit()
    assert stored.content_hash
    assert stored.template_hash == render.template_hash("submission")
    assert stored.process_version_id is not None
    assert stored.generator_version
    assert papers.stored_bytes(db, stored) == paper.data
    papers.mark_signed(db, office, stored.id)
    db.commit()
    before = [d.id for d in papers.stored_papers(db, office, round_.id)]
    with pytest.raises(ConflictError) as caught:
        papers.store_round_paper(db, office, round_.id, again)
    assert caught.value.code == "signed"
    db.rollback()
    assert [d.id for d in papers.stored_papers(db, office, round_.id)] == before
    # Another paper of the round is still stored.
    papers.store_round_paper(
        db, office, round_.id, papers.round_paper(db, office, round_.id, "minutes")
    )


def test_a_hostile_template_cannot_reach_python_or_loop_without_end(tmp_path, monkeypatch):
    from docx import Document as New

    for name, tag in (
        ("escape", "{{ rows.__class__.__mro__[1].__subclasses__() }}"),
        ("loop", "{% for i in range(10000000) %}x{% endfor %}"),
        (
            "nested",
            "{% for i in range(10000) %}{% for j in range(10000) %}"
            "{{ 'Tờ trình' * 20 }}{% endfor %}{% endfor %}",
        ),
    ):
        document = New()
        document.add_paragraph(tag)
        document.save(str(tmp_path / f"{name}.docx"))
    monkeypatch.setattr(render, "TEMPLATE_DIR", tmp_path)
    render.template_bytes.cache_clear()
    try:
        with pytest.raises(SecurityError):
            render.render_docx("escape", {"rows": []})
        with pytest.raises(InvalidDataError):
            render.render_docx("loop", {})
        began = time.monotonic()
        with pytest.raises(InvalidDataError):  # stopped by the output bound, not run to the end
            render.render_docx("nested", {})
        assert time.monotonic() - began < render.RENDER_SECONDS + 2
    finally:
        render.template_bytes.cache_clear()


def test_a_single_dossiers_submission_and_notice_follow_its_nominees(db):
    _round, _number, ns, dn = _demo_round(db)
    office = actor_named(db, "vanphong")
    db.refresh(ns)
    paper = papers.dossier_paper(db, office, ns.id, "submission", number="58/TTr-STC")
    document = Document(io.BytesIO(paper.data))
    rows = [[c.text for c in r.cells] for r in document.tables[-1].rows][1:]
    # Hằng passed (5/5), Tám was refused: only Hằng is proposed.
    assert [(r[1], r[5]) for r in rows] == [("Nguyễn Thị Hằng", "5/5 (100%)")]
    assert "Tờ trình số 58/TTr-STC" in _docx_text(paper.data)
    notice = _docx_text(papers.dossier_paper(db, office, ns.id, "notice").data)
    assert "Lê Văn Tám" in notice
    assert "2/5 (40%)" in notice
    with pytest.raises(InvalidDataError):  # Huy's dossier refused nobody
        papers.dossier_paper(db, office, dn.id, "notice")
    stored = papers.store_paper(db, office, "dossier", ns.id, paper)
    assert (stored.subject_kind, stored.process_version_id is not None) == ("dossier", True)
    with pytest.raises(PermissionDeniedError):  # a unit officer does not record the signed copy
        papers.mark_signed(db, actor_named(db, "canbo_ns"), stored.id)
    with pytest.raises(NotFoundError):  # another department does not see the dossier
        papers.dossier_paper(db, actor_named(db, "vanphong_hn"), ns.id, "submission")


def _png_pixel() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def test_libreoffice_fetches_nothing_a_document_links_to():
    """A DOCX whose picture is a link to a URL (what a hostile template could carry): the
    conversion makes its PDF without one request reaching the server the link names."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        document = Document()
        document.add_paragraph("Ảnh liên kết")
        document.add_picture(io.BytesIO(_png_pixel()))
        url = f"http://127.0.0.1:{server.server_port}/pixel.png"
        link = document.part.relate_to(url, RT.IMAGE, is_external=True)
        blip = document.element.body.findall(".//" + qn("a:blip"))[0]
        del blip.attrib[qn("r:embed")]
        blip.set(qn("r:link"), link)
        out = io.BytesIO()
        document.save(out)
        assert pdf.docx_to_pdf(out.getvalue()).startswith(b"%PDF-")
    finally:
        server.shutdown()
        server.server_close()
    assert hits == []


def _libreoffice_niceness(root: int) -> list[int]:
    """The niceness of every LibreOffice process below `root` (read from /proc). Only
    LibreOffice's own: a child between fork and exec, or `unshare`'s first probe, is not it."""
    parents: dict[int, int] = {}
    nice: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            program = (entry / "comm").read_text().strip()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        if program.startswith(("soffice", "oosplash")):
            nice[int(entry.name)] = int(fields[16])
    found = []
    for pid in nice:
        up = parents.get(pid)
        while up and up != root:
            up = parents.get(up)
        if up == root:
            found.append(nice[pid])
    return found


@pytest.mark.parametrize(("background", "expected"), [(True, pdf.BACKGROUND_NICENESS), (False, 0)])
def test_a_background_conversion_yields_the_processor(background, expected):
    """The job queue's conversions (background) run LibreOffice at a lower priority than the
    requests people wait for; a conversion asked for in a request does not."""
    document = Document()
    document.add_paragraph("Tờ trình")
    out = io.BytesIO()
    document.save(out)
    seen: list[int] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            seen.extend(_libreoffice_niceness(os.getpid()))
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        assert pdf.docx_to_pdf(out.getvalue(), background=background).startswith(b"%PDF-")
    finally:
        done.set()
        watcher.join()
    assert seen  # LibreOffice was caught running
    assert set(seen) == {expected}
