"""A process version's own paper templates: the fields list matches what the papers are filled
with, an uploaded template is what the version's papers are made from, a bad or hostile upload
is refused with the problem named and nothing stored, and the preview fills a template with a
chosen dossier's or round's data."""

from __future__ import annotations

import hashlib
import io
import os
import time
import zipfile

import pytest
from docx import Document
from sqlalchemy import func, select

from tests.conftest import actor_named
from tests.services.test_documents import _demo_round, _docx_text
from webapp.models import GeneratedDocument, VersionTemplate
from webapp.services import process_versions, version_files
from webapp.services.documents import context, dossier_context, papers, pdf, render
from webapp.services.documents import version_templates as templates
from webapp.services.documents.fields import FIELDS, KIND_NAMES
from webapp.services.documents.template_check import (
    MAX_TAGS,
    MAX_TEMPLATE_BYTES,
    TemplateRefusedError,
    check_template,
)
from webapp.services.dossiers import start_dossier
from webapp.services.errors import ConflictError, InvalidDataError, PermissionDeniedError

KEY = "award_nomination"


def _docx(*paragraphs: str, header: str = "") -> bytes:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if header:
        document.sections[0].header.paragraphs[0].text = header
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


OWN_SUBMISSION = _docx(
    "MẪU RIÊNG CỦA PHIÊN BẢN: TỜ TRÌNH SỐ {{ number }}",
    "{%p for row in rows %}",
    "Đề nghị: {{ row.name }} ({{ row.position_unit }})",
    "{%p endfor %}",
)


def _draft(db):
    admin = actor_named(db, "admin")
    draft = version_files.copy_to_draft(db, admin, KEY, 1)
    db.commit()
    return admin, draft


def _stored_count(db, version_id: int) -> int:
    return db.scalar(
        select(func.count())
        .select_from(VersionTemplate)
        .where(VersionTemplate.version_id == version_id)
    )


def _check_keys(built: context.Built, kind: str) -> None:
    fields = {f.name: f for f in FIELDS[kind]}
    assert set(built.context) == set(fields), kind
    for name, field in fields.items():
        if field.kind == "rows":
            items = {i.name for i in field.items}
            assert built.context[name], f"{kind}.{name} has no row to compare"
            for row in built.context[name]:
                assert set(row) == items, f"{kind}.{name}"
        elif field.kind == "texts":
            assert isinstance(built.context[name], list)
        elif field.kind == "number":
            assert isinstance(built.context[name], int)
        else:
            assert isinstance(built.context[name], str), f"{kind}.{name}"


def test_the_fields_list_describes_exactly_what_every_paper_is_filled_with(db):
    round_, _number, ns, _dn = _demo_round(db)
    db.refresh(ns)
    _check_keys(context.submission(db, round_, "bk_btc"), "submission")
    _check_keys(context.minutes(db, round_), "minutes")
    _check_keys(context.decision(db, round_, "bk_btc"), "decision")
    _check_keys(context.notice(db, round_, ns.unit_id), "notice")
    _check_keys(context.written_opinion(db, round_, "Vũ Thị Mai"), "written_opinion")
    _check_keys(dossier_context.submission(db, ns), "submission")
    _check_keys(dossier_context.notice(db, ns), "notice")
    assert set(FIELDS) == set(papers.ROUND_KINDS) == set(KIND_NAMES)
    for fields in FIELDS.values():
        assert all(f.description for f in fields)
        assert len({f.name for f in fields}) == len(fields)


def test_a_drafts_uploaded_template_makes_the_papers_of_dossiers_on_that_version(db):
    admin, draft = _draft(db)
    kept = templates.upload_template(
        db, admin, KEY, draft.version, "submission", "to trinh/rieng.docx", OWN_SUBMISSION
    )
    db.commit()
    assert kept.file_name == "rieng.docx"
    _version, entries = templates.list_templates(db, admin, KEY, draft.version)
    by_kind = {e.kind: e for e in entries}
    assert by_kind["submission"].uploaded
    assert by_kind["submission"].content_hash == hashlib.sha256(OWN_SUBMISSION).hexdigest()
    assert by_kind["submission"].uploaded_by
    assert by_kind["submission"].uploaded_at is not None
    assert not by_kind["notice"].uploaded
    assert by_kind["notice"].content_hash == render.template_hash("notice")

    process_versions.deploy_version(db, admin, KEY, draft.version)
    db.commit()
    payload = {
        "title": "Đề nghị khen thưởng đột xuất",
        "award_form": "bk_btc",
        "track": "ad_hoc",
        "procedure": "regular",
        "nominees": [{"kind": "individual", "name": "Nguyễn Thị Hằng", "position": "Chuyên viên"}],
    }
    dossier = start_dossier(db, actor_named(db, "canbo_ns"), payload)
    db.commit()
    office = actor_named(db, "vanphong")
    paper = papers.dossier_paper(db, office, dossier.id, "submission", number="58/TTr-STC")
    text = _docx_text(paper.data)
    assert "MẪU RIÊNG CỦA PHIÊN BẢN: TỜ TRÌNH SỐ 58/TTr-STC" in text
    assert "Đề nghị: Nguyễn Thị Hằng (Chuyên viên" in text
    assert paper.template_hash == hashlib.sha256(OWN_SUBMISSION).hexdigest()
    stored = papers.store_paper(db, office, "dossier", dossier.id, paper)
    db.commit()
    assert db.get(GeneratedDocument, stored.id).template_hash == paper.template_hash
    assert stored.process_version_id == draft.id
    # The kinds the version did not change still come from the shipped templates.
    _r, _n, ns, _dn = _demo_round(db)
    shipped = papers.dossier_paper(db, office, ns.id, "submission")
    assert "MẪU RIÊNG" not in _docx_text(shipped.data)
    assert shipped.template_hash == render.template_hash("submission")

    # The deployed version never changes; a copy of it carries its template.
    with pytest.raises(ConflictError) as caught:
        templates.upload_template(
            db, admin, KEY, draft.version, "notice", "x.docx", _docx("{{ intro }}")
        )
    assert caught.value.code == "not_a_draft"
    with pytest.raises(ConflictError):
        templates.reset_template(db, admin, KEY, draft.version, "submission")
    db.rollback()
    copy = version_files.copy_to_draft(db, admin, KEY, draft.version)
    db.commit()
    name, data = templates.template_file(db, admin, KEY, copy.version, "submission")
    assert (name, data) == ("rieng.docx", OWN_SUBMISSION)
    assert templates.reset_template(db, admin, KEY, copy.version, "submission")
    db.commit()
    assert templates.template_file(db, admin, KEY, copy.version, "submission")[1] == (
        render.template_bytes("submission")
    )
    # ...and the deployed version keeps its own.
    assert templates.template_file(db, admin, KEY, draft.version, "submission")[1] == (
        OWN_SUBMISSION
    )


def _zip_with(extra_name: str, extra: bytes, base: bytes | None = None) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(base or _docx("{{ intro }}"))) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr(extra_name, extra)
    return out.getvalue()


BAD_UPLOADS = [
    ("not_zip", b"%PDF-1.4 this is not a Word file", "", ""),
    ("too_large", os.urandom(MAX_TEMPLATE_BYTES + 1), "", ""),
    # 20 MB of zeros packs into about 20 KB: one part over the size bound.
    ("zip_bomb", _zip_with("word/media/bomb.bin", bytes(20 * 1024 * 1024)), "", ""),
    # 5 MB of zeros: under the part bound, but packed 1000 times.
    ("zip_bomb", _zip_with("word/media/ratio.bin", bytes(5 * 1024 * 1024)), "", ""),
    ("not_docx", b"PK\x05\x06" + bytes(18), "", ""),  # an empty zip archive
    ("unclosed_tag", _docx("Số: {{ number ", "Kính gửi: {{ recipient }}"), "{{", "Số: {{ number"),
    ("syntax_error", _docx("Số: {{ number + }}"), "", "Số: {{ number + }}"),
    ("syntax_error", _docx("{%p for row in rows %}", "{{ row.name }}"), "", ""),
    ("unknown_field", _docx("{{ salary }} và {{ intro }}"), "salary", ""),
    (
        "unknown_field",
        _docx("{%p for row in rows %}", "{{ row.salary }}", "{%p endfor %}"),
        "rows.salary",
        "",
    ),
    ("unknown_field", _docx("{{ intro }}", header="{{ bank_account }}"), "bank_account", ""),
    ("forbidden_attribute", _docx("{{ ''.__class__ }}"), "__class__", ""),
    (
        "forbidden_attribute",
        _docx("{{ intro.__class__.__mro__[1].__subclasses__() }}"),
        "__class__",
        "",
    ),
    ("forbidden_attribute", _docx("{{ rows['__class__'] }}"), "__class__", ""),
    ("forbidden_tag", _docx("{% include 'secret.txt' %}"), "include", ""),
    ("template_failed", _docx("{{ 1 / 0 }}"), "", ""),
    ("forbidden_attribute", _docx("{{ rows.append(1) }}"), "", ""),
    ("template_failed", _docx("{% for i in range(10000000) %}x{% endfor %}"), "", ""),
    # Openers without closers would make docxtpl's clean-up quadratic (minutes): refused first.
    ("unclosed_tag", _docx("{{ intro " * 40_000), "{{", "{{ intro"),
    ("unclosed_tag", _docx("{{ " * 20_000 + "}}"), "{{", "{{"),
    ("too_many_tags", _docx("{{ intro }}" * (MAX_TAGS + 1)), "", ""),
]


@pytest.mark.parametrize(
    ("code", "data", "name", "excerpt"),
    BAD_UPLOADS,
    ids=[f"{i}-{b[0]}" for i, b in enumerate(BAD_UPLOADS)],
)
def test_a_bad_or_hostile_template_is_refused_naming_the_problem_and_nothing_is_stored(
    db, code, data, name, excerpt
):
    admin, draft = _draft(db)
    began = time.monotonic()
    with pytest.raises(TemplateRefusedError) as caught:
        templates.upload_template(db, admin, KEY, draft.version, "notice", "mau.docx", data)
    assert time.monotonic() - began < 12  # the range loop stops at the render deadline (10 s)
    assert caught.value.code == code
    assert "template" in caught.value.fields
    if name:
        assert caught.value.name.startswith(name)
    if excerpt:
        assert excerpt in caught.value.excerpt
    db.rollback()
    assert _stored_count(db, draft.id) == 0


def test_the_shipped_templates_pass_the_upload_check_quickly():
    for kind in FIELDS:
        began = time.monotonic()
        check_template(kind, render.template_bytes(kind))
        assert time.monotonic() - began < 3, kind


def test_only_administrators_upload_and_only_known_kinds(db):
    _admin, draft = _draft(db)
    with pytest.raises(PermissionDeniedError):
        templates.upload_template(
            db, actor_named(db, "vanphong"), KEY, draft.version, "notice", "m.docx", _docx("x")
        )
    with pytest.raises(InvalidDataError):
        templates.upload_template(
            db, actor_named(db, "admin"), KEY, draft.version, "letter", "m.docx", _docx("x")
        )


def test_the_preview_fills_the_versions_template_with_a_chosen_dossier_or_round(db):
    admin, draft = _draft(db)
    templates.upload_template(db, admin, KEY, draft.version, "submission", "m.docx", OWN_SUBMISSION)
    db.commit()
    round_, _number, ns, _dn = _demo_round(db)
    db.refresh(ns)
    # The dossier runs another version: the preview still uses the draft's template.
    paper = papers.preview_paper(
        db, admin, KEY, draft.version, "submission", "dossier", ns.code or str(ns.id)
    )
    text = _docx_text(paper.data)
    assert "MẪU RIÊNG CỦA PHIÊN BẢN" in text
    assert "Nguyễn Thị Hằng" in text
    by_id = papers.preview_paper(db, admin, KEY, draft.version, "submission", "dossier", str(ns.id))
    assert by_id.data_hash == paper.data_hash
    minutes = papers.preview_paper(
        db, admin, KEY, draft.version, "minutes", "round", str(round_.id)
    )
    assert "BIÊN BẢN" in _docx_text(minutes.data)
    notice = papers.preview_paper(db, admin, KEY, draft.version, "notice", "round", str(round_.id))
    assert "Lê Văn Tám" in _docx_text(notice.data)
    if pdf.available():
        as_pdf = papers.preview_paper(
            db, admin, KEY, draft.version, "submission", "round", str(round_.id), file_format="pdf"
        )
        assert as_pdf.data.startswith(b"%PDF")
    else:
        with pytest.raises(ConflictError):
            papers.preview_paper(
                db,
                admin,
                KEY,
                draft.version,
                "submission",
                "round",
                str(round_.id),
                file_format="pdf",
            )
    with pytest.raises(InvalidDataError) as caught:
        papers.preview_paper(db, admin, KEY, draft.version, "submission", "dossier", "HS-KHONG-CO")
    assert "reference" in caught.value.fields
    with pytest.raises(InvalidDataError) as caught:
        papers.preview_paper(db, admin, KEY, draft.version, "minutes", "dossier", str(ns.id))
    assert "kind" in caught.value.fields
    with pytest.raises(PermissionDeniedError):
        papers.preview_paper(
            db, actor_named(db, "vanphong"), KEY, 1, "minutes", "round", str(round_.id)
        )


def test_deleting_a_draft_deletes_its_templates(db):
    admin, draft = _draft(db)
    templates.upload_template(
        db, admin, KEY, draft.version, "notice", "m.docx", _docx("{{ intro }}")
    )
    db.commit()
    assert _stored_count(db, draft.id) == 1
    process_versions.delete_draft(db, admin, KEY, draft.version)
    db.commit()
    assert _stored_count(db, draft.id) == 0
