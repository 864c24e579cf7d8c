"""The letterhead of an issuing unit (a Department, the Ministry): what its papers print in the
header, the place/date line, the number's abbreviation and the signer's title."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base, UTCDateTime, utcnow


class Letterhead(Base):
    """One issuing unit's letterhead, edited by the administrator. A unit's papers use the
    letterhead of the unit itself or of its nearest ancestor that has one."""

    __tablename__ = "letterhead"

    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), primary_key=True)
    place: Mapped[str] = mapped_column(String(100))  # "Bắc Ninh" in "Bắc Ninh, ngày …"
    parent_body: Mapped[str] = mapped_column(String(200), default="")  # "UBND TỈNH BẮC NINH"
    issuing_body: Mapped[str] = mapped_column(String(200))  # "SỞ TÀI CHÍNH"
    body_name: Mapped[str] = mapped_column(String(200))  # "Sở Tài chính" in the sentences
    abbreviation: Mapped[str] = mapped_column(String(20))  # "STC" in "12/TTr-STC"
    signer_title: Mapped[str] = mapped_column(String(100))  # "GIÁM ĐỐC"
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
