"""The round's papers as drafts to download (DOCX) or read in the browser (PDF)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from webapp.field_messages import STORAGE_FULL
from webapp.models import GeneratedDocument
from webapp.request_db import db_session
from webapp.rounds.blueprint import bp
from webapp.rounds.forms import ActionForm
from webapp.rounds.views import render_round
from webapp.services import attachments
from webapp.services.documents import papers, pdf
from webapp.services.errors import ConflictError, InvalidDataError, NotFoundError
from webapp.services.file_store import StorageFullError
from webapp.services.rounds.lifecycle import RoundDetail
from webapp.web_edge import page_actor

KIND_LABELS = {
    "submission": _l("Submission memo (tờ trình) with its list"),
    "minutes": _l("Council minutes"),
    "decision": _l("Draft award decision with its list of awardees"),
    "notice": _l("Notice of non-award"),
    "written_opinion": _l("Written-opinion form for an absent council member"),
}


@dataclass(frozen=True)
class Offered:
    """A paper the round page offers: which, for what (award form or unit), its label."""

    kind: str
    part: str
    label: str


@bp.app_template_global("round_papers")
def offered(detail: RoundDetail, forms: dict[str, str]) -> list[Offered]:
    """The papers the round's data can fill now: none before the lists are compiled; the
    decision once a nominee of the form passed; a notice per unit with a failed nominee."""
    if not detail.lists:
        return []
    found = [Offered("written_opinion", "", str(KIND_LABELS["written_opinion"]))]
    for form_code in detail.lists:
        form_name = str(forms.get(form_code, form_code))
        label = f"{KIND_LABELS['submission']} · {form_name}"
        found.append(Offered("submission", form_code, label))
    concluded = any(i.result for items in detail.lists.values() for i in items)
    if not concluded:
        return found
    found.append(Offered("minutes", "", str(KIND_LABELS["minutes"])))
    for form_code, items in detail.lists.items():
        if any(i.result == "passed" for i in items):
            label = f"{KIND_LABELS['decision']} · {forms.get(form_code, form_code)}"
            found.append(Offered("decision", form_code, label))
    failed_units = {
        i.unit_id: i.unit.name
        for items in detail.lists.values()
        for i in items
        if i.result == "failed"
    }
    for unit_id, name in sorted(failed_units.items(), key=lambda u: u[1]):
        found.append(Offered("notice", str(unit_id), f"{KIND_LABELS['notice']} · {name}"))
    return found


@bp.app_template_global("round_papers_pdf")
def pdf_available() -> bool:
    """Whether the page offers PDFs (LibreOffice is installed on this server)."""
    return pdf.available()


@bp.get("/rounds/<int:round_id>/papers/<kind>.<file_format>")
@login_required
def paper(round_id: int, kind: str, file_format: str) -> ResponseReturnValue:
    """A paper of the round made now from its data: the DOCX downloads, the PDF opens in the
    browser (sandboxed like an attachment). Nothing is stored."""
    part = request.args.get("part", "")[:80]
    try:
        made = papers.round_paper(
            db_session(), page_actor(), round_id, kind, part, file_format=file_format
        )
    except InvalidDataError:
        flash(_("This paper cannot be made from the round's data yet."), "warning")
        return render_round(round_id, status=422)
    except ConflictError as exc:
        if exc.code != "no_pdf":
            raise
        flash(
            _("The PDF could not be made on this server (LibreOffice): download the DOCX."),
            "warning",
        )
        return render_round(round_id, status=409)
    inline = file_format == "pdf"
    disposition = "inline" if inline else "attachment"
    headers = {
        "Content-Type": made.mime_type,
        "Content-Disposition": f'{disposition}; filename="{made.file_name}"',
        "Content-Security-Policy": attachments.INLINE_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    return made.data, 200, headers


@bp.app_template_global("round_papers_kept")
def kept(round_id: int) -> list[GeneratedDocument]:
    """The papers kept with the round, newest first (for its page)."""
    return papers.stored_papers(db_session(), page_actor(), round_id)


@bp.post("/rounds/<int:round_id>/papers/<kind>/keep")
@login_required
def keep(round_id: int, kind: str) -> ResponseReturnValue:
    """The Office or the Director keeps the paper as it stands with the round (DOCX, and PDF
    when LibreOffice is installed), with its hash and the data it came from."""
    if not ActionForm(request.form).validate():
        flash(_("The form expired. Please submit it again."), "danger")
        return render_round(round_id, status=422)
    session = db_session()
    try:
        papers.keep_round_paper(session, page_actor(), round_id, kind, request.args.get("part", ""))
        session.commit()
    except StorageFullError:
        session.rollback()
        flash(str(STORAGE_FULL), "danger")
        return render_round(round_id, status=507)
    except InvalidDataError:
        session.rollback()
        flash(_("This paper cannot be made from the round's data yet."), "warning")
        return render_round(round_id, status=422)
    except ConflictError as exc:
        session.rollback()
        if exc.code != "signed":
            raise
        flash(_("This paper is already signed: its signed copy is kept unchanged."), "warning")
        return render_round(round_id, status=409)
    flash(_("The paper is kept with the round."), "success")
    return redirect(url_for("rounds.show", round_id=round_id))


@bp.get("/rounds/<int:round_id>/papers/kept/<int:document_id>")
@login_required
def kept_file(round_id: int, document_id: int) -> ResponseReturnValue:
    """A kept paper, checked against its hash: the PDF opens in the browser (sandboxed), the
    DOCX downloads."""
    session = db_session()
    document = session.get(GeneratedDocument, document_id)
    visible = {d.id for d in papers.stored_papers(session, page_actor(), round_id)}
    if document is None or document.id not in visible:
        raise NotFoundError(f"document {document_id} not found")
    disposition = "inline" if document.file_format == "pdf" else "attachment"
    headers = {
        "Content-Type": document.mime_type,
        "Content-Disposition": f'{disposition}; filename="{document.file_name}"',
        "Content-Security-Policy": attachments.INLINE_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    return papers.stored_bytes(session, document), 200, headers
