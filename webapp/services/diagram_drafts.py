"""The modeler's writes: save the edited diagram as a draft, or start a draft from a .bpmn file.

A draft changes in place; a deployed or retired version never changes, so saving it starts a new
draft with its forms and rules. A file that is not a BPMN diagram, or that carries a DOCTYPE or
entities, or that is too large, is refused before anything is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from webapp.models import ProcessVersion
from webapp.permissions import Actor, can_manage_processes
from webapp.services import process_versions
from webapp.services.errors import DiagramProblemsError, PermissionDeniedError
from workflows.diagram_info import BPMN_NS
from workflows.errors import DiagramError, Problem
from workflows.xml_loading import MAX_XML_BYTES, parse_xml

MAX_BPMN_BYTES = MAX_XML_BYTES


class DiagramRefusedError(DiagramProblemsError):
    """The file cannot be stored at all (hostile, too large, not XML, not BPMN)."""

    code = "diagram_refused"


@dataclass(frozen=True)
class SavedDiagram:
    """A stored draft, and whether saving made it (from a deployed or retired version)."""

    version: ProcessVersion
    created: bool


def _require_admin(actor: Actor) -> None:
    if not can_manage_processes(actor):
        raise PermissionDeniedError("only administrators manage processes")


def _refuse(problem: Problem) -> DiagramRefusedError:
    return DiagramRefusedError([problem.as_dict()])


def refusal_problems(bpmn_xml: str | bytes, file_name: str) -> list[dict[str, Any]]:
    """Why this file may not even be stored as a draft; [] when it may (problems or not)."""
    try:
        root = parse_xml(bpmn_xml, file_name)
    except DiagramError as exc:
        return [p.as_dict() for p in exc.problems]
    if root.tag != f"{{{BPMN_NS}}}definitions":
        return [
            Problem(
                "not_bpmn",
                f"{file_name} is not a BPMN diagram: its root element is not bpmn:definitions",
                file_name=file_name,
            ).as_dict()
        ]
    return []


def save_diagram(
    session: Session, actor: Actor, process_key: str, number: int, bpmn_xml: str
) -> SavedDiagram:
    """Store the modeler's XML for version `number`: a draft changes in place and is checked
    again; a deployed or retired version gets a new draft with the same forms and rules."""
    _require_admin(actor)
    source = process_versions.get_version(session, process_key, number)
    refused = refusal_problems(bpmn_xml, f"{process_key}.bpmn")
    if refused:
        raise DiagramRefusedError(refused)
    if source.status == "draft":
        version = process_versions.update_draft(
            session, actor, process_key, number, bpmn_xml=bpmn_xml
        )
        return SavedDiagram(version, created=False)
    version = process_versions.create_version(
        session,
        actor,
        process_key,
        bpmn_xml,
        dict(source.files),
        comment=f"từ phiên bản {number}",
    )
    return SavedDiagram(version, created=True)


def upload_diagram(
    session: Session,
    actor: Actor,
    process_key: str,
    number: int,
    data: bytes,
    file_name: str,
) -> ProcessVersion:
    """A new draft from an uploaded .bpmn file (drawn in any BPMN tool), with the forms and
    rules of version `number`; refused when the file is too large, hostile or not BPMN."""
    _require_admin(actor)
    source = process_versions.get_version(session, process_key, number)
    if len(data) > MAX_BPMN_BYTES:
        raise _refuse(
            Problem(
                "file_too_large",
                f"{file_name} is larger than {MAX_BPMN_BYTES} bytes",
                file_name=file_name,
            )
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _refuse(
            Problem("not_utf8", f"{file_name} is not UTF-8 text", file_name=file_name)
        ) from None
    refused = refusal_problems(text, file_name)
    if refused:
        raise DiagramRefusedError(refused)
    return process_versions.create_version(
        session,
        actor,
        process_key,
        text,
        dict(source.files),
        comment=f"tải lên từ tệp {file_name}"[:300],
    )
