"""A dossier's history as a hash chain: each event carries the SHA-256 of the event before it
in the same dossier, and its own hash over its content and that link. An event changed, deleted
or moved in the database after it was written breaks the chain at an exact event, which
`verify_chains` names.

The hash covers the event's meaningful fields (dossier, time, actor, action, step and its title,
work item, decision, comment, data) in a canonical JSON form, and the previous hash. It does not
cover the row id (the database gives it at flush). Deleting the newest event of a dossier leaves
a valid (shorter) chain: only a copy of the head kept elsewhere would see it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Dossier, Event

CHAIN_FORMAT = "event-chain-v1"
# The columns an event's hash covers, besides `prev_hash`.
CHAINED = (
    "dossier_id",
    "at",
    "actor_id",
    "action",
    "step",
    "step_title",
    "work_item_id",
    "decision",
    "comment",
    "data",
)


def _canonical_data(data: Any) -> Any:
    # As the JSON column will give it back (integer keys become strings, tuples lists).
    return None if data is None else json.loads(json.dumps(data))


def _canonical_at(at: datetime) -> str:
    if at.tzinfo is None:  # read raw from a migration: the column stores UTC
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_digest(
    *,
    dossier_id: int,
    at: datetime,
    actor_id: int | None,
    action: str,
    step: str | None,
    step_title: str | None,
    work_item_id: int | None,
    decision: str | None,
    comment: str | None,
    data: Any,
    prev_hash: str | None,
) -> str:
    """The SHA-256 (hex) of one event's canonical serialisation and its link."""
    payload = [
        CHAIN_FORMAT,
        dossier_id,
        _canonical_at(at),
        actor_id,
        action,
        step,
        step_title,
        work_item_id,
        decision,
        comment,
        _canonical_data(data),
        prev_hash,
    ]
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def digest_of(event: Event) -> str:
    """What `event.hash` should be, from its stored content and `prev_hash`."""
    return event_digest(
        dossier_id=event.dossier_id,
        at=event.at,
        actor_id=event.actor_id,
        action=event.action,
        step=event.step,
        step_title=event.step_title,
        work_item_id=event.work_item_id,
        decision=event.decision,
        comment=event.comment,
        data=event.data,
        prev_hash=event.prev_hash,
    )


_LOCKS = "history_chain_locks"


def previous_hash(session: Session, dossier_id: int) -> str | None:
    """The hash of the dossier's newest event (None before its first), for the next event.

    On PostgreSQL the dossier's row is locked (FOR NO KEY UPDATE, once per transaction) before
    reading, so two transactions appending to one dossier queue instead of both linking to the
    same event; SQLite's writing transactions hold the whole database already. The read is one
    lookup on the (dossier_id, id) index; pending events of this session are flushed first.
    """
    if session.get_bind().dialect.name == "postgresql":
        transaction = session.get_transaction()
        held: tuple[object, set[int]] | None = session.info.get(_LOCKS)
        if held is None or held[0] is not transaction:
            held = (transaction, set())
            session.info[_LOCKS] = held
        if dossier_id not in held[1]:
            session.execute(
                select(Dossier.id).where(Dossier.id == dossier_id).with_for_update(key_share=True)
            )
            held[1].add(dossier_id)
    return session.scalar(
        select(Event.hash).where(Event.dossier_id == dossier_id).order_by(Event.id.desc()).limit(1)
    )


def seal(session: Session, event: Event) -> None:
    """Link a new (not yet flushed) event to its dossier's chain and set its hash."""
    event.prev_hash = previous_hash(session, event.dossier_id)
    event.hash = digest_of(event)


@dataclass(frozen=True)
class ChainBreak:
    """The first event at which a dossier's chain does not hold."""

    dossier_id: int
    dossier_code: str | None
    event_id: int
    # "altered": its content no longer gives its hash; "missing": the event it links to is not
    # before it (deleted, or moved); "inserted": it links to an earlier event than the one
    # before it (an event inserted in between, or written beside another).
    problem: str


@dataclass(frozen=True)
class ChainReport:
    dossiers_checked: int
    events_checked: int
    breaks: list[ChainBreak]
    # False when `max_events` stopped the check (at a dossier's boundary) before the end.
    complete: bool = True


_COLUMNS = (
    Event.id,
    Event.dossier_id,
    Event.at,
    Event.actor_id,
    Event.action,
    Event.step,
    Event.step_title,
    Event.work_item_id,
    Event.decision,
    Event.comment,
    Event.data,
    Event.prev_hash,
    Event.hash,
)


def verify_chains(
    session: Session,
    dossier_id: int | None = None,
    *,
    batch: int = 2000,
    max_events: int | None = None,
) -> ChainReport:
    """Check every dossier's chain (or one dossier's) and name the first broken event of each.

    `max_events` bounds the work (a page's request): the check stops at the first dossier
    boundary past it and says it is not complete.

    Streams the events in (dossier, id) order as plain rows, `batch` at a time: memory holds
    one dossier's hashes at a time (a history is tens of events), never the table.
    """
    query = (
        select(*_COLUMNS).order_by(Event.dossier_id, Event.id).execution_options(yield_per=batch)
    )
    if dossier_id is not None:
        query = query.where(Event.dossier_id == dossier_id)
    found: list[tuple[int, int, str]] = []
    dossiers = events = 0
    current: int | None = None
    last_hash: str | None = None
    seen: set[str] = set()
    broken = False
    complete = True
    result = session.execute(query)
    try:
        for row in result:
            if row.dossier_id != current:
                if max_events is not None and events >= max_events:
                    complete = False
                    break
                current, last_hash, seen, broken = row.dossier_id, None, set(), False
                dossiers += 1
            events += 1
            if broken:
                continue
            fields = row._asdict()
            stored = fields.pop("hash")
            del fields["id"]
            problem = None
            if stored is None or event_digest(**fields) != stored:
                problem = "altered"
            elif row.prev_hash != last_hash:
                problem = "inserted" if row.prev_hash in seen else "missing"
            if problem:
                broken = True
                found.append((row.dossier_id, row.id, problem))
                continue
            seen.add(stored)
            last_hash = stored
    finally:
        result.close()
    codes: dict[int, str | None] = {}
    if found:
        rows = session.execute(
            select(Dossier.id, Dossier.code).where(Dossier.id.in_([f[0] for f in found]))
        )
        codes = {row.id: row.code for row in rows}
    return ChainReport(
        dossiers_checked=dossiers,
        events_checked=events,
        breaks=[ChainBreak(d, codes.get(d), e, p) for d, e, p in found],
        complete=complete,
    )


def dossier_id_by_code(session: Session, code: str) -> int | None:
    """The id of the dossier with this code (the admin page checks one dossier by its code)."""
    return session.scalar(select(Dossier.id).where(Dossier.code == code.strip()))
