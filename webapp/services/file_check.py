"""`flask verify-files`: every file the database refers to (dossiers' attachments, generated
papers, prepared Excel exports) read back from the store and hashed; the missing and altered
ones, with who owns them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Attachment, Dossier, ExportFile, GeneratedDocument, Round, User
from webapp.services.file_store import file_state, file_store_of


@dataclass(frozen=True)
class FileProblem:
    """A stored file that is missing or whose bytes no longer match its hash."""

    content_hash: str
    state: str  # missing | altered
    owners: tuple[str, ...]


@dataclass
class FileReport:
    """What a verification found: how many files were checked, the problems, and how many
    stored files no row refers to (left by a refused or rolled-back upload; harmless)."""

    checked: int = 0
    problems: list[FileProblem] = field(default_factory=list)
    unreferenced: int = 0

    @property
    def ok(self) -> bool:
        """Whether every referenced file is present and intact."""
        return not self.problems


def _owners(session: Session) -> dict[str, list[str]]:
    """Each referenced hash and the rows that refer to it, described for a person."""
    owners: dict[str, list[str]] = defaultdict(list)
    rows = session.execute(
        select(
            Attachment.id, Attachment.content_hash, Attachment.file_name, Dossier.id, Dossier.code
        )
        .join(Dossier, Dossier.id == Attachment.dossier_id)
        .order_by(Attachment.id)
    )
    for attachment_id, digest, name, dossier_id, code in rows:
        owners[digest].append(
            f"attachment {attachment_id} '{name}' of dossier {code or f'#{dossier_id}'}"
        )
    dossier_codes = {row[0]: row[1] for row in session.execute(select(Dossier.id, Dossier.code))}
    round_names = {row[0]: row[1] for row in session.execute(select(Round.id, Round.name))}
    documents = session.execute(
        select(
            GeneratedDocument.id,
            GeneratedDocument.content_hash,
            GeneratedDocument.file_name,
            GeneratedDocument.subject_kind,
            GeneratedDocument.subject_id,
        ).order_by(GeneratedDocument.id)
    )
    for document_id, digest, name, subject_kind, subject_id in documents:
        if subject_kind == "dossier":
            subject = f"dossier {dossier_codes.get(subject_id) or f'#{subject_id}'}"
        else:
            subject = f"round #{subject_id} '{round_names.get(subject_id, '')}'"
        owners[digest].append(f"document {document_id} '{name}' of {subject}")
    exports = session.execute(
        select(ExportFile.id, ExportFile.content_hash, User.username)
        .join(User, User.id == ExportFile.user_id)
        .where(ExportFile.content_hash.is_not(None))
        .order_by(ExportFile.id)
    )
    for export_id, export_hash, username in exports:
        owners[str(export_hash)].append(f"Excel export {export_id} of {username}")
    return owners


def verify_files(session: Session) -> FileReport:
    """Hash every referenced file in the store; list the missing and the altered ones."""
    store = file_store_of(session)
    owners = _owners(session)
    report = FileReport()
    for digest in sorted(owners):
        report.checked += 1
        try:
            state = file_state(store, digest)
        except ValueError:  # a row whose hash is not a SHA-256 cannot name a stored file
            state = "missing"
        if state != "ok":
            report.problems.append(FileProblem(digest, state, tuple(owners[digest])))
    report.unreferenced = sum(1 for digest in store.iter_hashes() if digest not in owners)
    return report
