"""The papers a step needs, kept with its round or dossier when the step completes, in the
step's own transaction: the DOCX, and its PDF when LibreOffice is installed (DOCX only without
it). A paper whose signed copy is already kept is left alone: a completion never replaces what
was signed. A paper that cannot be made refuses the step (InvalidDataError "paper_failed"),
so nothing of the step is saved.

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

import dataclasses
from typing import Any

from sqlalchemy import select
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
)
from webapp.services.errors import ConflictError, InvalidDataError

# The dossier steps that keep papers, and when (the step's data decides).
DOSSIER_SIGN_STEP = "sign_submission"
REFUSED = frozenset({"failed", "refused"})


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
    """Store the DOCX and, with LibreOffice, its PDF; nothing when a signed copy is kept."""
    if signed_copy(session, subject_kind, subject_id, paper.kind, paper.part) is not None:
        return []
    if _already_kept(session, subject_kind, subject_id, paper):
        return []  # the same data through the same template: kept already (a repeated step)
    kept = [store_paper(session, actor, subject_kind, subject_id, paper)]
    if pdf.available():
        try:
            data = pdf.docx_to_pdf(paper.data)
        except ConflictError as exc:
            raise _failed(exc.message, paper.kind) from exc
        as_pdf = dataclasses.replace(
            paper,
            file_format="pdf",
            file_name=paper.file_name.removesuffix(".docx") + ".pdf",
            data=data,
            mime_type=pdf.PDF_MIME,
        )
        kept.append(store_paper(session, actor, subject_kind, subject_id, as_pdf))
    return kept


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
    """The chair concluded: the minutes, and a notice to each unit with a nominee not passed."""
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
