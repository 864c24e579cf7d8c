"""Configuration classes. The environment is read only when from_env() is called."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


class Config:
    """Defaults shared by every environment."""

    SECRET_KEY: str | None = "dev-only-secret-key-change-me"  # noqa: S105 - development default
    DATABASE_URL = f"sqlite:///{BASE_DIR / 'instance' / 'awards.sqlite'}"
    BPMN_DIR = BASE_DIR / "bpmn"
    UPLOAD_DIR = BASE_DIR / "instance" / "uploads"
    PROCESS_KEY = "award_nomination"
    API_TOKEN_LIFETIME = timedelta(hours=12)
    SESSION_LIFETIME = timedelta(hours=8)
    # A session lasts SESSION_LIFETIME from login; refreshing the cookie on every response would
    # let a slow static-file response put back a session the user just logged out of.
    SESSION_REFRESH_EACH_REQUEST = False
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    TIME_ZONE = "Asia/Ho_Chi_Minh"
    # Dates that are not working days besides weekends (Tết and other public holidays), ISO dates.
    HOLIDAYS_FILE = BASE_DIR / "webapp" / "data" / "holidays.json"
    TESTING = False
    SQL_ECHO = False


class DevelopmentConfig(Config):
    """`make run`: SQLite file, demo data."""


class TestingConfig(Config):
    """pytest: the database URL is given by the test fixtures."""

    TESTING = True
    SECRET_KEY = "testing-secret-key"  # noqa: S105 - test value


class ProductionConfig(Config):
    """A real deployment: SECRET_KEY and DATABASE_URL come from the environment."""

    SECRET_KEY = None


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def from_env(environ: dict[str, str] | None = None) -> Config:
    """Build the config named by APP_ENV (default development), overridden by the environment."""
    env = dict(os.environ if environ is None else environ)
    name = env.get("APP_ENV", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"APP_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    config = CONFIGS[name]()
    if env.get("DATABASE_URL"):
        config.DATABASE_URL = env["DATABASE_URL"]
    if env.get("SECRET_KEY"):
        config.SECRET_KEY = env["SECRET_KEY"]
    if env.get("UPLOAD_DIR"):
        config.UPLOAD_DIR = Path(env["UPLOAD_DIR"])
    if not config.SECRET_KEY:
        raise RuntimeError("SECRET_KEY must be set in production")
    return config
