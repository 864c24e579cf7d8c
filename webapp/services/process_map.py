"""Bản đồ quy trình: how many dossiers wait at each step of the deployed diagram, how many of
them are late, and how long a step usually takes.

Everything is read from tables, never from engine state. The waiting counts are live: aggregate
queries (GROUP BY step) over open work items, answered from an index of open items alone
(ix_work_item_open_step), so a step just completed shows at once. The medians come from the
summary of recent completed visits (webapp/services/process_map_summary.py), rebuilt by the job
queue every few minutes: the map never reads the history of work items, and it says when its
medians were computed. Since they change only with a rebuild, each worker keeps the medians it
computed for a scope and filters until the next one (step_medians). Only dossiers the actor
may see count, and the unit and award-form filters mean what they mean on the tracking list, so
a number on the map and the tracking list it links to agree.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import case, distinct, func, select, union_all
from sqlalchemy.orm import Session

from webapp.db import utcnow
from webapp.models import Dossier, OrgUnit, ProcessMapVisit, ProcessVersion, WorkItem
from webapp.permissions import Actor
from webapp.services.actors import units_below
from webapp.services.dossier_schema import AWARD_FORMS
from webapp.services.errors import InvalidDataError, NotFoundError
from webapp.services.process_map_summary import NEVER, Freshness, freshness
from webapp.services.process_versions import definition_of, deployed_version
from webapp.services.settings import settings_of
from webapp.services.summary_figures import SummaryFigures

# The median of a step is taken over its most recent visits only: at most MEDIAN_SAMPLE of the
# summary's visits (themselves from the newest completed work items), recent enough to describe
# how the step runs now; the rows read stay bounded whatever the size of the history and
# whatever the filters.
MEDIAN_SAMPLE = 200
# How many waiting dossiers a step's list shows; the tracking page has the rest.
LIST_LIMIT = 20
HEAT_LEVELS = 4
# The colour scale runs from one dossier to the busiest step's count, but never over fewer than
# HEAT_FLOOR dossiers: a step where one or two dossiers wait is not painted as a hot spot just
# because every other step is empty. With 8, the darkest colour needs at least 7 waiting.
HEAT_FLOOR = 8
# The medians each worker computed from the summary, by its generation, scope and filters.
_MEDIANS = SummaryFigures()


@dataclass(frozen=True)
class MapFilters:
    """What the map is narrowed to; None means "any"."""

    unit_id: int | None = None
    award_form: str | None = None
    movement_id: int | None = None
    # Which process's map (None: the one new ad-hoc dossiers start on, from the settings).
    process_key: str | None = None
    # That process's version ids, once read (`_version_ids`): the work items are then filtered
    # in the index scan, in its order, where a subquery joined them by hash and lost the order
    # the counts stream in (PostgreSQL, 100,000 dossiers: the map's total 26 ms -> 12 ms).
    version_ids: tuple[int, ...] | None = None


@dataclass(frozen=True)
class StepLoad:
    """The numbers of one step."""

    step: str
    name: str
    in_diagram: bool
    waiting: int
    overdue: int
    # Of `waiting`, the dossiers that run on an older version of the process.
    older_versions: int
    median_seconds: float | None
    # How many completed visits the median was taken from.
    sample_size: int
    # 0 (nobody waits) to HEAT_LEVELS (the busiest step of the map, when it has enough dossiers).
    heat: int


@dataclass(frozen=True)
class ProcessMap:
    """The deployed diagram's human steps with their numbers, and older steps still in use."""

    process_key: str
    version: int
    steps: list[StepLoad]
    # Steps of older versions that the deployed diagram no longer has, where dossiers still wait.
    retired_steps: list[StepLoad]
    # Distinct dossiers waiting anywhere (a dossier waiting at two steps counts once).
    waiting: int
    overdue: int
    now: datetime
    # The most dossiers waiting at one step, and what the colour scale is measured against.
    busiest: int = 0
    heat_scale: int = HEAT_FLOOR
    # When the medians were computed (the summary's last rebuild).
    durations: Freshness = NEVER


@dataclass(frozen=True)
class HeatBand:
    """One colour of the scale: the numbers of waiting dossiers it stands for."""

    level: int
    low: int
    high: int


@dataclass(frozen=True)
class DeployedDiagram:
    """The BPMN file of the deployed version, for the viewer."""

    process_key: str
    version: int
    bpmn_xml: str
    source_hash: str


@dataclass(frozen=True)
class WaitingDossier:
    """A dossier waiting at a step, as the step's list shows it."""

    dossier_id: int
    code: str | None
    title: str
    unit: str
    since: datetime
    due_at: datetime | None
    overdue: bool


@dataclass(frozen=True)
class StepDossiers:
    """The first dossiers waiting at one step, longest waiting first."""

    step: str
    name: str
    in_diagram: bool
    waiting: int
    dossiers: list[WaitingDossier]


NO_FILTERS = MapFilters()


def check_filters(filters: MapFilters) -> None:
    """InvalidDataError for an award form the product does not know."""
    if filters.award_form is not None and filters.award_form not in AWARD_FORMS:
        raise InvalidDataError(
            "unknown award form", {"award_form": f"must be one of: {', '.join(AWARD_FORMS)}"}
        )


def _scope(actor: Actor, filters: MapFilters) -> list[Any]:
    """WHERE clauses on work_item (joined to dossier when the award form or the movement is
    filtered).

    A work item carries its dossier's unit, so visibility and the unit filter need no join;
    a unit means that unit and the units under it. The map shows one process: the items of
    that process's versions only.
    """
    in_process = None
    if filters.version_ids is not None:
        in_process = WorkItem.version_id.in_(filters.version_ids)
    return _conditions(
        actor, filters, in_process, WorkItem.unit_id, Dossier.award_form, Dossier.movement_id
    )


def _conditions(
    actor: Actor,
    filters: MapFilters,
    in_process: Any,
    unit: Any,
    award_form: Any,
    movement: Any,
) -> list[Any]:
    """The map's filters and the actor's visibility on the given columns (work items or the
    summary's visits)."""
    conditions: list[Any] = [] if in_process is None else [in_process]
    if not actor.is_admin:
        conditions.append(unit.in_(actor.visible_units or {-1}))
    if filters.unit_id is not None:
        conditions.append(unit.in_(units_below(filters.unit_id)))
    if filters.award_form is not None:
        conditions.append(award_form == filters.award_form)
    if filters.movement_id is not None:
        conditions.append(movement == filters.movement_id)
    return conditions


def _filtered(query: Any, filters: MapFilters) -> Any:
    """`query` on work_item, joined to its dossier when `_scope` needs the award form or the
    movement."""
    if filters.award_form is not None or filters.movement_id is not None:
        query = query.join(Dossier, Dossier.id == WorkItem.dossier_id)
    return query


def map_process_key(session: Session, filters: MapFilters) -> str:
    """The process the map shows: the filter's, else the one ad-hoc dossiers start on."""
    return filters.process_key or settings_of(session).process_key


def _version_ids(session: Session, process_key: str) -> tuple[int, ...]:
    """The ids of a process's versions (a few rows)."""
    query = select(ProcessVersion.id).where(ProcessVersion.process_key == process_key)
    return tuple(session.scalars(query))


def deployed_diagram(session: Session, filters: MapFilters = NO_FILTERS) -> DeployedDiagram:
    """The deployed version's diagram (ConflictError when none is deployed)."""
    version = deployed_version(session, map_process_key(session, filters))
    return DeployedDiagram(
        version.process_key, version.version, version.bpmn_xml, version.source_hash
    )


def _deployed_steps(version: ProcessVersion) -> dict[str, str]:
    """Human step id -> name in the deployed diagram, in diagram order (parsed once, cached)."""
    steps = definition_of(version).diagram.human_steps()
    return {step.element_id: step.name or step.element_id for step in steps}


def heat_scale(busiest: int) -> int:
    """The number of waiting dossiers the darkest colour ends at."""
    return max(busiest, HEAT_FLOOR)


def heat_level(waiting: int, busiest: int) -> int:
    """0 when nobody waits, else 1..HEAT_LEVELS relative to the busiest step (at least
    HEAT_FLOOR): the scale is cut into HEAT_LEVELS equal bands."""
    if waiting <= 0:
        return 0
    scale = heat_scale(busiest)
    # Ceiling division: any waiting dossier shows at least the first level.
    return max(1, min(HEAT_LEVELS, -(-waiting * HEAT_LEVELS // scale)))


def heat_bands(busiest: int) -> list[HeatBand]:
    """The waiting counts each colour stands for, as heat_level assigns them (for the legend)."""
    scale = heat_scale(busiest)
    return [
        HeatBand(level, (level - 1) * scale // HEAT_LEVELS + 1, level * scale // HEAT_LEVELS)
        for level in range(1, HEAT_LEVELS + 1)
    ]


def median_seconds(durations: Iterable[float]) -> float | None:
    """The median of durations in seconds, None when there are none."""
    values = list(durations)
    return statistics.median(values) if values else None


def _visit_scope(actor: Actor, filters: MapFilters) -> list[Any]:
    """`_scope` on the summary's visits, which carry the process, the unit, the movement and
    the award form themselves."""
    in_process = None
    if filters.process_key is not None:
        in_process = ProcessMapVisit.process_key == filters.process_key
    return _conditions(
        actor,
        filters,
        in_process,
        ProcessMapVisit.unit_id,
        ProcessMapVisit.award_form,
        ProcessMapVisit.movement_id,
    )


def _samples(actor: Actor, steps: list[str], filters: MapFilters, sample: int) -> Any:
    """A UNION ALL of per-step reads of the summary: each step's newest `sample` visits the
    actor may see under the filters (newest by their last work item, which the summary's
    (process, step, last item) index serves), as (step, seconds)."""
    parts = []
    for step in steps:
        # Wrapped in a subquery, as SQLite wants for a LIMIT inside a compound select.
        limited = (
            select(ProcessMapVisit.step, ProcessMapVisit.seconds)
            .where(ProcessMapVisit.step == step, *_visit_scope(actor, filters))
            .order_by(ProcessMapVisit.last_item_id.desc())
            .limit(sample)
            .subquery()
        )
        parts.append(select(*limited.c))
    return union_all(*parts)


def step_durations(
    session: Session,
    actor: Actor,
    steps: Iterable[str],
    filters: MapFilters = NO_FILTERS,
    *,
    sample: int = MEDIAN_SAMPLE,
) -> dict[str, list[float]]:
    """step -> seconds each recent completed visit of the step took, from the summary: the
    newest `sample` visits of the step the actor may see under the filters."""
    wanted = list(steps)
    found: dict[str, list[float]] = {step: [] for step in wanted}
    if not found:
        return found
    for step, seconds in session.execute(_samples(actor, wanted, filters, sample)):
        found[step].append(float(seconds))
    return found


def step_medians(
    session: Session,
    actor: Actor,
    steps: Iterable[str],
    filters: MapFilters = NO_FILTERS,
    *,
    generation: str | None = None,
) -> dict[str, tuple[float | None, int]]:
    """step -> (median seconds or None, how many visits it was taken from), as `step_durations`
    gives them. With the summary's `generation` the result is kept: the same scope and filters
    read it again without reading a visit until the summary is rebuilt."""
    wanted = tuple(steps)
    scope = None if actor.is_admin else actor.visible_units

    def compute() -> dict[str, tuple[float | None, int]]:
        found = step_durations(session, actor, wanted, filters)
        return {step: (median_seconds(seconds), len(seconds)) for step, seconds in found.items()}

    return _MEDIANS.get(generation, (scope, filters, wanted), compute)


def _waiting_counts(
    session: Session, actor: Actor, filters: MapFilters, now: datetime, version_id: int
) -> dict[str, tuple[int, int, int]]:
    """step -> (waiting, overdue, on older versions) over open work items.

    Every column read is in ix_work_item_open_step, so without the award-form and movement
    filters (which join the dossier) the counts come from the index alone, in step order."""
    # Dossiers, not items: a council vote has one open item per member but one dossier waiting.
    query = _filtered(
        select(
            WorkItem.step,
            func.count(distinct(WorkItem.dossier_id)),
            func.count(distinct(case((WorkItem.due_at < now, WorkItem.dossier_id)))),
            func.count(distinct(case((WorkItem.version_id != version_id, WorkItem.dossier_id)))),
        ),
        filters,
    ).where(WorkItem.status == "open", *_scope(actor, filters))
    rows = session.execute(query.group_by(WorkItem.step)).all()
    return {step: (waiting, late, older) for step, waiting, late, older in rows}


def _step_titles(session: Session, steps: list[str]) -> dict[str, str]:
    """step -> the title its open work items carry (for steps the deployed diagram lacks)."""
    if not steps:
        return {}
    rows = session.execute(
        select(WorkItem.step, func.max(WorkItem.title))
        .where(WorkItem.status == "open", WorkItem.step.in_(steps))
        .group_by(WorkItem.step)
    )
    return {str(step): str(title) for step, title in rows}


def _totals(session: Session, actor: Actor, filters: MapFilters, now: datetime) -> tuple[int, int]:
    """(dossiers waiting anywhere, of which overdue): open items grouped by dossier, which
    ix_work_item_open_dossier serves in its order, from the index alone."""
    late = func.max(case((WorkItem.due_at < now, 1), else_=0))
    per_dossier = (
        _filtered(select(WorkItem.dossier_id, late.label("late")), filters)
        .where(WorkItem.status == "open", *_scope(actor, filters))
        .group_by(WorkItem.dossier_id)
        .subquery()
    )
    waiting, overdue = session.execute(
        select(func.count(), func.coalesce(func.sum(per_dossier.c.late), 0))
    ).one()
    return int(waiting), int(overdue)


def process_map(
    session: Session,
    actor: Actor,
    filters: MapFilters = NO_FILTERS,
    *,
    now: datetime | None = None,
) -> ProcessMap:
    """Waiting, overdue and median time per human step of the deployed diagram.

    Dossiers running on an older process version count on the step with the same BPMN id when
    the deployed diagram has it; steps it no longer has are listed apart in `retired_steps`.
    """
    check_filters(filters)
    now = now or utcnow()
    key = map_process_key(session, filters)
    filters = replace(filters, process_key=key, version_ids=_version_ids(session, key))
    version = deployed_version(session, key)
    deployed = _deployed_steps(version)
    counts = _waiting_counts(session, actor, filters, now, version.id)
    busiest = max((c[0] for c in counts.values()), default=0)

    retired_ids = sorted(step for step in counts if step not in deployed)
    fresh = freshness(session, version.process_key)
    medians = step_medians(
        session, actor, [*deployed, *retired_ids], filters, generation=fresh.generation
    )

    def load(step: str, name: str, in_diagram: bool) -> StepLoad:
        waiting, overdue, older = counts.get(step, (0, 0, 0))
        median, sample_size = medians[step]
        return StepLoad(
            step=step,
            name=name,
            in_diagram=in_diagram,
            waiting=waiting,
            overdue=overdue,
            older_versions=older,
            median_seconds=median,
            sample_size=sample_size,
            heat=heat_level(waiting, busiest),
        )

    steps = [load(step, name, True) for step, name in deployed.items()]
    titles = _step_titles(session, retired_ids)
    retired = [load(step, titles.get(step) or step, False) for step in retired_ids]
    waiting, overdue = _totals(session, actor, filters, now)
    return ProcessMap(
        version.process_key,
        version.version,
        steps,
        retired,
        waiting,
        overdue,
        now,
        busiest=busiest,
        heat_scale=heat_scale(busiest),
        durations=fresh,
    )


def waiting_at_step(
    session: Session,
    actor: Actor,
    step: str,
    filters: MapFilters = NO_FILTERS,
    *,
    limit: int = LIST_LIMIT,
    now: datetime | None = None,
) -> StepDossiers:
    """The dossiers waiting at `step` that the actor may see, longest waiting first.

    NotFoundError when the deployed diagram has no such human step and no dossier waits there.
    """
    check_filters(filters)
    now = now or utcnow()
    key = map_process_key(session, filters)
    filters = replace(filters, process_key=key, version_ids=_version_ids(session, key))
    version = deployed_version(session, key)
    deployed = _deployed_steps(version)
    scope = [WorkItem.step == step, WorkItem.status == "open", *_scope(actor, filters)]
    since = func.min(WorkItem.created_at)
    due = func.min(WorkItem.due_at)
    rows = session.execute(
        select(Dossier.id, Dossier.code, Dossier.title, OrgUnit.name, since, due)
        .select_from(WorkItem)
        .join(Dossier, Dossier.id == WorkItem.dossier_id)
        .join(OrgUnit, OrgUnit.id == Dossier.unit_id)
        .where(*scope)
        .group_by(Dossier.id, Dossier.code, Dossier.title, OrgUnit.name)
        .order_by(since, Dossier.id)
        .limit(limit)
    ).all()
    waiting = session.scalar(
        _filtered(select(func.count(distinct(WorkItem.dossier_id))), filters).where(*scope)
    )
    name = deployed.get(step)
    if name is None:
        name = session.scalar(select(func.max(WorkItem.title)).where(WorkItem.step == step))
        if name is None or not waiting:
            raise NotFoundError(f"no step {step} in the process map")
    return StepDossiers(
        step=step,
        name=name,
        in_diagram=step in deployed,
        waiting=int(waiting or 0),
        dossiers=[
            WaitingDossier(
                dossier_id=dossier_id,
                code=code,
                title=title,
                unit=unit,
                since=since_at,
                due_at=due_at,
                overdue=due_at is not None and due_at < now,
            )
            for dossier_id, code, title, unit, since_at, due_at in rows
        ],
    )


def unit_choices(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """(id, name) of the units whose dossiers the actor may see (every unit for admins)."""
    query = select(OrgUnit.id, OrgUnit.name).order_by(OrgUnit.name, OrgUnit.id)
    if not actor.is_admin:
        query = query.where(OrgUnit.id.in_(actor.visible_units or {-1}))
    return [(unit_id, name) for unit_id, name in session.execute(query)]
