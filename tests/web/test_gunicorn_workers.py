"""Several gunicorn workers as gunicorn.conf.py sets them (production's shape): a request goes
to a worker that is free, not to one busy with a slow request; and a request that lasts longer
than WEB_TIMEOUT finishes instead of its worker being killed."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.client import HTTPConnection
from pathlib import Path

import pytest

from bench.server import Gunicorn
from tests.faults.support import prepared_app, server_env
from webapp.request_db import database

HOLD_S = 8.0  # how long the slow client keeps its worker
TIMEOUT_S = 4  # WEB_TIMEOUT of this server: the slow request outlasts it (a worker boots in 1-2 s)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Gunicorn]:
    # How gunicorn hands out connections does not depend on the database: SQLite's file.
    url = f"sqlite:///{tmp_path / 'workers.sqlite'}"
    app = prepared_app(url, tmp_path / "uploads")
    database(app).dispose()
    env = {
        **server_env(url, tmp_path / "uploads"),
        "WEB_WORKERS": "2",
        "WEB_TIMEOUT": str(TIMEOUT_S),
        "JOBS_EMBEDDED": "0",
        "LOG_LEVEL": "warning",
    }
    served = Gunicorn(env, tmp_path / "gunicorn.log", workers=2, options=("-c", "gunicorn.conf.py"))
    try:
        yield served
    finally:
        served.close()


def _slow_post(port: int, answers: list[bytes]) -> None:
    """A login form whose body arrives HOLD_S seconds after its headers (a slow client)."""
    body = b"username=canbo_ns&password=demo"
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(
            b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:5]
        )
        time.sleep(HOLD_S)
        sock.sendall(body[5:])
        answers.append(sock.recv(64))


def _healthz_seconds(port: int) -> float:
    began = time.monotonic()
    connection = HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        assert response.status == 200
    finally:
        connection.close()
    return time.monotonic() - began


def test_a_free_worker_answers_while_another_holds_a_slow_client(server):
    answers: list[bytes] = []
    slow = threading.Thread(target=_slow_post, args=(server.port, answers))
    slow.start()
    time.sleep(0.5)  # the slow client has its worker
    # Each request goes to the free worker: none waits for the slow one (with keep-alive and
    # unbounded connections per worker, about half of them did, for the whole hold).
    waits = [_healthz_seconds(server.port) for _ in range(12)]
    slow.join()
    assert max(waits) < HOLD_S / 2, waits
    # The slow request outlasted WEB_TIMEOUT and the app answered it all the same: its worker
    # was not killed half-way (a sync worker was).
    assert len(answers) == 1
    status = int(answers[0].split()[1])
    assert status < 500, answers[0]  # the app's answer (a sync worker's abort gave a 500)
