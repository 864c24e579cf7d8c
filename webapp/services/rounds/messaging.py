"""Deliver the BPMN messages one engine turn threw to the instances waiting for them.

After every turn of a dossier or a round, the thrown messages are taken from the engine, routed
by name and correlation through `message_subscription` (an index lookup, never a scan of every
instance) and delivered, each receiver saved at its own revision; what a receiver throws in turn
is delivered the same way, up to a bound. All of it happens in the caller's transaction: any
failure raises, the request commits nothing, and neither side has moved.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from webapp.models import Dossier, MessageSubscription, ProcessInstance, RoundInstance
from webapp.services.errors import InvalidDataError, ProcessFailedError
from webapp.services.instances import load_process, save_process
from webapp.services.rounds import arrivals
from webapp.services.rounds.round_instances import load_round_process, save_round_process
from workflows import ProcessRuntimeError, RunningProcess, ThrownMessage

Kind = Literal["dossier", "round"]
Holder = ProcessInstance | RoundInstance
# One request may hand over this many messages (a round of 500 dossiers sends 500 results)...
MAX_DELIVERIES = 5000
# ...and a message may set off a chain of replies at most this long (a loop is a diagram bug).
MAX_HOPS = 20


class UndeliverableMessageError(InvalidDataError):
    """A thrown message that no instance waits for (with these correlations): the step that
    threw it cannot be done now (e.g. the round closed its intake), so nothing is kept."""

    def __init__(self, message: str, name: str):
        super().__init__(message, {"process": message}, code="message_undeliverable")
        self.message_name = name


class MessageLoopError(ProcessFailedError):
    """Instances kept answering each other past the bound of one request."""


@dataclass
class _Turn:
    kind: Kind
    holder: Holder
    process: RunningProcess
    hops: int


def kind_of(holder: Holder) -> Kind:
    """Whether `holder` keeps a dossier's or a round's engine state."""
    return "round" if isinstance(holder, RoundInstance) else "dossier"


def after_turn(session: Session, holder: Holder, process: RunningProcess, now: datetime) -> int:
    """Route and deliver what the turn just saved in `holder` threw; return how many messages
    were delivered. Processes that use no messages (ad-hoc dossiers) cost nothing here."""
    if not process.uses_messages():
        return 0
    delivered = 0
    queue = deque([_Turn(kind_of(holder), holder, process, 0)])
    while queue:
        turn = queue.popleft()
        thrown = turn.process.take_thrown_messages()
        if thrown:  # the saved state must not hold them, or a later load would throw them again
            _save(turn.holder, turn.process, now)
        refresh_subscriptions(session, turn.kind, turn.holder.id, turn.process)
        for message in thrown:
            for kind, receiver_id in route(session, message):
                delivered += 1
                if delivered > MAX_DELIVERIES or turn.hops >= MAX_HOPS:
                    raise MessageLoopError(
                        None,
                        f"more than {MAX_DELIVERIES} messages or a chain longer than "
                        f"{MAX_HOPS} in one request (last: {message.name})",
                    )
                queue.append(_deliver(session, kind, receiver_id, message, turn.hops + 1, now))
    return delivered


def refresh_subscriptions(
    session: Session, kind: Kind, instance_id: int, process: RunningProcess
) -> None:
    """Rewrite the rows saying which messages the instance waits for, keyed by correlation."""
    session.execute(
        delete(MessageSubscription).where(
            MessageSubscription.instance_kind == kind,
            MessageSubscription.instance_id == instance_id,
        )
    )
    for waiting in process.waiting_messages():
        for key, props in waiting.correlations.items():
            session.add(
                MessageSubscription(
                    instance_kind=kind,
                    instance_id=instance_id,
                    message_name=waiting.name,
                    correlation_key=key,
                    value=_canonical(props),
                    correlations=waiting.correlations,
                )
            )
    session.flush()


def route(session: Session, message: ThrownMessage) -> list[tuple[Kind, int]]:
    """The instances waiting for `message`: same name, and every correlation key both sides
    know has the same value (so a round never takes another round's dossier)."""
    if not message.correlations:
        raise UndeliverableMessageError(
            f"the message {message.name} carries no correlation: it cannot be routed",
            message.name,
        )
    keys = [
        and_(
            MessageSubscription.correlation_key == key,
            MessageSubscription.value == _canonical(props),
        )
        for key, props in message.correlations.items()
    ]
    # Columns, not entities: a round's result matches every dossier of the round by its round
    # key, and the fan-out routes one message per dossier.
    rows = session.execute(
        select(
            MessageSubscription.instance_kind,
            MessageSubscription.instance_id,
            MessageSubscription.correlations,
        ).where(MessageSubscription.message_name == message.name, or_(*keys))
    )
    receivers: dict[tuple[Kind, int], dict[str, Any]] = {}
    for kind, instance_id, correlations in rows:
        receivers[(kind, instance_id)] = correlations
    found = [
        receiver
        for receiver, expected in receivers.items()
        if all(
            message.correlations[k] == v for k, v in expected.items() if k in message.correlations
        )
    ]
    if not found:
        raise UndeliverableMessageError(
            f"nobody waits for the message {message.name} "
            f"({_describe(message.correlations)}): the round may have closed its intake",
            message.name,
        )
    return sorted(found)


def send_to(
    session: Session, kind: Kind, instance_id: int, name: str, payload: Any, now: datetime
) -> None:
    """Deliver a message the application itself sends (e.g. the Ministry's decision) to one
    instance, with the correlations that instance expects; then route what it throws in turn."""
    _holder, process = _load(session, kind, instance_id)
    waiting = [w for w in process.waiting_messages() if w.name == name]
    if not waiting:
        raise UndeliverableMessageError(f"this {kind} does not wait for the message {name}", name)
    turn = _deliver(
        session, kind, instance_id, ThrownMessage(name, payload, waiting[0].correlations), 0, now
    )
    after_turn(session, turn.holder, turn.process, now)


def _load(session: Session, kind: Kind, instance_id: int) -> tuple[Holder, RunningProcess]:
    if kind == "round":
        round_holder = session.get_one(RoundInstance, instance_id)
        return round_holder, load_round_process(session, round_holder)
    holder = session.get_one(ProcessInstance, instance_id)
    return holder, load_process(session, holder)


def _deliver(
    session: Session, kind: Kind, receiver_id: int, message: ThrownMessage, hops: int, now: datetime
) -> _Turn:
    holder, process = _load(session, kind, receiver_id)
    waiting_at = {w.name: w.element_id for w in process.waiting_messages(False)}
    try:
        steps = process.receive(message)
    except ProcessRuntimeError as exc:
        raise ProcessFailedError(
            exc.element_id, f"the {kind} that received {message.name} failed: {exc}"
        ) from exc
    _save(holder, process, now)
    if isinstance(holder, RoundInstance):
        arrivals.round_received(
            session, holder, process, message, waiting_at.get(message.name), now
        )
    else:
        dossier = session.get_one(Dossier, holder.dossier_id)
        arrivals.dossier_received(
            session, dossier, holder, process, steps, message, waiting_at.get(message.name), now
        )
    return _Turn(kind, holder, process, hops)


def _save(holder: Holder, process: RunningProcess, now: datetime) -> None:
    if isinstance(holder, RoundInstance):
        save_round_process(holder, process, now)
    else:
        save_process(holder, process, now)


def _canonical(props: Any) -> str:
    return json.dumps(props, sort_keys=True, default=str, ensure_ascii=False)[:300]


def _describe(correlations: dict[str, Any]) -> str:
    return ", ".join(
        f"{key} {', '.join(str(v) for v in props.values()) if isinstance(props, dict) else props}"
        for key, props in correlations.items()
    )
