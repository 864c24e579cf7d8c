"""A dossier's history as a hash chain: each event carries the SHA-256 of the event before it
in the same dossier, and its own hash over its content and that link. An event changed, deleted
or moved in the database after it was written breaks the chain at an exact event, which
`verify_chains` names.

The hash covers the event's meaningful fields (dossier, time, actor, action, step and its title,
work item, decision, comment, data) in a canonical JSON form, and the previous hash. It does not
cover the row id (the database gives it at flush). Deleting the newest event of a dossier leaves
a valid (shorter) chain: only a copy of the head kept elsewhere would see it.

A round's history (`round_event`: intake, the council's ballots and conclusion, signatures, the
Ministry's steps) is chained the same way per round, with its own format tag.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Dossier, Event, Round, RoundEvent

CHAIN_FORMAT = "event-chain-v1"
ROUND_CHAIN_FORMAT = "round-event-chain-v1"
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
ROUND_CHAINED = ("round_id", "at", "actor_id", "action", "step", "data")


def _canonical_data(data: Any) -> Any:
    # As the JSON column will give it back (integer keys become strings, tuples lists).
    return None if data is None else json.loads(json.dumps(data))


def _canonical_at(at: datetime) -> str:
    if at.tzinfo is None:  # read raw from a migration: the column stores UTC
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _sha256_of(payload: list[Any]) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
    return _sha256_of(payload)


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


def round_event_digest(
    *,
    round_id: int,
    at: datetime,
    actor_id: int | None,
    action: str,
    step: str | None,
    data: Any,
    prev_hash: str | None,
) -> str:
    """The SHA-256 (hex) of one round event's canonical serialisation and its link."""
    payload = [
        ROUND_CHAIN_FORMAT,
        round_id,
        _canonical_at(at),
        actor_id,
        action,
        step,
        _canonical_data(data),
        prev_hash,
    ]
    return _sha256_of(payload)


def round_digest_of(event: RoundEvent) -> str:
    """What a round event's `hash` should be, from its stored content and `prev_hash`."""
    return round_event_digest(
        round_id=event.round_id,
        at=event.at,
        actor_id=event.actor_id,
        action=event.action,
        step=event.step,
        data=event.data,
        prev_hash=event.prev_hash,
    )


_LOCKS = "history_chain_locks"


def _lock_owner_once(session: Session, owner: Any, owner_id: int) -> None:
    """On PostgreSQL, lock the chain owner's row (FOR NO KEY UPDATE) once per transaction, so
    two transactions appending to one chain queue instead of both linking to the same event;
    SQLite's writing transactions hold the whole database already."""
    if session.get_bind().dialect.name != "postgresql":
        return
    transaction = session.get_transaction()
    held: tuple[object, set[tuple[str, int]]] | None = session.info.get(_LOCKS)
    if held is None or held[0] is not transaction:
        held = (transaction, set())
        session.info[_LOCKS] = held
    key = (owner.__tablename__, owner_id)
    if key not in held[1]:
        session.execute(
            select(owner.id).where(owner.id == owner_id).with_for_update(key_share=True)
        )
        held[1].add(key)


def previous_hash(session: Session, dossier_id: int) -> str | None:
    """The hash of the dossier's newest event (None before its first), for the next event.

    The dossier's row is locked first on PostgreSQL (`_lock_owner_once`). The read is one
    lookup on the (dossier_id, id) index; pending events of this session are flushed first.
    """
    _lock_owner_once(session, Dossier, dossier_id)
    return session.scalar(
        select(Event.hash).where(Event.dossier_id == dossier_id).order_by(Event.id.desc()).limit(1)
    )


def seal(session: Session, event: Event) -> None:
    """Link a new (not yet flushed) event to its dossier's chain and set its hash."""
    event.prev_hash = previous_hash(session, event.dossier_id)
    event.hash = digest_of(event)


def seal_round_event(session: Session, event: RoundEvent) -> None:
    """Link a new (not yet flushed) round event to its round's chain and set its hash."""
    _lock_owner_once(session, Round, event.round_id)
    event.prev_hash = session.scalar(
        select(RoundEvent.hash)
        .where(RoundEvent.round_id == event.round_id)
        .order_by(RoundEvent.id.desc())
        .limit(1)
    )
    event.hash = round_digest_of(event)


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


@dataclass(frozen=True)
class RoundChainBreak:
    """The first event at which a round's chain does not hold (problems as ChainBreak's)."""

    round_id: int
    round_name: str | None
    event_id: int
    problem: str


@dataclass(frozen=True)
class RoundChainReport:
    rounds_checked: int
    events_checked: int
    breaks: list[RoundChainBreak]
    complete: bool = True


@dataclass(frozen=True)
class _Walk:
    owners: int
    events: int
    found: list[tuple[int, int, str]]  # (owner id, event id, problem)
    complete: bool


def _walk_chains(
    session: Session,
    columns: tuple[Any, ...],
    owner_column: Any,
    digest: Any,
    owner_id: int | None,
    batch: int,
    max_events: int | None,
) -> _Walk:
    """Stream the events of every chain (or one owner's) in (owner, id) order as plain rows,
    `batch` at a time, and find the first broken event of each chain: memory holds one chain's
    hashes at a time (a history is tens of events), never the table. `max_events` stops the
    walk at the first owner boundary past it."""
    owner_key = owner_column.key
    id_column = columns[0]
    query = select(*columns).order_by(owner_column, id_column).execution_options(yield_per=batch)
    if owner_id is not None:
        query = query.where(owner_column == owner_id)
    found: list[tuple[int, int, str]] = []
    owners = events = 0
    current: int | None = None
    last_hash: str | None = None
    seen: set[str] = set()
    broken = False
    complete = True
    result = session.execute(query)
    try:
        for row in result:
            owner = getattr(row, owner_key)
            if owner != current:
                if max_events is not None and events >= max_events:
                    complete = False
                    break
                current, last_hash, seen, broken = owner, None, set(), False
                owners += 1
            events += 1
            if broken:
                continue
            fields = row._asdict()
            stored = fields.pop("hash")
            del fields["id"]
            problem = None
            if stored is None or digest(**fields) != stored:
                problem = "altered"
            elif row.prev_hash != last_hash:
                problem = "inserted" if row.prev_hash in seen else "missing"
            if problem:
                broken = True
                found.append((owner, row.id, problem))
                continue
            seen.add(stored)
            last_hash = stored
    finally:
        result.close()
    return _Walk(owners, events, found, complete)


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
_ROUND_COLUMNS = (
    RoundEvent.id,
    RoundEvent.round_id,
    RoundEvent.at,
    RoundEvent.actor_id,
    RoundEvent.action,
    RoundEvent.step,
    RoundEvent.data,
    RoundEvent.prev_hash,
    RoundEvent.hash,
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
    """
    walk = _walk_chains(
        session, _COLUMNS, Event.dossier_id, event_digest, dossier_id, batch, max_events
    )
    codes: dict[int, str | None] = {}
    if walk.found:
        rows = session.execute(
            select(Dossier.id, Dossier.code).where(Dossier.id.in_([f[0] for f in walk.found]))
        )
        codes = {row.id: row.code for row in rows}
    return ChainReport(
        dossiers_checked=walk.owners,
        events_checked=walk.events,
        breaks=[ChainBreak(d, codes.get(d), e, p) for d, e, p in walk.found],
        complete=walk.complete,
    )


def verify_round_chains(
    session: Session,
    round_id: int | None = None,
    *,
    batch: int = 2000,
    max_events: int | None = None,
) -> RoundChainReport:
    """Check every round's history chain (or one round's), as `verify_chains` does dossiers'."""
    walk = _walk_chains(
        session,
        _ROUND_COLUMNS,
        RoundEvent.round_id,
        round_event_digest,
        round_id,
        batch,
        max_events,
    )
    names: dict[int, str | None] = {}
    if walk.found:
        rows = session.execute(
            select(Round.id, Round.name).where(Round.id.in_([f[0] for f in walk.found]))
        )
        names = {row.id: row.name for row in rows}
    return RoundChainReport(
        rounds_checked=walk.owners,
        events_checked=walk.events,
        breaks=[RoundChainBreak(r, names.get(r), e, p) for r, e, p in walk.found],
        complete=walk.complete,
    )


def dossier_id_by_code(session: Session, code: str) -> int | None:
    """The id of the dossier with this code (the admin page checks one dossier by its code)."""
    return session.scalar(select(Dossier.id).where(Dossier.code == code.strip()))


def chain_existing_rows(
    conn: sa.Connection,
    table: sa.TableClause,
    owner: str,
    fields: tuple[str, ...],
    digest: Any,
    batch: int = 5000,
) -> None:
    """Chain the rows a migration found unchained, per owner in id order (keyset batches),
    exactly as the application chains new ones: `fields` (after "id") are `digest`'s keywords
    besides `prev_hash`. Their content is taken as it stands (nothing earlier can be proven)."""
    c = table.c
    columns = [c.id, *(c[name] for name in fields)]
    update = (
        sa.update(table)
        .where(c.id == sa.bindparam("b_id"))
        .values(prev_hash=sa.bindparam("b_prev"), hash=sa.bindparam("b_hash"))
    )
    after: tuple[int, int] | None = None
    current: int | None = None
    last: str | None = None
    while True:
        query = sa.select(*columns).order_by(c[owner], c.id).limit(batch)
        if after is not None:
            query = query.where(
                sa.or_(c[owner] > after[0], sa.and_(c[owner] == after[0], c.id > after[1]))
            )
        rows = conn.execute(query).all()
        if not rows:
            return
        changes = []
        for row in rows:
            values = row._asdict()
            event_id = values.pop("id")
            if values[owner] != current:
                current, last = values[owner], None
            hashed = digest(**values, prev_hash=last)
            changes.append({"b_id": event_id, "b_prev": last, "b_hash": hashed})
            last = hashed
        conn.execute(update, changes)
        after = (rows[-1]._mapping[owner], rows[-1].id)
