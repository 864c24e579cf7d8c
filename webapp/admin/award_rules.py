"""Current rules (administrators only): the simplified-procedure cases, the documents the
Office's check requires, the repeat-award periods, each with its legal basis and effective date.
The same module offers templates the rule set's basis (the DMN rules page) and the check's
warnings (the check step's page)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp.admin.blueprint import bp
from webapp.award_rules_text import warning_text
from webapp.dossier_view import ATTACHMENT_KIND_LABELS, AWARD_FORM_LABELS, PROCEDURE_LABELS
from webapp.forms import ActionForm
from webapp.models import Dossier, RuleSetBasis, WorkItem
from webapp.request_db import db_session
from webapp.services import award_rules_catalog as catalog
from webapp.services.errors import InvalidDataError
from webapp.web_edge import page_actor

BASIS_TITLES = {
    catalog.CASES_KEY: _l("Cases of the simplified procedure"),
    catalog.DOCUMENTS_KEY: _l("Documents required at the Office's check"),
    catalog.REPEAT_KEY: _l("Years before the same award form again"),
    catalog.DMN_KEY: _l("Council rules (award_rules.dmn)"),
}
FIELD_LABELS = {
    "code": _l("Code"),
    "label": _l("Case"),
    "legal_basis": _l("Legal basis"),
    "effective_from": _l("Effective date"),
    "key": _l("Rule set"),
    "case": _l("Case"),
    "procedure": _l("Procedure"),
    "award_form": _l("Award form"),
    "kind": _l("Document"),
    "years": _l("Years"),
}


def _field_label(path: str) -> str:
    parts = path.split(".")
    name = next((p for p in reversed(parts) if p in FIELD_LABELS), parts[0])
    label = str(FIELD_LABELS.get(name, name))
    if parts[0] == "requirements" and len(parts) > 1 and parts[1].isdigit():
        return _("Row %(row)s, %(field)s", row=int(parts[1]) + 1, field=label)
    if parts[0] in {"years", "legal_basis"} and len(parts) > 1:
        form = str(AWARD_FORM_LABELS.get(parts[1], parts[1]))
        return f"{label} ({form})"
    return label


def _refusal(exc: InvalidDataError) -> list[str]:
    messages = []
    for path, reason in exc.fields.items():
        field = _field_label(path)
        if "required" in reason:
            messages.append(_("%(field)s is required.", field=field))
        elif "already used" in reason or "listed twice" in reason:
            messages.append(_("%(field)s is already used.", field=field))
        elif "too long" in reason:
            messages.append(_("%(field)s is too long.", field=field))
        else:
            messages.append(_("%(field)s is not valid.", field=field))
    return messages or [_("The change could not be saved.")]


def _checked() -> None:
    if not ActionForm(request.form).validate():
        abort(400)


def _page(status: int = 200) -> ResponseReturnValue:
    session = db_session()
    bases = {key: catalog.basis_of(session, key) for key in catalog.DEFAULT_BASES}
    return render_template(
        "admin/award_rules/index.html",
        bases=bases,
        basis_titles=BASIS_TITLES,
        cases=catalog.simplified_cases(session),
        requirements=catalog.requirements(session),
        periods=catalog.repeat_periods(session),
        award_forms=AWARD_FORM_LABELS,
        procedures=PROCEDURE_LABELS,
        kinds=ATTACHMENT_KIND_LABELS,
        any_form=catalog.ANY_FORM,
    ), status


def _save(action: Any, done: str) -> ResponseReturnValue:
    _checked()
    session = db_session()
    try:
        action(session)
        session.commit()
    except InvalidDataError as exc:
        session.rollback()
        for message in _refusal(exc):
            flash(message, "danger")
        return _page(422)
    flash(done, "success")
    return redirect(url_for("admin.award_rules"))


@bp.get("/award-rules")
def award_rules() -> ResponseReturnValue:
    """`/admin/award-rules`: the three lists with their legal basis and effective date."""
    return _page()


@bp.post("/award-rules/basis/<key>")
def award_rules_basis(key: str) -> ResponseReturnValue:
    """Record a rule set's legal basis and effective date."""
    form = request.form
    return _save(
        lambda s: catalog.set_basis(s, page_actor(), key, form),
        _("The legal basis was saved."),
    )


@bp.post("/award-rules/cases")
def award_rules_case_add() -> ResponseReturnValue:
    """Add a case of the simplified procedure."""
    data = {**request.form.to_dict(), "active": True}
    return _save(lambda s: catalog.save_case(s, page_actor(), data), _("The case was added."))


@bp.post("/award-rules/cases/<int:case_id>")
def award_rules_case(case_id: int) -> ResponseReturnValue:
    """Change a case's text and basis, or stop offering it to new dossiers."""
    data = {**request.form.to_dict(), "active": request.form.get("active") == "on"}
    return _save(
        lambda s: catalog.save_case(s, page_actor(), data, case_id), _("The case was saved.")
    )


def _requirement_rows() -> list[dict[str, Any]]:
    form = request.form
    rows = []
    indexes = sorted(
        {int(k.split("-")[1]) for k in form if k.startswith("row-") and k.split("-")[1].isdigit()}
    )
    for index in indexes:
        prefix = f"row-{index}-"
        removed = form.get(prefix + "delete") == "on"
        # The blank row for adding one is left out while no document is chosen in it.
        unused = form.get(prefix + "new") == "1" and not form.get(prefix + "kind")
        if removed or unused:
            continue
        rows.append(
            {
                "procedure": form.get(prefix + "procedure"),
                "award_form": form.get(prefix + "award_form"),
                "kind": form.get(prefix + "kind"),
                "per_nominee": form.get(prefix + "per_nominee") == "on",
                "enforced": form.get(prefix + "enforced") == "on",
                "legal_basis": form.get(prefix + "legal_basis", ""),
            }
        )
    return rows


@bp.post("/award-rules/requirements")
def award_rules_requirements() -> ResponseReturnValue:
    """Save the whole list of required documents (rows may be removed or one added)."""
    rows = _requirement_rows()
    return _save(
        lambda s: catalog.save_requirements(s, page_actor(), rows),
        _("The required documents were saved."),
    )


@bp.post("/award-rules/repeat")
def award_rules_repeat() -> ResponseReturnValue:
    """Save the years before the same award form may be proposed again."""
    years = {form: request.form.get(f"years-{form}", "") for form in AWARD_FORM_LABELS}
    basis = {form: request.form.get(f"basis-{form}", "") for form in AWARD_FORM_LABELS}
    return _save(
        lambda s: catalog.save_repeat_periods(s, page_actor(), years, basis),
        _("The periods were saved."),
    )


@bp.app_template_global()
def rule_set_basis(key: str) -> RuleSetBasis | None:
    """The legal basis and effective date of a rule set (a DMN file's name, or a list's key)."""
    return catalog.basis_of(db_session(), key)


@bp.app_template_global()
def check_warnings_for(item: WorkItem, dossier: Dossier) -> list[str]:
    """The warnings shown at the Office's check (other steps: none), in words."""
    if item.step != catalog.DOCUMENT_CHECK_STEP:
        return []
    today = datetime.now(ZoneInfo(current_app.config["TIME_ZONE"])).date()
    warnings = catalog.check_warnings(db_session(), dossier, today)
    return [warning_text(w) for w in warnings]


@bp.app_template_global()
def simplified_case_label(code: str | None) -> str | None:
    """The words of a dossier's simplified-procedure case (its code if the case was deleted)."""
    return catalog.case_label(db_session(), code)
