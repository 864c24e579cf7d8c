"""Languages and local time: Vietnamese by default, English second; dates as dd/mm/yyyy."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request, session
from flask_babel import Babel, format_decimal, get_locale, gettext

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}
DEFAULT_LANGUAGE = "vi"


def select_locale() -> str:
    """The language chosen with the switch in the navigation bar, Vietnamese otherwise."""
    chosen = session.get("lang") if request else None
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIME_ZONE"])


def local(value: datetime | None) -> datetime | None:
    """A UTC timestamp in the configured time zone (Asia/Ho_Chi_Minh)."""
    return value.astimezone(_zone()) if value is not None else None


def format_date(value: date | datetime | str | None) -> str:
    """dd/mm/yyyy (an ISO text, as JSON data such as a council's minutes keeps times, too)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
    if isinstance(value, datetime):
        value = value.astimezone(_zone()).date()
    return value.strftime("%d/%m/%Y")


def format_due_date(value: date | datetime | None) -> str:
    """A due date, the same on every page: the date only (dd/mm/yyyy), since time limits are
    counted in working days; the hour at which a deadline falls would only add noise."""
    return format_date(value)


def format_datetime(value: datetime | None) -> str:
    """dd/mm/yyyy HH:MM in local time."""
    if value is None:
        return ""
    return value.astimezone(_zone()).strftime("%d/%m/%Y %H:%M")


def format_file_size(size: int) -> str:
    """A file's size as people read it: bytes, whole KB rounded up, or MB to one decimal."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{-(-size // 1024)} KB"
    return f"{format_decimal(size / (1024 * 1024), format='#,##0.0')} MB"


def total_label(total: int, is_lower_bound: bool) -> str:
    """The count of a long list: "1.234", or "hơn 10.000" when counting stopped at the bound."""
    number = format_decimal(total)
    return gettext("more than %(num)s", num=number) if is_lower_bound else number


def init_app(app: Flask) -> None:
    """Attach Flask-Babel and the date filters."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config["TIME_ZONE"])
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = "translations"
    Babel(app, locale_selector=select_locale)
    app.jinja_env.filters["date_vn"] = format_date
    app.jinja_env.filters["datetime_vn"] = format_datetime
    app.jinja_env.filters["due_date"] = format_due_date
    app.jinja_env.filters["file_size"] = format_file_size
    app.jinja_env.filters["number"] = format_decimal  # 12.345 in Vietnamese
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["get_locale"] = get_locale
