"""The round's papers as drafts to download (DOCX) or read in the browser (PDF)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from webapp.request_db import db_session
from webapp.rounds.blueprint import bp
from webapp.rounds.views import render_round
from webapp.services import attachments
from webapp.services.documents import papers, pdf
from webapp.services.errors import ConflictError, InvalidDataError
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
