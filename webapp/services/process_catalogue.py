"""What the administrator's process pages show: the catalogue of versions with their authors,
one version's details and the comparison of two versions (services.move_planning serves the
moves page). Read-only use cases around process_versions, plus deploying a draft."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.models import ProcessInstance, ProcessVersion, Role, User, WorkItem
from webapp.permissions import Actor, can_manage_processes
from webapp.services import process_versions
from webapp.services.errors import ConflictError, PermissionDeniedError
from workflows import DiagramError, DiagramInfo
from workflows.comparison import (
    Change,
    ItemChange,
    compare_diagrams,
    compare_forms,
    compare_lanes,
    compare_roles,
    compare_rules,
)
from workflows.diagram_info import read_diagram
from workflows.xml_loading import parse_xml

FORMS_PREFIX = process_versions.FORMS_PREFIX


def require_admin(actor: Actor) -> None:
    if not can_manage_processes(actor):
        raise PermissionDeniedError("only administrators manage processes")


def user_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """User id -> full name, for the ids given."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.full_name).where(User.id.in_(wanted))).all())


# --- the catalogue -------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionRow:
    """One version as the catalogue lists it."""

    key: str
    number: int
    status: str
    name: str | None
    comment: str | None
    created_by: str | None
    created_at: datetime
    deployed_by: str | None
    deployed_at: datetime | None
    running_dossiers: int
    problems: int

    @property
    def deployable(self) -> bool:
        """A draft without problems may be deployed."""
        return self.status == "draft" and self.problems == 0

    @property
    def deletable(self) -> bool:
        """A draft never deployed, with no dossier on it, may be deleted."""
        return self.status == "draft" and self.deployed_at is None and self.running_dossiers == 0


@dataclass(frozen=True)
class ProcessRow:
    """A process key with its versions, newest first."""

    key: str
    name: str | None
    versions: list[VersionRow]

    @property
    def deployed(self) -> int | None:
        """The number of the version new dossiers start on."""
        return next((v.number for v in self.versions if v.status == "deployed"), None)

    @property
    def running_dossiers(self) -> int:
        """Dossiers running on any version of the process."""
        return sum(v.running_dossiers for v in self.versions)


def catalogue(session: Session, actor: Actor) -> list[ProcessRow]:
    """Every process with its versions, who made and deployed each, and the dossiers on it."""
    require_admin(actor)
    listed = process_versions.list_versions(session, actor)
    extra = {
        (key, number): (deployed_by, comment)
        for key, number, deployed_by, comment in session.execute(
            select(
                ProcessVersion.process_key,
                ProcessVersion.version,
                ProcessVersion.deployed_by_id,
                ProcessVersion.comment,
            )
        ).all()
    }
    names = user_names(
        session,
        [v["created_by_id"] for p in listed for v in p["versions"]]
        + [deployed_by for deployed_by, _comment in extra.values()],
    )
    rows = []
    for process in listed:
        key = process["key"]
        versions = []
        for v in process["versions"]:
            deployed_by, comment = extra.get((key, v["version"]), (None, None))
            versions.append(
                VersionRow(
                    key=key,
                    number=v["version"],
                    status=v["status"],
                    name=v["name"],
                    comment=comment,
                    created_by=names.get(v["created_by_id"]),
                    created_at=v["created_at"],
                    deployed_by=names.get(deployed_by) if deployed_by else None,
                    deployed_at=v["deployed_at"],
                    running_dossiers=v["running_dossiers"],
                    problems=v["problems"],
                )
            )
        versions.sort(key=lambda row: row.number, reverse=True)
        current = next((v for v in versions if v.status == "deployed"), versions[0])
        rows.append(ProcessRow(key, current.name, versions))
    return rows


def process_row(session: Session, actor: Actor, process_key: str) -> ProcessRow | None:
    """One process of the catalogue, or None when it has no version."""
    return next((p for p in catalogue(session, actor) if p.key == process_key), None)


def deploy_draft(session: Session, actor: Actor, process_key: str, number: int) -> ProcessVersion:
    """Deploy a draft (a deployed or retired version is copied as a draft first, never
    redeployed from the catalogue); the previously deployed version is retired."""
    require_admin(actor)
    version = process_versions.get_version(session, process_key, number)
    if version.status != "draft":
        raise ConflictError(f"version {number} is not a draft", code="not_a_draft")
    return process_versions.deploy_version(session, actor, process_key, number)


# --- one version ---------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionFile:
    """A file of a version: the diagram, a form (JSON Schema) or a rule table (DMN)."""

    name: str
    kind: str  # diagram | form | rules | other
    size: int
    title: str | None = None
    problems: int = 0


@dataclass(frozen=True)
class StepRow:
    """A human step of a version's diagram, with what the product reads from it."""

    element_id: str
    name: str | None
    lane: str | None
    role: str | None
    form: str | None
    time_limit_days: int | None
    waiting: int = 0


@dataclass(frozen=True)
class VersionDetail:
    """Everything the version page shows."""

    row: VersionRow
    source_hash: str
    files: list[VersionFile]
    problems: list[dict[str, Any]]
    steps: list[StepRow]
    readable: bool
    deployed: int | None


def read_version_diagram(bpmn_xml: str, file_name: str) -> DiagramInfo | None:
    """What the product reads from a diagram, or None when the file cannot be read."""
    try:
        return read_diagram(parse_xml(bpmn_xml, file_name))
    except DiagramError:
        return None


def _form_title(text: str) -> str | None:
    try:
        schema = json.loads(text)
    except (ValueError, RecursionError):
        return None
    title = schema.get("title") if isinstance(schema, dict) else None
    return str(title) if title else None


def _files(version: ProcessVersion, problems: list[dict[str, Any]]) -> list[VersionFile]:
    per_file: dict[str, int] = {}
    for problem in problems:
        name = str(problem.get("file") or "")
        per_file[name] = per_file.get(name, 0) + 1
    diagram_name = f"{version.process_key}.bpmn"
    diagram_problems = per_file.get(diagram_name, 0) + per_file.get("", 0)
    files = [
        VersionFile(
            diagram_name, "diagram", len(version.bpmn_xml.encode("utf-8")), None, diagram_problems
        )
    ]
    for name, text in sorted(version.files.items()):
        size = len(str(text).encode("utf-8"))
        if name.startswith(FORMS_PREFIX):
            short = name[len(FORMS_PREFIX) :]
            count = per_file.get(name, 0) + per_file.get(short, 0)
            files.append(VersionFile(short, "form", size, _form_title(str(text)), count))
        elif name.endswith(".dmn"):
            files.append(VersionFile(name, "rules", size, None, per_file.get(name, 0)))
        else:
            files.append(VersionFile(name, "other", size, None, per_file.get(name, 0)))
    return files


def waiting_by_step(session: Session, version_id: int) -> dict[str, int]:
    """Running dossiers of a version waiting at each step."""
    return dict(
        session.execute(
            select(WorkItem.step, func.count(func.distinct(WorkItem.instance_id)))
            .join(ProcessInstance, ProcessInstance.id == WorkItem.instance_id)
            .where(
                WorkItem.status == "open",
                ProcessInstance.version_id == version_id,
                ProcessInstance.status == "running",
            )
            .group_by(WorkItem.step)
        ).all()
    )


def human_steps(diagram: DiagramInfo | None, waiting: dict[str, int]) -> list[StepRow]:
    if diagram is None:
        return []
    rows = []
    for element in diagram.human_steps():
        lane = diagram.lanes.get(element.lane_id or "")
        rows.append(
            StepRow(
                element.element_id,
                element.name,
                lane.name if lane else None,
                element.role,
                element.form,
                element.time_limit_days,
                waiting.get(element.element_id, 0),
            )
        )
    return rows


def version_detail(session: Session, actor: Actor, process_key: str, number: int) -> VersionDetail:
    """A version's details, files, human steps (with the dossiers waiting) and problems."""
    require_admin(actor)
    version = process_versions.get_version(session, process_key, number)
    process = process_row(session, actor, process_key)
    assert process is not None  # the version exists, so its process does
    row = next(v for v in process.versions if v.number == number)
    problems = list(version.problems or [])
    diagram = read_version_diagram(version.bpmn_xml, f"{process_key}.bpmn")
    return VersionDetail(
        row=row,
        source_hash=version.source_hash,
        files=_files(version, problems),
        problems=problems,
        steps=human_steps(diagram, waiting_by_step(session, version.id)),
        readable=diagram is not None,
        deployed=process.deployed,
    )


def version_xml(session: Session, actor: Actor, process_key: str, number: int) -> str:
    """The stored BPMN XML of a version."""
    require_admin(actor)
    return process_versions.get_version(session, process_key, number).bpmn_xml


# --- comparing two versions ----------------------------------------------------------------


@dataclass(frozen=True)
class ElementDiff:
    """An element (step, gateway, event) added, removed or changed between two versions."""

    element_id: str
    kind: str
    name: str | None
    lane: str | None
    changes: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class FlowDiff:
    """A sequence flow added, removed or changed (its condition, its ends)."""

    flow_id: str
    name: str | None
    source: str
    target: str
    condition: str | None
    changes: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class VersionComparison:
    """Version `a` (before) against version `b` (after), matched by BPMN ids."""

    key: str
    a: int
    b: int
    readable: bool
    added: list[ElementDiff] = field(default_factory=list)
    removed: list[ElementDiff] = field(default_factory=list)
    changed: list[ElementDiff] = field(default_factory=list)
    added_flows: list[FlowDiff] = field(default_factory=list)
    removed_flows: list[FlowDiff] = field(default_factory=list)
    changed_flows: list[FlowDiff] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    lanes: list[ItemChange] = field(default_factory=list)
    roles: list[ItemChange] = field(default_factory=list)
    forms: list[ItemChange] = field(default_factory=list)
    rules: list[ItemChange] = field(default_factory=list)
    role_names: dict[str, str] = field(default_factory=dict)

    @property
    def unchanged(self) -> bool:
        """Whether both versions run the same steps the same way, with the same lanes, roles,
        forms and rules."""
        return not (
            self.added
            or self.removed
            or self.changed
            or self.added_flows
            or self.removed_flows
            or self.changed_flows
            or self.lanes
            or self.roles
            or self.forms
            or self.rules
        )

    def markers(self) -> dict[str, dict[str, list[str]]]:
        """Which ids to colour on each diagram: removed on a, added on b, changed on both."""
        changed = [e.element_id for e in self.changed] + [f.flow_id for f in self.changed_flows]
        changed += [lane.key for lane in self.lanes if lane.kind == "changed"]
        return {
            "a": {
                "removed": [e.element_id for e in self.removed]
                + [f.flow_id for f in self.removed_flows]
                + [lane.key for lane in self.lanes if lane.kind == "removed"],
                "changed": changed,
            },
            "b": {
                "added": [e.element_id for e in self.added]
                + [f.flow_id for f in self.added_flows]
                + [lane.key for lane in self.lanes if lane.kind == "added"],
                "changed": changed,
            },
        }


def _element(diagram: DiagramInfo, element_id: str, changes: list[Change]) -> ElementDiff:
    element = diagram.elements[element_id]
    lane = diagram.lanes.get(element.lane_id or "")
    return ElementDiff(element_id, element.kind, element.name, lane.name if lane else None, changes)


def _flow(diagram: DiagramInfo, flow_id: str, changes: list[Change]) -> FlowDiff:
    flow = diagram.flows[flow_id]
    return FlowDiff(flow_id, flow.name, flow.source, flow.target, flow.condition, changes)


def compare_versions(
    session: Session, actor: Actor, process_key: str, a: int, b: int
) -> VersionComparison:
    """Steps and flows added, removed and changed from version `a` to version `b`."""
    require_admin(actor)
    before_version = process_versions.get_version(session, process_key, a)
    after_version = process_versions.get_version(session, process_key, b)
    before = read_version_diagram(before_version.bpmn_xml, f"{process_key}-v{a}.bpmn")
    after = read_version_diagram(after_version.bpmn_xml, f"{process_key}-v{b}.bpmn")
    if before is None or after is None:
        return VersionComparison(process_key, a, b, readable=False)
    result = compare_diagrams(before, after)
    names = {i: e.name for i, e in before.elements.items() if e.name}
    names.update({i: e.name for i, e in after.elements.items() if e.name})
    old_files, new_files = before_version.files or {}, after_version.files or {}
    roles = compare_roles(before, after)
    lanes = compare_lanes(before, after)
    codes = {lane.role for d in (before, after) for lane in d.lanes.values() if lane.role}
    return VersionComparison(
        process_key,
        a,
        b,
        readable=True,
        added=[_element(after, i, []) for i in result.added],
        removed=[_element(before, i, []) for i in result.removed],
        changed=[_element(after, i, c) for i, c in result.changed.items()],
        added_flows=[_flow(after, i, []) for i in result.added_flows],
        removed_flows=[_flow(before, i, []) for i in result.removed_flows],
        changed_flows=[_flow(after, i, c) for i, c in result.changed_flows.items()],
        names=names,
        lanes=lanes,
        roles=roles,
        forms=compare_forms(_forms_of(old_files), _forms_of(new_files)),
        rules=compare_rules(_rules_of(old_files), _rules_of(new_files)),
        role_names=dict(
            session.execute(select(Role.code, Role.name).where(Role.code.in_(codes))).all()
        ),
    )


def _forms_of(files: dict[str, Any]) -> dict[str, str]:
    """A version's forms by file name (without forms/)."""
    return {
        name[len(FORMS_PREFIX) :]: str(text)
        for name, text in sorted(files.items())
        if name.startswith(FORMS_PREFIX)
    }


def _rules_of(files: dict[str, Any]) -> dict[str, str]:
    """A version's rule tables (DMN files) by file name."""
    return {name: str(text) for name, text in sorted(files.items()) if name.endswith(".dmn")}
