"""Layer (c): real HTTP over loopback.

The timed requests are served the way `make run` serves them: gunicorn with threads, in its own
process, with keep-alive. --profile adds a separate, untimed pass afterwards on the same app and
database in werkzeug's server in a thread of this process, so that cProfile can follow the
requests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from bench.path import Action
from bench.server import free_port, get_status
from bench.stats import Samples


class _QuietHandler(WSGIRequestHandler):
    # Production servers (gunicorn) set TCP_NODELAY; without it a response written in two parts
    # can wait for a delayed ACK and the figures would measure TCP, not the application.
    disable_nagle_algorithm = True

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """No access log: printing a line per request would be timed too."""


ROOT = Path(__file__).resolve().parent.parent


class GunicornServer:
    """`gunicorn wsgi:app` on a free loopback port, as `make run` starts it."""

    def __init__(self, app: Flask) -> None:
        self.port = free_port()
        env = dict(os.environ)
        env.update(
            {
                "APP_ENV": "testing",
                "DATABASE_URL": str(app.config["DATABASE_URL"]),
                "UPLOAD_DIR": str(app.config["UPLOAD_DIR"]),
            }
        )
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--keep-alive",
                "60",
                "--log-level",
                "warning",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
        )
        deadline = time.monotonic() + 30
        while True:
            # get_status closes its connection on every path: a probe left open while the
            # worker warms up surfaced as a ResourceWarning (an error under pytest).
            if get_status(self.port, "/healthz") == 200:
                break
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.close()
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)

    def close(self) -> None:
        """Stop gunicorn."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()  # reaped: no zombie, no ResourceWarning


class ThreadServer:
    """werkzeug's server in a thread of this process (for profiling)."""

    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
        self.port = self.server.port
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="bench-http", daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        """Stop the server and its thread."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


class ApiLayer:
    """An HTTP client with one keep-alive connection to the served app."""

    def __init__(self, app: Flask, samples: Samples, *, in_process: bool = False) -> None:
        self.samples = samples
        self.by_step = Samples()
        self.server: GunicornServer | ThreadServer = (
            ThreadServer(app) if in_process else GunicornServer(app)
        )
        self.connection = HTTPConnection("127.0.0.1", self.server.port, timeout=120)
        self.tokens: dict[str, str] = {}
        self.requests = 0
        self.closed_by_server = 0
        self.last_ms = 0.0

    def close(self) -> None:
        """Close the connection and stop the server."""
        self.connection.close()
        self.server.close()

    def request(
        self,
        method: str,
        path: str,
        username: str | None = None,
        body: Any = None,
        *,
        expect: int = 200,
        name: str | None = None,
    ) -> Any:
        """One request; the time from sending to the last byte read is kept under `name`."""
        headers = {"Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if username is not None:
            headers["Authorization"] = f"Bearer {self.tokens[username]}"
        began = time.perf_counter()
        self.connection.request(method, path, body=payload, headers=headers)
        response = self.connection.getresponse()
        raw = response.read()
        elapsed = (time.perf_counter() - began) * 1000
        self.last_ms = elapsed
        self.requests += 1
        if response.getheader("Connection", "").lower() == "close":
            # werkzeug's development server closes every connection; http.client reconnects.
            self.closed_by_server += 1
        if response.status != expect:
            raise RuntimeError(f"{method} {path}: {response.status} {raw[:500]!r}")
        if name is not None:
            self.samples.add(name, elapsed)
        return json.loads(raw) if raw else None

    def login(self, usernames: list[str]) -> None:
        """Get a token for each user (not timed: clients keep their token)."""
        for username in usernames:
            if username not in self.tokens:
                body = {"username": username, "password": "demo"}
                self.tokens[username] = self.request(
                    "POST", "/api/v1/tokens", body=body, expect=201
                )["token"]

    def start(self, username: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST /dossiers (timed as `api.start_dossier`)."""
        dossier: dict[str, Any] = self.request(
            "POST", "/api/v1/dossiers", username, payload, expect=201, name="api.start_dossier"
        )
        return dossier

    def complete(self, dossier: dict[str, Any], action: Action) -> dict[str, Any]:
        """Complete the dossier's open item for `action` (timed as `api.complete_work_item`).

        The item id comes from the dossier's `current` list of the previous response, so no
        extra request is needed to find it.
        """
        item = next(
            (
                c
                for c in dossier["current"]
                if c["step"] == action.step and c["assignee"] in (None, action.username)
            ),
            None,
        )
        if item is None:
            raise RuntimeError(f"dossier {dossier['id']} has no open {action.step}")
        result = self.request(
            "POST",
            f"/api/v1/work-items/{item['work_item_id']}/complete",
            action.username,
            {"data": action.data},
            name="api.complete_work_item",
        )
        self.by_step.add(action.step, self.last_ms)
        updated: dict[str, Any] = result["dossier"]
        return updated

    def run(self, dossier: dict[str, Any], actions: list[Action]) -> dict[str, Any]:
        """Complete `actions` one after the other; returns the dossier as last seen."""
        for action in actions:
            dossier = self.complete(dossier, action)
        return dossier

    def my_work_items(self, username: str, name: str, per_page: int = 100) -> int:
        """GET /work-items, one page (timed as `name`); returns how many items came back."""
        path = f"/api/v1/work-items?per_page={per_page}"
        return len(self.request("GET", path, username, name=name))

    def list_dossiers(self, username: str, name: str, q: str | None = None) -> tuple[int, bool]:
        """GET /dossiers page 1, 50 per page (timed as `name`); returns the total and whether
        counting stopped there (more match)."""
        query = "page=1&per_page=50" + (f"&q={q.replace(' ', '+')}" if q else "")
        page = self.request("GET", f"/api/v1/dossiers?{query}", username, name=name)
        return int(page["total"]), bool(page["total_is_lower_bound"])
