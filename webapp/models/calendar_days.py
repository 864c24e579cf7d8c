"""The government's yearly announcements that change the working-day calendar: extra days off
(compensatory days, bridges) and weekend days swapped into working days, each with its basis."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base, UTCDateTime, utcnow

DAY_OFF = "day_off"  # a weekday nobody works (announced on top of the public holidays)
WORKING_DAY = "working_day"  # a Saturday or Sunday worked in exchange for a day off
EXCEPTION_KINDS = (DAY_OFF, WORKING_DAY)


class CalendarException(Base):
    """One day the announcement makes a day off or a working day."""

    __tablename__ = "calendar_exception"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    # The legal basis: the document that announced it (number, date, issuing body).
    basis: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
