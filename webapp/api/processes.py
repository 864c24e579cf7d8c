"""Process routes for administrators: list, upload a version, deploy, download the BPMN."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from webapp.api import bp
from webapp.api.edge import current_actor, local_time
from webapp.permissions import can_manage_processes
from webapp.request_db import db_session
from webapp.services import process_versions
from webapp.services.errors import (
    ConflictError,
    DiagramProblemsError,
    InvalidDataError,
    PermissionDeniedError,
)


def _version_json(version: Any) -> dict[str, Any]:
    return {
        "key": version.process_key,
        "version": version.version,
        "status": version.status,
        "name": version.name,
        "created_at": local_time(version.created_at),
        "deployed_at": local_time(version.deployed_at),
        "problems": version.problems,
        "files": sorted(version.files),
    }


@bp.get("/processes")
def list_processes() -> dict[str, Any]:
    """Process keys with their versions."""
    actor = current_actor()
    processes = process_versions.list_versions(db_session(), actor)
    for process in processes:
        for version in process["versions"]:
            version["created_at"] = local_time(version["created_at"])
            version["deployed_at"] = local_time(version["deployed_at"])
    return {"processes": processes}


def _upload() -> tuple[str, dict[str, str]]:
    if request.mimetype in {"application/xml", "text/xml"}:
        return request.get_data(as_text=True), {}
    if request.mimetype == "multipart/form-data":
        bpmn = request.files.get("bpmn")
        if bpmn is None:
            raise InvalidDataError("a BPMN file is required", {"bpmn": "is required"})
        files: dict[str, str] = {}
        for field in request.files:
            if field == "bpmn":
                continue
            for upload in request.files.getlist(field):
                name = upload.filename or field
                key = name if name.endswith(".dmn") else f"forms/{name.rsplit('/', 1)[-1]}"
                files[key] = _text(upload.read(), key)
        return _text(bpmn.read(), "bpmn"), files
    raise InvalidDataError(
        "send the BPMN as application/xml or as multipart/form-data",
        {"content_type": "must be application/xml or multipart/form-data"},
    )


def _text(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidDataError(f"{name} is not UTF-8 text", {name: "must be UTF-8 text"}) from None


@bp.post("/processes/<key>/versions")
def create_version(key: str) -> tuple[dict[str, Any], int]:
    """Upload a new version; 201 with a draft, or 422 listing every problem."""
    actor = current_actor()
    if not can_manage_processes(actor):
        raise PermissionDeniedError("only administrators manage processes")
    bpmn_xml, files = _upload()
    session = db_session()
    if not files:
        # A bare BPMN upload keeps the forms and rules of the deployed version.
        try:
            files = dict(process_versions.deployed_version(session, key).files)
        except ConflictError:
            files = {}
    version = process_versions.create_version(session, actor, key, bpmn_xml, files)
    if version.problems:
        raise DiagramProblemsError(version.problems)
    body = _version_json(version)
    session.commit()
    return body, 201


@bp.post("/processes/<key>/versions/<int:number>/deploy")
def deploy(key: str, number: int) -> dict[str, Any]:
    """Start every new dossier on this version."""
    actor = current_actor()
    session = db_session()
    version = process_versions.deploy_version(session, actor, key, number)
    body = _version_json(version)
    session.commit()
    return body


@bp.get("/processes/<key>/versions/<int:number>/bpmn")
def download_bpmn(key: str, number: int) -> Response:
    """The BPMN XML of a version."""
    actor = current_actor()
    if not can_manage_processes(actor):
        raise PermissionDeniedError("only administrators manage processes")
    version = process_versions.get_version(db_session(), key, number)
    return Response(version.bpmn_xml, mimetype="application/xml")
