"""Try a version before deploying it: run it in a sandbox with chosen decisions, or replay the
recorded decisions of finished dossiers on it. Nothing is stored; thin views over
services.draft_try and services.draft_replay."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp.admin.blueprint import bp
from webapp.admin.processes import NO_STORE, VERSION_URL, render_page
from webapp.dossier_view import (
    AWARD_FORM_LABELS,
    NOMINEE_RESULT_LABELS,
    PROCEDURE_LABELS,
    STATUS_LABELS,
)
from webapp.request_db import db_session
from webapp.services import draft_replay, draft_try, process_versions
from webapp.services.dossiers import role_names
from webapp.services.errors import ConflictError, InvalidDataError
from webapp.web_edge import page_actor

STUCK_TEXT = {
    draft_replay.MISSING_STEP: _l("This version has no step “%(step)s” that the dossier did."),
    draft_replay.NOT_WAITING: _l(
        "The dossier did “%(step)s” next, but on this version that step is not waiting."
    ),
    draft_replay.NO_BALLOT: _l("The vote “%(step)s” on this version has no ballot for %(fields)s."),
    draft_replay.FIELD_REMOVED: _l(
        "The form of “%(step)s” no longer has the field(s) the dossier filled in: %(fields)s."
    ),
    draft_replay.DATA_REFUSED: _l(
        "The form of “%(step)s” on this version refuses what the dossier recorded: %(fields)s."
    ),
    draft_replay.NO_DECISION: _l(
        "This version waits for “%(step)s”, a step the dossier never did: no recorded decision."
    ),
    draft_replay.ENGINE_ERROR: _l("This version's engine run failed at “%(step)s”."),
    draft_replay.OUT_OF_TIME: _l(
        "Not replayed: the replay ran out of time before this dossier; choose fewer dossiers."
    ),
}
DONE_LABEL = _l("Done")


def stuck_text(stuck: draft_replay.Stuck) -> str:
    """Why a replay stopped, in words."""
    template = STUCK_TEXT.get(stuck.reason)
    step = stuck.step_name or stuck.step or _("the start")
    if template is None:
        return str(stuck.reason)
    return str(template) % {"step": step, "fields": ", ".join(stuck.fields) or "—"}


def _field_errors(exc: InvalidDataError) -> dict[str, str]:
    """Page messages per field for a refused trial or replay request."""
    messages = {
        "codes": _("Dossier codes: %(detail)s", detail=_codes_detail(exc)),
        "last": _(
            "Number of dossiers: choose a whole number from 1 to %(max)d.",
            max=draft_replay.MAX_DOSSIERS,
        ),
        "path": _(
            "The trial's choices are not valid (%(detail)s): start again from the top.",
            detail=exc.fields.get("path", ""),
        ),
        "award_form": _("Award form: choose one from the list."),
        "procedure": _("Procedure: choose one from the list."),
    }
    return {f: messages.get(f, f"{f}: {m}") for f, m in exc.fields.items()}


def _codes_detail(exc: InvalidDataError) -> str:
    detail = exc.fields.get("codes", "")
    if exc.code == "unknown_dossier":
        codes = detail.split(":", 1)[-1].strip()
        return _("no finished dossier of this process has the code %(codes)s.", codes=codes)
    return _("at most %(max)d dossiers at a time.", max=draft_replay.MAX_DOSSIERS)


def _choice_from_query() -> dict[str, Any] | None:
    """The choice the page's form just sent for the waiting step, if any."""
    step = request.args.get("step")
    if not step:
        return None
    choice: dict[str, Any] = {"step": step}
    if request.args.get("decision"):
        choice["decision"] = request.args["decision"]
    agree = {
        name[len("agree_") :]: value
        for name, value in request.args.items()
        if name.startswith("agree_")
    }
    if agree:
        try:
            choice["agree"] = {k: int(v) for k, v in agree.items()}
        except ValueError:
            raise InvalidDataError("not a number", {"path": "agree"}) from None
    return choice


@bp.get(VERSION_URL + "/try")
def version_try(key: str, number: int) -> ResponseReturnValue:
    """Run the version in a sandbox, one chosen decision after another; nothing is stored."""
    session = db_session()
    actor = page_actor()
    version = process_versions.get_version(session, key, number)
    award_form = request.args.get("award_form") or "bk_btc"
    procedure = request.args.get("procedure") or "regular"
    errors: dict[str, str] = {}
    run = None
    problem = None
    try:
        choices = draft_try.parse_path(request.args.get("path"))
        choice = _choice_from_query()
        if choice is not None:
            choices.append(choice)
        run = draft_try.try_version(
            session,
            actor,
            key,
            number,
            award_form=award_form,
            procedure=procedure,
            choices=choices,
        )
    except InvalidDataError as exc:
        errors = _field_errors(exc)
    except ConflictError:
        problem = _("This version cannot run: open its page to see the problems.")
    status = 422 if errors else (409 if problem else 200)
    html, _status = render_page(
        "admin/trial/try.html",
        status,
        key=key,
        version=version,
        run=run,
        errors=errors,
        problem=problem,
        award_form=award_form,
        procedure=procedure,
        award_forms=AWARD_FORM_LABELS,
        procedure_labels=PROCEDURE_LABELS,
        roles=role_names(session),
        result_labels=NOMINEE_RESULT_LABELS,
        status_labels_dossier=STATUS_LABELS,
        done_label=DONE_LABEL,
        back_path=_back_path(run),
    )
    return html, status, NO_STORE


def _back_path(run: draft_try.TrialRun | None) -> str | None:
    """The choices without the last one (the "step back" link), or None at the start."""
    if run is None or not run.choices:
        return None
    return draft_try.path_json(run.choices[:-1])


def _last_count() -> int:
    raw = request.args.get("last") or str(draft_replay.DEFAULT_LAST)
    try:
        return int(raw)
    except ValueError:
        raise InvalidDataError("not a number", {"last": "not a number"}) from None


@bp.get(VERSION_URL + "/replay")
def version_replay(key: str, number: int) -> ResponseReturnValue:
    """Replay finished dossiers' recorded decisions on the version; nothing is stored."""
    session = db_session()
    actor = page_actor()
    version = process_versions.get_version(session, key, number)
    codes_text = request.args.get("codes") or ""
    errors: dict[str, str] = {}
    report = None
    problem = None
    if request.args.get("run"):
        try:
            codes = draft_replay.parse_codes(codes_text)
            report = draft_replay.replay_on_version(
                session, actor, key, number, codes or None, last=_last_count()
            )
        except InvalidDataError as exc:
            errors = _field_errors(exc)
        except ConflictError:
            problem = _("This version cannot run: open its page to see the problems.")
    status = 422 if errors else (409 if problem else 200)
    html, _status = render_page(
        "admin/trial/replay.html",
        status,
        key=key,
        version=version,
        report=report,
        errors=errors,
        problem=problem,
        codes_text=codes_text,
        last=request.args.get("last") or draft_replay.DEFAULT_LAST,
        max_dossiers=draft_replay.MAX_DOSSIERS,
        stuck_text=stuck_text,
        result_labels=NOMINEE_RESULT_LABELS,
        status_labels_dossier=STATUS_LABELS,
    )
    return html, status, NO_STORE
