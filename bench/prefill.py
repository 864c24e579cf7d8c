"""Fill the database with 10,000 dossiers in mixed states, fast enough for `make bench`.

Driving every dossier through the services one by one takes tens of minutes on a small
machine, so a few template dossiers (one per state and demo unit) go through the real
services, and their rows are cloned with bulk inserts: dossier, nominees, process instance,
work items and events. Each clone gets fresh ids, a code, nominee names, a title, search text
and a time line of its own. The engine state is stored per instance, so the clone's state is
the template's with the dossier id and nominee ids rewritten; task UUIDs repeat across
instances, which is harmless because work items name a task within their instance.
"""

from __future__ import annotations

import json
import random
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from bench.path import (
    UNITS,
    Action,
    after_council,
    awarded_path,
    council,
    split_ballots,
    start_payload,
    to_council,
)
from bench.service_layer import ServiceLayer
from webapp.db import Base, Database, utcnow
from webapp.models import Dossier, OrgUnit, ProcessInstance, WorkItem
from webapp.services import process_map_summary, work_items
from webapp.services.history_chain import CHAINED, event_digest
from webapp.services.instances import load_process
from webapp.services.nominees_in_play import nominee_ids_in_play
from webapp.services.text_search import fold

Script = Callable[[str, list[str]], list[Action]]


def _unanimous(nominee_ids: list[str], vote: str) -> dict[str, dict[str, str]]:
    return {m: dict.fromkeys(nominee_ids, vote) for m in split_ballots(nominee_ids)}


def _split_council(unit: str, ids: list[str]) -> list[Action]:
    return [*to_council(unit), *council(split_ballots(ids))]


# state -> (dossiers per 10,000, the steps that bring a fresh dossier there).
# About a quarter of the dossiers are open: a department's backlog over a few years of work.
STATES: dict[str, tuple[int, Script]] = {
    "prepare_dossier": (350, lambda u, ids: []),
    "approve_at_unit": (250, lambda u, ids: to_council(u)[:1]),
    "check_dossier": (300, lambda u, ids: to_council(u)[:2]),
    "returned_by_office": (200, lambda u, ids: to_council(u, check="return")),
    "council_vote": (300, lambda u, ids: _split_council(u, ids)[:5]),  # 2 of 5 votes cast
    "conclude_council": (150, lambda u, ids: _split_council(u, ids)[:-1]),
    "sign_submission": (200, _split_council),
    "appraise_at_ministry": (250, lambda u, ids: awarded_path(u, ids)[:10]),
    "ministry_council": (150, lambda u, ids: awarded_path(u, ids)[:11]),
    "minister_decision": (200, lambda u, ids: awarded_path(u, ids)[:12]),
    "publish_result": (100, lambda u, ids: awarded_path(u, ids)[:13]),
    "returned_by_ministry": (
        50,
        lambda u, ids: [
            *_split_council(u, ids),
            *after_council()[:1],
            Action(
                "appraise_at_ministry",
                "chuyenvien_bo",
                {"decision": "return", "comment": "Bổ sung biên bản họp Hội đồng"},
            ),
        ],
    ),
    "awarded": (5700, awarded_path),
    "partly_awarded": (
        600,
        lambda u, ids: [
            *to_council(u),
            *council(_unanimous(ids, "agree")),
            *after_council(refused_nominees=ids[:1]),
        ],
    ),
    "refused_by_council": (
        700,
        lambda u, ids: [*to_council(u), *council(_unanimous(ids, "disagree"))],
    ),
    "refused_by_office": (500, lambda u, ids: to_council(u, check="refuse")),
}
CLOSED_STATES = frozenset({"awarded", "partly_awarded", "refused_by_council", "refused_by_office"})

# The cloned tables, parents before children (the order of inserts, for the foreign keys).
TABLES: dict[str, Table] = {
    name: Base.metadata.tables[name]
    for name in ("dossier", "nominee", "process_instance", "work_item", "event")
}
DOSSIER_MARK = "@@D@@"
BATCH = 500

FAMILY = (
    ["Nguyễn"] * 6
    + ["Trần"] * 2
    + [
        "Lê",
        "Phạm",
        "Hoàng",
        "Huỳnh",
        "Phan",
        "Vũ",
        "Võ",
        "Đặng",
        "Bùi",
        "Đỗ",
        "Hồ",
        "Ngô",
        "Dương",
        "Lý",
    ]
)
MIDDLE = {
    "female": ["Thị"] * 4 + ["Thu", "Ngọc", "Thanh", "Minh", "Hải"],
    "male": ["Văn"] * 3 + ["Đức", "Minh", "Quang", "Hữu", "Thanh", "Xuân", "Quốc"],
}
GIVEN = {
    "female": ["Hằng", "Hà", "Lan", "Mai", "Hoa", "Ngọc", "Linh", "Phương", "Trang", "Hương"],
    "male": ["Nam", "Huy", "Tuấn", "Bình", "Thắng", "Vinh", "Khoa", "Dũng", "Hùng", "Long"],
}
POSITIONS = ["Chuyên viên", "Chuyên viên chính", "Kế toán viên", "Phó Trưởng phòng"]
TITLES = [
    "Đề nghị tặng Bằng khen của Bộ trưởng cho tập thể và cá nhân {unit}",
    "Đề nghị tặng Bằng khen của Bộ trưởng Bộ Tài chính năm {year} cho {unit}",
    "Đề nghị khen thưởng đột xuất thành tích phòng, chống dịch Covid-19 của {unit}",
    "Đề nghị khen thưởng tổng kết công tác năm {year} – {unit}",
]


@dataclass
class Template:
    """The rows of one dossier driven into a state, ready to be copied."""

    state: str
    unit: str
    dossier: dict[str, Any]
    nominees: list[dict[str, Any]]
    instance: dict[str, Any]
    state_json: str
    work_items: list[dict[str, Any]]
    events: list[dict[str, Any]]
    event_data: list[str | None]
    start: datetime
    span: timedelta
    service_seconds: float


@dataclass
class PrefillReport:
    """What the prefill did and how long it took."""

    dossiers: int
    templates: int
    template_seconds: float
    template_operations: int
    extrapolated_service_seconds: float
    clone_seconds: float
    rows: dict[str, int] = field(default_factory=dict)
    mix: dict[str, int] = field(default_factory=dict)
    clones_by_state: dict[str, list[int]] = field(default_factory=dict)
    verified: int = 0
    # The kept database a run used instead of prefilling (bench.run --database).
    kept: str | None = None


# ----- templates through the real services ------------------------------------------------------


def _rows(conn: Connection, table: Table, column: str, value: Any) -> list[dict[str, Any]]:
    result = conn.execute(select(table).where(table.c[column] == value).order_by(table.c.id))
    return [dict(row) for row in result.mappings()]


def _mark(value: Any, nominee_marks: dict[str, str], dossier_id: int, key: Any = None) -> Any:
    """The template's ids replaced by placeholders, wherever the state or an event holds them."""
    if isinstance(value, dict):
        return {
            (nominee_marks.get(k, k) if isinstance(k, str) else k): _mark(
                v, nominee_marks, dossier_id, k
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_mark(v, nominee_marks, dossier_id) for v in value]
    if isinstance(value, str):
        return nominee_marks.get(value, value)
    if key == "dossier_id" and type(value) is int and value == dossier_id:
        return DOSSIER_MARK
    return value


def _timestamps(*groups: list[dict[str, Any]]) -> list[datetime]:
    # What happened, not what is due: a step's time limit lies ahead of the template's last
    # event, and counting it would shrink the clone's time line to the template's seconds.
    return [
        v
        for rows in groups
        for row in rows
        for k, v in row.items()
        if isinstance(v, datetime) and k != "due_at"
    ]


def _read_template(
    db: Database, state: str, unit: str, dossier_id: int, seconds: float
) -> Template:
    with db.engine.connect() as conn:
        dossier = _rows(conn, TABLES["dossier"], "id", dossier_id)[0]
        nominees = _rows(conn, TABLES["nominee"], "dossier_id", dossier_id)
        instance = _rows(conn, TABLES["process_instance"], "dossier_id", dossier_id)[0]
        items = _rows(conn, TABLES["work_item"], "dossier_id", dossier_id)
        events = _rows(conn, TABLES["event"], "dossier_id", dossier_id)
    nominees.sort(key=lambda n: n["position"])
    marks = {str(n["id"]): f"@@N{i}@@" for i, n in enumerate(nominees)}
    state_dict = json.loads(zlib.decompress(instance["state"]))
    state_json = json.dumps(_mark(state_dict, marks, dossier_id), separators=(",", ":"))
    event_data = [
        json.dumps(_mark(e["data"], marks, dossier_id)) if e["data"] is not None else None
        for e in events
    ]
    stamps = _timestamps([dossier], [instance], items, events)
    start = dossier["created_at"]
    return Template(
        state=state,
        unit=unit,
        dossier=dossier,
        nominees=nominees,
        instance=instance,
        state_json=state_json,
        work_items=items,
        events=events,
        event_data=event_data,
        start=start,
        span=max(stamps) - start,
        service_seconds=seconds,
    )


def make_templates(db: Database, services: ServiceLayer) -> list[Template]:
    """One dossier per state and demo unit, driven there through the real services."""
    templates = []
    for state, (_weight, script) in STATES.items():
        for unit, (officer, _head, _name) in UNITS.items():
            began = time.perf_counter()
            started = services.start(officer, start_payload(unit))
            services.run(started.dossier_id, script(unit, started.nominee_ids))
            seconds = time.perf_counter() - began
            templates.append(_read_template(db, state, unit, started.dossier_id, seconds))
    return templates


# ----- clones ----------------------------------------------------------------------------------


class _Ids:
    """The next free primary key of each table (ids are given explicitly to wire the clones)."""

    def __init__(self, conn: Connection) -> None:
        self._next = {
            name: (conn.scalar(select(func.max(table.c.id))) or 0) + 1
            for name, table in TABLES.items()
        }

    def take(self, table: str) -> int:
        value = self._next[table]
        self._next[table] = value + 1
        return value


def _person(rng: random.Random) -> tuple[str, str]:
    gender = rng.choice(["female", "male"])
    name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE[gender])} {rng.choice(GIVEN[gender])}"
    return name, gender


def _clone(
    template: Template,
    ids: _Ids,
    unit_code: str,
    rng: random.Random,
    now: datetime,
    extra_events: int = 0,
) -> dict[str, list[dict[str, Any]]]:
    """The rows of one clone of `template`, with its own ids, names and time line, and
    `extra_events` more lines of history (drafts saved) than the template has."""
    closed = template.state in CLOSED_STATES
    # Open dossiers are recent; closed ones are spread over five years.
    age = timedelta(days=rng.uniform(30, 5 * 365) if closed else rng.uniform(1, 120))
    created = now - age
    target_span = (
        min(timedelta(days=rng.uniform(20, 90)), age * 0.9)
        if closed
        else age * rng.uniform(0.3, 0.9)
    )
    factor = target_span / template.span if template.span.total_seconds() > 0 else 0.0

    def at(value: datetime | None) -> datetime | None:
        if value is None:
            return None
        return created + (value - template.start) * factor

    dossier_id = ids.take("dossier")
    code = f"{unit_code}-{created.year}-{dossier_id:05d}"
    unit_name = UNITS[template.unit][2]
    title = rng.choice(TITLES).format(unit=unit_name, year=created.year)
    nominees = []
    for source in template.nominees:
        row = dict(source, id=ids.take("nominee"), dossier_id=dossier_id)
        if source["kind"] == "individual":
            row["name"], row["gender"] = _person(rng)
            row["folded_name"] = fold(row["name"])
            row["job_title"] = rng.choice(POSITIONS)
            row["birth_date"] = date(
                rng.randint(1965, 1998), rng.randint(1, 12), rng.randint(1, 28)
            )
        nominees.append(row)
    dossier = dict(
        template.dossier,
        id=dossier_id,
        code=code,
        title=title,
        created_at=created,
        updated_at=at(template.dossier["updated_at"]),
        closed_at=at(template.dossier["closed_at"]),
        search_text=fold(" ".join([code, title, *(n["name"] for n in nominees)])),
    )

    def personal(text_: str) -> str:
        text_ = text_.replace(f'"{DOSSIER_MARK}"', str(dossier_id))
        for i, nominee in enumerate(nominees):
            text_ = text_.replace(f"@@N{i}@@", str(nominee["id"]))
        return text_

    instance_id = ids.take("process_instance")
    instance = dict(
        template.instance,
        id=instance_id,
        dossier_id=dossier_id,
        state=zlib.compress(personal(template.state_json).encode("utf-8"), 6),
        created_at=at(template.instance["created_at"]),
        updated_at=at(template.instance["updated_at"]),
        completed_at=at(template.instance["completed_at"]),
    )
    item_ids: dict[int, int] = {}
    items = []
    for source in template.work_items:
        item_ids[source["id"]] = ids.take("work_item")
        created_item = at(source["created_at"])
        due = source["due_at"]
        items.append(
            dict(
                source,
                id=item_ids[source["id"]],
                dossier_id=dossier_id,
                instance_id=instance_id,
                created_at=created_item,
                # Keep the working-day time limit the service computed for the step.
                due_at=created_item + (due - source["created_at"])
                if due and created_item
                else None,
                claimed_at=at(source["claimed_at"]),
                completed_at=at(source["completed_at"]),
            )
        )
    events = []
    for source, data in zip(template.events, template.event_data, strict=True):
        events.append(
            dict(
                source,
                dossier_id=dossier_id,
                at=at(source["at"]),
                work_item_id=item_ids.get(source["work_item_id"]),
                data=json.loads(personal(data)) if data is not None else None,
            )
        )
    if extra_events:
        events = _with_drafts(events, items, extra_events, rng, now)
    # Each clone's history is its own hash chain (the template's hashes name its dossier).
    previous = None
    for row in events:
        row["id"] = ids.take("event")
        row["prev_hash"] = previous
        row["hash"] = previous = event_digest(**{k: row[k] for k in CHAINED}, prev_hash=previous)
    return {
        "dossier": [dossier],
        "nominee": nominees,
        "process_instance": [instance],
        "work_item": items,
        "event": events,
    }


def _with_drafts(
    events: list[dict[str, Any]],
    items: list[dict[str, Any]],
    count: int,
    rng: random.Random,
    now: datetime,
) -> list[dict[str, Any]]:
    """`events` with `count` "draft_saved" events added: the person who completed a step (or
    holds an open one) saved its form a few times before, as the pages let them. Each draft
    sits in the time line between the event before it and the step's completion."""
    # Which event a step's drafts go before: its completion (an open step's: the end).
    completion = {
        row["work_item_id"]: index
        for index, row in enumerate(events)
        if row["action"] == "completed" and row["work_item_id"] is not None
    }
    candidates = []
    for item in items:
        actor = item["completed_by_id"] or item["claimed_by_id"] or item["assignee_id"]
        slot = completion.get(item["id"], len(events) if item["status"] == "open" else None)
        if actor is not None and slot is not None and slot > 0:
            candidates.append((slot, item, actor))
    if not candidates:
        return events
    drafts: dict[int, list[dict[str, Any]]] = {}
    for _ in range(count):
        slot, item, actor = rng.choice(candidates)
        drafts.setdefault(slot, []).append(
            dict.fromkeys(TABLES["event"].c.keys())
            | {
                "dossier_id": item["dossier_id"],
                "actor_id": actor,
                "action": "draft_saved",
                "step": item["step"],
                "step_title": item["title"],
                "work_item_id": item["id"],
                "decision": None,
                "comment": None,
                "data": None,
            }
        )
    merged: list[dict[str, Any]] = []
    for index in range(len(events) + 1):
        if index in drafts:
            low = events[index - 1]["at"]
            high = events[index]["at"] if index < len(events) else max(now, low)
            span = (high - low).total_seconds()
            stamps = sorted(low + timedelta(seconds=rng.uniform(0, span)) for _ in drafts[index])
            for row, stamp in zip(drafts[index], stamps, strict=True):
                merged.append(dict(row, at=stamp))
        if index < len(events):
            merged.append(events[index])
    return merged


def _copy(conn: Connection, table: Table, batch: list[dict[str, Any]]) -> None:
    """PostgreSQL: the rows through COPY, several times faster than INSERT for millions of
    rows; each value goes through its column type's bind processing, as an INSERT's would."""
    columns = [name for name in table.c.keys() if name in batch[0]]  # noqa: SIM118 - names
    processors = [table.c[name].type._cached_bind_processor(conn.dialect) for name in columns]
    names = ", ".join(f'"{name}"' for name in columns)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in batch:
                values = [row[name] for name in columns]
                copy.write_row(
                    [
                        value if process is None or value is None else process(value)
                        for process, value in zip(processors, values, strict=True)
                    ]
                )
    finally:
        cursor.close()


def _insert(conn: Connection, batch: dict[str, list[dict[str, Any]]], rows: dict[str, int]) -> None:
    copy = conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"
    for name, table in TABLES.items():  # parents before children, for the foreign keys
        if batch[name]:
            if copy:
                _copy(conn, table, batch[name])
            else:
                conn.execute(insert(table), batch[name])
            rows[name] = rows.get(name, 0) + len(batch[name])
        batch[name] = []


def _clone_plan(templates: list[Template], total: int, rng: random.Random) -> list[Template]:
    """Which template each clone copies: the state mix scaled to `total`, units 50/50."""
    weights = {state: weight for state, (weight, _script) in STATES.items()}
    scale = total / sum(weights.values())
    by_key = {(t.state, t.unit): t for t in templates}
    plan: list[Template] = []
    units = list(UNITS)
    for state, weight in weights.items():
        # The templates themselves count towards the mix.
        clones = max(0, round(weight * scale) - len(units))
        plan += [by_key[(state, rng.choice(units))] for _ in range(clones)]
    # Rounding may leave the total a few off; even it out with awarded dossiers.
    missing = total - len(templates) - len(plan)
    plan += [by_key[("awarded", rng.choice(units))] for _ in range(max(0, missing))]
    del plan[len(plan) + min(0, missing) :]
    rng.shuffle(plan)
    return plan


def _extra_events(db: Database, plan: list[Template], events: int | None) -> int:
    """How many history events the clones need beyond their templates' for `events` in all."""
    if events is None:
        return 0
    with db.engine.connect() as conn:
        existing = conn.scalar(select(func.count()).select_from(TABLES["event"])) or 0
    return max(0, events - existing - sum(len(t.events) for t in plan))


def clone_templates(
    db: Database,
    templates: list[Template],
    total: int,
    seed: int = 2026,
    events: int | None = None,
) -> tuple[dict[str, int], dict[str, list[int]]]:
    """Insert clones until the database holds `total` dossiers (and about `events` events, when
    given, by adding saved drafts to the clones' histories); returns rows and ids per state."""
    rng = random.Random(seed)
    plan = _clone_plan(templates, total, rng)
    extra = _extra_events(db, plan, events)
    # Spread evenly over the clones, the remainder one each to the first ones.
    extra_each, extra_rest = divmod(extra, len(plan)) if plan else (0, 0)
    owed = 0
    now = utcnow()
    rows: dict[str, int] = {}
    by_state: dict[str, list[int]] = {}
    with db.engine.connect() as conn:
        unit_codes = dict(conn.execute(select(OrgUnit.id, OrgUnit.code)).all())
        ids = _Ids(conn)
    for first in range(0, len(plan), BATCH):
        batch: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
        for number, template in enumerate(plan[first : first + BATCH], start=first):
            wanted = extra_each + (number < extra_rest) + owed
            clone = _clone(template, ids, unit_codes[template.dossier["unit_id"]], rng, now, wanted)
            # A clone with no step anybody worked on yet takes no draft: the next one does.
            owed = wanted - (len(clone["event"]) - len(template.events))
            by_state.setdefault(template.state, []).append(clone["dossier"][0]["id"])
            for name, new_rows in clone.items():
                batch[name] += new_rows
        with db.engine.begin() as conn:
            _insert(conn, batch, rows)
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            for table in TABLES.values():
                sequence = func.pg_get_serial_sequence(table.name, "id")
                top = select(func.max(table.c.id)).scalar_subquery()
                conn.execute(select(func.setval(sequence, top)))
        # A database that grew to this size has been vacuumed and analysed by autovacuum by now;
        # without the visibility map VACUUM writes, index-only reads go back to the table.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
            # ... and written out: the checkpoint the bulk load's WAL calls for happens now, not
            # spread over the timed requests (it ran through the first load run). A server where
            # the bench's role may not checkpoint does it when it will.
            try:
                conn.execute(text("CHECKPOINT"))
            except DBAPIError as exc:
                print(f"no CHECKPOINT after the bulk load ({exc.orig})", flush=True)
    return rows, by_state


# ----- checks ----------------------------------------------------------------------------------


def verify_clones(
    db: Database, services: ServiceLayer, by_state: dict[str, list[int]], rng: random.Random
) -> int:
    """Load one clone per state and drive it to its end through the services, then roll back.

    This proves the clones are real dossiers: the engine loads their state, its ready tasks are
    exactly their open work items, and completing them reaches an end with the council's tally
    and the Minister's decision applied to the clone's own nominees.
    """
    verified = 0
    for state, dossier_ids in sorted(by_state.items()):
        dossier_id = rng.choice(dossier_ids)
        session = db.session(write=True)
        try:
            _drive_to_end(session, services, state, dossier_id)
        finally:
            session.rollback()
            session.close()
        verified += 1
    return verified


def _drive_to_end(session: Session, services: ServiceLayer, state: str, dossier_id: int) -> None:
    dossier = session.get_one(Dossier, dossier_id)
    instance = session.scalars(
        select(ProcessInstance).where(ProcessInstance.dossier_id == dossier_id)
    ).one()
    unit = next(
        u
        for u, (officer, _h, _n) in UNITS.items()
        if services.user_ids[officer] == dossier.created_by_id
    )
    nominee_ids = [str(n.id) for n in dossier.nominees]
    script = {(a.step, a.username): a for a in awarded_path(unit, nominee_ids)}
    for _round in range(40):
        open_items = list(
            session.scalars(
                select(WorkItem).where(WorkItem.dossier_id == dossier_id, WorkItem.status == "open")
            )
        )
        ready = {t.task_id for t in load_process(session, instance).ready_human_tasks()}
        if {i.task_id for i in open_items} != ready or any(
            i.instance_id != instance.id for i in open_items
        ):
            raise RuntimeError(f"clone {dossier_id} ({state}): work items differ from the engine")
        if not open_items:
            break
        item = open_items[0]
        username = next(
            name
            for (step, name) in script
            if step == item.step
            and (item.assignee_id is None or services.user_ids[name] == item.assignee_id)
        )
        work_items.complete_work_item(
            session,
            services.actors[username],
            item.id,
            _step_data(script, item.step, username, dossier),
        )
    session.refresh(dossier)
    if dossier.status not in {"awarded", "partly_awarded", "refused"}:
        raise RuntimeError(f"clone {dossier_id} ({state}) ended as {dossier.status}")
    if any(n.result in {"pending", "passed"} for n in dossier.nominees):
        raise RuntimeError(f"clone {dossier_id} ({state}) has nominees without a result")
    if state not in {"refused_by_office"} and all(
        n.council_members is None for n in dossier.nominees
    ):
        raise RuntimeError(f"clone {dossier_id} ({state}): the tally missed its nominees")
    # Every member voted on every nominee: ballots cast before cloning name the clone's own
    # nominees, or they would not be counted here.
    for n in dossier.nominees:
        if n.council_members is not None and (
            (n.council_agree or 0) + (n.council_disagree or 0) != n.council_members
        ):
            raise RuntimeError(f"clone {dossier_id} ({state}): ballots lost in the tally")


def _step_data(
    script: dict[tuple[str, str], Action], step: str, username: str, dossier: Dossier
) -> dict[str, Any]:
    """The scripted data of a step, its per-nominee answers limited to the nominees in play.

    A dossier the Ministry returned meets the council again, and the council's form then
    decides only on the nominees it passed the first time: one it failed keeps its first tally
    and the form refuses a vote on it (`not_in_play`). A member answers what the form asks.
    """
    data = dict(script[(step, username)].data)
    votes = data.get("votes")
    if isinstance(votes, dict):
        in_play = set(nominee_ids_in_play(dossier))
        for nominee in dossier.nominees:
            # Only a nominee the council itself failed may drop out of a vote; any other
            # would be a clone whose nominees lost their state, and the form must say so.
            if str(nominee.id) not in in_play and nominee.result != "failed":
                raise RuntimeError(
                    f"dossier {dossier.id}: nominee {nominee.id} is {nominee.result} at the council"
                )
        data["votes"] = {k: v for k, v in votes.items() if k in in_play}
    return data


def prefill(
    db: Database, services: ServiceLayer, total: int, events: int | None = None
) -> PrefillReport:
    """Templates through the services, then clones, until `total` dossiers exist (and about
    `events` history events, when given: the clones' histories get saved drafts)."""
    began = time.perf_counter()
    operations_before = sum(len(services.samples.values(n)) for n in services.samples.names())
    templates = make_templates(db, services)
    template_seconds = time.perf_counter() - began
    operations = (
        sum(len(services.samples.values(n)) for n in services.samples.names()) - operations_before
    )
    weights = {state: weight for state, (weight, _script) in STATES.items()}
    per_state: dict[str, list[float]] = {}
    for t in templates:
        per_state.setdefault(t.state, []).append(t.service_seconds)
    scale = total / sum(weights.values())
    extrapolated = sum(weights[s] * scale * sum(v) / len(v) for s, v in per_state.items())
    began = time.perf_counter()
    rows, by_state = clone_templates(db, templates, total, events=events)
    clone_seconds = time.perf_counter() - began
    with db.engine.connect() as conn:
        dossiers = conn.scalar(select(func.count()).select_from(TABLES["dossier"])) or 0
    mix = {state: len(by_state.get(state, [])) for state in STATES}
    for t in templates:
        mix[t.state] = mix.get(t.state, 0) + 1
    # The process map's summary of median times, as the job queue keeps it on a running site.
    with db.transaction() as session:
        process_map_summary.refresh(session, utcnow())
    return PrefillReport(
        dossiers=dossiers,
        templates=len(templates),
        template_seconds=template_seconds,
        template_operations=operations,
        extrapolated_service_seconds=extrapolated,
        clone_seconds=clone_seconds,
        rows=rows,
        mix=mix,
        clones_by_state=by_state,
    )
