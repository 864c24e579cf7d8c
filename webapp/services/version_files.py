"""A version's forms (forms/<name>.json) and rule tables (<name>.dmn): list, read, check, save.

Only drafts change (through process_versions.update_draft, which checks the whole version
again); a deployed or retired version is copied as a new draft first.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from webapp.models import Nominee, ProcessVersion
from webapp.permissions import Actor, can_manage_processes
from webapp.services import process_versions
from webapp.services.errors import (
    ConflictError,
    InvalidDataError,
    NotFoundError,
    PermissionDeniedError,
)
from webapp.services.form_schemas import UnsafeFormError, check_form_schema
from workflows import DiagramError
from workflows.diagram_info import read_diagram
from workflows.dmn_checks import DecisionInfo, called_decisions, decisions_of
from workflows.xml_loading import parse_xml

FORMS_PREFIX = process_versions.FORMS_PREFIX
FORM_NAME = re.compile(r"[a-z0-9_]+\.json")
RULES_NAME = re.compile(r"[A-Za-z0-9_.-]+\.dmn")
MAX_FORM_CHARS = 200_000
NEW_FORM_TEXT = (
    json.dumps(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "additionalProperties": False,
            "title": "",
            "required": ["decision"],
            "properties": {
                "decision": {
                    "type": "string",
                    "title": "Quyết định",
                    "oneOf": [
                        {"const": "approve", "title": "Đồng ý"},
                        {"const": "return", "title": "Trả lại"},
                    ],
                },
                "comment": {
                    "type": ["string", "null"],
                    "title": "Ý kiến",
                    "maxLength": 4000,
                    "x-widget": "textarea",
                },
            },
        },
        ensure_ascii=False,
        indent=2,
    )
    + "\n"
)


class FormSchemaError(InvalidDataError):
    """A form's text is not a usable JSON Schema. `code` says why: invalid_json (with `line`
    and `column`), not_an_object_schema, invalid_schema or form_too_large; `detail` is the
    parser's own words."""

    def __init__(
        self, code: str, detail: str = "", *, line: int | None = None, column: int | None = None
    ):
        super().__init__(detail or code, {"schema": detail or code}, code=code)
        self.detail = detail
        self.line = line
        self.column = column


@dataclass(frozen=True)
class StepRef:
    """A step of the diagram (by its BPMN id and name)."""

    element_id: str
    name: str | None


@dataclass(frozen=True)
class FormEntry:
    """A form of the version, or one the diagram names but the version lacks (exists=False)."""

    name: str
    exists: bool
    title: str | None
    used_by: list[StepRef]
    problems: list[dict[str, Any]]


@dataclass(frozen=True)
class RulesEntry:
    """A DMN file of the version with its decisions and the steps that call them."""

    name: str
    decisions: list[DecisionInfo]
    used_by: list[StepRef]
    problems: list[dict[str, Any]]


@dataclass(frozen=True)
class VersionFiles:
    """What the forms-and-rules page shows for one version."""

    version: ProcessVersion
    forms: list[FormEntry]
    rules: list[RulesEntry]
    diagram_readable: bool
    other_problems: list[dict[str, Any]] = field(default_factory=list)


def _require_admin(actor: Actor) -> None:
    if not can_manage_processes(actor):
        raise PermissionDeniedError("only administrators manage processes")


def _normalise(text: str) -> str:
    """Browsers send a textarea's lines with CRLF; files keep LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def check_form_name(name: str) -> str:
    """A new form's file name (lowercase letters, digits, underscores, then .json)."""
    name = name.strip()
    if not FORM_NAME.fullmatch(name) or len(name) > 100:
        raise InvalidDataError(
            "a form name is lowercase letters, digits and underscores, ending in .json",
            {"name": "invalid"},
            code="invalid_form_name",
        )
    return name


def parse_form(text: str) -> dict[str, Any]:
    """The JSON Schema of a form's text, checked; raise FormSchemaError saying why not."""
    if len(text) > MAX_FORM_CHARS:
        raise FormSchemaError("form_too_large", f"at most {MAX_FORM_CHARS} characters")
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormSchemaError("invalid_json", exc.msg, line=exc.lineno, column=exc.colno) from exc
    except RecursionError as exc:
        raise FormSchemaError("invalid_json", "nested too deeply") from exc
    try:
        check_form_schema(schema)
    except UnsafeFormError as problem:
        raise FormSchemaError(problem.code, str(problem)) from None
    checked: dict[str, Any] = schema
    return checked


def _steps_by_form(bpmn_xml: str) -> tuple[dict[str, list[StepRef]], dict[str, list[StepRef]]]:
    """Forms -> the user tasks using them; decision ids -> the tasks calling them."""
    root = parse_xml(bpmn_xml, "diagram.bpmn")
    diagram = read_diagram(root)
    forms: dict[str, list[StepRef]] = {}
    for element in diagram.human_steps():
        if element.form:
            forms.setdefault(element.form, []).append(StepRef(element.element_id, element.name))
    decisions: dict[str, list[StepRef]] = {}
    for task_id, decision_id in called_decisions(root).items():
        task = diagram.element(task_id)
        decisions.setdefault(decision_id, []).append(StepRef(task_id, task.name if task else None))
    return forms, decisions


def _form_title(text: str) -> str | None:
    try:
        schema = json.loads(text)
    except (ValueError, RecursionError):
        return None
    title = schema.get("title") if isinstance(schema, dict) else None
    return str(title) if title else None


def version_files(session: Session, actor: Actor, process_key: str, number: int) -> VersionFiles:
    """The version's forms and rule tables, with the steps that use each and their problems."""
    _require_admin(actor)
    version = process_versions.get_version(session, process_key, number)
    files: dict[str, str] = dict(version.files)
    try:
        form_steps, decision_steps = _steps_by_form(version.bpmn_xml)
        readable = True
    except DiagramError:
        form_steps, decision_steps, readable = {}, {}, False
    problems = list(version.problems or [])

    def problems_of(file_name: str, element_ids: set[str]) -> list[dict[str, Any]]:
        return [
            p
            for p in problems
            if p.get("file") == file_name
            or (p.get("code") in {"unknown_form"} and p.get("element_id") in element_ids)
        ]

    names = sorted(
        {n[len(FORMS_PREFIX) :] for n in files if n.startswith(FORMS_PREFIX)} | set(form_steps)
    )
    forms = []
    for name in names:
        steps = form_steps.get(name, [])
        path = FORMS_PREFIX + name
        forms.append(
            FormEntry(
                name=name,
                exists=path in files,
                title=_form_title(files[path]) if path in files else None,
                used_by=steps,
                problems=problems_of(path, {s.element_id for s in steps}),
            )
        )
    rules = []
    for name in sorted(n for n in files if n.endswith(".dmn")):
        try:
            decisions = decisions_of(parse_xml(files[name], name))
        except DiagramError:
            decisions = []
        steps = [s for d in decisions for s in decision_steps.get(d.decision_id, [])]
        rules.append(RulesEntry(name, decisions, steps, problems_of(name, set())))
    shown = {id(p) for entry in forms for p in entry.problems}
    shown |= {id(p) for entry in rules for p in entry.problems}
    return VersionFiles(
        version, forms, rules, readable, [p for p in problems if id(p) not in shown]
    )


def _version_file(
    session: Session, actor: Actor, process_key: str, number: int, path: str
) -> tuple[ProcessVersion, str]:
    _require_admin(actor)
    version = process_versions.get_version(session, process_key, number)
    text = version.files.get(path)
    if not isinstance(text, str):
        raise NotFoundError(f"version {number} of {process_key} has no file {path}")
    return version, text


def form_text(
    session: Session, actor: Actor, process_key: str, number: int, name: str
) -> tuple[ProcessVersion, str]:
    """A form's JSON text (NotFoundError when the version has no such form)."""
    return _version_file(session, actor, process_key, number, FORMS_PREFIX + name)


def rules_text(
    session: Session, actor: Actor, process_key: str, number: int, name: str
) -> tuple[ProcessVersion, str]:
    """A DMN file's XML (NotFoundError when the version has no such file)."""
    if not RULES_NAME.fullmatch(name):
        raise NotFoundError(f"no rule table {name}")
    return _version_file(session, actor, process_key, number, name)


def _draft(session: Session, process_key: str, number: int) -> ProcessVersion:
    version = process_versions.get_version(session, process_key, number)
    if version.status != "draft":
        raise ConflictError(
            "only a draft can be changed; save your changes as a new draft", code="not_a_draft"
        )
    return version


def save_form(
    session: Session, actor: Actor, process_key: str, number: int, name: str, text: str
) -> ProcessVersion:
    """Write a form into a draft (a new one or over the old one) and check the draft again."""
    _require_admin(actor)
    text = _normalise(text)
    parse_form(text)
    version = _draft(session, process_key, number)
    files = dict(version.files)
    if FORMS_PREFIX + name not in files:
        name = check_form_name(name)
    files[FORMS_PREFIX + name] = text
    return process_versions.update_draft(session, actor, process_key, number, files=files)


def create_form(
    session: Session, actor: Actor, process_key: str, number: int, name: str
) -> ProcessVersion:
    """Add a new form, with a starting schema, to a draft."""
    _require_admin(actor)
    name = check_form_name(name)
    version = _draft(session, process_key, number)
    if FORMS_PREFIX + name in version.files:
        raise InvalidDataError(
            "this version already has that form", {"name": "exists"}, code="form_exists"
        )
    return save_form(session, actor, process_key, number, name, NEW_FORM_TEXT)


def delete_form(
    session: Session, actor: Actor, process_key: str, number: int, name: str
) -> ProcessVersion:
    """Remove a form from a draft; steps still naming it become problems of the draft."""
    _require_admin(actor)
    version = _draft(session, process_key, number)
    files = dict(version.files)
    if files.pop(FORMS_PREFIX + name, None) is None:
        raise NotFoundError(f"version {number} of {process_key} has no form {name}")
    return process_versions.update_draft(session, actor, process_key, number, files=files)


def check_rules_xml(xml: str, name: str) -> str:
    """A DMN file's text, parsed safely and checked to hold at least one decision."""
    xml = _normalise(xml)
    try:
        root = parse_xml(xml, name)
    except DiagramError as exc:
        raise InvalidDataError(
            str(exc), {"xml": str(exc)}, code=exc.problems[0].code if exc.problems else "not_xml"
        ) from exc
    namespace = root.tag.split("}", 1)[0].lstrip("{") if root.tag.startswith("{") else ""
    if not root.tag.endswith("definitions") or "DMN" not in namespace.upper():
        raise InvalidDataError("not a DMN file", {"xml": "not_dmn"}, code="not_dmn")
    if not decisions_of(root):
        raise InvalidDataError(
            "the DMN file has no decision", {"xml": "no_decision"}, code="no_decision"
        )
    return xml


def save_rules(
    session: Session, actor: Actor, process_key: str, number: int, name: str, xml: str
) -> ProcessVersion:
    """Write a DMN file (already part of the version) into a draft and check the draft again."""
    version, _old = rules_text(session, actor, process_key, number, name)
    xml = check_rules_xml(xml, name)
    _draft(session, process_key, number)
    files = dict(version.files)
    files[name] = xml
    return process_versions.update_draft(session, actor, process_key, number, files=files)


def copy_to_draft(session: Session, actor: Actor, process_key: str, number: int) -> ProcessVersion:
    """`number` itself when it is a draft, else a new draft copied from it."""
    _require_admin(actor)
    version = process_versions.get_version(session, process_key, number)
    if version.status == "draft":
        return version
    return process_versions.copy_as_draft(session, actor, process_key, number)


def sample_nominees() -> list[Nominee]:
    """Nominees (never stored) to show a form's per-nominee fields in a preview."""
    return [
        Nominee(id=1, kind="individual", name="Nguyễn Văn An"),
        Nominee(id=2, kind="individual", name="Trần Thị Bình"),
        Nominee(id=3, kind="collective", name="Phòng Quản lý ngân sách"),
    ]
