"""Use cases: make a round's paper as a draft to download, store it with its provenance, and
mark the signed copy (which a later generation never replaces)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from jinja2.exceptions import SecurityError
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.db import utcnow
from webapp.models import Dossier, GeneratedDocument, ProcessVersion, Round, RoundListItem
from webapp.permissions import Actor, can_manage_processes
from webapp.services import process_versions
from webapp.services.documents import context, dossier_context, pdf, render, version_templates
from webapp.services.dossiers import get_visible_dossier
from webapp.services.errors import (
    ConflictError,
    InvalidDataError,
    NotFoundError,
    PermissionDeniedError,
)
from webapp.services.file_store import file_store_of
from webapp.services.rounds.lifecycle import get_round, may

# Raised when the templates or the way their data is gathered change.
GENERATOR_VERSION = "documents/1"
ROUND_KINDS = ("submission", "minutes", "decision", "notice", "written_opinion")
# Kinds made once per award form (the others: once per round, or per unit / member).
PER_FORM = frozenset({"submission", "decision"})
FILE_STEMS = {
    "submission": "to-trinh",
    "minutes": "bien-ban-hop-hoi-dong",
    "decision": "du-thao-quyet-dinh",
    "notice": "thong-bao-khong-khen-thuong",
    "written_opinion": "phieu-lay-y-kien",
}
# Who records which copy was signed: the signer, or the Office that files the signed paper.
SIGNING_ROLES = ("director", "office")
FORMATS = {"docx": render.DOCX_MIME, "pdf": pdf.PDF_MIME}


@dataclass(frozen=True)
class Paper:
    """A generated file with what it was made from."""

    kind: str
    part: str
    file_format: str
    file_name: str
    data: bytes
    mime_type: str
    data_hash: str
    template_hash: str
    process_version_id: int | None


def _built(
    session: Session, round_: Round, kind: str, part: str, number: str | None, day: date | None
) -> context.Built:
    if kind in PER_FORM and part not in round_.award_forms:
        raise InvalidDataError(
            "not an award form of this round", {"award_form": "is not in the round"}
        )
    if kind == "submission":
        return context.submission(session, round_, part, number=number, day=day)
    if kind == "decision":
        return context.decision(session, round_, part, day=day)
    if kind == "minutes":
        return context.minutes(session, round_, number=number, day=day)
    if kind == "notice":
        if not part.isdigit():
            raise InvalidDataError("say which unit", {"unit_id": "is required"})
        return context.notice(session, round_, int(part), day=day)
    if kind == "written_opinion":
        return context.written_opinion(session, round_, part, day=day)
    raise InvalidDataError("unknown document kind", {"kind": "is not a document kind"})


def round_paper(
    session: Session,
    actor: Actor,
    round_id: int,
    kind: str,
    part: str = "",
    *,
    file_format: str = "docx",
    number: str | None = None,
    day: date | None = None,
) -> Paper:
    """A paper of a round, made now from its current data (nothing is stored): the draft to
    download and check. PDF needs LibreOffice (ConflictError "no_pdf" without it)."""
    if file_format not in FORMATS:
        raise InvalidDataError("unknown format", {"format": "must be docx or pdf"})
    round_ = get_round(session, actor, round_id)
    built = _built(session, round_, kind, part, number, day)
    suffix = f"-{part}" if part and kind in PER_FORM else ""
    return _paper(
        session,
        built,
        kind,
        part,
        file_format,
        f"{FILE_STEMS[kind]}{suffix}-dot-{round_.id}",
        built.process_version_id,
    )


def _paper(
    session: Session,
    built: context.Built,
    kind: str,
    part: str,
    file_format: str,
    stem: str,
    template_version_id: int | None,
) -> Paper:
    """Render `built` with the template of `template_version_id`'s `kind` (the version's own,
    else the shipped one), as DOCX or PDF."""
    template, template_hash = version_templates.template_for(session, template_version_id, kind)
    try:
        data = render.render_docx(kind, built.context, template)
    except SecurityError as exc:  # an uploaded template the check let through cannot escape
        raise InvalidDataError(
            "the template was refused by the sandbox",
            {"template": str(exc)},
            code="template_failed",
        ) from exc
    if file_format == "pdf":
        data = pdf.docx_to_pdf(data)
    return Paper(
        kind,
        part,
        file_format,
        f"{stem}.{file_format}",
        data,
        FORMATS[file_format],
        built.data_hash,
        template_hash,
        built.process_version_id,
    )


DOSSIER_KINDS = ("submission", "notice")


def dossier_paper(
    session: Session,
    actor: Actor,
    dossier_id: int,
    kind: str,
    *,
    file_format: str = "docx",
    number: str | None = None,
    day: date | None = None,
) -> Paper:
    """A paper of a single dossier (its tờ trình with its list, or its notice of non-award),
    made now from its data; nothing is stored."""
    if file_format not in FORMATS:
        raise InvalidDataError("unknown format", {"format": "must be docx or pdf"})
    dossier = get_visible_dossier(session, actor, dossier_id)
    built = _dossier_built(session, dossier, kind, number, day)
    return _paper(
        session,
        built,
        kind,
        "",
        file_format,
        f"{FILE_STEMS[kind]}-{dossier.code or dossier.id}",
        built.process_version_id,
    )


def _dossier_built(
    session: Session, dossier: Dossier, kind: str, number: str | None, day: date | None
) -> context.Built:
    if kind == "submission":
        return dossier_context.submission(session, dossier, number=number, day=day)
    if kind == "notice":
        return dossier_context.notice(session, dossier, day=day)
    raise InvalidDataError(
        "a single dossier has a submission and a notice only", {"kind": "not for a dossier"}
    )


def _default_part(session: Session, round_: Round, kind: str) -> str:
    """The part a preview uses when none is given: the round's first award form (tờ trình,
    decision) or the first unit with a nominee not passed (notice)."""
    if kind in PER_FORM:
        return round_.award_forms[0] if round_.award_forms else ""
    if kind == "notice":
        unit_id = session.scalar(
            select(RoundListItem.unit_id)
            .where(RoundListItem.round_id == round_.id, RoundListItem.result == "failed")
            .order_by(RoundListItem.position)
        )
        return str(unit_id) if unit_id is not None else ""
    return ""


def _dossier_by_reference(session: Session, actor: Actor, reference: str) -> Dossier:
    reference = reference.strip()
    dossier_id = session.scalar(select(Dossier.id).where(Dossier.code == reference))
    if dossier_id is None and reference.isdigit() and len(reference) < 10:
        dossier_id = int(reference)
    if dossier_id is None:
        raise NotFoundError(f"no dossier {reference}")
    return get_visible_dossier(session, actor, dossier_id)


def preview_paper(
    session: Session,
    actor: Actor,
    process_key: str,
    number: int,
    kind: str,
    subject_kind: str,
    reference: str,
    part: str = "",
    *,
    file_format: str = "docx",
) -> Paper:
    """The administrator's preview: the paper of `kind` made from a chosen dossier's (code or
    id) or round's (id) current data with version `number`'s template of that kind, whatever
    version the dossier or round runs. Nothing is stored."""
    if not can_manage_processes(actor):
        raise PermissionDeniedError("only administrators manage processes")
    if file_format not in FORMATS:
        raise InvalidDataError("unknown format", {"format": "must be docx or pdf"})
    if kind not in ROUND_KINDS:
        raise InvalidDataError("unknown document kind", {"kind": "is not a document kind"})
    version: ProcessVersion = process_versions.get_version(session, process_key, number)
    if not reference.strip():
        raise InvalidDataError("say which dossier or round", {"reference": "is required"})
    if subject_kind == "dossier":
        try:
            dossier = _dossier_by_reference(session, actor, reference)
        except NotFoundError as exc:
            raise InvalidDataError(
                "no such dossier", {"reference": "no such dossier"}, code="no_subject"
            ) from exc
        built = _dossier_built(session, dossier, kind, None, None)
        stem = f"xem-truoc-{FILE_STEMS[kind]}-{dossier.code or dossier.id}"
    elif subject_kind == "round":
        reference = reference.strip()
        if not reference.isdigit() or len(reference) > 9:
            raise InvalidDataError(
                "no such round", {"reference": "no such round"}, code="no_subject"
            )
        try:
            round_ = get_round(session, actor, int(reference))
        except NotFoundError as exc:
            raise InvalidDataError(
                "no such round", {"reference": "no such round"}, code="no_subject"
            ) from exc
        part = part.strip() or _default_part(session, round_, kind)
        built = _built(session, round_, kind, part, None, None)
        stem = f"xem-truoc-{FILE_STEMS[kind]}-dot-{round_.id}"
    else:
        raise InvalidDataError("dossier or round", {"subject": "must be dossier or round"})
    return _paper(session, built, kind, part, file_format, stem, version.id)


def signed_copy(
    session: Session, subject_kind: str, subject_id: int, kind: str, part: str
) -> GeneratedDocument | None:
    """The signed copy of this paper, if one was recorded."""
    return session.scalars(
        select(GeneratedDocument).where(
            GeneratedDocument.subject_kind == subject_kind,
            GeneratedDocument.subject_id == subject_id,
            GeneratedDocument.doc_kind == kind,
            GeneratedDocument.part == part,
            GeneratedDocument.status == "signed",
        )
    ).first()


def _subject_id(session: Session, actor: Actor, subject_kind: str, subject_id: int) -> int:
    # Whoever stores or marks a paper must see its round or dossier (NotFoundError otherwise).
    if subject_kind == "round":
        return get_round(session, actor, subject_id).id
    if subject_kind == "dossier":
        return get_visible_dossier(session, actor, subject_id).id
    raise InvalidDataError("unknown subject", {"subject_kind": "must be round or dossier"})


def store_paper(
    session: Session, actor: Actor, subject_kind: str, subject_id: int, paper: Paper
) -> GeneratedDocument:
    """Keep a generated paper with its round or dossier: the file under its content hash, and
    the data, template and process version it came from. Refused (ConflictError "signed") once
    the paper's signed copy exists: a regeneration never replaces what was signed."""
    subject_id = _subject_id(session, actor, subject_kind, subject_id)
    if signed_copy(session, subject_kind, subject_id, paper.kind, paper.part) is not None:
        raise ConflictError("this paper is already signed", code="signed")
    digest = file_store_of(session).put(paper.data).hash
    document = GeneratedDocument(
        subject_kind=subject_kind,
        subject_id=subject_id,
        doc_kind=paper.kind,
        part=paper.part,
        file_format=paper.file_format,
        file_name=paper.file_name,
        content_hash=digest,
        size=len(paper.data),
        mime_type=paper.mime_type,
        data_hash=paper.data_hash,
        template_hash=paper.template_hash,
        generator_version=GENERATOR_VERSION,
        process_version_id=paper.process_version_id,
        status="draft",
        generated_by_id=actor.user_id,
        generated_at=utcnow(),
    )
    session.add(document)
    session.flush()
    return document


def store_round_paper(
    session: Session, actor: Actor, round_id: int, paper: Paper
) -> GeneratedDocument:
    """store_paper for a round's paper."""
    return store_paper(session, actor, "round", round_id, paper)


def keep_round_paper(
    session: Session, actor: Actor, round_id: int, kind: str, part: str = ""
) -> list[GeneratedDocument]:
    """The Office or the Director keeps the paper as it stands now with the round: its DOCX,
    and its PDF when LibreOffice is installed."""
    round_ = get_round(session, actor, round_id)
    if not any(may(actor, role, round_.unit_id) for role in SIGNING_ROLES):
        raise PermissionDeniedError("only the Office or the Director keeps the round's papers")
    formats = ("docx", "pdf") if pdf.available() else ("docx",)
    return [
        store_paper(
            session,
            actor,
            "round",
            round_.id,
            round_paper(session, actor, round_.id, kind, part, file_format=file_format),
        )
        for file_format in formats
    ]


def mark_signed(session: Session, actor: Actor, document_id: int) -> GeneratedDocument:
    """Record that this stored paper is the one that was signed (one signed copy per paper)."""
    document = session.get(GeneratedDocument, document_id)
    if document is None:
        raise NotFoundError(f"document {document_id} not found")
    _subject_id(session, actor, document.subject_kind, document.subject_id)
    if not (actor.is_admin or any(actor.has_role(role) for role in SIGNING_ROLES)):
        raise PermissionDeniedError("only the Director or the Office records the signed copy")
    existing = signed_copy(
        session, document.subject_kind, document.subject_id, document.doc_kind, document.part
    )
    if existing is not None and existing.id != document.id:
        raise ConflictError("another copy of this paper is already signed", code="signed")
    document.status = "signed"
    session.flush()
    return document


def stored_papers(session: Session, actor: Actor, round_id: int) -> list[GeneratedDocument]:
    """The round's stored papers, newest first."""
    round_ = get_round(session, actor, round_id)
    return list(
        session.scalars(
            select(GeneratedDocument)
            .where(
                GeneratedDocument.subject_kind == "round", GeneratedDocument.subject_id == round_.id
            )
            .order_by(GeneratedDocument.id.desc())
        )
    )


def stored_bytes(session: Session, document: GeneratedDocument) -> bytes:
    """A stored paper's bytes, checked against its hash."""
    try:
        with file_store_of(session).open(document.content_hash) as handle:
            data = handle.read()
    except FileNotFoundError:
        raise ConflictError("the stored file is missing", code="missing") from None
    if hashlib.sha256(data).hexdigest() != document.content_hash:
        raise ConflictError("the stored file does not match its hash", code="corrupt")
    return data
