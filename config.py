"""Configuration classes. The environment is read only when from_env() is called."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY_BYTES = 32


class Config:
    """Defaults shared by every environment."""

    # Never a constant in the repository: from the environment, or (development) a key file.
    SECRET_KEY: str | None = None
    SECRET_KEY_FILE: Path | None = None
    DATABASE_URL = f"sqlite:///{BASE_DIR / 'instance' / 'awards.sqlite'}"
    BPMN_DIR = BASE_DIR / "bpmn"
    UPLOAD_DIR = BASE_DIR / "instance" / "uploads"
    PROCESS_KEY = "award_nomination"
    API_TOKEN_LIFETIME = timedelta(hours=12)
    SESSION_LIFETIME = timedelta(hours=8)
    # "Keep me logged in on this device": the remember cookie's lifetime.
    REMEMBER_LIFETIME = timedelta(days=14)
    # A session lasts SESSION_LIFETIME from login; refreshing the cookie on every response would
    # let a slow static-file response put back a session the user just logged out of.
    SESSION_REFRESH_EACH_REQUEST = False
    # Cookies are marked Secure when the request came over HTTPS; True marks them always.
    COOKIE_SECURE = False
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (0: none).
    TRUSTED_PROXIES = 0
    # The job queue (Huey) that fires BPMN timers and runs periodic jobs: an SQLite file under
    # instance/ (one machine; `make run` starts its consumer), or "redis://127.0.0.1:6379/0"
    # for several machines. Exactly-once comes from the database, not from the queue.
    JOBS_URL = f"sqlite:///{BASE_DIR / 'instance' / 'jobs.sqlite'}"
    # Timers fired per transaction of a pass.
    JOBS_TIMER_BATCH = 20
    # A tracking list longer than this is exported to Excel by the job queue (a whole-list
    # workbook of 100,000 dossiers takes a minute, longer than a reverse proxy waits).
    EXPORT_DIRECT_ROWS = 10_000
    # Failed logins (page and API share the counters); "memory://" is one process's memory,
    # several workers need a shared store such as "redis://127.0.0.1:6379".
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_STRATEGY = "moving-window"
    LOGIN_LIMIT_PER_ACCOUNT = "10 per minute"
    LOGIN_LIMIT_PER_ADDRESS = "30 per minute"
    # The public status look-up, per client address (same store as the login counters).
    STATUS_LOOKUP_LIMIT = "30 per minute"
    # Root certificates (PEM or DER files) whose signers a signed PDF is "trusted" for; with
    # none, an intact signature reads "signer not trusted". Revocation data is never fetched.
    SIGNATURE_TRUST_ROOTS: tuple[Path, ...] = ()
    SIGNATURE_CHECK_SECONDS = 10.0
    # The issuing body's abbreviation in document numbers ("12/TTr-STC"); it changes when the
    # Department is renamed or merged.
    REGISTER_BODY = "STC"
    # E-mail over SMTP; no MAIL_SERVER: no mail at all (the bell still rings). APP_BASE_URL is
    # the address users open, for the links in mail.
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_USE_TLS = False
    MAIL_FROM = "khenthuong@localhost"
    APP_BASE_URL = "http://127.0.0.1:5000"
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    TIME_ZONE = "Asia/Ho_Chi_Minh"
    TESTING = False
    SQL_ECHO = False


class DevelopmentConfig(Config):
    """`make run`: SQLite file, demo data, a random secret key kept in instance/secret_key."""

    SECRET_KEY_FILE = BASE_DIR / "instance" / "secret_key"


class TestingConfig(Config):
    """pytest: the database URL is given by the test fixtures."""

    TESTING = True
    # Random per process: nothing signed with it outlives the test run.
    SECRET_KEY = secrets.token_hex(SECRET_KEY_BYTES)
    JOBS_URL = "memory://"


class ProductionConfig(Config):
    """A real deployment: SECRET_KEY and DATABASE_URL must come from the environment (the app
    refuses to start without them), UPLOAD_DIR should; cookies are Secure (HTTPS only) unless
    COOKIE_SECURE=false says otherwise."""

    COOKIE_SECURE = True


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def _read_key(path: Path) -> str:
    if path.stat().st_mode & 0o077:
        # Readable by its owner only, whatever the umask or a copy did to it.
        path.chmod(0o600)
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < SECRET_KEY_BYTES:
        raise RuntimeError(f"{path} holds no usable secret key; delete it to make a new one")
    return key


def load_or_create_secret_key(path: Path) -> str:
    """The key kept in `path`, made (random, mode 0600) on first use. Workers starting together
    agree: the file appears complete in one step (a hard link), and the first one wins."""
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(secrets.token_hex(SECRET_KEY_BYTES) + "\n")
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):  # another process was first: use its key
            os.link(draft, path)
    finally:
        os.unlink(draft)
    return _read_key(path)


def _positive_int(env: dict[str, str], name: str) -> int:
    value = env[name].strip()
    if not value.isdigit():
        raise RuntimeError(f"{name} must be a whole number, not {env[name]!r}")
    return int(value)


def from_env(environ: dict[str, str] | None = None) -> Config:
    """Build the config named by APP_ENV (default development), overridden by the environment."""
    env = dict(os.environ if environ is None else environ)
    name = env.get("APP_ENV", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"APP_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    config = CONFIGS[name]()
    if name == "production":
        missing = [key for key in ("SECRET_KEY", "DATABASE_URL") if not env.get(key, "").strip()]
        if missing:
            raise RuntimeError(
                f"APP_ENV=production needs {' and '.join(missing)} in the environment "
                "(see the README, 'Running in production')"
            )
    if env.get("DATABASE_URL"):
        config.DATABASE_URL = env["DATABASE_URL"]
    if env.get("UPLOAD_DIR"):
        config.UPLOAD_DIR = Path(env["UPLOAD_DIR"])
    if env.get("JOBS_URL"):
        config.JOBS_URL = env["JOBS_URL"]
    if env.get("JOBS_TIMER_BATCH"):
        config.JOBS_TIMER_BATCH = _positive_int(env, "JOBS_TIMER_BATCH")
    if env.get("SIGNATURE_TRUST_ROOTS"):
        roots = env["SIGNATURE_TRUST_ROOTS"].split(os.pathsep)
        config.SIGNATURE_TRUST_ROOTS = tuple(Path(p) for p in roots if p)
    if env.get("SECRET_KEY_FILE") and config.SECRET_KEY_FILE is not None:
        config.SECRET_KEY_FILE = Path(env["SECRET_KEY_FILE"])
    if env.get("SECRET_KEY"):
        config.SECRET_KEY = env["SECRET_KEY"]
    elif config.SECRET_KEY_FILE is not None:
        config.SECRET_KEY = load_or_create_secret_key(config.SECRET_KEY_FILE)
    if not config.SECRET_KEY:
        raise RuntimeError("SECRET_KEY must be set in production")
    for text in (
        "RATELIMIT_STORAGE_URI",
        "LOGIN_LIMIT_PER_ACCOUNT",
        "LOGIN_LIMIT_PER_ADDRESS",
        "STATUS_LOOKUP_LIMIT",
    ):
        if env.get(text):
            setattr(config, text, env[text])
    for text in ("MAIL_SERVER", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_FROM", "APP_BASE_URL"):
        if env.get(text):
            setattr(config, text, env[text])
    if env.get("MAIL_PORT"):
        config.MAIL_PORT = _positive_int(env, "MAIL_PORT")
    if env.get("MAIL_USE_TLS"):
        config.MAIL_USE_TLS = env["MAIL_USE_TLS"].strip().lower() in ("1", "true", "yes", "on")
    if env.get("EXPORT_DIRECT_ROWS"):
        config.EXPORT_DIRECT_ROWS = _positive_int(env, "EXPORT_DIRECT_ROWS")
    if env.get("TRUSTED_PROXIES"):
        config.TRUSTED_PROXIES = _positive_int(env, "TRUSTED_PROXIES")
    if env.get("REMEMBER_DAYS"):
        config.REMEMBER_LIFETIME = timedelta(days=_positive_int(env, "REMEMBER_DAYS"))
    if env.get("COOKIE_SECURE"):
        config.COOKIE_SECURE = env["COOKIE_SECURE"].strip().lower() in ("1", "true", "yes", "on")
    return config
