"""Dossier use cases: start one, read one, list and search them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, literal, literal_column, select
from sqlalchemy.orm import Session, joinedload, selectinload

from webapp.db import utcnow
from webapp.models import (
    Dossier,
    Event,
    Movement,
    Nominee,
    OrgUnit,
    ProcessInstance,
    ProcessVersion,
    Role,
    WorkItem,
)
from webapp.permissions import CREATOR_ROLE, Actor, can_see_dossier, can_start_dossier
from webapp.services.actors import units_below
from webapp.services.dossier_effects import (
    apply_automated,
    apply_status,
    engine_context,
    fill_nominee,
    refresh_search_text,
)
from webapp.services.dossier_schema import AWARD_FORMS, DOSSIER_SCHEMA
from webapp.services.errors import (
    InvalidDataError,
    NotFoundError,
    PermissionDeniedError,
    ProcessFailedError,
)
from webapp.services.folded_search import (
    folded_text_contains,
    folded_text_driving,
    is_indexed_search,
    past_bound_text,
    plan_for_the_words,
    read_search_first,
    searched_column,
)
from webapp.services.form_validation import validate_form
from webapp.services.history import history_of, record, record_automated
from webapp.services.id_lists import ids_in
from webapp.services.instances import new_instance
from webapp.services.keyset import (
    Key,
    decode_cursor,
    encode_cursor,
    nulls_sort_low,
    ranges_after,
)
from webapp.services.nominee_details import check_dossier_details
from webapp.services.process_versions import definition_of, deployed_version
from webapp.services.settings import settings_of
from webapp.services.shared_aliases import shared_alias
from webapp.services.status_sentence import Outcome, outcome_of
from webapp.services.text_search import fold, search_terms
from webapp.services.work_item_sync import sync_work_items
from workflows import ProcessRuntimeError, RunningProcess

MAX_PER_PAGE = 200
# Totals stop counting past this many dossiers: "more than 10,000" costs a bounded index read,
# an exact count of every visible dossier grows with the table.
TOTAL_BOUND = 10_000
# A search's total stops counting past this many dossiers ("hơn 200"): counting every match
# grows with the table (a common name is in one dossier of 150 however many there are), and
# past it the first page is met within a few thousand rows of the list's own order.
SEARCH_TOTAL_BOUND = 200
STATUSES = ("in_progress", "returned", "awarded", "refused", "partly_awarded", "withdrawn")
# Sorting by status groups open dossiers first, then the outcomes from best to worst.
STATUS_SORT_ORDER = (
    "in_progress",
    "returned",
    "awarded",
    "partly_awarded",
    "refused",
    "withdrawn",
)


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
    # True when counting stopped at the bound: there are more than `total` dossiers.
    total_is_lower_bound: bool = False
    # Where the next page starts (keyset: `cursor=` this), or None when this page is the last.
    next_cursor: str | None = None
    # Per dossier of the page: what its nominees got (for the status sentence) and, when the
    # search matched a nominee rather than the code or title, that nominee's name.
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    matched_nominees: dict[int, list[str]] = field(default_factory=dict)


def matched_nominees(
    code: str | None, title: str, nominees: list[tuple[str, str]], terms: list[str]
) -> list[str]:
    """The nominees a search for the folded words `terms` matched, when the dossier's code and
    title alone did not match.

    Every search word is in the dossier's folded text; the nominees named (of `nominees`, each
    a name and its folded form as stored, folded here when not stored) are those whose folded
    name holds a word the code and title do not.
    """
    if not terms:
        return []
    own = fold(f"{code or ''} {title}")
    missing = [term for term in terms if term not in own]
    if not missing:
        return []
    return [
        name for name, folded in nominees if any(term in (folded or fold(name)) for term in missing)
    ]


def creator_unit_id(actor: Actor) -> int | None:
    """The unit a dossier the actor creates belongs to: their own unit when they are an officer
    there, else the single unit where they were made one (None when it cannot be told)."""
    units = actor.grants.get(CREATOR_ROLE, frozenset())
    if actor.unit_id in actor.scopes.get(CREATOR_ROLE, frozenset()):
        return actor.unit_id
    if len(units) == 1:
        return next(iter(units))
    return None


def start_dossier(
    session: Session,
    actor: Actor,
    payload: Any,
    *,
    process_key: str | None = None,
    context: dict[str, Any] | None = None,
) -> Dossier:
    """Create a dossier for the actor's unit and start its process on the deployed version
    (of `process_key` when given, e.g. a round's proposal; `context` adds starting data)."""
    if not can_start_dossier(actor):
        raise PermissionDeniedError("only unit officers start dossiers")
    unit_id = creator_unit_id(actor)
    if unit_id is None:
        raise PermissionDeniedError("cannot tell which unit this dossier belongs to")
    data = validate_form(DOSSIER_SCHEMA, payload)
    if data.get("movement_id") is not None and session.get(Movement, data["movement_id"]) is None:
        raise InvalidDataError("unknown movement", {"movement_id": "is not a known movement"})
    check_dossier_details(session, data)
    settings = settings_of(session)
    version = deployed_version(session, process_key or settings.process_key)
    now = utcnow()
    dossier = Dossier(
        title=data["title"].strip(),
        award_form=data["award_form"],
        track=data["track"],
        procedure=data["procedure"],
        simplified_reason=data.get("simplified_reason"),
        simplified_case=data.get("simplified_case"),
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
            definition_of(version), {**engine_context(session, dossier), **(context or {})}
        )
    except ProcessRuntimeError as exc:
        raise ProcessFailedError(exc.element_id, str(exc)) from exc
    instance = new_instance(dossier, version, process, now)
    session.add(instance)
    session.flush()
    record(session, dossier, "started", actor=actor, at=now)
    record_automated(session, dossier, steps, now)
    apply_automated(dossier, steps)
    apply_status(dossier, None, process.status(), now)
    # The author is not told of the step they just opened (their own draft).
    sync_work_items(
        session, dossier, instance, process.ready_human_tasks(), now, quiet_for=actor.user_id
    )
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
    # Only the version is shown: the instance's engine state is not read.
    version_id = session.scalar(
        select(ProcessInstance.version_id).where(ProcessInstance.dossier_id == dossier.id)
    )
    version = session.get_one(ProcessVersion, version_id) if version_id is not None else None
    if version is None:
        raise NotFoundError(f"dossier {dossier_id} has no process")
    return detail_of(session, dossier, version)


def detail_of(session: Session, dossier: Dossier, version: ProcessVersion) -> DossierDetail:
    """The detail of a dossier already loaded (and already known to be visible)."""
    open_items = list(
        session.scalars(
            select(WorkItem)
            .where(WorkItem.dossier_id == dossier.id, WorkItem.status == "open")
            # Who holds each step is shown with it: in the same read, not one query per
            # council member's ballot.
            .options(joinedload(WorkItem.assignee), joinedload(WorkItem.claimed_by))
            .order_by(WorkItem.id)
        )
    )
    return DossierDetail(dossier, version, open_items, history_of(session, dossier.id))


@dataclass(frozen=True)
class DossierFilters:
    """What the tracking list is narrowed to; None means "any"."""

    q: str | None = None
    status: str | None = None
    step: str | None = None
    unit_id: int | None = None
    award_form: str | None = None
    overdue: bool | None = None
    movement_id: int | None = None  # resolved from `movement=<code>` (services.movement_filter)


def _rank(column: Any, codes: tuple[str, ...]) -> Any:
    """Order codes as `codes` lists them, not alphabetically (unknown codes last).

    The codes and ranks are written into the SQL, not bound: the expression is then the one the
    indexes of migration 0021_rank_indexes hold (SQLite uses an index on an expression only for
    the same expression, constants included), so the sorts by status and by award form read
    an index. Change the lists and those indexes go unused (the order stays right) until a
    migration rebuilds them.
    """
    if not all(code.isidentifier() and code.isascii() for code in codes):
        raise ValueError(f"codes written into SQL must be plain identifiers: {codes}")
    return case(
        {literal_column(f"'{code}'"): literal_column(str(rank)) for rank, code in enumerate(codes)},
        value=column,
        else_=literal_column(str(len(codes))),
    )


# Whitelisted orderings of the tracking list; "-" means descending. Each ends with the id so
# paging is stable when values tie.
SORT_KEYS: dict[str, Any] = {
    "created": Dossier.created_at,
    "code": Dossier.code,
    "status": _rank(Dossier.status, STATUS_SORT_ORDER),
    "award_form": _rank(Dossier.award_form, tuple(AWARD_FORMS)),
}
DEFAULT_SORT = "-created"
SORTS = frozenset([*SORT_KEYS, *(f"-{key}" for key in SORT_KEYS)])


def sort_order(sort: str) -> list[Any]:
    """ORDER BY clauses for a whitelisted sort key (InvalidDataError for anything else)."""
    columns = [key.expr for key in sort_keys(sort)]
    if sort.startswith("-"):
        return [c.desc() for c in columns]
    return [c.asc() for c in columns]


def sort_keys(sort: str) -> list[Key]:
    """The columns a whitelisted sort orders by, the id last (every one of them keyset-paged:
    only the code can be NULL, and the keyset puts NULL codes where the database sorts them)."""
    if sort not in SORTS:
        raise InvalidDataError(
            "unknown sort order", {"sort": f"must be one of: {', '.join(sorted(SORTS))}"}
        )
    key = sort.lstrip("-")
    tail = [Key(Dossier.created_at, datetime), Key(Dossier.id, int)]
    if key == "created":
        return tail
    if key == "code":
        # Codes are unique: the id alone parts the NULL ones, and the code's index (with the
        # id, the row's address) then serves the whole order.
        return [Key(Dossier.code, str, nullable=True), Key(Dossier.id, int)]
    return [Key(SORT_KEYS[key], int), *tail]


def _ranked(value: str, codes: tuple[str, ...]) -> int:
    return codes.index(value) if value in codes else len(codes)


def sort_values(sort: str, dossier: Dossier) -> list[Any]:
    """A dossier's values of `sort_keys(sort)`: what a cursor after it carries."""
    key = sort.lstrip("-")
    tail = [dossier.created_at, dossier.id]
    if key == "created":
        return tail
    if key == "code":
        return [dossier.code, dossier.id]
    if key == "status":
        return [_ranked(dossier.status, STATUS_SORT_ORDER), *tail]
    return [_ranked(dossier.award_form, tuple(AWARD_FORMS)), *tail]


# An alias: the clauses stay correct in a query that selects work items itself.
OPEN_ITEM = shared_alias(WorkItem, "open_item")


def visibility(actor: Actor, unit_column: Any = Dossier.unit_id) -> list[Any]:
    """WHERE clauses for the dossiers the actor may see at all (`unit_column`: the dossier's
    unit as the query compares it)."""
    return [] if actor.is_admin else [unit_column.in_(actor.visible_units or {-1})]


def filter_conditions(
    actor: Actor,
    filters: DossierFilters,
    now: datetime,
    text: Callable[[Sequence[str]], list[Any]] = folded_text_contains,
) -> list[Any]:
    """WHERE clauses for the dossiers the actor may see that match `filters` (checked); `text`
    makes the search's clauses (how the search index is read: see folded_search)."""
    if filters.status is not None and filters.status not in STATUSES:
        raise InvalidDataError(
            "unknown status", {"status": f"must be one of: {', '.join(STATUSES)}"}
        )
    if filters.award_form is not None and filters.award_form not in AWARD_FORMS:
        raise InvalidDataError(
            "unknown award form", {"award_form": f"must be one of: {', '.join(AWARD_FORMS)}"}
        )
    conditions: list[Any] = []
    terms = search_terms(filters.q)

    def column(name: str) -> Any:
        return searched_column(getattr(Dossier, name), terms)

    conditions += visibility(actor, column("unit_id"))
    if filters.status:
        conditions.append(column("status") == filters.status)
    if filters.unit_id is not None:
        conditions.append(column("unit_id").in_(units_below(filters.unit_id)))
    if filters.award_form:
        conditions.append(column("award_form") == filters.award_form)
    if filters.movement_id is not None:
        conditions.append(column("movement_id") == filters.movement_id)
    conditions += text(terms)
    item = OPEN_ITEM
    open_item = and_(item.dossier_id == Dossier.id, item.status == "open")
    if filters.step:
        conditions.append(exists().where(open_item, item.step == filters.step))
    if filters.overdue is not None:
        late = exists().where(open_item, item.due_at < now)
        conditions.append(late if filters.overdue else ~late)
    return conditions


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
    movement_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
    sort: str = DEFAULT_SORT,
    now: datetime | None = None,
    total_bound: int = TOTAL_BOUND,
    search_bound: int = SEARCH_TOTAL_BOUND,
    cursor: str | None = None,
) -> DossierPage:
    """The dossiers the actor may see, filtered, newest first unless `sort` says otherwise.

    Only the page's dossiers and their open work items are read (never engine state), so the
    list stays fast with many dossiers. `sort` is one of SORTS ("-created" by default).
    `cursor` (a page's `next_cursor`) starts the page after that page's last dossier, by its
    sort values rather than an OFFSET: `page` is then only the number the page is shown as.
    The total stops counting at `total_bound`; a search's at `search_bound` if lower.
    """
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidDataError(
            "bad paging", {"page": "must be >= 1", "per_page": f"must be 1..{MAX_PER_PAGE}"}
        )
    filters = DossierFilters(q, status, step, unit_id, award_form, overdue, movement_id)
    now = now or utcnow()
    order = sort_order(sort)
    offset = (page - 1) * per_page
    found: list[Any] | None = None
    counted: tuple[int, bool] | None = None
    dense = False
    text: Callable[[Sequence[str]], list[Any]] = folded_text_contains
    if is_indexed_search(search_terms(q)):
        # A search reads the index first, up to its bound: what it finds gives the total and,
        # when that is every match, the page too (sorted here, where a count and an ordered
        # read each searched the index again).
        bound = min(total_bound, search_bound)
        plan_for_the_words(session)
        keys = [key.expr for key in sort_keys(sort)]
        driving = filter_conditions(actor, filters, now, text=folded_text_driving)
        first = read_search_first(session, select(Dossier.id, *keys).where(*driving))
        found = list(session.execute(first.limit(bound + 1)))
        # So many match that the page is met early along the list's own order, each row's
        # text checked as it comes, where the index would find every match first.
        dense = len(found) > bound
        counted = (bound, True) if dense else (len(found), False)
        text = past_bound_text(session) if dense else folded_text_contains
    conditions = filter_conditions(actor, filters, now, text=text)
    if dense:
        # The page's ids along the order, each dossier's text checked as it comes (on SQLite
        # in the index that holds it with the date, 0026_search_date_index), or as
        # PostgreSQL's planner weighs the trigram index against that order.
        ids = select(Dossier.id)
        page_ids = _ordered(session, ids, conditions, sort, offset, per_page, cursor)
        rows = _rows_of(session, actor, page_ids, order, 0, per_page)
    elif found is not None and cursor is None:
        page_ids, offset = _page_of_found(found, sort, offset, per_page + 1)
        rows = _rows_of(session, actor, page_ids, order, offset, per_page)
    else:
        query = select(Dossier).options(selectinload(Dossier.unit))
        rows = _ordered(session, query, conditions, sort, offset, per_page, cursor)
    total, capped = counted or bounded_count(session, conditions, total_bound)
    more = len(rows) > per_page
    rows = rows[:per_page]
    next_cursor = encode_cursor(sort, sort_values(sort, rows[-1])) if more else None
    items_by_dossier: dict[int, list[WorkItem]] = {d.id: [] for d in rows}
    if rows:
        for item in session.scalars(
            select(WorkItem)
            .where(
                ids_in(session, WorkItem.dossier_id, items_by_dossier),
                WorkItem.status == "open",
            )
            # Who holds each step is shown on every row: load the people in two queries.
            .options(selectinload(WorkItem.claimed_by), selectinload(WorkItem.assignee))
            .order_by(WorkItem.id)
        ):
            items_by_dossier[item.dossier_id].append(item)
    outcomes, matched = _nominee_facts(session, rows, q)
    return DossierPage(
        rows, items_by_dossier, total, page, per_page, capped, next_cursor, outcomes, matched
    )


def _ordered(
    session: Session,
    query: Any,
    conditions: list[Any],
    sort: str,
    offset: int,
    per_page: int,
    cursor: str | None,
) -> list[Any]:
    """`query`'s rows under `conditions` in the sort's order: one more than a page, from
    `offset` or after `cursor` (keyset: the cursor's sort values, however deep)."""
    order = sort_order(sort)
    query = query.where(*conditions)
    if cursor is None:
        return list(session.scalars(query.order_by(*order).limit(per_page + 1).offset(offset)))
    keys = sort_keys(sort)
    resume = decode_cursor(cursor, sort, keys)
    slices = ranges_after(
        keys, resume, descending=sort.startswith("-"), nulls_low=nulls_sort_low(session)
    )
    rows: list[Any] = []
    for condition, held in slices:
        in_slice = query.where(condition).order_by(*order[held:])
        rows += session.scalars(in_slice.limit(per_page + 1 - len(rows)))
        if len(rows) > per_page:
            break
    return rows


def _rows_of(
    session: Session, actor: Actor, ids: list[int], order: list[Any], offset: int, per_page: int
) -> list[Dossier]:
    """The dossiers of `ids` in the sort's order, from `offset`: one more than a page."""
    in_ids = select(Dossier).where(ids_in(session, Dossier.id, ids), *visibility(actor))
    read = in_ids.options(selectinload(Dossier.unit)).order_by(*order)
    return list(session.scalars(read.limit(per_page + 1).offset(offset)))


def _page_of_found(found: list[Any], sort: str, offset: int, size: int) -> tuple[list[int], int]:
    """The ids a page of a search's rows (id, then the sort's values) is read from, and the
    offset left for the database: the page's own ids, sorted here, when the values sort in
    Python as in the database (dates and ranks); every id otherwise (a code's order is the
    database's collation), for the database to sort and page."""
    if sort.lstrip("-") == "code":
        return [row[0] for row in found], offset
    ordered = sorted(found, key=lambda row: tuple(row[1:]), reverse=sort.startswith("-"))
    return [row[0] for row in ordered[offset : offset + size]], 0


def bounded_count(session: Session, conditions: list[Any], bound: int) -> tuple[int, bool]:
    """How many dossiers match, counting no further than `bound`: (count, stopped at bound).

    `SELECT count(*) FROM (SELECT 1 … LIMIT bound + 1)` reads at most bound + 1 index entries,
    however many dossiers the table holds.
    """
    matching = select(literal(1)).select_from(Dossier).where(*conditions).limit(bound + 1)
    found = session.scalar(select(func.count()).select_from(matching.subquery())) or 0
    return (bound, True) if found > bound else (found, False)


def _nominee_facts(
    session: Session, rows: list[Dossier], q: str | None
) -> tuple[dict[int, Outcome], dict[int, list[str]]]:
    """One query for the page: each dossier's outcome, and the nominees a search matched."""
    if not rows:
        return {}, {}
    by_dossier: dict[int, list[Any]] = {d.id: [] for d in rows}
    for nominee in session.execute(
        select(
            Nominee.dossier_id,
            Nominee.name,
            Nominee.folded_name,
            Nominee.result,
            Nominee.decision_number,
            Nominee.decision_date,
        )
        .where(ids_in(session, Nominee.dossier_id, by_dossier))
        .order_by(Nominee.dossier_id, Nominee.position, Nominee.id)
    ):
        by_dossier[nominee.dossier_id].append(nominee)
    outcomes = {d.id: outcome_of(by_dossier[d.id]) for d in rows}
    terms = search_terms(q)
    matched = {
        d.id: found
        for d in rows
        if terms
        and (
            found := matched_nominees(
                d.code, d.title, [(n.name, n.folded_name) for n in by_dossier[d.id]], terms
            )
        )
    }
    return outcomes, matched


def tracking_steps(session: Session) -> list[tuple[str, str]]:
    """(id, name) of the human steps of the deployed diagram, in diagram order.

    The tracking list offers them as its step filter; the parsed diagram is cached, so this
    costs one small query.
    """
    version = deployed_version(session, settings_of(session).process_key)
    steps = definition_of(version).diagram.human_steps()
    return [(step.element_id, step.name or step.element_id) for step in steps]


def visible_units(session: Session, actor: Actor) -> list[OrgUnit]:
    """The units whose dossiers the actor may see (every unit for administrators), by name."""
    query = select(OrgUnit).order_by(OrgUnit.name, OrgUnit.id)
    if not actor.is_admin:
        query = query.where(OrgUnit.id.in_(actor.visible_units or {-1}))
    return list(session.scalars(query))


def role_names(session: Session) -> dict[str, str]:
    """Role code -> display name, for "who holds it" when nobody has taken a step yet."""
    return {role.code: role.name for role in session.scalars(select(Role))}
