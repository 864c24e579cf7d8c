"""A process version's own DOCX templates: list, upload (checked), download, reset to the
shipped template, and the template a paper of a version is made from.

Like a version's forms and rules, only a draft's templates change; a deployed or retired
version keeps its own for good (copy it as a draft to change them: the copy carries them).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from webapp.db import utcnow
from webapp.models import ProcessVersion, User, VersionTemplate
from webapp.permissions import Actor, can_manage_processes
from webapp.services import process_versions
from webapp.services.documents import render
from webapp.services.documents.fields import FIELDS, KINDS
from webapp.services.documents.template_check import check_template
from webapp.services.errors import ConflictError, InvalidDataError, PermissionDeniedError

SAFE_NAME = re.compile(r"[^\w.\- ]+")


@dataclass(frozen=True)
class TemplateEntry:
    """The template a document kind of a version is made from: the uploaded one, or the
    shipped one (uploaded=False, no uploader)."""

    kind: str
    uploaded: bool
    file_name: str
    size: int
    content_hash: str
    uploaded_by: str | None
    uploaded_at: datetime | None


def _require_admin(actor: Actor) -> None:
    if not can_manage_processes(actor):
        raise PermissionDeniedError("only administrators manage processes")


def _kind(kind: str) -> str:
    if kind not in FIELDS:
        raise InvalidDataError("unknown document kind", {"kind": "is not a document kind"})
    return kind


def _stored(session: Session, version_id: int, kind: str) -> VersionTemplate | None:
    return session.scalar(
        select(VersionTemplate).where(
            VersionTemplate.version_id == version_id, VersionTemplate.doc_kind == kind
        )
    )


def shipped_file_name(kind: str) -> str:
    """The shipped template's file name."""
    return f"{kind}.docx"


def list_templates(
    session: Session, actor: Actor, process_key: str, number: int
) -> tuple[ProcessVersion, list[TemplateEntry]]:
    """The version and, per document kind, the template in use."""
    _require_admin(actor)
    version = process_versions.get_version(session, process_key, number)
    stored = {
        t.doc_kind: t
        for t in session.scalars(
            select(VersionTemplate).where(VersionTemplate.version_id == version.id)
        )
    }
    names = dict(
        session.execute(
            select(User.id, User.full_name).where(
                User.id.in_([t.uploaded_by_id for t in stored.values() if t.uploaded_by_id])
            )
        ).all()
    )
    entries = []
    for kind in KINDS:
        own = stored.get(kind)
        if own is not None:
            entries.append(
                TemplateEntry(
                    kind,
                    True,
                    own.file_name,
                    own.size,
                    own.content_hash,
                    names.get(own.uploaded_by_id) if own.uploaded_by_id else None,
                    own.uploaded_at,
                )
            )
        else:
            shipped = render.template_bytes(kind)
            entries.append(
                TemplateEntry(
                    kind,
                    False,
                    shipped_file_name(kind),
                    len(shipped),
                    render.template_hash(kind),
                    None,
                    None,
                )
            )
    return version, entries


def _draft(session: Session, process_key: str, number: int) -> ProcessVersion:
    version = process_versions.get_version(session, process_key, number)
    if version.status != "draft":
        raise ConflictError(
            "only a draft's templates change; copy this version as a new draft",
            code="not_a_draft",
        )
    return version


def _clean_name(file_name: str, kind: str) -> str:
    name = SAFE_NAME.sub("_", (file_name or "").replace("\\", "/").rsplit("/", 1)[-1]).strip()
    name = name[:150]
    return name if name.lower().endswith(".docx") else f"{name or kind}.docx"


def upload_template(
    session: Session,
    actor: Actor,
    process_key: str,
    number: int,
    kind: str,
    file_name: str,
    data: bytes,
) -> VersionTemplate:
    """Keep `data` as the draft's template of `kind` after the full check (template_check):
    a refused file raises TemplateRefusedError and nothing is stored."""
    _require_admin(actor)
    _kind(kind)
    version = _draft(session, process_key, number)
    check_template(kind, data)
    digest = hashlib.sha256(data).hexdigest()
    template = _stored(session, version.id, kind)
    if template is None:
        template = VersionTemplate(version_id=version.id, doc_kind=kind)
        session.add(template)
    template.file_name = _clean_name(file_name, kind)
    template.content = data
    template.content_hash = digest
    template.size = len(data)
    template.uploaded_by_id = actor.user_id
    template.uploaded_at = utcnow()
    session.flush()
    return template


def reset_template(
    session: Session, actor: Actor, process_key: str, number: int, kind: str
) -> bool:
    """The draft's kind goes back to the shipped template; False when it already used it."""
    _require_admin(actor)
    _kind(kind)
    version = _draft(session, process_key, number)
    template = _stored(session, version.id, kind)
    if template is None:
        return False
    session.delete(template)
    session.flush()
    return True


def template_file(
    session: Session, actor: Actor, process_key: str, number: int, kind: str
) -> tuple[str, bytes]:
    """The file name and bytes of the template the version's `kind` is made from."""
    _require_admin(actor)
    _kind(kind)
    version = process_versions.get_version(session, process_key, number)
    template = _stored(session, version.id, kind)
    if template is None:
        return shipped_file_name(kind), render.template_bytes(kind)
    return template.file_name, template.content


def template_for(session: Session, version_id: int | None, kind: str) -> tuple[bytes, str]:
    """The bytes and SHA-256 of the template a paper of `kind` made under version `version_id`
    uses: the version's own, else the shipped one."""
    if version_id is not None:
        template = session.scalar(
            select(VersionTemplate)
            .where(VersionTemplate.version_id == version_id, VersionTemplate.doc_kind == kind)
            .options(undefer(VersionTemplate.content))
        )
        if template is not None:
            return template.content, template.content_hash
    return render.template_bytes(kind), render.template_hash(kind)
