"""Small key/value facts about this installation (e.g. whether demo data is in use)."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base


class AppSetting(Base):
    """One installation-wide setting."""

    __tablename__ = "app_setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
