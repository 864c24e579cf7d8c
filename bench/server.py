"""gunicorn serving the app on a free loopback port, for the load test and the fault tests,
and the job queue's worker beside it.

The load test starts it in production shape (`-c gunicorn.conf.py`, APP_ENV=production, the
job queue in its own `flask jobs-worker` process); the fault tests start it with the test
configuration. Either way it binds 127.0.0.1 only.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from http.client import HTTPConnection, HTTPException
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port nobody listens on at the moment."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get_status(port: int, path: str) -> int | None:
    """The status of GET `path`, or None when nothing answered."""
    connection = HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
    except (OSError, HTTPException):
        return None
    finally:
        connection.close()
    return response.status


def started(module: tuple[str, ...], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`python -m <module…>` of this interpreter in the project's folder, with `env` added to
    this process's environment and its output in `log`."""
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
    with log.open("wb") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", *module],
            cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip


def stopped(process: subprocess.Popen[bytes], sent: signal.Signals, grace: float) -> None:
    """Stop `process` with `sent`, for good (SIGKILL) when it is still running after `grace`
    seconds; nothing when it has ended already."""
    if process.poll() is not None:
        return
    process.send_signal(sent)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Gunicorn:
    """`gunicorn wsgi:app` with `workers` processes on a free loopback port.

    `env` is added to this process's environment (DATABASE_URL, APP_ENV, SECRET_KEY…);
    `options` are more command-line options (e.g. `-c gunicorn.conf.py`, `--threads 4`).
    The server's output goes to `log`.
    """

    def __init__(
        self,
        env: Mapping[str, str],
        log: Path,
        *,
        workers: int,
        options: tuple[str, ...] = (),
        ready_timeout: float = 60,
    ) -> None:
        self.port = free_port()
        self.log = log
        self.process = started(
            (
                "gunicorn", *options,
                "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers), "wsgi:app",
            ),
            env,
            log,
        )  # fmt: skip
        try:
            self.wait_ready(workers, timeout=ready_timeout)
        except RuntimeError:
            self.close()
            raise

    def workers(self) -> list[int]:
        """The worker processes' ids (children of the master)."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except FileNotFoundError:
            return []

    def wait_ready(self, workers: int, timeout: float = 60) -> None:
        """Until `workers` workers run and /healthz answers 200."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.workers()) >= workers and get_status(self.port, "/healthz") == 200:
                return
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"gunicorn did not start: {self.log.read_text()[-3000:]}")
            time.sleep(0.2)

    def close(self) -> None:
        """Stop gunicorn (gracefully, then for good after 15 s)."""
        stopped(self.process, signal.SIGTERM, 15)


class JobsWorker:
    """`flask jobs-worker` in its own process, as production runs it beside the web server
    (deploy/awards-worker.service): the job queue's passes are not run by threads of the web
    workers, where each pass held a worker's interpreter lock while its requests waited.
    `env` is added to this process's environment; the output goes to `log`."""

    def __init__(self, env: Mapping[str, str], log: Path) -> None:
        self.log = log
        self.process = started(("flask", "--app", "wsgi", "jobs-worker"), env, log)

    def close(self) -> None:
        """Stop it as its service does (SIGINT: a pass under way finishes), for good after
        30 s."""
        stopped(self.process, signal.SIGINT, 30)
