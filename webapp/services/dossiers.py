"""Dossier use cases: start one, read one, list and search them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session, selectinload

from webapp.db import utcnow
from webapp.models import (
    Dossier,
    Event,
    Movement,
    Nominee,
    OrgUnit,
    ProcessInstance,
    ProcessVersion,
    WorkItem,
)
from webapp.permissions import CREATOR_ROLE, Actor, can_see_dossier, can_start_dossier
from webapp.services.dossier_effects import (
    apply_automated,
    apply_status,
    engine_context,
    fill_nominee,
    refresh_search_text,
)
from webapp.services.dossier_schema import AWARD_FORMS, DOSSIER_SCHEMA
from webapp.services.errors import InvalidDataError, NotFoundError, PermissionDeniedError
from webapp.services.form_validation import validate_form
from webapp.services.history import history_of, record, record_automated
from webapp.services.instances import new_instance
from webapp.services.process_versions import definition_of, deployed_version
from webapp.services.settings import settings_of
from webapp.services.text_search import search_terms
from webapp.services.work_item_sync import sync_work_items
from workflows import ProcessRuntimeError, RunningProcess

MAX_PER_PAGE = 200
STATUSES = ("in_progress", "returned", "awarded", "refused", "partly_awarded", "withdrawn")


@dataclass(frozen=True)
class DossierDetail:
    """A dossier with what its page and its API view show."""

    dossier: Dossier
    version: ProcessVersion
    open_items: list[WorkItem]
    history: list[Event]


@dataclass(frozen=True)
class DossierPage:
    """One page of a filtered dossier list."""

    items: list[Dossier]
    open_items: dict[int, list[WorkItem]]
    total: int
    page: int
    per_page: int


def creator_unit_id(actor: Actor) -> int | None:
    """The unit a dossier the actor creates belongs to: their own unit when they are an officer
    there, else the single unit where they were made one (None when it cannot be told)."""
    units = actor.grants.get(CREATOR_ROLE, frozenset())
    if actor.unit_id in actor.scopes.get(CREATOR_ROLE, frozenset()):
        return actor.unit_id
    if len(units) == 1:
        return next(iter(units))
    return None


def start_dossier(session: Session, actor: Actor, payload: Any) -> Dossier:
    """Create a dossier for the actor's unit and start its process on the deployed version."""
    if not can_start_dossier(actor):
        raise PermissionDeniedError("only unit officers start dossiers")
    unit_id = creator_unit_id(actor)
    if unit_id is None:
        raise PermissionDeniedError("cannot tell which unit this dossier belongs to")
    data = validate_form(DOSSIER_SCHEMA, payload)
    if data.get("movement_id") is not None and session.get(Movement, data["movement_id"]) is None:
        raise InvalidDataError("unknown movement", {"movement_id": "is not a known movement"})
    settings = settings_of(session)
    version = deployed_version(session, settings.process_key)
    now = utcnow()
    dossier = Dossier(
        title=data["title"].strip(),
        award_form=data["award_form"],
        track=data["track"],
        procedure=data["procedure"],
        simplified_reason=data.get("simplified_reason"),
        movement_id=data.get("movement_id"),
        status="in_progress",
        unit_id=unit_id,
        created_by_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    for position, row in enumerate(data["nominees"]):
        if row.get("id") is not None:
            raise InvalidDataError(
                "a new nominee has no id", {f"nominees.{position}.id": "must not be given"}
            )
        nominee = Nominee(position=position)
        fill_nominee(nominee, row)
        dossier.nominees.append(nominee)
    session.add(dossier)
    session.flush()
    unit_code = session.get_one(OrgUnit, dossier.unit_id).code
    dossier.code = f"{unit_code}-{now.year}-{dossier.id:05d}"
    refresh_search_text(dossier)
    try:
        process, steps = RunningProcess.start(
            definition_of(version), engine_context(session, dossier)
        )
    except ProcessRuntimeError as exc:
        raise InvalidDataError(
            f"the process failed at {exc.element_id}: {exc}",
            {"process": str(exc)},
            code="process_error",
        ) from exc
    instance = new_instance(dossier, version, process, now)
    session.add(instance)
    session.flush()
    record(session, dossier, "started", actor=actor, at=now)
    record_automated(session, dossier, steps, now)
    apply_automated(dossier, steps)
    apply_status(dossier, None, process.status(), now)
    sync_work_items(session, dossier, instance, process.ready_human_tasks(), now)
    session.flush()
    return dossier


def get_visible_dossier(session: Session, actor: Actor, dossier_id: int) -> Dossier:
    """The dossier, if the actor may see it; otherwise NotFoundError (never a hint it exists)."""
    dossier = session.get(Dossier, dossier_id)
    if dossier is None or not can_see_dossier(actor, dossier):
        raise NotFoundError(f"dossier {dossier_id} not found")
    return dossier


def dossier_detail(session: Session, actor: Actor, dossier_id: int) -> DossierDetail:
    """A dossier with its open work items, history and process version."""
    dossier = get_visible_dossier(session, actor, dossier_id)
    instance = session.scalar(
        select(ProcessInstance).where(ProcessInstance.dossier_id == dossier.id)
    )
    version = session.get_one(ProcessVersion, instance.version_id) if instance else None
    if version is None:
        raise NotFoundError(f"dossier {dossier_id} has no process")
    return detail_of(session, dossier, version)


def detail_of(session: Session, dossier: Dossier, version: ProcessVersion) -> DossierDetail:
    """The detail of a dossier already loaded (and already known to be visible)."""
    open_items = list(
        session.scalars(
            select(WorkItem)
            .where(WorkItem.dossier_id == dossier.id, WorkItem.status == "open")
            .order_by(WorkItem.id)
        )
    )
    return DossierDetail(dossier, version, open_items, history_of(session, dossier.id))


def list_dossiers(
    session: Session,
    actor: Actor,
    *,
    q: str | None = None,
    status: str | None = None,
    step: str | None = None,
    unit_id: int | None = None,
    award_form: str | None = None,
    overdue: bool | None = None,
    page: int = 1,
    per_page: int = 50,
    now: datetime | None = None,
) -> DossierPage:
    """The dossiers the actor may see, filtered, newest first."""
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidDataError(
            "bad paging", {"page": "must be >= 1", "per_page": f"must be 1..{MAX_PER_PAGE}"}
        )
    if status is not None and status not in STATUSES:
        raise InvalidDataError(
            "unknown status", {"status": f"must be one of: {', '.join(STATUSES)}"}
        )
    if award_form is not None and award_form not in AWARD_FORMS:
        raise InvalidDataError(
            "unknown award form", {"award_form": f"must be one of: {', '.join(AWARD_FORMS)}"}
        )
    now = now or utcnow()
    conditions: list[Any] = []
    if not actor.is_admin:
        conditions.append(Dossier.unit_id.in_(actor.visible_units or {-1}))
    if status:
        conditions.append(Dossier.status == status)
    if unit_id is not None:
        conditions.append(Dossier.unit_id == unit_id)
    if award_form:
        conditions.append(Dossier.award_form == award_form)
    for term in search_terms(q):
        conditions.append(Dossier.search_text.contains(term, autoescape=True))
    open_item = and_(WorkItem.dossier_id == Dossier.id, WorkItem.status == "open")
    if step:
        conditions.append(exists().where(open_item, WorkItem.step == step))
    if overdue is not None:
        late = exists().where(open_item, WorkItem.due_at < now)
        conditions.append(late if overdue else ~late)
    total = session.scalar(select(func.count()).select_from(Dossier).where(*conditions)) or 0
    rows = list(
        session.scalars(
            select(Dossier)
            .where(*conditions)
            .options(selectinload(Dossier.unit))
            .order_by(Dossier.created_at.desc(), Dossier.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    items_by_dossier: dict[int, list[WorkItem]] = {d.id: [] for d in rows}
    if rows:
        for item in session.scalars(
            select(WorkItem)
            .where(WorkItem.dossier_id.in_(items_by_dossier), WorkItem.status == "open")
            .order_by(WorkItem.id)
        ):
            items_by_dossier[item.dossier_id].append(item)
    return DossierPage(rows, items_by_dossier, total, page, per_page)
