"""Paper templates of a process version: which DOCX each generated paper is made from (shipped
or uploaded), upload (checked as untrusted), download, reset to the shipped one, the fields a
template may use, and a preview filled with a chosen dossier's or round's data."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.routing import BuildError

from webapp.admin.blueprint import bp
from webapp.admin.forms_editor import VERSION_URL
from webapp.forms import ActionForm
from webapp.request_db import db_session
from webapp.services.attachments import INLINE_POLICY
from webapp.services.documents import papers, pdf, render
from webapp.services.documents import version_templates as templates
from webapp.services.documents.fields import FIELDS, KIND_NAMES
from webapp.services.documents.template_check import (
    MAX_TAGS,
    MAX_TEMPLATE_BYTES,
    TemplateRefusedError,
)
from webapp.services.errors import ConflictError, InvalidDataError
from webapp.web_edge import page_actor


def _link(endpoint: str, **values: Any) -> str | None:
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _csrf_ok() -> None:
    if not ActionForm(request.form).validate():
        abort(400)


def refusal_message(exc: TemplateRefusedError) -> str:
    """Why an uploaded template was refused, in the page's language, naming the problem."""
    detail = _("Technical detail:")
    if exc.code == "too_large":
        return _("The file is larger than %(limit)d MB.", limit=MAX_TEMPLATE_BYTES // (1024 * 1024))
    if exc.code == "not_zip":
        return _("The file is not a Word document (DOCX): it is not a ZIP package.")
    if exc.code == "zip_bomb":
        return _(
            "The file unpacks to far more than a document needs (%(part)s): it is refused as a "
            "possible zip bomb.",
            part=exc.detail,
        )
    if exc.code == "not_docx":
        return _("The file is not a valid Word document (DOCX).") + f" {detail} {exc.detail}"
    if exc.code == "syntax_error":
        text = _(
            "A field or tag of the template is not written correctly: %(reason)s.",
            reason=exc.detail,
        )
        if exc.excerpt:
            text += " " + _("Near: “%(excerpt)s”.", excerpt=exc.excerpt)
        return text
    if exc.code == "unclosed_tag":
        return _(
            "A tag opened with %(tag)s is not closed, or another tag opens inside it. Near: "
            "“%(excerpt)s”.",
            tag=exc.name,
            excerpt=exc.excerpt,
        )
    if exc.code == "too_many_tags":
        return _("The template has more than %(limit)d fields and tags.", limit=MAX_TAGS)
    if exc.code == "unknown_field":
        return _(
            "The template uses a field this paper does not have: %(name)s. The fields it may "
            "use are listed on this page.",
            name=exc.name or exc.detail,
        )
    if exc.code == "forbidden_attribute":
        return _(
            "The template uses an attribute that is not allowed: %(name)s.",
            name=exc.name or exc.detail,
        )
    if exc.code == "forbidden_tag":
        return _(
            "The template uses a tag that is not allowed: %(name)s (a template cannot include "
            "or import other files).",
            name=exc.name,
        )
    return _("The template fails when it is filled with sample data.") + f" {detail} {exc.detail}"


def _not_a_draft(number: int) -> str:
    return _(
        "Version %(number)d is not a draft and never changes: dossiers run on it. Copy it as a "
        "new draft to change its paper templates.",
        number=number,
    )


def _page(
    key: str,
    number: int,
    status: int = 200,
    *,
    errors: dict[str, str] | None = None,
    preview: dict[str, str] | None = None,
    preview_error: str | None = None,
) -> ResponseReturnValue:
    version, entries = templates.list_templates(db_session(), page_actor(), key, number)
    html = render_template(
        "admin/paper_templates/list.html",
        overview={"version": version},
        entries=entries,
        kind_names=KIND_NAMES,
        fields=FIELDS,
        errors=errors or {},
        preview=preview or {"kind": "submission", "subject": "dossier"},
        preview_error=preview_error,
        pdf_available=pdf.available(),
        dossier_kinds=papers.DOSSIER_KINDS,
        max_mb=MAX_TEMPLATE_BYTES // (1024 * 1024),
        link=_link,
    )
    return html, status


@bp.get(VERSION_URL + "/templates")
def paper_templates(key: str, number: int) -> ResponseReturnValue:
    """Each paper's template in this version, the upload and preview forms, and the fields."""
    return _page(key, number)


@bp.post(VERSION_URL + "/templates/<kind>")
def paper_template_upload(key: str, number: int, kind: str) -> ResponseReturnValue:
    """Upload a DOCX as the draft's template of `kind`; a refused file stores nothing (422)."""
    _csrf_ok()
    session = db_session()
    actor = page_actor()
    if kind not in FIELDS:
        abort(404)
    upload = request.files.get("template")
    if upload is None or not upload.filename:
        return _page(key, number, 422, errors={kind: _("Choose a DOCX file.")})
    try:
        data = upload.stream.read(MAX_TEMPLATE_BYTES + 1)
    finally:
        upload.close()  # a large upload is spooled to a temporary file
    try:
        templates.upload_template(session, actor, key, number, kind, upload.filename, data)
    except TemplateRefusedError as exc:
        session.rollback()
        return _page(key, number, 422, errors={kind: refusal_message(exc)})
    except ConflictError as exc:
        session.rollback()
        if exc.code != "not_a_draft":
            raise
        return _page(key, number, 409, errors={kind: _not_a_draft(number)})
    session.commit()
    flash(
        _("The template of “%(paper)s” was uploaded.", paper=_(KIND_NAMES[kind])),
        "success",
    )
    return redirect(url_for("admin.paper_templates", key=key, number=number))


@bp.post(VERSION_URL + "/templates/<kind>/reset")
def paper_template_reset(key: str, number: int, kind: str) -> ResponseReturnValue:
    """The draft's `kind` goes back to the shipped template."""
    _csrf_ok()
    session = db_session()
    if kind not in FIELDS:
        abort(404)
    try:
        templates.reset_template(session, page_actor(), key, number, kind)
    except ConflictError as exc:
        session.rollback()
        if exc.code != "not_a_draft":
            raise
        return _page(key, number, 409, errors={kind: _not_a_draft(number)})
    session.commit()
    flash(_("“%(paper)s” uses the shipped template again.", paper=_(KIND_NAMES[kind])), "success")
    return redirect(url_for("admin.paper_templates", key=key, number=number))


@bp.get(VERSION_URL + "/templates/<kind>/download")
def paper_template_download(key: str, number: int, kind: str) -> ResponseReturnValue:
    """The DOCX the version's `kind` is made from."""
    if kind not in FIELDS:
        abort(404)
    name, data = templates.template_file(db_session(), page_actor(), key, number, kind)
    headers = {
        "Content-Type": render.DOCX_MIME,
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    return data, 200, headers


def _preview_refusal(exc: InvalidDataError) -> str:
    fields = exc.fields
    if "reference" in fields:
        return _("No dossier or round has this code or number.")
    if "format" in fields:
        return _("Choose DOCX or PDF.")
    if "subject" in fields:
        return _("Choose a dossier or a round.")
    if fields.get("kind") == "is not a document kind":
        return _("Choose a paper.")
    if "kind" in fields:
        return _(
            "A single dossier has only a submission and a notice of non-award: choose a round "
            "for this paper."
        )
    if "template" in fields:
        return (
            _("The template fails on this data.")
            + " "
            + _("Technical detail:")
            + (f" {fields['template']}")
        )
    if "award_form" in fields:
        return _(
            "This award form is not in the round, or has no list or awardee yet: give another "
            "award form."
        )
    if "unit_id" in fields:
        return _("No nominee of the round was refused yet: there is no notice to make.")
    if "nominees" in fields:
        return _("The dossier has no nominee this paper is about.")
    return _("This paper cannot be made from the round's data yet.")


@bp.get(VERSION_URL + "/templates/preview")
def paper_template_preview(key: str, number: int) -> ResponseReturnValue:
    """The paper of the chosen kind made with this version's template from a chosen dossier's
    (code or number) or round's (number) data: DOCX to download, or PDF in the browser."""
    values = {
        name: (request.args.get(name) or "").strip()[:80]
        for name in ("kind", "subject", "reference", "part", "format")
    }
    file_format = values["format"] or "docx"
    try:
        made = papers.preview_paper(
            db_session(),
            page_actor(),
            key,
            number,
            values["kind"],
            values["subject"],
            values["reference"],
            values["part"],
            file_format=file_format,
        )
    except InvalidDataError as exc:
        return _page(key, number, 422, preview=values, preview_error=_preview_refusal(exc))
    except ConflictError as exc:
        if exc.code != "no_pdf":
            raise
        return _page(
            key,
            number,
            409,
            preview=values,
            preview_error=_(
                "The PDF could not be made on this server (LibreOffice): download the DOCX."
            ),
        )
    disposition = "inline" if file_format == "pdf" else "attachment"
    headers = {
        "Content-Type": made.mime_type,
        "Content-Disposition": f'{disposition}; filename="{made.file_name}"',
        "Content-Security-Policy": INLINE_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    return made.data, 200, headers
