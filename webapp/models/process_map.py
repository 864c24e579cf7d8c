"""The process map's summary (webapp/services/process_map_summary.py): the recent completed
visits of each step, rebuilt by a periodic job so that the map never reads the whole history,
and when each process's summary was last rebuilt."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base, UTCDateTime
from webapp.models.work import WorkItem


class ProcessMapVisit(Base):
    """One recent completed visit of a step: the work items one dossier got at a step at the
    same moment (one per member for a council vote), with the columns the map filters by."""

    __tablename__ = "process_map_visit"
    __table_args__ = (Index("ix_process_map_visit_step", "process_key", "step", "last_item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(100))
    step: Mapped[str] = mapped_column(String(100))
    dossier_id: Mapped[int]
    unit_id: Mapped[int]
    movement_id: Mapped[int | None]
    award_form: Mapped[str | None] = mapped_column(String(50))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seconds: Mapped[float] = mapped_column(Float)
    # The newest work item of the visit: the summary's order, newest visit first.
    last_item_id: Mapped[int]


class ProcessMapRefresh(Base):
    """When a process's visits were last rebuilt, how many there are, and the completion time
    of the oldest (None when there is none)."""

    __tablename__ = "process_map_refresh"

    process_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    visits: Mapped[int]
    since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A new random value at every rebuild: what was computed from the visits stays true while
    # it is unchanged (the map keeps its medians by it; webapp/services/summary_figures.py).
    generation: Mapped[str | None] = mapped_column(String(32))


# Indexes of work_item that serve the map (declared here, beside the summary they go with):
# the refresh's window, the newest completed items; and the live counts of open items per step,
# read from the index alone (waiting, overdue, on an older version, in the actor's units).
Index("ix_work_item_done_completed", WorkItem.status, WorkItem.completed_at)
Index(
    "ix_work_item_open_step",
    WorkItem.status,
    WorkItem.step,
    WorkItem.unit_id,
    WorkItem.dossier_id,
    WorkItem.due_at,
    WorkItem.version_id,
)
# The distinct dossiers waiting anywhere (the map's totals), grouped in index order.
Index(
    "ix_work_item_open_dossier",
    WorkItem.status,
    WorkItem.dossier_id,
    WorkItem.unit_id,
    WorkItem.version_id,
    WorkItem.due_at,
)
