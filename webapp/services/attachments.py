"""Dossier files: checked (type and size), stored once under their SHA-256, served to viewers."""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.db import utcnow
from webapp.models import Attachment, Dossier
from webapp.permissions import Actor, can_see_dossier
from webapp.services import signed_pdfs
from webapp.services.errors import InvalidDataError, NotFoundError
from webapp.services.file_store import StorageFullError, file_store_of

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_NAME_CHARS = 200
FALLBACK_STEM = "tep-dinh-kem"
# Control, format (e.g. right-to-left override, which disguises an extension), surrogate and
# unassigned code points: none belongs in a file name a browser shows or a header carries.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
KINDS = frozenset(
    {
        "achievement_report",
        "submission",
        "minutes",
        "ballot",
        "written_opinion",
        "certification",
        "concurrence",
        "decision",
        "other",
    }
)


@dataclass(frozen=True)
class FileType:
    """An accepted kind of file: its extensions, MIME type and first bytes."""

    extensions: tuple[str, ...]
    mime_type: str
    magic: tuple[bytes, ...]


ACCEPTED = (
    FileType((".pdf",), "application/pdf", (b"%PDF-",)),
    FileType(
        (".docx",),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
    FileType((".doc",), "application/msword", (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
    FileType((".png",), "image/png", (b"\x89PNG\r\n\x1a\n",)),
    FileType((".jpg", ".jpeg"), "image/jpeg", (b"\xff\xd8\xff",)),
)


class RefusedFileError(InvalidDataError):
    """A file refused by its type, size or content; carries the file's name and, for a file
    whose bytes are not what its extension says, the type the name claimed (e.g. "PDF")."""

    def __init__(
        self,
        message: str,
        fields: dict[str, str],
        *,
        code: str,
        file_name: str,
        claimed_type: str | None = None,
    ):
        super().__init__(message, fields, code=code)
        self.file_name = file_name
        self.claimed_type = claimed_type


# What a person calls each accepted type, for "the content is not a PDF".
TYPE_NAMES = {
    ".pdf": "PDF",
    ".docx": "DOCX",
    ".doc": "DOC",
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
}


@dataclass(frozen=True)
class Upload:
    """A file as received from a form or the API, not yet stored."""

    file_name: str
    data: bytes
    kind: str = "other"
    nominee_id: int | None = None
    field: str = "file"


def clean_file_name(raw: str | None) -> str:
    """A file name safe to store, show and send back: the last part of any path (either
    separator), NFC, without control/format/surrogate characters, whitespace folded, at most
    MAX_NAME_CHARS characters with its extension kept; "" when nothing is left."""
    text = unicodedata.normalize("NFC", raw or "")
    text = "".join(" " if c.isspace() else c for c in text)
    text = "".join(c for c in text if unicodedata.category(c) not in _DROPPED_CATEGORIES)
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = " ".join(text.split())
    stem, extension = os.path.splitext(text)
    if stem.startswith(".") and not extension:  # ".pdf": only an extension
        stem, extension = "", stem
    if len(extension) > 10:
        stem, extension = text, ""
    stem = stem.strip(". ")
    if not stem:
        return FALLBACK_STEM + extension if extension.strip(".") else ""
    return stem[: MAX_NAME_CHARS - len(extension)].rstrip(". ") + extension


def download_name(attachment: Attachment) -> str:
    """The name a download is offered under (a name stored before names were cleaned, e.g.
    with a NUL, is cleaned here; one with nothing left gets a plain name)."""
    name = clean_file_name(attachment.file_name)
    if name:
        return name
    extension = next((t.extensions[0] for t in ACCEPTED if t.mime_type == attachment.mime_type), "")
    return FALLBACK_STEM + extension


# Served inline (opened by the browser) instead of downloaded: PDFs and pictures, which a council
# member reads rather than edits. What a browser may do with them is bounded by INLINE_POLICY.
INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})
DOWNLOAD_TYPE = "application/octet-stream"
# The Content-Security-Policy of a served file: a sandboxed document (no script, no forms, an
# opaque origin, so a hostile PDF or picture cannot act in the site's origin), loading nothing
# but its own pictures and inline styles, and never framed by another site.
INLINE_POLICY = (
    "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class Served:
    """How a stored file is sent back: its type, whether the browser opens it, its name."""

    mime_type: str
    inline: bool
    file_name: str


def serving(attachment: Attachment) -> Served:
    """The type a file is served as comes from the type checked and stored at upload (magic
    bytes and extension), never from its name; a type that is not one of the accepted ones
    (a row written by hand) is served as bytes to download."""
    accepted = {t.mime_type for t in ACCEPTED}
    mime_type = attachment.mime_type if attachment.mime_type in accepted else DOWNLOAD_TYPE
    return Served(mime_type, mime_type in INLINE_TYPES, download_name(attachment))


def opens_in_browser(attachment: Attachment) -> bool:
    """Whether the pages offer the file to view ("Xem") rather than to download."""
    return serving(attachment).inline


def check_upload(upload: Upload) -> FileType:
    """The file's type, or InvalidDataError naming the field (wrong type, too large, empty)."""
    name = clean_file_name(upload.file_name)
    if not name or not upload.data:
        raise RefusedFileError(
            f"{name or 'the file'} is empty",
            {upload.field: "is empty"},
            code="empty_file",
            file_name=name,
        )
    if len(upload.data) > MAX_FILE_BYTES:
        raise RefusedFileError(
            f"{name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB",
            {upload.field: f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB"},
            code="file_too_large",
            file_name=name,
        )
    extension = os.path.splitext(name)[1].lower()
    for kind in ACCEPTED:
        if extension in kind.extensions and upload.data.startswith(kind.magic):
            return kind
    claimed = TYPE_NAMES.get(extension)
    if claimed:
        # The name says PDF (say) but the bytes are something else: a renamed program, a
        # damaged file. The same code as a wrong type, with the claimed type to say so.
        raise RefusedFileError(
            f"{name}: the content is not a {claimed} file",
            {upload.field: f"content is not a {claimed} file"},
            code="file_type",
            file_name=name,
            claimed_type=claimed,
        )
    raise RefusedFileError(
        f"{name} is not a PDF, DOC/DOCX or image file",
        {upload.field: "must be a PDF, DOC, DOCX, PNG or JPEG file"},
        code="file_type",
        file_name=name,
    )


def store_attachments(
    session: Session,
    actor: Actor,
    dossier: Dossier,
    uploads: list[Upload],
    event_id: int | None = None,
) -> list[Attachment]:
    """Check every upload first (nothing is stored if one is refused), then store them all."""
    if not can_see_dossier(actor, dossier):
        raise NotFoundError(f"dossier {dossier.id} not found")
    checked = [(upload, check_upload(upload)) for upload in uploads]
    nominee_ids = {n.id for n in dossier.nominees}
    for upload, _kind in checked:
        if upload.kind not in KINDS:
            raise InvalidDataError("unknown attachment kind", {upload.field: "has an unknown kind"})
        if upload.nominee_id is not None and upload.nominee_id not in nominee_ids:
            raise InvalidDataError(
                "not a nominee of this dossier",
                {upload.field: "is not for a nominee of this dossier"},
            )
    store = file_store_of(session)
    stored = []
    for upload, kind in checked:
        try:
            ref = store.put(upload.data)
        except StorageFullError as exc:
            # No row is added; the files of this call already stored stay (another request
            # may be storing the same content), unreferenced until they are used again.
            name = clean_file_name(upload.file_name) or FALLBACK_STEM
            raise RefusedFileError(
                f"{name} cannot be stored: no room left on the server",
                {upload.field: "cannot be stored: no room left on the server"},
                code="storage_full",
                file_name=name,
            ) from exc
        digest = ref.hash
        attachment = Attachment(
            dossier_id=dossier.id,
            nominee_id=upload.nominee_id,
            event_id=event_id,
            kind=upload.kind,
            file_name=clean_file_name(upload.file_name) or FALLBACK_STEM,
            content_hash=digest,
            size=len(upload.data),
            mime_type=kind.mime_type,
            uploaded_by_id=actor.user_id,
            uploaded_at=utcnow(),
        )
        session.add(attachment)
        stored.append(attachment)
    session.flush()
    for attachment, (upload, _kind) in zip(stored, checked, strict=True):
        signed_pdfs.record_signature_check(session, attachment, upload.data)
    return stored


def attachments_of(session: Session, dossier_id: int) -> list[Attachment]:
    """A dossier's files, oldest first."""
    return list(
        session.scalars(
            select(Attachment).where(Attachment.dossier_id == dossier_id).order_by(Attachment.id)
        )
    )


def open_attachment(
    session: Session, actor: Actor, attachment_id: int
) -> tuple[Attachment, BinaryIO]:
    """An attachment and its bytes as a stream (the caller closes it), if the actor may see
    its dossier."""
    attachment = session.get(Attachment, attachment_id)
    dossier = session.get(Dossier, attachment.dossier_id) if attachment else None
    if attachment is None or dossier is None or not can_see_dossier(actor, dossier):
        raise NotFoundError(f"attachment {attachment_id} not found")
    try:
        return attachment, file_store_of(session).open(attachment.content_hash)
    except (FileNotFoundError, ValueError):
        raise NotFoundError(f"the file of attachment {attachment_id} is missing") from None
