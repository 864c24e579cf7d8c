"""Where a dossier has been on its diagram: steps done (and how often), current steps, path taken.

The engine only tells how many times each element was completed and which human tasks wait
now; which sequence flows carried the dossier is worked out from those counts. Every token
that leaves a node arrives at the next one, so around each node the counts of its incoming
(and, for nodes that send one token per completion, outgoing) flows add up to known numbers.
Solving those sums picks the right branch in the common cases (a return round goes back
through a merge gateway that two loops share); where the numbers cannot tell, a flow counts as
taken when its source was completed and its target reached, which is never wrong by omission.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Dossier, Event, ProcessInstance, ProcessVersion, WorkItem
from webapp.permissions import Actor
from webapp.services.dossiers import get_visible_dossier
from webapp.services.errors import ConflictError, NotFoundError
from webapp.services.instances import load_process
from webapp.services.process_versions import definition_of
from workflows import DiagramInfo

# Gateways that may send or wait for several tokens at once: their sums are not one per visit.
MULTI_TOKEN_GATEWAYS = frozenset({"parallelGateway", "inclusiveGateway", "complexGateway"})
SINGLE_CHOICE_GATEWAYS = frozenset({"exclusiveGateway", "eventBasedGateway"})


@dataclass(frozen=True)
class DossierTrail:
    """A dossier's diagram (its own process version) and what to mark on it."""

    dossier_id: int
    process_key: str
    version: int
    bpmn_xml: str
    completed: dict[str, int]
    current: list[str]
    # flow id -> times taken; None when it was taken but how often cannot be told.
    flows: dict[str, int | None]
    finished: bool
    # False when the engine state could not be read: only the current steps are known.
    complete: bool = True


@dataclass
class _Sum:
    """The flows in `flows` carried `total` tokens altogether."""

    flows: list[str]
    total: int
    dead: bool = False


def _constraints(
    diagram: DiagramInfo, completed: Mapping[str, int], arrivals: Mapping[str, int]
) -> list[_Sum]:
    incoming: dict[str, list[str]] = {}
    outgoing: dict[str, list[str]] = {}
    for flow in diagram.flows.values():
        outgoing.setdefault(flow.source, []).append(flow.flow_id)
        incoming.setdefault(flow.target, []).append(flow.flow_id)
    # A task with a boundary event may be cancelled: it was reached but neither done nor open.
    interrupted = {e.attached_to for e in diagram.elements.values() if e.attached_to}
    sums: list[_Sum] = []
    for element_id, element in diagram.elements.items():
        ins = incoming.get(element_id, [])
        joins = element.kind in MULTI_TOKEN_GATEWAYS and len(ins) > 1
        if ins and not joins and element_id not in interrupted:
            sums.append(_Sum(ins, arrivals.get(element_id, 0)))
        outs = outgoing.get(element_id, [])
        done = completed.get(element_id, 0)
        if not outs or not done:
            continue
        if element.kind in SINGLE_CHOICE_GATEWAYS or len(outs) == 1:
            sums.append(_Sum(outs, done))
        elif element.kind == "parallelGateway" or (
            element.kind not in MULTI_TOKEN_GATEWAYS
            and not any(diagram.flows[f].condition for f in outs)
        ):
            # A fork (or a task with several plain outgoing flows) sends a token down each.
            sums.extend(_Sum([flow], done) for flow in outs)
    return sums


def _narrow(sums: list[_Sum], low: dict[str, int], high: dict[str, int]) -> bool:
    """Tighten the bounds once from every sum; True when a bound moved."""
    moved = False
    for constraint in sums:
        if constraint.dead:
            continue
        low_total = sum(low[f] for f in constraint.flows)
        high_total = sum(high[f] for f in constraint.flows)
        if not low_total <= constraint.total <= high_total:
            # The counts do not fit this node (a cancelled or waiting token): ignore it.
            constraint.dead = True
            continue
        for flow in constraint.flows:
            others_low = low_total - low[flow]
            others_high = high_total - high[flow]
            new_high = min(high[flow], constraint.total - others_low)
            new_low = max(low[flow], constraint.total - others_high)
            if (new_low, new_high) != (low[flow], high[flow]):
                low_total += new_low - low[flow]
                high_total += new_high - high[flow]
                low[flow], high[flow] = new_low, new_high
                moved = True
    return moved


def taken_flows(
    diagram: DiagramInfo, completed: Mapping[str, int], current: Collection[str]
) -> dict[str, int | None]:
    """The sequence flows a dossier went along, with how often when the counts tell."""
    arrivals = {
        element_id: completed.get(element_id, 0) + (1 if element_id in current else 0)
        for element_id in diagram.elements
    }
    low: dict[str, int] = {}
    high: dict[str, int] = {}
    for flow in diagram.flows.values():
        low[flow.flow_id] = 0
        high[flow.flow_id] = min(completed.get(flow.source, 0), arrivals.get(flow.target, 0))
    sums = _constraints(diagram, completed, arrivals)
    # Each round settles at least one bound or stops; the cap only guards against a bug.
    for _round in range(4 * len(low) + 4):
        if not _narrow(sums, low, high):
            break
    return {
        flow: (low[flow] if low[flow] == high[flow] else None)
        for flow in diagram.flows
        if high[flow] > 0
    }


def dossier_trail(session: Session, actor: Actor, dossier_id: int) -> DossierTrail:
    """The trail of a dossier the actor may see (NotFoundError otherwise, as for its page).

    Loads the engine state of this one dossier; lists never call this.
    """
    dossier = get_visible_dossier(session, actor, dossier_id)
    instance = session.scalar(
        select(ProcessInstance).where(ProcessInstance.dossier_id == dossier.id)
    )
    if instance is None:
        raise NotFoundError(f"dossier {dossier_id} has no process")
    version = session.get_one(ProcessVersion, instance.version_id)
    try:
        process = load_process(session, instance)
    except ConflictError:
        # The diagram and the open steps still help the reader; the counts are unknown.
        open_steps = session.scalars(
            select(WorkItem.step)
            .where(WorkItem.dossier_id == dossier.id, WorkItem.status == "open")
            .order_by(WorkItem.id)
        )
        return DossierTrail(
            dossier.id,
            version.process_key,
            version.version,
            version.bpmn_xml,
            {},
            list(dict.fromkeys(open_steps)),
            {},
            finished=instance.status == "completed",
            complete=False,
        )
    completed = process.visit_counts()
    # A council vote is one ready task per member: one current step on the diagram.
    current = list(dict.fromkeys(task.element_id for task in process.ready_human_tasks()))
    return DossierTrail(
        dossier.id,
        version.process_key,
        version.version,
        version.bpmn_xml,
        completed,
        current,
        taken_flows(process.definition.diagram, completed, current),
        finished=process.status().completed,
    )


# ---- the path strip: the human steps taken, the current ones and those expected to come -----

# A gateway condition on a field the dossier itself holds: the expected path follows it.
_DOSSIER_CONDITION = re.compile(r'^\s*(award_form|procedure)\s*==\s*"([^"]*)"\s*$')


@dataclass
class PathStep:
    """One stop of the dossier's path, as the strip above its diagram shows it."""

    step: str
    name: str
    # "done", "current" or "next" (expected, not certain: a return or a refusal changes it).
    state: str
    role: str | None = None
    # Who did it (done) or holds it now (current), in order, each once.
    people: list[str] = field(default_factory=list)
    # When it was done (the last completion of this stop) or since when it waits.
    at: datetime | None = None
    due_at: datetime | None = None
    # The decision taken (done): "return" and "refuse" show on the strip.
    decision: str | None = None
    # Completions merged into this stop (a council vote: one per member).
    count: int = 0


def _expected_steps(
    diagram: DiagramInfo, dossier: Dossier, starts: Sequence[str]
) -> list[tuple[str, str, str | None]]:
    """The human steps after `starts` on the shortest way to the awarded end.

    Conditions on the dossier's own award form and procedure are followed; every other
    condition may go either way, so a return loop (never the shortest way) is not expected.
    """
    known = {"award_form": dossier.award_form, "procedure": dossier.procedure}
    outgoing: dict[str, list[str]] = {}
    for flow in diagram.flows.values():
        match = _DOSSIER_CONDITION.match(flow.condition or "")
        if match and known[match.group(1)] != match.group(2):
            continue
        outgoing.setdefault(flow.source, []).append(flow.target)
    ends = {
        e.element_id
        for e in diagram.elements.values()
        if e.kind == "endEvent" and e.properties.get("outcome") == "awarded"
    }
    came_from: dict[str, str | None] = dict.fromkeys(starts)
    queue = deque(starts)
    goal = None
    while queue:
        node = queue.popleft()
        if node in ends:
            goal = node
            break
        for target in outgoing.get(node, []):
            if target not in came_from:
                came_from[target] = node
                queue.append(target)
    if goal is None:
        return []
    way: list[str] = []
    back: str | None = goal
    while back is not None and back not in starts:
        way.append(back)
        back = came_from[back]
    steps = []
    for element_id in reversed(way):
        element = diagram.elements[element_id]
        if element.is_human:
            steps.append((element_id, element.name or element_id, element.role))
    return steps


def _holder(item: WorkItem) -> str | None:
    person = item.claimed_by or item.assignee
    return person.full_name if person else None


def dossier_path(
    dossier: Dossier,
    version: ProcessVersion,
    open_items: Sequence[WorkItem],
    history: Sequence[Event],
) -> list[PathStep]:
    """The dossier's human steps in order: done (from its history), current, expected next.

    Works from rows the dossier page has already loaded and the version's parsed diagram
    (cached), never from engine state. Consecutive completions of one step (a council's
    ballots) are one stop.
    """
    diagram = definition_of(version).diagram
    path: list[PathStep] = []
    for event in history:
        if event.action != "completed" or not event.step:
            continue
        element = diagram.elements.get(event.step)
        if element is not None and not element.is_human:
            continue
        last = path[-1] if path else None
        if last is None or last.step != event.step:
            last = PathStep(
                event.step,
                event.step_title or (element.name if element else None) or event.step,
                "done",
                role=element.role if element else None,
            )
            path.append(last)
        last.count += 1
        last.at = event.at
        if event.actor is not None and event.actor.full_name not in last.people:
            last.people.append(event.actor.full_name)
        if event.decision in {"return", "refuse"}:
            last.decision = event.decision
    current: dict[str, PathStep] = {}
    for item in open_items:
        stop = current.get(item.step)
        if stop is None:
            stop = PathStep(item.step, item.title, "current", role=item.role, at=item.created_at)
            current[item.step] = stop
            path.append(stop)
        holder = _holder(item)
        if holder and holder not in stop.people:
            stop.people.append(holder)
        stop.count += 1
        if item.due_at and (stop.due_at is None or item.due_at < stop.due_at):
            stop.due_at = item.due_at
    if current:
        for step, name, role in _expected_steps(diagram, dossier, list(current)):
            path.append(PathStep(step, name, "next", role=role))
    return path
