"""The electronic dossier for the level above: a round's or a dossier's files as one ZIP (kept
papers, attachments in a folder per dossier) with manifest.json and manifest.csv listing each
file's path, size, SHA-256, kind and source. The same content always gives the same ZIP bytes."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Attachment, Dossier, GeneratedDocument, ProcessInstance, RoundEntry
from webapp.permissions import Actor
from webapp.services.attachments import attachments_of, clean_file_name, download_name
from webapp.services.dossiers import get_visible_dossier
from webapp.services.errors import ConflictError, InvalidDataError, PermissionDeniedError
from webapp.services.file_store import file_store_of
from webapp.services.rounds.lifecycle import get_round, may

PACKAGE_VERSION = "submission-package/1"
MAX_PACKAGE_BYTES = 500 * 1024 * 1024
# Who sends the electronic dossier up: the Office, the Director, the Ministry's officer.
PACKAGE_ROLES = ("office", "director", "ministry_officer")
# A fixed timestamp and mode for every entry: the ZIP's bytes depend on its content only.
_EPOCH = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o644 << 16
_PAPERS_DIR = "giay-to"
# Round entries still in the round (a "late" one waits for a later round).
_IN_ROUND = ("joined", "received")


@dataclass(frozen=True)
class Wording:
    """What the manifest says to a person, translated by the caller: kind labels for
    attachments and for generated papers, and the CSV's column headers."""

    attachment_kinds: Mapping[str, str]
    paper_kinds: Mapping[str, str]
    csv_headers: Sequence[str]
    # "attachment" / "generated_document" as the CSV's reader calls them.
    source_kinds: Mapping[str, str]


@dataclass(frozen=True)
class _Member:
    path: str
    stored_hash: str
    size: int
    kind: str
    label: str
    source: dict[str, Any]


@dataclass
class Package:
    """A built ZIP in a temporary file (the caller sends then closes it), with its name,
    size and SHA-256."""

    file_name: str
    handle: IO[bytes]
    size: int
    sha256: str


def _segment(text: str, fallback: str) -> str:
    # One path segment: no separators or control characters, never "" / "." / "..".
    cleaned = clean_file_name(text.replace("/", "-").replace("\\", "-"))
    return cleaned if cleaned.strip(".") else fallback


def may_download(actor: Actor, unit_id: int) -> bool:
    """Whether the actor sends this unit's papers up (Office, Director, Ministry officer)."""
    return any(may(actor, role, unit_id) for role in PACKAGE_ROLES)


def _may_package(actor: Actor, unit_id: int) -> None:
    if not may_download(actor, unit_id):
        raise PermissionDeniedError(
            "only the Office, the Director or the Ministry's officer downloads the package"
        )


def _chosen_papers(documents: list[GeneratedDocument]) -> list[GeneratedDocument]:
    """One file per paper (kind and part): its signed copy; otherwise the newest kept DOCX's
    PDF (same data) when one was made, else that DOCX."""
    groups: dict[tuple[str, str], list[GeneratedDocument]] = {}
    for document in documents:
        groups.setdefault((document.doc_kind, document.part), []).append(document)
    chosen = []
    for group in groups.values():
        signed = [d for d in group if d.status == "signed"]
        if signed:
            chosen.append(max(signed, key=lambda d: d.id))
            continue
        newest = max(group, key=lambda d: d.id)
        same = [d for d in group if d.file_format == "pdf" and d.data_hash == newest.data_hash]
        chosen.append(max(same, key=lambda d: d.id) if same else newest)
    return chosen


def _papers_of(session: Session, subject_kind: str, subject_id: int) -> list[GeneratedDocument]:
    return list(
        session.scalars(
            select(GeneratedDocument).where(
                GeneratedDocument.subject_kind == subject_kind,
                GeneratedDocument.subject_id == subject_id,
            )
        )
    )


def _paper_members(
    documents: list[GeneratedDocument], folder: str, wording: Wording
) -> list[_Member]:
    return [
        _Member(
            f"{folder}/{d.id}-{_segment(d.file_name, f'giay-to.{d.file_format}')}",
            d.content_hash,
            d.size,
            d.doc_kind,
            str(wording.paper_kinds.get(d.doc_kind, d.doc_kind)),
            {
                "type": "generated_document",
                "id": d.id,
                "part": d.part,
                "status": d.status,
                "process_version_id": d.process_version_id,
                "data_hash": d.data_hash,
                "template_hash": d.template_hash,
                "generator_version": d.generator_version,
            },
        )
        for d in _chosen_papers(documents)
    ]


def _attachment_members(
    session: Session, dossier: Dossier, folder: str, wording: Wording
) -> list[_Member]:
    version_id = session.scalar(
        select(ProcessInstance.version_id).where(ProcessInstance.dossier_id == dossier.id)
    )
    found: list[Attachment] = attachments_of(session, dossier.id)
    return [
        _Member(
            f"{folder}/{a.id}-{_segment(download_name(a), 'tep-dinh-kem')}",
            a.content_hash,
            a.size,
            a.kind,
            str(wording.attachment_kinds.get(a.kind, a.kind)),
            {
                "type": "attachment",
                "id": a.id,
                "dossier_id": dossier.id,
                "dossier_code": dossier.code,
                "nominee_id": a.nominee_id,
                "process_version_id": version_id,
            },
        )
        for a in found
    ]


def _dossier_folder(dossier: Dossier) -> str:
    return _segment(dossier.code or "", f"ho-so-{dossier.id}")


def _manifest_csv(entries: list[dict[str, Any]], wording: Wording) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(wording.csv_headers)
    for e in entries:
        source = e["source"]
        writer.writerow(
            [
                e["path"],
                e["size"],
                e["sha256"],
                e["label"],
                wording.source_kinds.get(source["type"], source["type"]),
                source["id"],
                source.get("process_version_id") or "",
            ]
        )
    # A BOM so that a spreadsheet opens the Vietnamese headers as UTF-8.
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def _entry(archive: zipfile.ZipFile, path: str, data: bytes) -> None:
    info = zipfile.ZipInfo(path, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = _FILE_MODE
    info.create_system = 3
    archive.writestr(info, data)


def _build(
    session: Session,
    file_name: str,
    subject: dict[str, Any],
    members: list[_Member],
    wording: Wording,
    max_bytes: int,
) -> Package:
    """Write the ZIP (files in path order, fixed timestamps) after checking the total size;
    each file is read back from the store and checked against its hash."""
    total = sum(m.size for m in members)
    if total > max_bytes:
        raise InvalidDataError(
            "the package is too large",
            {"package": f"is larger than {max_bytes // (1024 * 1024)} MB"},
            code="package_too_large",
        )
    store = file_store_of(session)
    handle = tempfile.TemporaryFile(prefix="award-package-")  # noqa: SIM115 - the caller closes it
    try:
        entries = []
        with zipfile.ZipFile(handle, "w") as archive:
            for member in sorted(members, key=lambda m: m.path):
                try:
                    with store.open(member.stored_hash) as stored:
                        data = stored.read()
                except (FileNotFoundError, ValueError):
                    raise ConflictError(
                        f"the file of {member.path} is missing", code="missing"
                    ) from None
                digest = hashlib.sha256(data).hexdigest()
                if digest != member.stored_hash:
                    raise ConflictError(f"{member.path} does not match its hash", code="corrupt")
                _entry(archive, member.path, data)
                entries.append(
                    {
                        "path": member.path,
                        "size": len(data),
                        "sha256": digest,
                        "kind": member.kind,
                        "label": member.label,
                        "source": member.source,
                    }
                )
            manifest = {"format": PACKAGE_VERSION, "subject": subject, "files": entries}
            _entry(
                archive,
                "manifest.json",
                json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode(),
            )
            _entry(archive, "manifest.csv", _manifest_csv(entries, wording))
        size = handle.tell()
        handle.seek(0)
        whole = hashlib.sha256()
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            whole.update(chunk)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return Package(file_name, handle, size, whole.hexdigest())


def round_package(
    session: Session,
    actor: Actor,
    round_id: int,
    wording: Wording,
    *,
    max_bytes: int = MAX_PACKAGE_BYTES,
) -> Package:
    """The round's electronic dossier: its kept papers under giay-to/, each dossier's files (and
    its own kept papers under <code>/giay-to/) in a folder named by its code. NotFoundError if
    the actor cannot see the round, PermissionDeniedError unless Office/Director/Ministry
    officer, InvalidDataError ("package_too_large") past max_bytes."""
    round_ = get_round(session, actor, round_id)
    _may_package(actor, round_.unit_id)
    members = _paper_members(_papers_of(session, "round", round_.id), _PAPERS_DIR, wording)
    dossiers = session.scalars(
        select(Dossier)
        .join(RoundEntry, RoundEntry.dossier_id == Dossier.id)
        .where(RoundEntry.round_id == round_.id, RoundEntry.status.in_(_IN_ROUND))
        .order_by(Dossier.id)
    )
    for dossier in dossiers:
        folder = _dossier_folder(dossier)
        members += _attachment_members(session, dossier, folder, wording)
        kept = _papers_of(session, "dossier", dossier.id)
        members += _paper_members(kept, f"{folder}/{_PAPERS_DIR}", wording)
    subject = {"kind": "round", "id": round_.id, "name": round_.name}
    return _build(session, f"goi-ho-so-dot-{round_.id}.zip", subject, members, wording, max_bytes)


def dossier_package(
    session: Session,
    actor: Actor,
    dossier_id: int,
    wording: Wording,
    *,
    max_bytes: int = MAX_PACKAGE_BYTES,
) -> Package:
    """A dossier's electronic dossier: its files in a folder named by its code and its kept
    papers under giay-to/; the same refusals as round_package."""
    dossier = get_visible_dossier(session, actor, dossier_id)
    _may_package(actor, dossier.unit_id)
    folder = _dossier_folder(dossier)
    members = _attachment_members(session, dossier, folder, wording)
    members += _paper_members(_papers_of(session, "dossier", dossier.id), _PAPERS_DIR, wording)
    subject = {"kind": "dossier", "id": dossier.id, "code": dossier.code, "title": dossier.title}
    return _build(session, f"goi-ho-so-{folder}.zip", subject, members, wording, max_bytes)
