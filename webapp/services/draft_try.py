"""Try a version in a sandbox: run it with decisions chosen step by step, storing nothing.

The page sends the whole list of choices made so far; each request starts a fresh in-memory
instance on sample facts (two sample nominees, a five-member council) and replays the choices,
so nothing of the trial lives anywhere but in the page. The version's diagram is untrusted: it
runs in the same bounded engine as real dossiers, and an engine failure is reported as the
trial's problem, never raised.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from webapp.db import utcnow
from webapp.models import Dossier, Nominee
from webapp.permissions import Actor, can_manage_processes
from webapp.services.dossier_effects import apply_automated, apply_status, apply_step_data
from webapp.services.dossier_schema import AWARD_FORMS
from webapp.services.draft_replay import context_of, nominee_fields
from webapp.services.errors import InvalidDataError, PermissionDeniedError
from webapp.services.process_versions import get_version, runnable
from webapp.services.sandbox_time import let_timers_pass
from workflows import ProcessDefinition, ProcessRuntimeError, RunningProcess
from workflows.records import HumanTask

MAX_CHOICES = 200
MAX_PATH_CHARS = 20_000
PROCEDURES = ("regular", "simplified")
SAMPLE_NOMINEES = (("1", "Nguyễn Văn An"), ("2", "Trần Thị Bình"))
SAMPLE_MEMBERS = {f"thanh_vien_{i}": f"thanh_vien_{i}" for i in range(1, 6)}
TRIAL_COMMENT = "Chạy thử"


@dataclass(frozen=True)
class Option:
    """A decision a step's form offers."""

    value: str | None  # None: the step has no decision field, it is just done
    title: str


@dataclass(frozen=True)
class TrialStep:
    """A step waiting in the sandbox: what the administrator may choose."""

    element_id: str
    name: str
    lane: str | None
    role: str | None
    ballots: int  # > 0 for a vote: one ballot per member
    options: list[Option]
    is_vote: bool  # the step's ballots decide per nominee


@dataclass(frozen=True)
class TrialDone:
    """A step the trial went through and what was chosen there."""

    element_id: str
    name: str
    role: str | None
    decision: str | None
    decision_title: str | None
    agree: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class TrialRun:
    """Where a trial stands after the choices made so far."""

    award_form: str
    procedure: str
    choices: list[dict[str, Any]]
    done: list[TrialDone]
    completed: list[str]  # every element completed, for the diagram
    current: TrialStep | None
    finished: bool
    end_element: str | None
    end_name: str | None
    status: str
    nominees: list[Nominee]
    members: int
    problem: str | None = None  # the engine's words when the draft failed
    problem_element: str | None = None
    problem_name: str | None = None

    @property
    def nominee_names(self) -> dict[str, str]:
        """Sample nominee id (as the choices key it) -> name."""
        return {str(n.id): n.name for n in self.nominees}

    @property
    def path_json(self) -> str:
        """The choices as the page carries them to the next request."""
        return path_json(self.choices)


def path_json(choices: list[dict[str, Any]]) -> str:
    """Choices as the compact JSON the page carries (parse_path reads it back)."""
    return json.dumps(choices, ensure_ascii=False, separators=(",", ":"))


def parse_path(text: str | None) -> list[dict[str, Any]]:
    """The list of choices the page sent back (InvalidDataError on the field "path")."""
    if not text:
        return []
    if len(text) > MAX_PATH_CHARS:
        raise InvalidDataError("the trial is too long", {"path": "too_long"}, code="too_long")
    try:
        choices = json.loads(text)
    except (ValueError, RecursionError):
        raise InvalidDataError("not a list of choices", {"path": "invalid"}) from None
    if not isinstance(choices, list) or len(choices) > MAX_CHOICES:
        raise InvalidDataError("not a list of choices", {"path": "invalid"})
    for choice in choices:
        if not isinstance(choice, dict) or not isinstance(choice.get("step"), str):
            raise InvalidDataError("not a list of choices", {"path": "invalid"})
    return choices


def decision_options(schema: dict[str, Any] | None) -> list[Option]:
    """The decisions a form offers (its `decision` field's choices), or one plain "done"."""
    field_ = ((schema or {}).get("properties") or {}).get("decision")
    if not isinstance(field_, dict):
        return [Option(None, "")]
    options = [
        Option(str(o["const"]), str(o.get("title") or o["const"]))
        for o in field_.get("oneOf") or []
        if isinstance(o, dict) and "const" in o
    ]
    options += [Option(str(v), str(v)) for v in field_.get("enum") or []]
    return options or [Option(None, "")]


def sample_dossier(award_form: str, procedure: str) -> Dossier:
    """A transient dossier (never added to a session) with the sample nominees."""
    dossier = Dossier(
        id=0,
        code=None,
        title="Hồ sơ chạy thử",
        award_form=award_form,
        track="ad_hoc",
        procedure=procedure,
        unit_id=0,
        status="in_progress",
    )
    dossier.nominees = [
        Nominee(id=int(nid), position=i, kind="individual", name=name, result="pending")
        for i, (nid, name) in enumerate(SAMPLE_NOMINEES)
    ]
    return dossier


class _TrialError(Exception):
    def __init__(self, message: str, element_id: str | None):
        super().__init__(message)
        self.element_id = element_id


def try_version(
    session: Session,
    actor: Actor,
    process_key: str,
    number: int,
    *,
    award_form: str = "bk_btc",
    procedure: str = "regular",
    choices: list[dict[str, Any]] | None = None,
) -> TrialRun:
    """Run version `number` in memory with the sample facts and `choices`, storing nothing.

    A choice that does not fit the step then waiting is refused (InvalidDataError on "path").
    """
    if not can_manage_processes(actor):
        raise PermissionDeniedError("only administrators try versions")
    if award_form not in AWARD_FORMS:
        raise InvalidDataError("unknown award form", {"award_form": "unknown"})
    if procedure not in PROCEDURES:
        raise InvalidDataError("unknown procedure", {"procedure": "unknown"})
    version = get_version(session, process_key, number)
    loaded = runnable(version)  # ConflictError when the version cannot run
    definition, forms = loaded.definition, loaded.forms
    sandbox = sample_dossier(award_form, procedure)
    now = utcnow()
    done: list[TrialDone] = []
    choices = list(choices or [])
    process: RunningProcess | None = None
    problem: _TrialError | None = None
    try:
        try:
            process, steps = RunningProcess.start(definition, context_of(sandbox, SAMPLE_MEMBERS))
        except ProcessRuntimeError as exc:
            raise _TrialError(str(exc), exc.element_id) from exc
        apply_automated(sandbox, steps)
        apply_status(sandbox, None, process.status(), now)
        for position, choice in enumerate(choices):
            if process.status().completed:
                raise InvalidDataError(
                    "the trial has already ended", {"path": f"choice {position + 1}: ended"}
                )
            apply_automated(sandbox, let_timers_pass(process))
            done.append(_apply(process, definition, forms, sandbox, choice, position, now))
        apply_automated(sandbox, let_timers_pass(process))
    except _TrialError as exc:
        problem = exc
    current = None
    status = process.status() if process is not None else None
    if process is not None and problem is None and status is not None and not status.completed:
        current = _current_step(process.ready_human_tasks(), forms)
    end = status.end_element_id if status else None
    end_element = definition.diagram.element(end) if end else None
    return TrialRun(
        award_form,
        procedure,
        choices,
        done,
        sorted(process.visit_counts()) if process is not None else [],
        current,
        bool(status and status.completed),
        end,
        end_element.name if end_element else None,
        sandbox.status,
        list(sandbox.nominees),
        len(SAMPLE_MEMBERS),
        str(problem) if problem else None,
        problem.element_id if problem else None,
        _element_name(definition, problem.element_id if problem else None),
    )


def _element_name(definition: ProcessDefinition, element_id: str | None) -> str | None:
    element = definition.diagram.element(element_id) if element_id else None
    return (element.name or element_id) if element else element_id


def _current_step(ready: list[HumanTask], forms: dict[str, dict[str, Any]]) -> TrialStep | None:
    if not ready:
        return None
    first = ready[0]
    same = [t for t in ready if t.element_id == first.element_id]
    ballots = [t for t in same if t.assignee]
    schema = forms.get(first.form or "") or {}
    maps, _lists = nominee_fields(schema)
    return TrialStep(
        first.element_id,
        first.name,
        first.lane,
        first.role,
        len(ballots),
        decision_options(schema),
        bool(ballots and maps),
    )


def _apply(
    process: RunningProcess,
    definition: ProcessDefinition,
    forms: dict[str, dict[str, Any]],
    sandbox: Dossier,
    choice: dict[str, Any],
    position: int,
    now: Any,
) -> TrialDone:
    """Complete the waiting step `choice` names with what it chose."""
    where = f"choice {position + 1}"
    ready = process.ready_human_tasks()
    step = _current_step(ready, forms)
    if step is None or choice.get("step") != step.element_id:
        raise InvalidDataError(
            "this step is not waiting", {"path": f"{where}: {choice.get('step')} is not waiting"}
        )
    tasks = [t for t in ready if t.element_id == step.element_id]
    schema = forms.get(tasks[0].form or "") or {}
    decision = choice.get("decision")
    allowed = [o.value for o in step.options]
    if step.is_vote:
        decision = None
    elif decision not in allowed:
        raise InvalidDataError("not a decision of this step", {"path": f"{where}: decision"})
    agree = _agree_counts(choice, sandbox, len(tasks)) if step.is_vote else {}
    maps, _lists = nominee_fields(schema)
    targets = tasks if step.ballots else tasks[:1]
    for index, task in enumerate(targets):
        values: dict[str, Any] = {"comment": TRIAL_COMMENT}
        if decision is not None:
            values["decision"] = decision
        for name in maps:
            values[name] = {
                nid: "agree" if index < count else "disagree" for nid, count in agree.items()
            }
        try:
            steps = process.complete(
                task.task_id, {**values, **context_of(sandbox, SAMPLE_MEMBERS)}
            )
        except ProcessRuntimeError as exc:
            raise _TrialError(str(exc), exc.element_id) from exc
        apply_step_data(sandbox, values)
        apply_automated(sandbox, steps)
        apply_status(sandbox, decision, process.status(), now)
    title = next((o.title for o in step.options if o.value == decision), None)
    return TrialDone(step.element_id, step.name, step.role, decision, title, agree)


def _agree_counts(choice: dict[str, Any], sandbox: Dossier, ballots: int) -> dict[str, int]:
    """How many members agree with each nominee still in play (0..ballots)."""
    given = choice.get("agree")
    if not isinstance(given, dict):
        given = {}
    counts = {}
    for nominee in sandbox.nominees:
        if nominee.result in {"failed", "refused", "awarded"}:
            continue
        value = given.get(str(nominee.id), ballots)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= ballots:
            raise InvalidDataError(
                "not a number of members", {"path": f"agree.{nominee.id}: 0..{ballots}"}
            )
        counts[str(nominee.id)] = value
    return counts
