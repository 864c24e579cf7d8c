"""Layer (b): the use cases of webapp.services with a real Session, one commit per operation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bench.path import Action
from bench.stats import Samples
from webapp.db import Database, utcnow
from webapp.models import User, WorkItem
from webapp.permissions import Actor
from webapp.services import dossiers, work_items
from webapp.services.actors import actor_for_user


@dataclass(frozen=True)
class Started:
    """A dossier just started: its id and its nominees' ids (as the forms name them)."""

    dossier_id: int
    nominee_ids: list[str]


class ServiceLayer:
    """Calls the services as the HTTP edge does: a session per operation, committed at the end.

    The actors are built once, as a token lookup would build them on every request at the edge;
    the API layer pays for that lookup, this layer does not.
    """

    def __init__(self, db: Database, samples: Samples, prefix: str = "service") -> None:
        self.db = db
        self.samples = samples
        self.by_step = Samples()
        self.prefix = prefix
        with db.transaction(write=False) as session:
            users = list(session.scalars(select(User)))
            self.actors: dict[str, Actor] = {u.username: actor_for_user(session, u) for u in users}
            self.user_ids = {u.username: u.id for u in users}

    def start(self, username: str, payload: dict[str, Any]) -> Started:
        """Start a dossier (timed as `<prefix>.start_dossier`)."""
        with self.samples.timed(f"{self.prefix}.start_dossier"):
            session = self.db.session(write=True)
            try:
                dossier = dossiers.start_dossier(session, self.actors[username], payload)
                session.commit()
            finally:
                session.close()
        return Started(dossier.id, [str(n.id) for n in dossier.nominees])

    def open_item(self, dossier_id: int, action: Action) -> int:
        """The open work item `action` completes (not timed: a client knows it from its list)."""
        user_id = self.user_ids[action.username]
        with self.db.transaction(write=False) as session:
            rows = session.execute(
                select(WorkItem.id, WorkItem.assignee_id)
                .where(
                    WorkItem.dossier_id == dossier_id,
                    WorkItem.status == "open",
                    WorkItem.step == action.step,
                )
                .order_by(WorkItem.id)
            ).all()
        for item_id, assignee_id in rows:
            if assignee_id in (None, user_id):
                return int(item_id)
        raise RuntimeError(f"dossier {dossier_id} has no open {action.step} for {action.username}")

    def complete(self, item_id: int, action: Action) -> None:
        """Complete one work item (timed as `<prefix>.complete_work_item`)."""
        name = f"{self.prefix}.complete_work_item"
        with self.samples.timed(name), self.by_step.timed(action.step):
            session = self.db.session(write=True)
            try:
                work_items.complete_work_item(
                    session, self.actors[action.username], item_id, action.data
                )
                session.commit()
            finally:
                session.close()

    def run(self, dossier_id: int, actions: list[Action]) -> None:
        """Complete `actions` one after the other on a dossier."""
        for action in actions:
            self.complete(self.open_item(dossier_id, action), action)

    def my_work_items(self, username: str, name: str, per_page: int = 100) -> int:
        """One page of the caller's inbox and its total, as GET /work-items reads them
        (timed as `name`); returns how many items the page holds."""
        actor = self.actors[username]
        with self.samples.timed(name):
            session = self.db.session()
            try:
                work_items.count_my_work_items(session, actor, utcnow())
                count = len(work_items.my_work_items(session, actor, limit=per_page))
            finally:
                session.close()
        return count

    def list_dossiers(self, username: str, name: str, q: str | None = None) -> tuple[int, bool]:
        """Page 1 of the dossier list, 50 per page (timed as `name`); returns the total and
        whether counting stopped there (more match)."""
        with self.samples.timed(name):
            session = self.db.session()
            try:
                page = dossiers.list_dossiers(
                    session, self.actors[username], q=q, page=1, per_page=50
                )
                total = (page.total, page.total_is_lower_bound)
            finally:
                session.close()
        return total
