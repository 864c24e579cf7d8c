"""Process versions: create (checked), deploy, look up, and the in-memory definition cache."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from webapp.db import utcnow
from webapp.models import (
    InstanceMove,
    ProcessInstance,
    ProcessVersion,
    Role,
    VersionTemplate,
    WorkItem,
)
from webapp.permissions import Actor, can_manage_processes
from webapp.services.errors import (
    ConflictError,
    InvalidDataError,
    NotFoundError,
    PermissionDeniedError,
)
from webapp.services.form_schemas import MAX_SCHEMA_CHARS, UnsafeFormError, check_form_schema
from workflows import (
    SERIALIZER_VERSION,
    ProcessDefinition,
    check_bundle,
    dump_spec,
    restore_definition,
)

FORMS_PREFIX = "forms/"


@dataclass(frozen=True)
class RunnableVersion:
    """A stored version as running dossiers need it: parsed once, kept in memory."""

    definition: ProcessDefinition
    forms: dict[str, dict[str, Any]]


_cache: dict[int, tuple[str, RunnableVersion]] = {}
_cache_lock = threading.Lock()


def source_hash(bpmn_xml: str, files: dict[str, str]) -> str:
    """A fingerprint of everything a version is made of."""
    digest = hashlib.sha256(bpmn_xml.encode("utf-8"))
    digest.update(json.dumps(files, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()


def form_names(files: dict[str, Any]) -> set[str]:
    """The form file names a diagram may refer to (without the forms/ prefix)."""
    return {name[len(FORMS_PREFIX) :] for name in files if name.startswith(FORMS_PREFIX)}


def dmn_files(files: dict[str, Any]) -> dict[str, str]:
    """The DMN tables of a version."""
    return {name: text for name, text in files.items() if name.endswith(".dmn")}


def form_schema(version: ProcessVersion, form: str | None) -> dict[str, Any] | None:
    """The JSON Schema of a form of `version`, parsed (shared: do not modify it)."""
    if not form:
        return None
    return runnable(version).forms.get(form)


def known_roles(session: Session) -> set[str]:
    """Every role code lanes may use."""
    return set(session.scalars(select(Role.code)))


def read_bundle_dir(bpmn_dir: Path, process_key: str) -> tuple[str, dict[str, str]]:
    """The shipped diagram `<key>.bpmn` with the DMN tables and forms next to it."""
    bpmn_xml = (bpmn_dir / f"{process_key}.bpmn").read_text(encoding="utf-8")
    files = {p.name: p.read_text(encoding="utf-8") for p in sorted(bpmn_dir.glob("*.dmn"))}
    for form in sorted((bpmn_dir / "forms").glob("*.json")):
        files[FORMS_PREFIX + form.name] = form.read_text(encoding="utf-8")
    return bpmn_xml, files


def _check_forms(files: dict[str, str]) -> dict[str, str]:
    problems = {}
    for name, text in files.items():
        if name.startswith(FORMS_PREFIX):
            if len(text) > MAX_SCHEMA_CHARS:
                problems[name] = f"form_too_large: at most {MAX_SCHEMA_CHARS} characters"
                continue
            try:
                schema = json.loads(text)
            except ValueError as exc:
                problems[name] = f"not valid JSON: {exc}"
                continue
            except RecursionError:
                problems[name] = "not valid JSON: nested too deeply"
                continue
            try:
                check_form_schema(schema)
            except UnsafeFormError as problem:
                problems[name] = f"{problem.code}: {problem}"
    return problems


@dataclass(frozen=True)
class _Checked:
    """What checking a version's files found."""

    problems: list[dict[str, Any]]
    name: str | None
    spec_json: str | None


def _check(session: Session, process_key: str, bpmn_xml: str, files: dict[str, str]) -> _Checked:
    result = check_bundle(
        bpmn_xml,
        dmn_files(files),
        forms=form_names(files),
        known_roles=known_roles(session),
        file_name=f"{process_key}.bpmn",
    )
    problems = [p.as_dict() for p in result.problems]
    problems += [
        {"code": "invalid_form", "message": message, "element_id": None, "file": name, "line": None}
        for name, message in _check_forms(files).items()
    ]
    definition = result.definition
    return _Checked(
        problems,
        definition.name if definition else None,
        dump_spec(definition.spec, definition.subprocess_specs) if definition else None,
    )


def _require_admin(actor: Actor | None) -> None:
    if actor is not None and not can_manage_processes(actor):
        raise PermissionDeniedError("only administrators manage processes")


def create_version(
    session: Session,
    actor: Actor | None,
    process_key: str,
    bpmn_xml: str,
    files: dict[str, str],
    *,
    comment: str | None = None,
) -> ProcessVersion:
    """Store a new draft version after checking it; its problems are kept with it."""
    _require_admin(actor)
    checked = _check(session, process_key, bpmn_xml, files)
    number = (
        session.scalar(
            select(func.max(ProcessVersion.version)).where(
                ProcessVersion.process_key == process_key
            )
        )
        or 0
    ) + 1
    version = ProcessVersion(
        process_key=process_key,
        version=number,
        status="draft",
        name=checked.name,
        bpmn_xml=bpmn_xml,
        files=files,
        spec_json=checked.spec_json,
        serializer_version=SERIALIZER_VERSION if checked.spec_json else None,
        source_hash=source_hash(bpmn_xml, files),
        problems=checked.problems,
        comment=comment,
        created_by_id=actor.user_id if actor else None,
    )
    session.add(version)
    session.flush()
    return version


def update_draft(
    session: Session,
    actor: Actor,
    process_key: str,
    number: int,
    *,
    bpmn_xml: str | None = None,
    files: dict[str, str] | None = None,
) -> ProcessVersion:
    """Change a draft's diagram and/or files and check it again (deployed versions never change)."""
    _require_admin(actor)
    version = get_version(session, process_key, number)
    if version.status != "draft":
        raise ConflictError(
            "only a draft can be changed; save your changes as a new draft", code="not_a_draft"
        )
    new_xml = version.bpmn_xml if bpmn_xml is None else bpmn_xml
    new_files = dict(version.files if files is None else files)
    checked = _check(session, process_key, new_xml, new_files)
    version.bpmn_xml, version.files = new_xml, new_files
    version.name = checked.name
    version.spec_json = checked.spec_json
    version.serializer_version = SERIALIZER_VERSION if checked.spec_json else None
    version.problems = checked.problems
    version.source_hash = source_hash(new_xml, new_files)
    session.flush()
    return version


def copy_as_draft(session: Session, actor: Actor, process_key: str, number: int) -> ProcessVersion:
    """A new draft with the same diagram, forms, rules and paper templates as version
    `number`."""
    _require_admin(actor)
    source = get_version(session, process_key, number)
    draft = create_version(
        session,
        actor,
        process_key,
        source.bpmn_xml,
        dict(source.files),
        comment=f"từ phiên bản {number}",
    )
    for template in session.scalars(
        select(VersionTemplate).where(VersionTemplate.version_id == source.id)
    ):
        session.add(
            VersionTemplate(
                version_id=draft.id,
                doc_kind=template.doc_kind,
                file_name=template.file_name,
                content=template.content,
                content_hash=template.content_hash,
                size=template.size,
                uploaded_by_id=template.uploaded_by_id,
                uploaded_at=template.uploaded_at,
            )
        )
    session.flush()
    return draft


def deploy_version(
    session: Session, actor: Actor | None, process_key: str, number: int
) -> ProcessVersion:
    """Make version `number` the one new dossiers start on; the previous one is retired."""
    if actor is not None and not can_manage_processes(actor):
        raise PermissionDeniedError("only administrators manage processes")
    version = session.scalar(
        select(ProcessVersion).where(
            ProcessVersion.process_key == process_key, ProcessVersion.version == number
        )
    )
    if version is None:
        raise NotFoundError(f"process {process_key} has no version {number}")
    if version.problems or not version.spec_json:
        raise InvalidDataError(
            "this version has problems and cannot be deployed",
            {"problems": f"{len(version.problems)} problem(s)"},
            code="version_has_problems",
        )
    if version.status == "deployed":
        raise ConflictError(f"version {number} is already deployed", code="already_deployed")
    for current in session.scalars(
        select(ProcessVersion).where(
            ProcessVersion.process_key == process_key, ProcessVersion.status == "deployed"
        )
    ):
        current.status = "retired"
    version.status = "deployed"
    version.deployed_at = utcnow()
    version.deployed_by_id = actor.user_id if actor else None
    session.flush()
    return version


def deployed_version(session: Session, process_key: str) -> ProcessVersion:
    """The version new dossiers start on."""
    version = session.scalar(
        select(ProcessVersion).where(
            ProcessVersion.process_key == process_key, ProcessVersion.status == "deployed"
        )
    )
    if version is None:
        raise ConflictError(
            f"process {process_key} has no deployed version", code="no_deployed_version"
        )
    return version


def get_version(session: Session, process_key: str, number: int) -> ProcessVersion:
    """One version of a process."""
    version = session.scalar(
        select(ProcessVersion).where(
            ProcessVersion.process_key == process_key, ProcessVersion.version == number
        )
    )
    if version is None:
        raise NotFoundError(f"process {process_key} has no version {number}")
    return version


def list_versions(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Every process key with its versions and how many dossiers run on each."""
    if not can_manage_processes(actor):
        raise PermissionDeniedError("only administrators manage processes")
    running = dict(
        session.execute(
            select(ProcessInstance.version_id, func.count())
            .where(ProcessInstance.status == "running")
            .group_by(ProcessInstance.version_id)
        ).all()
    )
    processes: dict[str, list[dict[str, Any]]] = {}
    for version in session.scalars(
        select(ProcessVersion).order_by(ProcessVersion.process_key, ProcessVersion.version)
    ):
        processes.setdefault(version.process_key, []).append(
            {
                "version": version.version,
                "status": version.status,
                "name": version.name,
                "created_by_id": version.created_by_id,
                "created_at": version.created_at,
                "deployed_at": version.deployed_at,
                "running_dossiers": running.get(version.id, 0),
                "problems": len(version.problems),
            }
        )
    return [{"key": key, "versions": versions} for key, versions in processes.items()]


def runnable(version: ProcessVersion) -> RunnableVersion:
    """A stored version's definition and forms, parsed once per process and version."""
    with _cache_lock:
        cached = _cache.get(version.id)
    if cached and cached[0] == version.source_hash:
        return cached[1]
    if not version.spec_json:
        raise ConflictError("this process version cannot run", code="version_not_runnable")
    forms = {}
    for name, text in version.files.items():
        if name.startswith(FORMS_PREFIX):
            try:
                forms[name[len(FORMS_PREFIX) :]] = json.loads(text)
            except ValueError:
                continue  # reported as a problem when the version was created
    loaded = RunnableVersion(restore_definition(version.bpmn_xml, version.spec_json), forms)
    with _cache_lock:
        _cache[version.id] = (version.source_hash, loaded)
    return loaded


def parse_deployed(session: Session) -> int:
    """Parse every deployed version into this process's cache (a web worker's warm-up before
    its first request); returns how many. Other versions are parsed when first used."""
    versions = session.scalars(
        select(ProcessVersion).where(ProcessVersion.status == "deployed")
    ).all()
    for version in versions:
        runnable(version)
    return len(versions)


def definition_of(version: ProcessVersion) -> ProcessDefinition:
    """The runnable definition of a stored version."""
    return runnable(version).definition


def delete_draft(session: Session, actor: Actor, process_key: str, number: int) -> None:
    """Delete a draft that was never deployed and that no dossier ever ran on or moved to or
    from; anything else is refused (409) and nothing changes."""
    _require_admin(actor)
    version = get_version(session, process_key, number)
    if version.status != "draft" or version.deployed_at is not None:
        raise ConflictError(
            f"version {number} is not a draft: only a draft never deployed can be deleted",
            code="not_a_draft",
        )
    used = (
        session.scalar(
            select(func.count())
            .select_from(ProcessInstance)
            .where(ProcessInstance.version_id == version.id)
        )
        or session.scalar(
            select(func.count()).select_from(WorkItem).where(WorkItem.version_id == version.id)
        )
        or session.scalar(
            select(func.count())
            .select_from(InstanceMove)
            .where(
                (InstanceMove.from_version_id == version.id)
                | (InstanceMove.to_version_id == version.id)
            )
        )
    )
    if used:
        raise ConflictError(
            f"dossiers ran on version {number} or were moved to or from it; it cannot be deleted",
            code="version_in_use",
        )
    with _cache_lock:
        _cache.pop(version.id, None)
    session.execute(delete(VersionTemplate).where(VersionTemplate.version_id == version.id))
    session.delete(version)
    session.flush()
