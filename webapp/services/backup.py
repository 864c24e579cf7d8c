"""Backup and restore of the database and the stored files (`flask backup`, `flask restore`).

A backup is a folder: `database/<table>.jsonl` (every row of every table, one JSON array per
line, read in one transaction so the rows agree with each other), `files/` (a copy of the
upload folder: attachments and generated papers, named by their content hash) and
`manifest.json` (the schema revision, the row count of each table and the SHA-256 of every
file). The format is the same on SQLite and PostgreSQL, so a backup of one restores into the
other. A restore goes into an empty, migrated database and an empty upload folder: it checks
every file's hash first, keeps every id and moves PostgreSQL's sequences past them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Engine,
    LargeBinary,
    Numeric,
    Table,
    Time,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeDecorator, TypeEngine

import webapp.models  # noqa: F401  (every table registered on the metadata)
from webapp.db import Base

FORMAT = 1
MANIFEST = "manifest.json"
BATCH = 500


class BackupError(RuntimeError):
    """A backup that cannot be taken or restored; the message says why."""


@dataclass(frozen=True)
class BackupSummary:
    """What a backup holds (or a restore put back)."""

    rows: dict[str, int]
    files: int


def tables() -> list[Table]:
    """Every table, parents before children."""
    return list(Base.metadata.sorted_tables)


def _kind(column: Column[Any]) -> type[TypeEngine[Any]] | None:
    kind: TypeEngine[Any] = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    for known in (DateTime, Date, Time, LargeBinary, Numeric):
        if isinstance(kind, known):
            return known
    return None


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal):
        return str(value)
    return value


def _decoder(column: Column[Any]) -> Any:
    kind = _kind(column)
    if kind is DateTime:
        return datetime.fromisoformat
    if kind is Date:
        return date.fromisoformat
    if kind is Time:
        return time.fromisoformat
    if kind is LargeBinary:
        return base64.b64decode
    if kind is Numeric:
        return Decimal
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _files(root: Path) -> Iterator[Path]:
    """The stored files; names starting with a dot are files still being written (the file
    store's `.incoming-…`), never part of a backup."""
    if root.is_dir():
        yield from sorted(
            p
            for p in root.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
        )


def _revisions(connection: Connection) -> list[str]:
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
    return sorted(rows)


def backup(engine: Engine, upload_dir: Path, target: Path) -> BackupSummary:
    """Write a backup of the database and the upload folder into `target` (new or empty)."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty; a backup goes into a new folder")
    (target / "database").mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            # One snapshot for every table.
            connection = connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        with connection.begin():
            revisions = _revisions(connection)
            for table in tables():
                order = list(table.primary_key.columns) or list(table.columns)
                result = connection.execute(select(table).order_by(*order))
                count = 0
                with (target / "database" / f"{table.name}.jsonl").open(
                    "w", encoding="utf-8"
                ) as out:
                    for row in result:
                        out.write(json.dumps([_encode(v) for v in row], ensure_ascii=False))
                        out.write("\n")
                        count += 1
                rows[table.name] = count
    # Files after the rows: a file is stored before the row naming it commits, so every file
    # the rows name is there (files of later requests come along and do no harm).
    hashes: dict[str, str] = {}
    for path in _files(upload_dir):
        relative = path.relative_to(upload_dir).as_posix()
        copy = target / "files" / relative
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, copy)
        hashes[relative] = _sha256(copy)
    manifest = {
        "format": FORMAT,
        "dialect": engine.dialect.name,
        "revisions": revisions,
        "tables": {t.name: [c.name for c in t.columns] for t in tables()},
        "rows": rows,
        "files": hashes,
    }
    (target / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8"
    )
    return BackupSummary(rows=rows, files=len(hashes))


def read_manifest(source: Path) -> dict[str, Any]:
    """The manifest of a backup, checked against the files beside it."""
    try:
        manifest: dict[str, Any] = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(f"{source} holds no {MANIFEST}: not a backup") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"backup format {manifest.get('format')!r} is not {FORMAT}")
    for relative, expected in manifest["files"].items():
        path = source / "files" / relative
        if not path.is_file():
            raise BackupError(f"file {relative} of the backup is missing")
        if _sha256(path) != expected:
            raise BackupError(f"file {relative} of the backup does not match its hash")
    return manifest


def _batches(lines: Iterable[str], columns: list[Column[Any]]) -> Iterator[list[dict[str, Any]]]:
    decoders = [_decoder(c) for c in columns]
    batch: list[dict[str, Any]] = []
    for line in lines:
        values = json.loads(line)
        batch.append(
            {
                c.key: (d(v) if d is not None and v is not None else v)
                for c, d, v in zip(columns, decoders, values, strict=True)
            }
        )
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def restore(engine: Engine, upload_dir: Path, source: Path) -> BackupSummary:
    """Put a backup back into an empty database migrated to the backup's revision and an
    empty upload folder. Files are checked before anything is written."""
    manifest = read_manifest(source)
    if upload_dir.exists() and any(_files(upload_dir)):
        raise BackupError(f"the upload folder {upload_dir} is not empty")
    rows: dict[str, int] = {}
    with engine.connect() as connection, connection.begin():
        revisions = _revisions(connection)
        if revisions != manifest["revisions"]:
            raise BackupError(
                f"the database is at revision {revisions}, the backup at "
                f"{manifest['revisions']}: run `flask db upgrade` with the matching version"
            )
        for table in tables():
            if connection.execute(select(func.count()).select_from(table)).scalar_one():
                raise BackupError(f"the database is not empty (table {table.name} has rows)")
            if manifest["tables"].get(table.name) != [c.name for c in table.columns]:
                raise BackupError(f"table {table.name} differs from the backup's")
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        for table in tables():
            columns = list(table.columns)
            count = 0
            with (source / "database" / f"{table.name}.jsonl").open(encoding="utf-8") as lines:
                for batch in _batches(lines, columns):
                    connection.execute(insert(table), batch)
                    count += len(batch)
            if count != manifest["rows"][table.name]:
                raise BackupError(f"table {table.name}: {count} rows, the manifest says more")
            rows[table.name] = count
        if engine.dialect.name == "postgresql":
            _reset_sequences(connection)
        for relative in manifest["files"]:
            copy = upload_dir / relative
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / "files" / relative, copy)
    return BackupSummary(rows=rows, files=len(manifest["files"]))


def _reset_sequences(connection: Connection) -> None:
    """Each serial column's sequence continues after the greatest restored id."""
    for table in tables():
        for column in table.primary_key.columns:
            sequence = connection.execute(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": table.name, "column": column.name},
            ).scalar()
            if sequence is None:
                continue
            highest = connection.execute(select(func.max(column))).scalar()
            connection.execute(
                text("SELECT setval(:sequence, :value, false)"),
                {"sequence": sequence, "value": (highest or 0) + 1},
            )
