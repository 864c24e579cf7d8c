"""Forms and rules of a process version: the list, the JSON Schema editor with a live preview
of the form it becomes, and the DMN editor (dmn-js). Drafts change; saving in a deployed or
retired version makes a new draft copied from it first."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from werkzeug.routing import BuildError

from webapp.admin.blueprint import bp
from webapp.admin.diagram_vocabulary import dmn_js_texts
from webapp.admin.problem_text import PROBLEM_LABELS, problem_label, problem_text
from webapp.forms import ActionForm
from webapp.i18n import LANGUAGES
from webapp.models import ProcessVersion
from webapp.request_db import db_session
from webapp.services import process_versions, version_files
from webapp.services.errors import InvalidDataError, NotFoundError
from webapp.services.version_files import FormSchemaError
from webapp.step_forms import build_form_class
from webapp.web_edge import page_actor

VERSION_URL = "/processes/<key>/versions/<int:number>"
PREVIEW_PREFIX = "preview"
NO_STORE = {"Cache-Control": "no-store"}
# dmn-js, like the BPMN modeler, sets style attributes and uses data: images and fonts; the
# CodeMirror editor of its cells adds a <style> element too. Scripts stay 'self' only.
EDITOR_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)


class _UnbuildableFormError(Exception):
    """The schema is a valid JSON Schema, but the form builder cannot turn it into fields."""


def _link(endpoint: str, **values: Any) -> str | None:
    """A link to another admin page, or None while that page does not exist."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _page(
    template: str, status: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> ResponseReturnValue:
    html = render_template(
        template, link=_link, problem_label=problem_label, problem_text=problem_text, **context
    )
    return html, status, headers or {}


# Why the form check refuses a schema that could fetch, open, hang or recurse (form_schemas).
FORM_REFUSALS = {
    "external_ref": _l(
        "A reference ($ref or $id) points outside the form; only references inside it "
        "(starting with #/) are allowed."
    ),
    "unresolvable_ref": _l("A reference does not point to a part of this form."),
    "ref_loop": _l("The form's references go round in a loop."),
    "unsafe_pattern": _l(
        "A regular expression is not allowed: only linear-time patterns (no backreferences or "
        "look-arounds)."
    ),
    "too_deep": _l("The form is nested too deeply."),
    "unsupported_draft": _l("A form must use JSON Schema 2020-12, declared only at its root."),
    "number_too_large": _l("A number in the form is too large."),
}


def _csrf_ok() -> None:
    if not ActionForm(request.form).validate():
        abort(400)


def schema_message(exc: InvalidDataError) -> str:
    """Why a form's text or name was refused, in the page's language."""
    if isinstance(exc, FormSchemaError):
        if exc.code == "invalid_json" and exc.line is not None:
            return _(
                "This is not valid JSON (line %(line)d, column %(column)d: %(reason)s).",
                line=exc.line,
                column=exc.column or 0,
                reason=exc.detail,
            )
        if exc.code == "invalid_json":
            return _("This is not valid JSON (%(reason)s).", reason=exc.detail)
        if exc.code == "not_an_object_schema":
            return _('A form must be a JSON Schema object with "type": "object".')
        if exc.code == "form_too_large":
            return _("This form is too large.")
        if exc.code in FORM_REFUSALS:
            detail = _("Technical detail:")
            return f"{FORM_REFUSALS[exc.code]} {detail} {exc.detail}"
        return _("This is not a valid JSON Schema: %(reason)s", reason=exc.detail)
    if exc.code == "invalid_form_name":
        return _(
            "A form name has lowercase letters, digits and underscores only, and ends in .json."
        )
    if exc.code == "form_exists":
        return _("This version already has a form with that name.")
    return exc.message


def _rules_refusal(exc: InvalidDataError) -> str:
    """Why a DMN file was refused, in the page's language (the parser's words kept aside)."""
    if exc.code == "not_dmn":
        return _("the file is not a DMN rule table.")
    if exc.code == "no_decision":
        return _("the file has no decision table.")
    if exc.code in PROBLEM_LABELS:
        detail = _("Technical detail:")
        return f"{problem_label(exc.code)}. {detail} {exc.message}"
    return exc.message


def _build(schema: dict[str, Any], lang: str) -> Any:
    """The WTForms form of `schema` with sample nominees; no CSRF (it is never posted)."""
    try:
        form_class = build_form_class(schema, version_files.sample_nominees(), lang)
        return form_class(prefix=PREVIEW_PREFIX, meta={"csrf": False})
    except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
        raise _UnbuildableFormError(
            _("This schema cannot be shown as a form: %(reason)s", reason=str(exc))
        ) from exc


def _preview(text: str, lang: str) -> str:
    """The preview fragment of a schema text; raise InvalidDataError/_UnbuildableFormError."""
    schema = version_files.parse_form(text)
    form = _build(schema, lang)
    return render_template("admin/forms/preview.html", form=form, schema=schema, lang=lang)


def _saved_message(version: ProcessVersion, source: int, what: str) -> str:
    count = len(version.problems or [])
    checked = (
        ngettext(
            "The draft was checked again: %(num)d problem.",
            "The draft was checked again: %(num)d problems.",
            count,
        )
        if count
        else _("The draft was checked again: no problems.")
    )
    if version.version != source:
        saved = _(
            "%(what)s was saved in version %(number)d, a new draft copied from version %(source)d.",
            what=what,
            number=version.version,
            source=source,
        )
    else:
        saved = _("%(what)s was saved.", what=what)
    return f"{saved} {checked}"


def _category(version: ProcessVersion) -> str:
    """Green when the saved draft has no problems, amber when the check found some."""
    return "warning" if version.problems else "success"


@bp.route(VERSION_URL + "/forms", methods=["GET", "POST"])
def forms(key: str, number: int) -> ResponseReturnValue:
    """The version's forms and rule tables with the steps that use each; POST creates a form
    (name) or copies the version as a new draft (action=copy)."""
    session = db_session()
    actor = page_actor()
    if request.method == "POST":
        _csrf_ok()
        if request.form.get("action") == "copy":
            draft = version_files.copy_to_draft(session, actor, key, number)
            session.commit()
            if draft.version == number:  # already a draft: nothing to copy
                return redirect(url_for("admin.forms", key=key, number=number))
            flash(
                _(
                    "Version %(number)d is a new draft copied from version %(source)d.",
                    number=draft.version,
                    source=number,
                ),
                "success",
            )
            return redirect(url_for("admin.forms", key=key, number=draft.version))
        name = (request.form.get("name") or "").strip()
        try:
            version_files.create_form(session, actor, key, number, name)
        except InvalidDataError as exc:
            session.rollback()
            overview = version_files.version_files(session, actor, key, number)
            return _page(
                "admin/forms/list.html",
                422,
                overview=overview,
                new_name=name,
                name_error=schema_message(exc),
            )
        session.commit()
        flash(_("The form %(name)s was created.", name=name), "success")
        return redirect(url_for("admin.form_edit", key=key, number=number, name=name))
    overview = version_files.version_files(session, actor, key, number)
    return _page("admin/forms/list.html", overview=overview, new_name="", name_error=None)


def _editor(
    key: str,
    number: int,
    name: str,
    text: str,
    *,
    exists: bool,
    status: int = 200,
    error: str | None = None,
) -> ResponseReturnValue:
    overview = version_files.version_files(db_session(), page_actor(), key, number)
    lang = str(get_locale())
    try:
        preview_html: Markup | None = Markup(_preview(text, lang))  # noqa: S704 - rendered by Jinja
    except (InvalidDataError, _UnbuildableFormError):
        preview_html = None
    return _page(
        "admin/forms/edit.html",
        status,
        overview=overview,
        name=name,
        text=text,
        exists=exists,
        entry=next((f for f in overview.forms if f.name == name), None),
        error=error,
        languages=LANGUAGES,
        lang=lang,
        preview_html=preview_html,
    )


@bp.route(VERSION_URL + "/forms/<name>", methods=["GET", "POST"])
def form_edit(key: str, number: int, name: str) -> ResponseReturnValue:
    """Edit a form's JSON Schema. Saving writes it into the draft (into a new draft copied from
    a deployed or retired version) and checks the draft again; action=delete removes it."""
    session = db_session()
    actor = page_actor()
    try:
        _version, text = version_files.form_text(session, actor, key, number, name)
        exists = True
    except NotFoundError:
        # A form the draft lacks yet (the diagram may already name it): saving creates it.
        version = process_versions.get_version(session, key, number)
        if version.status != "draft" or not version_files.FORM_NAME.fullmatch(name):
            raise
        text, exists = version_files.NEW_FORM_TEXT, False
    if request.method == "GET":
        return _editor(key, number, name, text, exists=exists)
    _csrf_ok()
    if request.form.get("action") == "delete":
        version_files.delete_form(session, actor, key, number, name)
        session.commit()
        flash(_("The form %(name)s was deleted from the draft.", name=name), "success")
        return redirect(url_for("admin.forms", key=key, number=number))
    new_text = request.form.get("schema", "")
    try:
        _build(version_files.parse_form(new_text), str(get_locale()))
        target = version_files.copy_to_draft(session, actor, key, number)
        saved = version_files.save_form(session, actor, key, target.version, name, new_text)
    except (InvalidDataError, _UnbuildableFormError) as exc:
        session.rollback()
        error = schema_message(exc) if isinstance(exc, InvalidDataError) else str(exc)
        return _editor(key, number, name, new_text, exists=exists, status=422, error=error)
    session.commit()
    flash(_saved_message(saved, number, _("The form %(name)s", name=name)), _category(saved))
    return redirect(url_for("admin.form_edit", key=key, number=saved.version, name=name))


@bp.post(VERSION_URL + "/forms/<name>/preview")
def form_preview(key: str, number: int, name: str) -> ResponseReturnValue:
    """The form a schema text becomes, as an HTML fragment, or JSON {"error": message} when the
    text is not a usable schema. Nothing is saved."""
    _csrf_ok()
    process_versions.get_version(db_session(), key, number)
    lang = request.form.get("lang", "")
    lang = lang if lang in LANGUAGES else str(get_locale())
    # A refused text is an answer too (200): the editor shows why while the admin types.
    try:
        html = _preview(request.form.get("schema", ""), lang)
    except InvalidDataError as exc:
        return {"error": schema_message(exc)}, 200, NO_STORE
    except _UnbuildableFormError as exc:
        return {"error": str(exc)}, 200, NO_STORE
    return html, 200, {"Content-Type": "text/html; charset=utf-8", **NO_STORE}


@bp.route(VERSION_URL + "/rules/<name>", methods=["GET", "POST"])
def rules(key: str, number: int, name: str) -> ResponseReturnValue:
    """Edit a DMN table with dmn-js. Saving writes it into the draft (into a new draft copied
    from a deployed or retired version) and checks the draft again, gaps in the table included."""
    session = db_session()
    actor = page_actor()
    _version, xml = version_files.rules_text(session, actor, key, number, name)
    status, error = 200, None
    if request.method == "POST":
        _csrf_ok()
        new_xml = request.form.get("xml", "")
        try:
            target = version_files.copy_to_draft(session, actor, key, number)
            saved = version_files.save_rules(session, actor, key, target.version, name, new_xml)
        except InvalidDataError as exc:
            session.rollback()
            status, xml = 422, new_xml
            error = _("This rule table cannot be saved: %(reason)s", reason=_rules_refusal(exc))
        else:
            session.commit()
            what = _("The rule table %(name)s", name=name)
            flash(_saved_message(saved, number, what), _category(saved))
            return redirect(url_for("admin.rules", key=key, number=saved.version, name=name))
    overview = version_files.version_files(session, actor, key, number)
    return _page(
        "admin/forms/rules.html",
        status,
        {"Content-Security-Policy": EDITOR_CSP},
        overview=overview,
        name=name,
        xml=xml,
        entry=next((r for r in overview.rules if r.name == name), None),
        error=error,
        dmn_texts=dmn_js_texts(),
    )
