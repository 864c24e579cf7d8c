"""What the fault tests share: a PostgreSQL cluster of their own (stopped and started at will,
never the shared server on 5432), the app served by gunicorn on loopback, and clients that
complete steps through the API and count what they saw."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.client import HTTPConnection, HTTPException
from pathlib import Path
from typing import Any

from flask import Flask

import config
from bench import server
from bench.path import awarded_path, start_payload
from bench.server import free_port, get_status  # noqa: F401 - the tests import them from here
from webapp import create_app
from webapp.cli import upgrade_database
from webapp.request_db import database
from webapp.services import seeding
from webapp.services.consistency import Inconsistency, find_inconsistent_dossiers

USERS = (
    "canbo_ns",
    "truongphong_ns",
    "canbo_dn",
    "truongphong_dn",
    "vanphong",
    "giamdoc",
    "hoidong1",
    "hoidong2",
    "hoidong3",
    "hoidong4",
    "chuyenvien_bo",
    "botruong",
)


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError(
            "the fault tests need PostgreSQL's server binaries (initdb, pg_ctl) under "
            "/usr/lib/postgresql/*/bin: apt-get install postgresql"
        )
    return Path(found[-1]).parent


class PrivatePostgres:
    """A throw-away PostgreSQL cluster on a free loopback port, run by the `postgres` OS user
    when the tests run as root (initdb refuses root), stopped and started as a test wishes."""

    def __init__(self) -> None:
        self.bin = _postgres_bin()
        self.port = free_port()
        self.home = Path(tempfile.mkdtemp(prefix="awards-faults-pg-"))
        self.data = self.home / "data"
        self.log = self.home / "postgres.log"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.home, user="postgres", group="postgres")
        self.home.chmod(0o700)
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--no-locale", "--no-sync",
        )  # fmt: skip
        self.start()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(  # noqa: S603 - PostgreSQL's own tools
            command, capture_output=True, text=True, timeout=60, check=False
        )
        if done.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(f"{program} failed: {done.stdout}{done.stderr}\n{log[-2000:]}")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (
            f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=60"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-o", options, "start")

    def stop(self) -> None:
        """Stop it the way an operator restarts it: fast (open sessions are cut)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def close(self) -> None:
        """Stop it (immediately) and delete its files."""
        with contextlib.suppress(RuntimeError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.home, ignore_errors=True)


def prepared_app(url: str, uploads: Path) -> Flask:
    """The app on `url`, migrated, with the demo accounts and the shipped process."""
    settings = config.TestingConfig()
    settings.DATABASE_URL = url
    settings.UPLOAD_DIR = uploads
    app = create_app(settings)
    upgrade_database(app)
    with database(app).transaction() as session:
        seeding.seed_demo(session, Path(settings.BPMN_DIR), settings.PROCESS_KEY)
    return app


def inconsistent_dossiers(app: Flask) -> list[Inconsistency]:
    """Every dossier whose rows disagree with its engine state."""
    with database(app).transaction(write=False) as session:
        return find_inconsistent_dossiers(session)


def server_env(url: str, uploads: Path) -> dict[str, str]:
    """The environment of a gunicorn serving the test configuration on `url`."""
    return {
        "APP_ENV": "testing",
        "DATABASE_URL": url,
        "UPLOAD_DIR": str(uploads),
        # Every worker signs and checks with the same key.
        "SECRET_KEY": secrets.token_hex(32),
    }


class Gunicorn(server.Gunicorn):
    """`gunicorn wsgi:app` with `workers` processes on a free loopback port, test configuration."""

    def __init__(self, url: str, uploads: Path, log: Path, *, workers: int) -> None:
        env = server_env(url, uploads)
        options = ("--threads", "4", "--timeout", "30", "--log-level", "warning")
        super().__init__(env, log, workers=workers, options=options)


@dataclass
class Tally:
    """What the clients saw, shared between their threads."""

    statuses: Counter[int] = field(default_factory=Counter)
    resets: int = 0
    completed_items: list[int] = field(default_factory=list)
    bad_bodies: list[str] = field(default_factory=list)
    # A client thread that stopped on something unforeseen.
    crashes: list[str] = field(default_factory=list)
    # (time, status) of every answer, to tell when the outage was seen.
    timeline: list[tuple[float, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for_more(self, count: int, timeout: float = 60) -> None:
        """Until `count` more steps than now are completed (the machine may be slow)."""
        with self.lock:
            target = len(self.completed_items) + count
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                if len(self.completed_items) >= target:
                    return
                if self.crashes:
                    raise AssertionError(f"a client stopped: {self.crashes}")
            if time.monotonic() > deadline:
                raise AssertionError(f"fewer than {count} steps completed in {timeout} s")
            time.sleep(0.05)

    def saw(self, status: int, body: bytes) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.timeline.append((time.monotonic(), status))
            if status >= 500 and status != 503:
                self.bad_bodies.append(body[:500].decode(errors="replace"))
            if status == 503:
                try:
                    error = json.loads(body).get("error", {})
                except ValueError:
                    error = {}
                if error.get("code") != "database_unavailable" or b"Traceback" in body:
                    self.bad_bodies.append(body[:500].decode(errors="replace"))


class ResetError(Exception):
    """The connection broke before an answer (the server process died or restarted)."""


class StepClient:
    """One user-agent over keep-alive HTTP that starts dossiers and completes their steps,
    reading each dossier's open steps afresh, so a refused or lost request is simply retried."""

    def __init__(self, port: int, tokens: dict[str, str], tally: Tally, unit: str) -> None:
        self.port = port
        self.tokens = tokens
        self.tally = tally
        self.unit = unit
        self.connection = HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method: str, path: str, user: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Accept": "application/json", "Authorization": f"Bearer {self.tokens[user]}"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        try:
            self.connection.request(method, path, body=payload, headers=headers)
            response = self.connection.getresponse()
            raw = response.read()
        except (OSError, HTTPException) as exc:
            self.connection.close()
            with self.tally.lock:
                self.tally.resets += 1
            raise ResetError from exc
        self.tally.saw(response.status, raw)
        try:
            return response.status, (json.loads(raw) if raw else None)
        except ValueError:
            with self.tally.lock:
                self.tally.bad_bodies.append(f"{method} {path}: {response.status} {raw[:300]!r}")
            return response.status, None

    def run(self, stop: threading.Event) -> None:
        """Drive dossiers until `stop` is set; anything unforeseen is kept in the tally."""
        try:
            self.drive(stop)
        except Exception as exc:  # reported by the test, not lost in a thread
            with self.tally.lock:
                self.tally.crashes.append(repr(exc))
        finally:
            self.connection.close()

    def drive(self, stop: threading.Event) -> None:
        """Start a dossier, drive it to its end, start the next, until `stop` is set."""
        officer = "canbo_ns" if self.unit == "ns" else "canbo_dn"
        dossier_id: int | None = None
        while not stop.is_set():
            try:
                if dossier_id is None:
                    status, body = self.request(
                        "POST", "/api/v1/dossiers", officer, start_payload(self.unit)
                    )
                    if status == 201:
                        dossier_id = int(body["id"])
                    else:
                        time.sleep(0.2)
                    continue
                status, dossier = self.request("GET", f"/api/v1/dossiers/{dossier_id}", officer)
                if status != 200:
                    time.sleep(0.2)
                    continue
                if not dossier["current"]:
                    dossier_id = None  # ended: start another
                    continue
                self.complete_one(dossier)
            except ResetError:
                time.sleep(0.1)

    def complete_one(self, dossier: dict[str, Any]) -> None:
        nominee_ids = [str(n["id"]) for n in dossier["nominees"]]
        script = awarded_path(self.unit, nominee_ids)
        item = dossier["current"][0]
        action = next(
            a for a in script if a.step == item["step"] and item["assignee"] in (None, a.username)
        )
        status, _body = self.request(
            "POST",
            f"/api/v1/work-items/{item['work_item_id']}/complete",
            action.username,
            {"data": action.data},
        )
        if status == 200:
            with self.tally.lock:
                self.tally.completed_items.append(int(item["work_item_id"]))
        elif status == 503:
            time.sleep(0.2)


def login_all(port: int) -> dict[str, str]:
    """A bearer token for each demo user who acts on the path."""
    tokens = {}
    connection = HTTPConnection("127.0.0.1", port, timeout=30)
    for user in USERS:
        body = json.dumps({"username": user, "password": "demo"}).encode()
        connection.request(
            "POST", "/api/v1/tokens", body=body, headers={"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        raw = response.read()
        assert response.status == 201, raw
        tokens[user] = json.loads(raw)["token"]
    connection.close()
    return tokens


@contextlib.contextmanager
def clients(port: int, tokens: dict[str, str], count: int) -> Iterator[Tally]:
    """`count` client threads completing steps while the block runs; they stop at its end."""
    tally = Tally()
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=StepClient(port, tokens, tally, "ns" if n % 2 == 0 else "dn").run,
            args=(stop,),
            name=f"fault-client-{n}",
            daemon=True,
        )
        for n in range(count)
    ]
    for thread in threads:
        thread.start()
    try:
        yield tally
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
