"""Set-up commands and configuration, as `make run` uses them."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import config
from webapp import create_app


def test_upgrade_and_seed_on_an_empty_database(tmp_path):
    settings = config.TestingConfig()
    settings.DATABASE_URL = f"sqlite:///{tmp_path / 'fresh' / 'app.sqlite'}"
    app = create_app(settings)
    runner = app.test_cli_runner()
    assert "up to date" in runner.invoke(args=["db-upgrade"]).output
    first = runner.invoke(args=["seed-demo", "--if-empty", "--samples"])
    assert "demo data installed" in first.output, first.output
    second = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "not installed" in second.output
    # The demo password is printed each time (make run shows it) while the demo accounts exist.
    assert "password demo" in first.output
    assert "password demo" in second.output
    assert "0 dossier(s)" in runner.invoke(args=["run-timers"]).output
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    token = client.post("/api/v1/tokens", json={"username": "vanphong", "password": "demo"})
    assert token.status_code == 201
    listing = client.get(
        "/api/v1/dossiers", headers={"Authorization": f"Bearer {token.json['token']}"}
    ).json
    statuses = sorted(d["status"] for d in listing["items"])
    assert statuses == ["awarded", "in_progress", "in_progress", "returned"]


def test_production_needs_a_secret_key():
    with pytest.raises(RuntimeError, match="needs SECRET_KEY and DATABASE_URL"):
        config.from_env({"APP_ENV": "production"})
    with pytest.raises(RuntimeError, match="needs DATABASE_URL"):
        config.from_env({"APP_ENV": "production", "SECRET_KEY": "s3cret"})
    with pytest.raises(RuntimeError, match="needs SECRET_KEY"):
        config.from_env({"APP_ENV": "production", "DATABASE_URL": "sqlite:///x.sqlite"})
    settings = config.from_env(
        {
            "APP_ENV": "production",
            "SECRET_KEY": "s3cret",
            "DATABASE_URL": "sqlite:///x.sqlite",
            "UPLOAD_DIR": "/srv/awards/uploads",
        }
    )
    assert settings.DATABASE_URL == "sqlite:///x.sqlite"
    assert str(settings.UPLOAD_DIR) == "/srv/awards/uploads"
    assert settings.COOKIE_SECURE is True  # production cookies travel over HTTPS only
    with pytest.raises(RuntimeError, match="APP_ENV"):
        config.from_env({"APP_ENV": "staging"})


def test_healthz_is_503_when_the_database_is_unreachable():
    settings = config.TestingConfig()
    settings.DATABASE_URL = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    response = create_app(settings).test_client().get("/healthz")
    assert response.status_code == 503


ROOT = Path(__file__).resolve().parents[2]


def test_development_makes_a_private_secret_key_once_and_reuses_it(tmp_path):
    key_file = tmp_path / "instance" / "secret_key"
    env = {"APP_ENV": "development", "SECRET_KEY_FILE": str(key_file)}
    first = config.from_env(env)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().strip() == first.SECRET_KEY
    assert len(first.SECRET_KEY) == 64
    assert config.from_env(env).SECRET_KEY == first.SECRET_KEY
    # A key from the environment wins over the file.
    assert config.from_env({**env, "SECRET_KEY": "from-the-environment"}).SECRET_KEY == (
        "from-the-environment"
    )
    # A copy made readable by others is made private again.
    key_file.chmod(0o644)
    assert config.from_env(env).SECRET_KEY == first.SECRET_KEY
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_development_defaults_to_instance_secret_key():
    assert config.DevelopmentConfig.SECRET_KEY_FILE == ROOT / "instance" / "secret_key"
    assert config.DevelopmentConfig.SECRET_KEY is None
    assert config.ProductionConfig.SECRET_KEY_FILE is None


def test_an_empty_key_file_is_refused(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text("\n")
    key_file.chmod(0o600)
    with pytest.raises(RuntimeError, match="no usable secret key"):
        config.from_env({"SECRET_KEY_FILE": str(key_file)})


STARTER = """
import os, sys
sys.path.insert(0, os.environ["ROOT"])
import config
print(config.from_env({"SECRET_KEY_FILE": os.environ["KEY_FILE"]}).SECRET_KEY)
"""


def test_workers_starting_together_agree_on_one_key(tmp_path):
    key_file = tmp_path / "instance" / "secret_key"
    env = {**os.environ, "ROOT": str(ROOT), "KEY_FILE": str(key_file)}
    workers = [
        subprocess.Popen(  # noqa: S603 - this interpreter, a fixed script
            [sys.executable, "-c", STARTER], env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(6)
    ]
    keys = {worker.communicate(timeout=60)[0].strip() for worker in workers}
    assert keys == {key_file.read_text().strip()}
    assert [p.name for p in key_file.parent.iterdir()] == ["secret_key"]  # no draft left


def test_wsgi_on_a_fresh_clone_creates_instance_secret_key(tmp_path):
    # What `make run` starts: gunicorn imports wsgi, which builds the development config.
    clone = tmp_path / "clone"
    clone.mkdir()
    for name in ("config.py", "wsgi.py"):
        (clone / name).write_text((ROOT / name).read_text())
    for package in ("webapp", "workflows", "bpmn"):
        (clone / package).symlink_to(ROOT / package)
    env = {key: value for key, value in os.environ.items() if key not in ("SECRET_KEY", "APP_ENV")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'app.sqlite'}"
    show = "import wsgi; print(wsgi.app.secret_key)"
    runs = [
        subprocess.run(  # noqa: S603 - this interpreter, a fixed script
            [sys.executable, "-c", show], cwd=clone, env=env, capture_output=True, text=True
        )
        for _ in range(2)
    ]
    assert all(run.returncode == 0 for run in runs), runs[0].stderr[-2000:]
    key_file = clone / "instance" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert runs[0].stdout.strip() == runs[1].stdout.strip() == key_file.read_text().strip()


def test_cookie_and_limit_settings_come_from_the_environment():
    settings = config.from_env(
        {
            "APP_ENV": "production",
            "SECRET_KEY": "s3cret",
            "DATABASE_URL": "sqlite:///x.sqlite",
            "TRUSTED_PROXIES": "1",
            "COOKIE_SECURE": "true",
            "REMEMBER_DAYS": "3",
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
            "LOGIN_LIMIT_PER_ACCOUNT": "5 per minute",
        }
    )
    assert settings.TRUSTED_PROXIES == 1
    assert settings.COOKIE_SECURE is True
    assert settings.REMEMBER_LIFETIME.days == 3
    assert settings.RATELIMIT_STORAGE_URI == "redis://127.0.0.1:6379"
    assert settings.LOGIN_LIMIT_PER_ACCOUNT == "5 per minute"
    with pytest.raises(RuntimeError, match="TRUSTED_PROXIES"):
        config.from_env({"SECRET_KEY": "s3cret", "TRUSTED_PROXIES": "one"})
