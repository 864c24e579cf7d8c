"""A step that needs a paper keeps it with its round or dossier when it completes (content
hash, the data, template and process version it came from); a signed copy is never replaced,
neither by a completion nor by a regeneration on request; a paper that cannot be made refuses
the step; without LibreOffice the DOCX alone is kept. The place line and the abbreviation are
the issuing unit's letterhead (a Hà Nội round reads "Hà Nội, ngày …")."""

from __future__ import annotations

import hashlib
import io

import pytest
from docx import Document
from sqlalchemy import delete, select

from tests.conftest import actor_named
from tests.services.rounds_support import (
    complete,
    council_votes,
    join,
    movement,
    open_round,
    propose,
)
from tests.services.test_documents import _demo_round
from webapp.db import utcnow
from webapp.models import (
    GeneratedDocument,
    Letterhead,
    OrgUnit,
    RoleAssignment,
    Round,
    RoundEvent,
    RoundInstance,
    User,
)
from webapp.services import council_session, letterheads
from webapp.services.documents import papers, pdf, step_papers
from webapp.services.errors import ConflictError, InvalidDataError, PermissionDeniedError
from webapp.services.rounds import lifecycle, round_council, steps


def _text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return " ".join(" ".join(parts).split())


def _kept(db, round_id: int, kind: str, part: str = "") -> list[GeneratedDocument]:
    return list(
        db.scalars(
            select(GeneratedDocument)
            .where(
                GeneratedDocument.subject_kind == "round",
                GeneratedDocument.subject_id == round_id,
                GeneratedDocument.doc_kind == kind,
                GeneratedDocument.part == part,
            )
            .order_by(GeneratedDocument.id)
        )
    )


def _concluded_round(db):
    """The demo round up to the Director's signature (the council concluded)."""
    round_ = open_round(db, "Sơ kết phong trào năm 2026", forms=("bk_btc",))
    ns = join(db, round_, "canbo_ns", ("Nguyễn Thị Hằng", "Lê Văn Tám"))
    propose(db, ns, "canbo_ns")
    office, chair = actor_named(db, "vanphong"), actor_named(db, "giamdoc")
    steps.close_intake(db, office, round_.id)
    steps.compile_lists(db, office, round_.id)
    db.commit()
    hang, tam = (str(n.id) for n in ns.nominees)
    council_votes(db, round_, {hang: "passed", tam: "failed"})
    steps.record_conclusion(db, chair, round_.id)
    db.commit()
    return round_, ns


SIGNED = {"submission_number": "58/TTr-STC", "submission_date": "2026-11-05"}


def test_signing_keeps_the_submission_with_its_hash_data_and_version(db):
    round_, number, _ns, _dn = _demo_round(db)
    # The step keeps the DOCX; the job queue's pass makes its PDF afterwards.
    assert [d.file_format for d in _kept(db, round_.id, "submission", "bk_btc")] == ["docx"]
    made = 0
    while batch := step_papers.make_kept_pdfs(db, utcnow()):
        made += batch
    kept = _kept(db, round_.id, "submission", "bk_btc")
    formats = ["docx", "pdf"] if pdf.available() else ["docx"]
    assert [d.file_format for d in kept] == formats
    assert made >= (2 if pdf.available() else 0)  # the tờ trình's and the minutes' at least
    version_id = db.scalar(
        select(RoundInstance.version_id).where(RoundInstance.round_id == round_.id)
    )
    docx = kept[0]
    data = papers.stored_bytes(db, docx)
    assert hashlib.sha256(data).hexdigest() == docx.content_hash
    assert docx.process_version_id == version_id
    assert docx.generator_version == papers.GENERATOR_VERSION
    assert docx.status == "draft"
    assert docx.generated_by_id == actor_named(db, "giamdoc").user_id
    # The kept tờ trình is the one signed: its number and date, and the data hash of a paper
    # made now from the same data.
    assert f"Số: {number}" in _text(data)
    assert "Bắc Ninh, ngày 05 tháng 11 năm 2026" in _text(data)
    office = actor_named(db, "vanphong")
    assert (
        docx.data_hash
        == papers.round_paper(db, office, round_.id, "submission", "bk_btc").data_hash
    )
    if pdf.available():
        assert papers.stored_bytes(db, kept[1]).startswith(b"%PDF-")
    # The chair's conclusion kept the minutes and the notice to the unit with a nominee failed.
    assert [d.file_format for d in _kept(db, round_.id, "minutes")] == formats
    notices = list(
        db.scalars(
            select(GeneratedDocument.part).where(
                GeneratedDocument.subject_id == round_.id, GeneratedDocument.doc_kind == "notice"
            )
        )
    )
    assert set(notices) == {str(_ns.unit_id)}


def test_a_signed_copy_is_never_replaced_by_the_step_or_a_regeneration(db):
    round_, _ns = _concluded_round(db)
    director = actor_named(db, "giamdoc")
    # The Director keeps the draft before signing, and records it as the signed copy.
    drafts = papers.keep_round_paper(db, director, round_.id, "submission", "bk_btc")
    papers.mark_signed(db, director, drafts[0].id)
    db.commit()
    signed_bytes = papers.stored_bytes(db, drafts[0])
    before = [d.id for d in _kept(db, round_.id, "submission", "bk_btc")]

    steps.sign_submission(db, director, round_.id, "bk_btc", SIGNED)
    db.commit()

    after = _kept(db, round_.id, "submission", "bk_btc")
    assert [d.id for d in after] == before  # nothing added by the completion
    signed = papers.signed_copy(db, "round", round_.id, "submission", "bk_btc")
    assert signed is not None
    assert signed.id == drafts[0].id
    assert papers.stored_bytes(db, signed) == signed_bytes
    # Regenerating on request is refused too, and stores nothing.
    with pytest.raises(ConflictError) as caught:
        papers.keep_round_paper(db, director, round_.id, "submission", "bk_btc")
    assert caught.value.code == "signed"
    db.rollback()
    assert [d.id for d in _kept(db, round_.id, "submission", "bk_btc")] == before


def test_a_paper_that_cannot_be_made_refuses_the_signing_and_changes_nothing(db, monkeypatch):
    round_, _ns = _concluded_round(db)

    def broken(*_args, **_kwargs):
        raise InvalidDataError("the template produced too much", {"template": "loops too far"})

    monkeypatch.setattr(step_papers, "round_paper", broken)
    with pytest.raises(InvalidDataError) as caught:
        steps.sign_submission(db, actor_named(db, "giamdoc"), round_.id, "bk_btc", SIGNED)
    assert caught.value.code == "paper_failed"
    assert set(caught.value.fields) == {"paper"}
    db.rollback()
    assert db.get_one(Round, round_.id).step == steps.SIGN_STEP
    signed = db.scalars(
        select(RoundEvent).where(RoundEvent.round_id == round_.id, RoundEvent.action == "signed")
    ).all()
    assert signed == []
    assert _kept(db, round_.id, "submission", "bk_btc") == []


def test_without_libreoffice_the_step_keeps_the_docx_alone(db, monkeypatch):
    round_, _ns = _concluded_round(db)
    monkeypatch.setattr(pdf, "converter", lambda: None)
    assert not pdf.available()
    steps.sign_submission(db, actor_named(db, "giamdoc"), round_.id, "bk_btc", SIGNED)
    db.commit()
    assert step_papers.make_kept_pdfs(db, utcnow()) == 0
    assert [d.file_format for d in _kept(db, round_.id, "submission", "bk_btc")] == ["docx"]


@pytest.fixture
def hanoi_officer(db):
    """vanphong_hn also prepares and approves Hà Nội's proposals for this test."""
    user = db.scalar(select(User).where(User.username == "vanphong_hn"))
    hanoi = db.scalar(select(OrgUnit).where(OrgUnit.code == "HN"))
    added = [
        RoleAssignment(user_id=user.id, role=role, unit_id=hanoi.id)
        for role in ("unit_officer", "unit_head")
    ]
    db.add_all(added)
    db.commit()
    yield user
    db.rollback()
    db.execute(
        delete(RoleAssignment).where(
            RoleAssignment.user_id == user.id,
            RoleAssignment.role.in_(("unit_officer", "unit_head")),
        )
    )
    db.commit()


def test_a_hanoi_round_prints_its_own_place_and_abbreviation(db, hanoi_officer):
    office_hn = actor_named(db, "vanphong_hn")
    payload = {
        "name": "Sơ kết năm 2026 (Hà Nội)",
        "movement_id": movement(db).id,
        "kind": "so_ket",
        "award_forms": ["bk_btc"],
        "intake_deadline": "2099-01-01T00:00:00+00:00",
    }
    hn_round = lifecycle.open_round(db, office_hn, payload)
    db.commit()
    dossier = join(db, hn_round, "vanphong_hn", ("Đinh Thị Thu",))
    complete(db, "vanphong_hn", dossier, "prepare_dossier", {"decision": "submit"})
    complete(db, "vanphong_hn", dossier, "approve_at_unit", {"decision": "approve"})
    complete(db, "vanphong_hn", dossier, "check_dossier", {"decision": "approve"})
    steps.close_intake(db, office_hn, hn_round.id)
    steps.compile_lists(db, office_hn, hn_round.id)
    db.commit()

    text = _text(papers.round_paper(db, office_hn, hn_round.id, "submission", "bk_btc").data)
    assert "Hà Nội, ngày" in text
    assert "Bắc Ninh" not in text
    assert "UBND THÀNH PHỐ HÀ NỘI" in text
    assert "/TTr-STC" in text
    # The administrator gives Hà Nội another abbreviation: the next draft carries it.
    admin = actor_named(db, "admin")
    hanoi = db.scalar(select(OrgUnit).where(OrgUnit.code == "HN"))
    row = db.get_one(Letterhead, hanoi.id)
    saved = {name: getattr(row, name) for name in letterheads.FIELDS}
    letterheads.save_letterhead(db, admin, hanoi.id, {**saved, "abbreviation": "STCHN"})
    db.commit()
    try:
        text = _text(papers.round_paper(db, office_hn, hn_round.id, "submission", "bk_btc").data)
        assert "/TTr-STCHN" in text
    finally:
        letterheads.save_letterhead(db, admin, hanoi.id, saved)
        db.commit()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("place", "   "),
        ("issuing_body", ""),
        ("abbreviation", "stc"),
        ("abbreviation", "S T C"),
        ("abbreviation", "STC-"),
        ("signer_title", "x" * 101),
        ("place", "Bắc\x00Ninh"),
    ],
)
def test_a_letterhead_that_is_not_valid_is_refused_naming_the_field(db, field, value):
    admin = actor_named(db, "admin")
    bac_ninh = db.scalar(select(OrgUnit).where(OrgUnit.code == "BN"))
    row = db.get_one(Letterhead, bac_ninh.id)
    good = {name: getattr(row, name) for name in letterheads.FIELDS}
    with pytest.raises(InvalidDataError) as caught:
        letterheads.save_letterhead(db, admin, bac_ninh.id, {**good, field: value})
    assert set(caught.value.fields) == {field}
    db.rollback()
    assert db.get_one(Letterhead, bac_ninh.id).place == "Bắc Ninh"


def test_only_an_administrator_edits_letterheads(db):
    bac_ninh = db.scalar(select(OrgUnit).where(OrgUnit.code == "BN"))
    with pytest.raises(PermissionDeniedError):
        letterheads.save_letterhead(db, actor_named(db, "vanphong"), bac_ninh.id, {})


def test_a_unit_without_a_letterhead_prints_dots_never_another_units_place(db):
    unit = OrgUnit(code="TEST-NOLH", name="Sở Tài chính Thử nghiệm", kind="department")
    db.add(unit)
    db.flush()
    head = letterheads.letterhead_for(db, unit.id)
    assert head.place == letterheads.BLANK_PLACE
    assert head.issuing_body == "SỞ TÀI CHÍNH THỬ NGHIỆM"
    assert head.unit_id is None
    db.rollback()
    # A division uses its Department's; the Ministry's is found above a Department.
    division = db.scalar(select(OrgUnit).where(OrgUnit.code == "BN-QLNS"))
    assert letterheads.letterhead_for(db, division.id).place == "Bắc Ninh"
    ministry = letterheads.letterhead_for(db, division.id, kind="ministry")
    assert (ministry.issuing_body, ministry.abbreviation) == ("BỘ TÀI CHÍNH", "BTC")


def test_recording_the_meeting_keeps_a_written_opinion_form_per_absent_member(db):
    round_ = open_round(db, "Chuyên đề năm 2026", forms=("bk_btc",))
    ns = join(db, round_, "canbo_ns", ("Nguyễn Thị Hằng",))
    propose(db, ns, "canbo_ns")
    office = actor_named(db, "vanphong")
    steps.close_intake(db, office, round_.id)
    steps.compile_lists(db, office, round_.id)
    db.commit()
    council = council_session.latest_session(db, round_council.round_subject(round_.id))
    members = list(council.minutes["members"])
    present = [m for m in members if m != "hoidong1"]
    record = {"meeting_date": "2026-12-05", "place": "Phòng họp tầng 3", "online": False}
    round_council.record_meeting(db, office, round_.id, present=present, **record)
    db.commit()
    forms = _kept(db, round_.id, "written_opinion", "Hoàng Văn Bình")
    assert forms
    assert forms[0].file_format == "docx"
    assert "Hoàng Văn Bình" in _text(papers.stored_bytes(db, forms[0]))
    # Recording the same meeting again keeps no second copy of the same form.
    round_council.record_meeting(db, office, round_.id, present=present, **record)
    db.commit()
    assert len(_kept(db, round_.id, "written_opinion", "Hoàng Văn Bình")) == len(forms)
