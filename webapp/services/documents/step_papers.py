"""The papers a step needs, kept with its round or dossier when the step completes, in the
step's own transaction, as DOCX. Their PDF, for reading in the browser, follows from the job
queue (`make_kept_pdfs`, when LibreOffice is installed): LibreOffice takes seconds, which the
person completing the step should not wait for, nor hold the database's write lock through.
A paper whose signed copy is already kept is left alone: a completion never replaces what was
signed. A paper that cannot be made refuses the step (InvalidDataError "paper_failed"), so
nothing of the step is saved.

Which step keeps which paper:
- the council's meeting, for each member absent from it: the written-opinion form;
- the chair's conclusion: the minutes, and the notice of non-award to each unit with a
  nominee not passed;
- the Director's signing of one award form: that form's tờ trình with its list;
- the Ministry's decision on one award form: the decision with its awardees;
- a single dossier's signing step (`sign_submission`, approved): its tờ trình, and its notice
  of non-award when a nominee was not passed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from webapp.models import Dossier, GeneratedDocument, Round, RoundListItem, User
from webapp.permissions import Actor
from webapp.services.documents import pdf
from webapp.services.documents.papers import (
    Paper,
    dossier_paper,
    round_paper,
    signed_copy,
    store_paper,
    stored_bytes,
)
from webapp.services.errors import ConflictError, InvalidDataError
from webapp.services.file_store import file_store_of

log = logging.getLogger(__name__)

# The dossier steps that keep papers, and when (the step's data decides).
DOSSIER_SIGN_STEP = "sign_submission"
REFUSED = frozenset({"failed", "refused"})
# PDFs made per job run (each takes LibreOffice seconds), and how long a DOCX that cannot be
# converted is tried again before it is left as DOCX only.
PDF_BATCH = 5
PDF_RETRY_WINDOW = timedelta(days=2)


def _failed(reason: str, kind: str) -> InvalidDataError:
    return InvalidDataError(
        f"the {kind} paper of this step could not be made: {reason}",
        {"paper": reason},
        code="paper_failed",
    )


def _already_kept(session: Session, subject_kind: str, subject_id: int, paper: Paper) -> bool:
    return (
        session.scalar(
            select(GeneratedDocument.id).where(
                GeneratedDocument.subject_kind == subject_kind,
                GeneratedDocument.subject_id == subject_id,
                GeneratedDocument.doc_kind == paper.kind,
                GeneratedDocument.part == paper.part,
                GeneratedDocument.file_format == paper.file_format,
                GeneratedDocument.data_hash == paper.data_hash,
                GeneratedDocument.template_hash == paper.template_hash,
            )
        )
        is not None
    )


def _keep(
    session: Session, actor: Actor, subject_kind: str, subject_id: int, paper: Paper
) -> list[GeneratedDocument]:
    """Store the DOCX (its PDF follows from the job queue); nothing when a signed copy is kept."""
    if signed_copy(session, subject_kind, subject_id, paper.kind, paper.part) is not None:
        return []
    if _already_kept(session, subject_kind, subject_id, paper):
        return []  # the same data through the same template: kept already (a repeated step)
    return [store_paper(session, actor, subject_kind, subject_id, paper)]


def _pdf_missing(docx: type[GeneratedDocument] | Any) -> Any:
    pdf_row = GeneratedDocument
    return ~exists().where(
        and_(
            pdf_row.subject_kind == docx.subject_kind,
            pdf_row.subject_id == docx.subject_id,
            pdf_row.doc_kind == docx.doc_kind,
            pdf_row.part == docx.part,
            pdf_row.file_format == "pdf",
            pdf_row.data_hash == docx.data_hash,
            pdf_row.template_hash == docx.template_hash,
        )
    )


def make_kept_pdfs(session: Session, now: datetime) -> int:
    """Job: the PDF of each kept DOCX draft that has none yet (a few per run); returns how many
    were made. LibreOffice runs outside any transaction; the PDF is then stored under the DOCX
    row's lock, after checking again that no other worker stored it meanwhile."""
    if not pdf.available():
        return 0
    docx = GeneratedDocument.__table__.alias("docx")
    candidates = [
        row.id
        for row in session.execute(
            select(docx.c.id)
            .where(
                docx.c.file_format == "docx",
                docx.c.status == "draft",
                docx.c.generated_at >= now - PDF_RETRY_WINDOW,
                _pdf_missing(docx.c),
            )
            .order_by(docx.c.id)
            .limit(PDF_BATCH)
        )
    ]
    made = 0
    for docx_id in candidates:
        try:
            data = stored_bytes(session, session.get_one(GeneratedDocument, docx_id))
            session.commit()  # no transaction held while LibreOffice works
            converted = pdf.docx_to_pdf(data, background=True)
        except ConflictError as exc:
            log.warning("no PDF for kept paper %s: %s", docx_id, exc.message)
            continue
        source = session.scalars(
            select(GeneratedDocument).where(GeneratedDocument.id == docx_id).with_for_update()
        ).one()
        still_missing = session.scalar(select(_pdf_missing(source)))
        signed = signed_copy(
            session, source.subject_kind, source.subject_id, source.doc_kind, source.part
        )
        if still_missing and signed is None:
            session.add(_pdf_of(session, source, converted))
            made += 1
        session.commit()
    return made


def _pdf_of(session: Session, source: GeneratedDocument, data: bytes) -> GeneratedDocument:
    digest = file_store_of(session).put(data).hash
    return GeneratedDocument(
        subject_kind=source.subject_kind,
        subject_id=source.subject_id,
        doc_kind=source.doc_kind,
        part=source.part,
        file_format="pdf",
        file_name=source.file_name.removesuffix(".docx") + ".pdf",
        content_hash=digest,
        size=len(data),
        mime_type=pdf.PDF_MIME,
        data_hash=source.data_hash,
        template_hash=source.template_hash,
        generator_version=source.generator_version,
        process_version_id=source.process_version_id,
        status="draft",
        generated_by_id=source.generated_by_id,
        generated_at=source.generated_at,
    )


def keep_round_step_paper(
    session: Session, actor: Actor, round_id: int, kind: str, part: str = ""
) -> list[GeneratedDocument]:
    """Keep one paper of a round as its step completes (see the module's list)."""
    try:
        paper = round_paper(session, actor, round_id, kind, part)
    except InvalidDataError as exc:
        raise _failed(exc.message, kind) from exc
    return _keep(session, actor, "round", round_id, paper)


def keep_conclusion_papers(
    session: Session, actor: Actor, round_: Round
) -> list[GeneratedDocument]:
    """The chair concluded: the minutes, and a notice to each unit with a nominee not passed.
    A round that received nothing has no list to minute: it keeps nothing."""
    listed = session.scalar(
        select(RoundListItem.id).where(RoundListItem.round_id == round_.id).limit(1)
    )
    if listed is None:
        return []
    kept = keep_round_step_paper(session, actor, round_.id, "minutes")
    failed_units = sorted(
        set(
            session.scalars(
                select(RoundListItem.unit_id).where(
                    RoundListItem.round_id == round_.id, RoundListItem.result == "failed"
                )
            )
        )
    )
    for unit_id in failed_units:
        kept += keep_round_step_paper(session, actor, round_.id, "notice", str(unit_id))
    return kept


def keep_opinion_forms(
    session: Session, actor: Actor, round_: Round, absent: list[str]
) -> list[GeneratedDocument]:
    """The meeting was recorded: a written-opinion form for each absent member (by name)."""
    if not absent:
        return []
    rows = session.execute(select(User.username, User.full_name).where(User.username.in_(absent)))
    names: dict[str, str] = {row.username: row.full_name for row in rows}
    kept: list[GeneratedDocument] = []
    for username in sorted(absent):
        name = (names.get(username) or username)[:80]
        kept += keep_round_step_paper(session, actor, round_.id, "written_opinion", name)
    return kept


def keep_dossier_step_papers(
    session: Session, actor: Actor, dossier: Dossier, step: str, data: Any
) -> list[GeneratedDocument]:
    """A single dossier's signing step, approved: its tờ trình, and its notice of non-award
    when a nominee was not passed. Other steps keep nothing."""
    if step != DOSSIER_SIGN_STEP or not isinstance(data, dict):
        return []
    if data.get("decision") != "approve":
        return []
    kinds = []
    if any(n.result not in REFUSED for n in dossier.nominees):
        kinds.append("submission")
    if any(n.result in REFUSED for n in dossier.nominees):
        kinds.append("notice")
    kept: list[GeneratedDocument] = []
    for kind in kinds:
        try:
            paper = dossier_paper(session, actor, dossier.id, kind)
        except InvalidDataError as exc:
            raise _failed(exc.message, kind) from exc
        kept += _keep(session, actor, "dossier", dossier.id, paper)
    return kept
