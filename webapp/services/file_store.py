"""Where stored files live: one interface (FileStore) for uploads and generated papers, each
file addressed by the SHA-256 of its bytes, so that every web host reading the same store finds
the same file and the same content is stored once.

LocalFileStore keeps them in a folder (UPLOAD_DIR; a shared mount when several hosts serve the
application) as <root>/<first two hex digits>/<whole hash>, e.g. ab/abcd…; a file is written
under a temporary name in its final folder, flushed to disk, then renamed, so no reader ever
sees half a file under its hash. Another backend (an S3-compatible bucket) implements the same
five methods and is passed in ServiceSettings.file_store; the services never see paths.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from sqlalchemy.orm import Session

from webapp.services.errors import InvalidDataError, ServiceError
from webapp.services.settings import settings_of

_HASH = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1024 * 1024
# A temporary file's name starts with this; iter_hashes never lists one.
TEMP_PREFIX = ".incoming-"


class StorageFullError(InvalidDataError):
    """The store has no room (or quota) left for a file; nothing was kept (the API answers
    507 Insufficient Storage, a page names the file and says so)."""

    code = "storage_full"


class StorageError(ServiceError):
    """The store failed to keep a file for another reason of the operating system."""

    code = "storage_error"


@dataclass(frozen=True)
class FileRef:
    """A stored file: its SHA-256 (hex), its size, and whether this put wrote it (False: the
    same content was already stored)."""

    hash: str
    size: int
    created: bool = False


class FileStore(Protocol):
    """What the services need from a store of files addressed by their content hash."""

    def put(self, data: bytes | BinaryIO) -> FileRef:
        """Store the bytes (or the stream's bytes) under their hash; StorageFullError or
        StorageError when they cannot be kept, and then nothing is left behind."""
        ...

    def open(self, digest: str) -> BinaryIO:
        """The stored bytes as a binary stream (the caller closes it); FileNotFoundError."""
        ...

    def exists(self, digest: str) -> bool:
        """Whether a file is stored under the hash."""
        ...

    def iter_hashes(self) -> Iterator[str]:
        """The hashes of every stored file (any order)."""
        ...

    def delete(self, digest: str) -> None:
        """Remove the file stored under the hash (nothing when there is none)."""
        ...


def check_hash(digest: str) -> str:
    """The hash itself, or ValueError when it is not 64 lower-case hex digits (a hash that
    reaches a store is never used as a path unchecked)."""
    if not _HASH.fullmatch(digest):
        raise ValueError(f"not a SHA-256 hex digest: {digest!r}")
    return digest


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view[:_CHUNK])
        view = view[written:]


class LocalFileStore:
    """Files in a folder, <root>/ab/abcd…; see the module's documentation."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, digest: str) -> Path:
        """Where the file with this hash is (or would be) kept."""
        check_hash(digest)
        return self.root / digest[:2] / digest

    def put(self, data: bytes | BinaryIO) -> FileRef:
        raw = data if isinstance(data, bytes) else data.read()
        digest = hashlib.sha256(raw).hexdigest()
        target = self.path(digest)
        if target.is_file():
            return FileRef(digest, len(raw), created=False)
        temp = target.parent / f"{TEMP_PREFIX}{secrets.token_hex(8)}"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                _write_all(fd, raw)
                os.fsync(fd)
            finally:
                os.close(fd)
            # Atomic on one file system: a reader sees no file or the whole file.
            os.replace(temp, target)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StorageFullError(
                    "there is no room left to store the file",
                    {"file": "cannot be stored: no room left on the server"},
                ) from exc
            raise StorageError(f"the file could not be stored: {exc.strerror}") from exc
        return FileRef(digest, len(raw), created=True)

    def open(self, digest: str) -> BinaryIO:
        return self.path(digest).open("rb")

    def exists(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def iter_hashes(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for shard in sorted(self.root.iterdir()):
            if not shard.is_dir() or len(shard.name) != 2:
                continue
            for entry in sorted(shard.iterdir()):
                if entry.is_file() and _HASH.fullmatch(entry.name) and entry.name[:2] == shard.name:
                    yield entry.name

    def delete(self, digest: str) -> None:
        self.path(digest).unlink(missing_ok=True)


def file_store_of(session: Session) -> FileStore:
    """The store the session's settings name: their file_store, or the upload folder."""
    settings = settings_of(session)
    return settings.file_store or LocalFileStore(settings.upload_dir)


def hash_of_stream(handle: BinaryIO) -> str:
    """The SHA-256 of a stream read to its end, a megabyte at a time."""
    sha = hashlib.sha256()
    for chunk in iter(lambda: handle.read(_CHUNK), b""):
        sha.update(chunk)
    return sha.hexdigest()


def file_state(store: FileStore, digest: str) -> str:
    """ "ok", "missing" or "altered" (the bytes no longer hash to their name)."""
    try:
        with store.open(digest) as handle:
            actual = hash_of_stream(handle)
    except FileNotFoundError:
        return "missing"
    return "ok" if actual == digest else "altered"
