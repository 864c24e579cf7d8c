"""The BPMN modeler: open a version's diagram, save it as a draft and see the check's problems,
deploy a clean draft, download the .bpmn and upload one drawn in another BPMN tool.

Saving and deploying are JSON calls from the page (CSRF token in the X-CSRFToken header); the
upload is a plain form. A deployed or retired version never changes: saving it starts a draft.
"""

from __future__ import annotations

from typing import Any

from flask import Response, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from werkzeug.routing import BuildError

from webapp.admin.blueprint import bp
from webapp.admin.condition_fields import fields_by_form
from webapp.admin.diagram_vocabulary import bpmn_js_texts
from webapp.admin.problem_text import described, problem_label, problem_text
from webapp.forms import ActionForm
from webapp.models import ProcessVersion
from webapp.request_db import db_session
from webapp.services import diagram_drafts, modeler_checks, people, process_versions
from webapp.services.errors import ConflictError, DiagramProblemsError, InvalidDataError
from webapp.web_edge import page_actor

VERSION_URL = "/processes/<key>/versions/<int:number>"
# bpmn-js sets style attributes (popup menus, the properties panel) and uses data: images and
# fonts (bpmn-embedded.css); it needs no eval and no inline script.
MODELER_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)
STATUS_LABELS = {
    "draft": _l("Draft"),
    "deployed": _l("Deployed"),
    "retired": _l("Retired"),
}
OUTCOMES = {
    "awarded": _l("Awarded"),
    "refused": _l("Refused"),
    "withdrawn": _l("Withdrawn"),
}


def _link(endpoint: str, **values: Any) -> str | None:
    """A link to another admin page, or None while that page does not exist."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _urls(version: ProcessVersion) -> dict[str, str]:
    key, number = version.process_key, version.version
    return {
        "modeler": url_for("admin.modeler", key=key, number=number),
        "save": url_for("admin.modeler_save", key=key, number=number),
        "deploy": url_for("admin.modeler_deploy", key=key, number=number),
        "check": url_for("admin.modeler_check_expression", key=key, number=number),
        "download": url_for("admin.download_bpmn", key=key, number=number),
        "upload": url_for("admin.modeler_upload", key=key, number=number),
        "page": _link("admin.version", key=key, number=number) or "",
        "forms": _link("admin.forms", key=key, number=number) or "",
    }


def _deploy_question(version: ProcessVersion) -> dict[str, str]:
    """The deploy confirmation, in the catalogue's words (admin/processes/_macros.html)."""
    try:
        deployed: int | None = process_versions.deployed_version(
            db_session(), version.process_key
        ).version
    except ConflictError:
        deployed = None
    retired = ""
    if deployed is not None and deployed != version.version:
        retired = _(
            "Version %(number)d is retired: the dossiers already running on it stay there and "
            "keep working, unless you move them.",
            number=deployed,
        )
    return {
        "title": _("Deploy version %(number)d?", number=version.version),
        "body": _(
            "Every new dossier of %(key)s will start on version %(number)d.",
            key=version.process_key,
            number=version.version,
        ),
        "retired": retired,
        "button": _("Deploy version %(number)d", number=version.version),
    }


def _version_json(version: ProcessVersion) -> dict[str, Any]:
    return {
        "key": version.process_key,
        "number": version.version,
        "status": version.status,
        "status_label": str(STATUS_LABELS.get(version.status, version.status)),
        "title": _("Version %(number)d", number=version.version),
        "name": version.name or version.process_key,
        "page_title": f"{_('Diagram')} · {version.process_key} {version.version}",
        "crumb": f"{version.process_key} · {_('version %(number)d', number=version.version)}",
        "problems": described(version.problems),
        "deployable": not version.problems and version.status != "deployed",
        "deploy_question": _deploy_question(version),
        "urls": _urls(version),
    }


def _check_message(version: ProcessVersion) -> str:
    if version.problems:
        count = len(version.problems)
        return str(
            ngettext(
                "The check found %(num)d problem. Fix it and save again before deploying.",
                "The check found %(num)d problems. Fix them and save again before deploying.",
                count,
            )
        )
    return str(_("The check found no problem: this version can be deployed."))


def _page_strings() -> dict[str, str]:
    """Every text the modeler's script shows (JavaScript cannot use the catalog)."""
    return {
        "group": _("Workflow properties"),
        "form": _("Form"),
        "formNone": _("(no form)"),
        "formMissing": _("{name} (not among this version's forms)"),
        "formName": _("Form file name"),
        "formNameHelp": _(
            "Choose a form above or type the name of a new one (e.g. deputy_review.json), "
            "then add it on the forms page of this version."
        ),
        "timeLimit": _("Time limit (working days)"),
        "timeLimitHelp": _("Working days from the moment the step opens; empty for none."),
        "timeLimitInvalid": _("Enter a whole number of working days from 1 to 365."),
        "timeLimitBasis": _("Legal basis of the time limit"),
        "timeLimitBasisHelp": _(
            "The article of the law or decree that sets this time limit; the users see it "
            "beside the due date."
        ),
        "timeLimitBasisInvalid": _("Write at most 1,000 characters."),
        "role": _("Role"),
        "roleNone": _("(no role)"),
        "roleUnknown": _("{code} (not a known role)"),
        "roleCode": _("Role code"),
        "roleCodeHelp": _(
            "The people who hold this role in the dossier's unit (or above it) do the lane's steps."
        ),
        "outcome": _("Outcome for the dossier"),
        "outcomeNone": _("(not set)"),
        "collection": _("Collection"),
        "collectionHelp": _(
            "The list in the dossier's data with one item per instance (e.g. council_members)."
        ),
        "elementVariable": _("Element variable"),
        "elementVariableHelp": _("The name each instance gives its item (e.g. member)."),
        "nameInvalid": _("Use letters, digits and _ only, not starting with a digit."),
        "nameTaken": _("This name is already used by another element of the diagram."),
        "openFailed": _("The diagram could not be opened: {reason}"),
        "importWarnings": _(
            "The diagram was not read completely, so saving is off (saving would lose what "
            "could not be read). Fix the file in another BPMN tool and upload it again:"
        ),
        "saving": _("Saving…"),
        "deploying": _("Deploying…"),
        "failed": _("The request failed: {reason}"),
        "offline": _("The server could not be reached. Your changes are still here; try again."),
        "expired": _(
            "Your session has expired or the page is out of date. Keep your changes with "
            "“Download .bpmn”, then reload the page and upload the file."
        ),
        "noElement": _("This problem is not about an element of the diagram."),
        "problemLine": _("line {line}"),
        "technicalDetail": _("Technical detail:"),
        "confirmLeave": _("The diagram has unsaved changes."),
        "conditionGroup": _("Condition"),
        "defaultFlow": _("Default flow"),
        "defaultFlowHelp": _(
            "Taken when no other flow's condition holds. A default flow has no condition."
        ),
        "conditionField": _("Form field"),
        "conditionFieldHelp": _(
            "A field of the forms of the steps before this gateway, nearest step first."
        ),
        "conditionNoFields": _(
            "No step before this gateway has a form with a list of answers: write an "
            "expression below."
        ),
        "conditionFieldNone": _("(choose a field)"),
        "conditionFieldCustom": _("(the expression written below)"),
        "conditionFieldOfStep": _("{field} (step {step})"),
        "conditionValue": _("Value"),
        "conditionReads": _("Taken when: {field} = {value}"),
        "conditionExpression": _("Condition expression"),
        "conditionExpressionHelp": _(
            'Reads the dossier\'s data, e.g. decision == "return" or len(tally["passed"]) > 0.'
        ),
        "conditionChecking": _("Checking the expression…"),
        "conditionMissing": _(
            "No condition yet: choose a field and a value, write an expression, or make this "
            "the default flow."
        ),
        "conditionCheckFailed": _("The expression could not be checked."),
        "conditionUnknownField": _(
            "“{name}” is not a field of the forms of the steps before this gateway. Check its "
            "spelling: a name the dossier's data does not have stops the dossier with an error."
        ),
        "conditionUnknownValue": _(
            "“{value}” is not one of the answers of “{field}”: this flow is never taken."
        ),
        "decision": _("Decision (rule table)"),
        "decisionHelp": _(
            "The decision of this version's rule tables the step evaluates with the dossier's "
            "data; edit the tables on the forms and rules page."
        ),
        "decisionNone": _("(no decision)"),
        "decisionMissing": _("{value} (not among this version's rule tables)"),
        "messageGroup": _("Message content"),
        "messagePayload": _("Content sent"),
        "messagePayloadHelp": _(
            "An expression over the dossier's data, sent with the message, e.g. "
            '{"round_id": round_id, "dossier_id": dossier_id}.'
        ),
        "messageVariable": _("Received content goes into"),
        "messageVariableHelp": _(
            "The name under which the message's content is put in the dossier's data "
            "(e.g. round_result)."
        ),
        "correlation": _("Routed by {name}"),
        "correlationHelp": _(
            "A message reaches only the waiting instances whose value is the same: the "
            "expression is evaluated on the content sent and on the waiting instance's data."
        ),
        "timerGroup": _("Timer"),
        "timerKind": _("Kind of timer"),
        "timerKindNone": _("(not set)"),
        "timerDuration": _("After a duration"),
        "timerDate": _("At a date and time"),
        "timerCycle": _("Repeatedly (a cycle)"),
        "timerValue": _("When"),
        "timerHelp_duration": _(
            "ISO 8601, in calendar time: P3D is 3 days, PT4H 4 hours, P1M 1 month (the engine's "
            "timers do not skip weekends or holidays). Start with = to compute it from the "
            "dossier's data."
        ),
        "timerHelp_date": _(
            "ISO 8601 with its time zone, e.g. 2030-12-31T17:00:00+07:00. Start with = to "
            "compute it from the dossier's data."
        ),
        "timerHelp_cycle": _(
            "ISO 8601: R3/P1D repeats 3 times, once a day (calendar days). Start with = to "
            "compute it from the dossier's data."
        ),
    }


def _role_options() -> list[dict[str, str]]:
    """The roles a lane may name, by name, for the modeler's role list."""
    rows = people.list_roles(db_session(), page_actor())
    return sorted(
        ({"value": row.role.code, "label": row.role.name} for row in rows),
        key=lambda option: option["label"],
    )


def _render(
    version: ProcessVersion, status: int = 200, upload_error: str | None = None
) -> Response:
    version_json = _version_json(version)
    config: dict[str, Any] = {
        "version": version_json,
        "forms": sorted(process_versions.form_names(version.files)),
        # Each role by its name (what a person reads), its code as the value lanes store.
        "roles": _role_options(),
        "outcomes": [{"value": k, "label": str(v)} for k, v in OUTCOMES.items()],
        # The choice fields of each form, for conditions such as "Quyết định = Trả lại".
        "conditionFields": fields_by_form(version.files, str(get_locale())),
        "decisions": [
            {"value": d.decision_id, "label": f"{d.name or d.decision_id} ({d.file_name})"}
            for d in modeler_checks.decision_choices(version.files)
        ],
        "strings": _page_strings(),
        "bpmnTexts": bpmn_js_texts(),
    }
    html = render_template(
        "admin/modeler/modeler.html",
        version=version,
        config=config,
        status_label=STATUS_LABELS.get(version.status, version.status),
        problems=version_json["problems"],
        upload_error=upload_error,
        link=_link,
        max_upload_mb=diagram_drafts.MAX_BPMN_BYTES // (1024 * 1024),
    )
    response = Response(html, status=status)
    response.headers["Content-Security-Policy"] = MODELER_CSP
    return response


@bp.get(VERSION_URL + "/modeler")
def modeler(key: str, number: int) -> ResponseReturnValue:
    """The bpmn-js modeler with this product's properties, opened on version `number`."""
    version = process_versions.get_version(db_session(), key, number)
    return _render(version)


@bp.get(VERSION_URL + "/bpmn")
def download_bpmn(key: str, number: int) -> ResponseReturnValue:
    """The stored diagram of a version, as a .bpmn file to download."""
    version = process_versions.get_version(db_session(), key, number)
    return Response(
        version.bpmn_xml,
        mimetype="application/xml",
        headers={
            "Content-Disposition": f'attachment; filename="{key}-v{number}.bpmn"',
            "Cache-Control": "no-store",
        },
    )


def _json_error(message: str, status: int, **extra: Any) -> ResponseReturnValue:
    db_session().rollback()
    return jsonify({"ok": False, "message": message, **extra}), status


def _csrf_header_ok() -> bool:
    token = request.headers.get("X-CSRFToken", "")
    return bool(ActionForm(MultiDict({"csrf_token": token})).validate())


def _refusal_message(exc: DiagramProblemsError) -> str:
    reasons = "; ".join(
        f"{problem_label(str(p.get('code')))} ({' '.join(filter(None, problem_text(p)))})"
        for p in exc.problems
    )
    return str(_("The file was refused and nothing was stored: %(reasons)s", reasons=reasons))


@bp.post(VERSION_URL + "/modeler")
def modeler_save(key: str, number: int) -> ResponseReturnValue:
    """Store the modeler's XML as a draft and answer with the check's problems (JSON)."""
    if not _csrf_header_ok():
        return _json_error(_("The page is out of date: reload it and try again."), 400)
    body = request.get_json(silent=True)
    xml = body.get("xml") if isinstance(body, dict) else None
    if not isinstance(xml, str) or not xml.strip():
        return _json_error(_("Nothing to save: the request has no diagram."), 400)
    session = db_session()
    try:
        saved = diagram_drafts.save_diagram(session, page_actor(), key, number, xml)
    except DiagramProblemsError as exc:
        return _json_error(_refusal_message(exc), 422, problems=described(exc.problems))
    except ConflictError as exc:
        return _json_error(_("The diagram could not be saved: %(reason)s", reason=exc.message), 409)
    version = saved.version
    payload = _version_json(version)
    session.commit()
    if saved.created:
        message = _(
            "Saved as a new draft, version %(number)d (version %(source)d does not change).",
            number=version.version,
            source=number,
        )
    else:
        message = _("Draft version %(number)d saved.", number=version.version)
    return jsonify(
        {
            "ok": True,
            "created": saved.created,
            "message": f"{message} {_check_message(version)}",
            "version": payload,
        }
    ), (201 if saved.created else 200)


@bp.post(VERSION_URL + "/modeler/deploy")
def modeler_deploy(key: str, number: int) -> ResponseReturnValue:
    """Deploy version `number`: new dossiers start on it; running ones keep theirs (JSON)."""
    if not _csrf_header_ok():
        return _json_error(_("The page is out of date: reload it and try again."), 400)
    session = db_session()
    try:
        version = process_versions.deploy_version(session, page_actor(), key, number)
    except InvalidDataError:
        version = process_versions.get_version(session, key, number)
        problems = described(version.problems)
        return _json_error(
            _("This version has problems and cannot be deployed: fix them and save first."),
            422,
            problems=problems,
        )
    except ConflictError as exc:
        if exc.code == "already_deployed":
            message = _("Version %(number)d is already deployed.", number=number)
        else:
            message = _("The version could not be deployed: %(reason)s", reason=exc.message)
        return _json_error(message, 409)
    payload = _version_json(version)
    session.commit()
    return jsonify(
        {
            "ok": True,
            "message": _(
                "Version %(number)d is deployed: every new dossier starts on it; dossiers "
                "already running stay on their version.",
                number=version.version,
            ),
            "version": payload,
        }
    )


def _expression_verdict(text: str) -> dict[str, Any]:
    """The sandbox's verdict on a condition, in the page's language."""
    if not text.strip():
        return {"accepted": True, "message": _("No condition."), "technical": ""}
    reason = modeler_checks.expression_refusal(text)
    if reason is None:
        return {
            "accepted": True,
            "message": _("The expression is accepted by the engine's sandbox."),
            "technical": "",
        }
    if reason.startswith("not a valid expression:"):
        # Python's parser says where the text breaks; only its own words can say that.
        sentence = _("This is not a valid expression (check quotes, brackets and operators).")
        return {"accepted": False, "message": sentence, "technical": reason}
    excerpt = " ".join(text.split())
    excerpt = excerpt if len(excerpt) <= 80 else excerpt[:79] + "…"
    sentence, technical = problem_text(
        {
            "code": "unsafe_expression",
            "message": f"expression refused: {reason}",
            "params": {"text": excerpt, "reason": reason},
        }
    )
    return {"accepted": False, "message": sentence or reason, "technical": technical}


@bp.post(VERSION_URL + "/modeler/check-expression")
def modeler_check_expression(key: str, number: int) -> ResponseReturnValue:
    """Whether the engine would accept a gateway condition (or, with `timer`, a timer's value),
    said in the page's language (JSON).

    Nothing is stored; the same rule as the check of a saved or uploaded diagram."""
    if not _csrf_header_ok():
        return _json_error(_("The page is out of date: reload it and try again."), 400)
    process_versions.get_version(db_session(), key, number)
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    text, timer, name = body.get("text"), body.get("timer"), body.get("name")
    if not isinstance(text, str):
        return _json_error(_("The request has no expression to check."), 400)
    if timer is None:
        return jsonify({"ok": True, **_expression_verdict(text)})
    if timer not in modeler_checks.TIMER_KINDS:
        return _json_error(_("Unknown kind of timer."), 400)
    label = name if isinstance(name, str) and name.strip() else _("this event")
    return jsonify({"ok": True, **_timer_verdict(timer, text, label[:80])})


def _timer_verdict(kind: str, text: str, name: str) -> dict[str, Any]:
    """The check's verdict on a timer's value, in the page's language."""
    if not text.strip():
        return {"accepted": False, "message": _("The timer has no value yet."), "technical": ""}
    refusal = modeler_checks.timer_refusal(kind, text)
    if refusal is None:
        return {"accepted": True, "message": _("The timer's value is accepted."), "technical": ""}
    if refusal.code == "unsafe_expression":
        return _expression_verdict(text)
    params = {**refusal.params, "name": name}
    sentence, technical = problem_text(
        {"code": refusal.code, "message": refusal.reason, "params": params}
    )
    return {"accepted": False, "message": sentence or refusal.reason, "technical": technical}


@bp.post(VERSION_URL + "/modeler/upload")
def modeler_upload(key: str, number: int) -> ResponseReturnValue:
    """A new draft from a .bpmn file, with this version's forms and rules; then its modeler."""
    session = db_session()
    version = process_versions.get_version(session, key, number)
    if not ActionForm(request.form).validate():
        return _render(version, 400, _("The page is out of date: reload it and try again."))
    upload = request.files.get("bpmn")
    if upload is None or not upload.filename:
        return _render(version, 422, _("Choose a .bpmn file to upload."))
    limit = diagram_drafts.MAX_BPMN_BYTES
    # Read one byte past the limit: enough to know the file is too large, never more.
    data = upload.stream.read(limit + 1)
    upload.close()
    try:
        draft = diagram_drafts.upload_diagram(
            session, page_actor(), key, number, data, upload.filename
        )
    except DiagramProblemsError as exc:
        session.rollback()
        if any(p.get("code") == "file_too_large" for p in exc.problems):
            message = _(
                "The file is larger than %(mb)d MB and was refused; nothing was stored.",
                mb=limit // (1024 * 1024),
            )
        else:
            message = _refusal_message(exc)
        return _render(version, 422, message)
    session.commit()
    flash(
        _(
            "The file %(name)s is now draft version %(number)d. %(check)s",
            name=upload.filename,
            number=draft.version,
            check=_check_message(draft),
        ),
        "success" if not draft.problems else "warning",
    )
    return redirect(url_for("admin.modeler", key=key, number=draft.version))
