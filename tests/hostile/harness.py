"""Serve the app as `make run` does and throw the hostile corpus at it over loopback.

Shared by tests/hostile/test_corpus.py (asserts) and bench/hostile.py (prints figures).

The server: `flask db-upgrade` and `flask seed-demo` on a fresh database (an SQLite file, or a
throw-away PostgreSQL database), then `gunicorn --workers 1 --threads 8` on a free port of
127.0.0.1. Its address space is capped (RLIMIT_AS) so that a memory bomb that gets through fails
inside the server instead of taking the shared machine's memory; a guard that works never
comes near the cap. A case that leaves the server unanswering gets it restarted on the same
database, so one failure does not hide the others (and the restart is reported).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from tests.hostile.builders import (
    HOSTILE_ID,
    SHIPPED_BPMN,
    SLOT_ELEMENTS,
    content,
    diagram_for,
    shipped_files,
)
from tests.hostile.cases import Case

ROOT = Path(__file__).resolve().parents[2]
KEY = "award_nomination"
MAX_REQUEST_S = 2.0
MAX_HEALTH_S = 0.5
MAX_RSS_GROWTH_MB = 100.0
# The codes of a step refused at run time (422): the diagram's logic failed, the data does not
# fit the form, or the form cannot check the data.
RUNTIME_REFUSALS = frozenset({"process_error", "invalid", "invalid_form"})
HEALTH_EVERY_S = 0.05
# Past the 2 s a refusal may take, a request is abandoned at this point and the server checked.
REQUEST_TIMEOUT = (3.0, 8.0)
ADDRESS_SPACE_LIMIT = 6 * 1024**3
CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
DOSSIER = {
    "title": "Đề nghị tặng Bằng khen của Bộ trưởng cho tập thể và cá nhân phòng QLNS",
    "award_form": "bk_btc",
    "track": "ad_hoc",
    "procedure": "regular",
    "simplified_reason": None,
    "nominees": [
        {
            "kind": "individual",
            "name": "Nguyễn Thị Hằng",
            "position": "Chuyên viên",
            "gender": "female",
            "birth_date": "1985-03-12",
            "posthumous": False,
            "achievement": "Hoàn thành xuất sắc nhiệm vụ phòng, chống dịch",
        }
    ],
}
# Who completes each step of the walk to the hostile element, and with what.
WALK = {
    "prepare_dossier": ("canbo_ns", {"decision": "submit"}),
    "approve_at_unit": ("truongphong_ns", {"decision": "approve"}),
    "check_dossier": ("vanphong", {"decision": "approve"}),
}
WALK_ORDER = list(WALK)

# The gunicorn command line of `make run` (access log aside), started under an address-space cap.
_LAUNCH = (
    "import os, resource, sys; "
    "resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), int(sys.argv[1]))); "
    "os.execv(sys.executable, [sys.executable, '-m', 'gunicorn', *sys.argv[2:]])"
)


# ----- the server -----------------------------------------------------------------------------


def free_port() -> int:
    """A port of 127.0.0.1 nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def throwaway_database(postgres_url: str | None, work_dir: Path) -> Iterator[str]:
    """An SQLite file in `work_dir`, or a new PostgreSQL database dropped afterwards."""
    if not postgres_url:
        yield f"sqlite:///{work_dir / 'hostile.sqlite'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    server = make_url(postgres_url)
    name = f"awards_hostile_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Server:
    """The app served by gunicorn on a migrated and seeded database."""

    def __init__(self, database_url: str, work_dir: Path) -> None:
        self.database_url = database_url
        self.work_dir = work_dir
        self.env = dict(os.environ)
        # As `make run` starts gunicorn: two malloc arenas, so memory freed after a large
        # refused upload goes back to one pool instead of staying in one arena per thread.
        self.env["MALLOC_ARENA_MAX"] = "2"
        self.env.update(
            {
                "APP_ENV": "development",
                "FLASK_APP": "wsgi",
                "DATABASE_URL": database_url,
                "UPLOAD_DIR": str(work_dir / "uploads"),
            }
        )
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.restarts = 0
        self.log = work_dir / "gunicorn.log"

    @property
    def base(self) -> str:
        """The server's URL."""
        return f"http://127.0.0.1:{self.port}"

    def prepare(self) -> None:
        """`flask db-upgrade` and `flask seed-demo`, as `make run` does."""
        for command in (["db-upgrade"], ["seed-demo", "--if-empty"]):
            done = subprocess.run(  # noqa: S603 - our own interpreter and commands
                [sys.executable, "-m", "flask", *command],
                cwd=ROOT,
                env=self.env,
                check=False,
                capture_output=True,
                text=True,
                timeout=120,
            )
            if done.returncode != 0:
                raise RuntimeError(f"flask {command[0]} failed:\n{done.stderr[-3000:]}")

    def start(self) -> None:
        """Start gunicorn and wait until /healthz answers."""
        self.port = free_port()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [
                    sys.executable,
                    "-c",
                    _LAUNCH,
                    str(ADDRESS_SPACE_LIMIT),
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    "1",
                    "--threads",
                    "8",
                    "--log-level",
                    "warning",
                    "wsgi:app",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while True:
            with suppress(requests.RequestException):
                if requests.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                tail = self.log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"gunicorn did not start:\n{tail}")
            time.sleep(0.2)

    def stop(self) -> None:
        """Stop gunicorn and its worker (the whole process group)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def restart(self) -> None:
        """Kill the server (a worker may be stuck in C code) and start it on the same data."""
        if self.process is not None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None
        self.restarts += 1
        self.start()

    def healthy(self, within: float = 2.0) -> bool:
        """Whether /healthz answers 200 within `within` seconds."""
        try:
            return requests.get(f"{self.base}/healthz", timeout=within).status_code == 200
        except requests.RequestException:
            return False

    def worker_pid(self) -> int | None:
        """The pid of gunicorn's (only) worker."""
        if self.process is None:
            return None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        with suppress(OSError):
            pids = children.read_text().split()
            if pids:
                return int(pids[0])
        return None

    def worker_rss_mb(self) -> float | None:
        """The worker's resident memory (VmRSS) in MB."""
        pid = self.worker_pid()
        if pid is None:
            return None
        with suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return None


# ----- the /healthz probe ---------------------------------------------------------------------


# Room for every answer of a long run (50 ms apart: over 15 minutes).
PROBE_CAPACITY = 20_000


def _probe(base: str, stop: Any, pending: Any, count: Any, table: Any) -> None:
    """The probe's own process: GET /healthz every 50 ms; each answer is written into the
    shared `table` (start, seconds, ok) before the question is marked answered."""
    session = requests.Session()
    while not stop.is_set() and count.value < PROBE_CAPACITY:
        began = time.monotonic()  # CLOCK_MONOTONIC: the same clock in every process
        pending.value = began
        try:
            ok = session.get(f"{base}/healthz", timeout=(1.0, 2.0)).status_code == 200
        except requests.RequestException:
            ok = False
            session.close()
            session = requests.Session()
        elapsed = time.monotonic() - began
        row = count.value * 3
        table[row : row + 3] = [began, elapsed, 1.0 if ok else 0.0]
        count.value += 1
        pending.value = 0.0
        stop.wait(max(0.0, HEALTH_EVERY_S - elapsed))
    session.close()


class HealthProbe:
    """A separate process asking GET /healthz every 50 ms; keeps (start, seconds, ok) of each
    answer. A process, not a thread: what this client does with a case (encode 50 MB, read a
    big answer) must not hold up the probe and be blamed on the server."""

    def __init__(self, server: Server) -> None:
        context = multiprocessing.get_context("spawn")
        self.server = server
        self._table = context.Array("d", PROBE_CAPACITY * 3, lock=False)
        self._count = context.Value("i", 0, lock=False)
        self._pending = context.Value("d", 0.0, lock=False)
        self._stop = context.Event()
        self._process = context.Process(
            target=_probe,
            args=(server.base, self._stop, self._pending, self._count, self._table),
            name="healthz-probe",
            daemon=True,
        )

    def __enter__(self) -> HealthProbe:
        self._process.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.kill()

    @property
    def pending_since(self) -> float | None:
        """When the question now in flight was asked (None between questions)."""
        value = float(self._pending.value)
        return value or None

    @property
    def samples(self) -> list[tuple[float, float, bool]]:
        """Every answer so far."""
        values = self._table[: int(self._count.value) * 3]
        return [(values[i], values[i + 1], values[i + 2] == 1.0) for i in range(0, len(values), 3)]

    def worst(self, since: float, until: float) -> tuple[float, int]:
        """The slowest answer to a question asked while [since, until] lasted, and how many
        failed; waits (up to 2.5 s) for the answer to the question in flight at `until`."""
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline:
            pending = self.pending_since
            if pending is None or pending > until:
                break
            time.sleep(0.01)
        window = [s for s in list(self.samples) if s[0] + s[1] >= since and s[0] <= until]
        worst = max((s[1] for s in window), default=0.0)
        pending = self.pending_since
        if pending is not None and pending <= until:
            worst = max(worst, time.monotonic() - pending)
        return worst, sum(1 for s in window if not s[2])


# ----- clients --------------------------------------------------------------------------------


def http_session() -> requests.Session:
    """A keep-alive session. gunicorn closes a connection idle for 2 s; a GET that meets such a
    connection closing under it is asked again once (a POST never is)."""
    session = requests.Session()
    retry = Retry(total=1, connect=1, read=1, status=0, other=0, allowed_methods={"GET"})
    session.mount("http://", HTTPAdapter(max_retries=retry))
    return session


@dataclass
class Answer:
    """One response (status None when there was none in time)."""

    status: int | None
    body: Any
    text: str
    seconds: float
    headers: dict[str, str] = field(default_factory=dict)

    def error_code(self) -> str | None:
        """The API error's code, if this is an API error."""
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            return str(self.body["error"].get("code"))
        return None


class Client:
    """The API as the demo users (bearer tokens) and the admin pages as admin (a session)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.sessions: dict[str, requests.Session] = {}
        self.page = http_session()
        self.log: list[tuple[str, Answer]] = []

    def request(self, what: str, method: str, path: str, user: str | None, **kwargs: Any) -> Answer:
        """One timed request, logged under `what`."""
        session = self.sessions.get(user or "", self.page) if user else self.page
        began = time.monotonic()
        try:
            response = session.request(
                method,
                self.server.base + path,
                timeout=REQUEST_TIMEOUT,
                allow_redirects=False,
                **kwargs,
            )
        except requests.RequestException as exc:
            answer = Answer(None, None, f"{type(exc).__name__}: {exc}", time.monotonic() - began)
        else:
            body: Any = None
            if response.headers.get("Content-Type", "").startswith("application/json"):
                with suppress(ValueError):
                    body = response.json()
            answer = Answer(
                response.status_code,
                body,
                response.text[:1_000_000],
                time.monotonic() - began,
                dict(response.headers),
            )
        self.log.append((what, answer))
        return answer

    def login(self, users: list[str]) -> None:
        """Bearer tokens for `users`, and the admin's page session."""
        for user in users:
            if user in self.sessions:
                continue
            session = http_session()
            response = session.post(
                f"{self.server.base}/api/v1/tokens",
                json={"username": user, "password": "demo"},
                timeout=REQUEST_TIMEOUT,
            )
            response.raise_for_status()
            session.headers["Authorization"] = f"Bearer {response.json()['token']}"
            self.sessions[user] = session
        page = self.page.get(f"{self.server.base}/login", timeout=REQUEST_TIMEOUT)
        self.page.post(
            f"{self.server.base}/login",
            data={"csrf_token": csrf_token(page.text), "username": "admin", "password": "demo"},
            timeout=REQUEST_TIMEOUT,
            allow_redirects=False,
        ).raise_for_status()

    def refresh(self) -> None:
        """New connections after a restart (tokens and the session cookie stay valid)."""
        for user, old in list(self.sessions.items()):
            fresh = http_session()
            fresh.headers.update(old.headers)
            self.sessions[user] = fresh
            old.close()
        old_page, self.page = self.page, http_session()
        self.page.cookies.update(old_page.cookies)
        old_page.close()

    def close(self) -> None:
        """Close every connection."""
        for session in self.sessions.values():
            session.close()
        self.page.close()


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF.search(html)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


# ----- one case -------------------------------------------------------------------------------


class CaseFailedError(Exception):
    """The case did not end as expected; the message says how it ended."""


@dataclass
class CaseResult:
    """How one case ended and what it cost the server."""

    case: Case
    end: str = "not run"
    detail: str = ""
    failures: list[str] = field(default_factory=list)
    requests: list[tuple[str, int | None, float]] = field(default_factory=list)
    worst_health_s: float = 0.0
    health_failures: int = 0
    restarted: bool = False
    rss_after_mb: float | None = None

    @property
    def worst_request_s(self) -> float:
        """The slowest request of the case."""
        return max((r[2] for r in self.requests), default=0.0)

    @property
    def ok(self) -> bool:
        """Whether the case ended as expected, quickly, with /healthz answering meanwhile."""
        return not self.failures

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "case": self.case.name,
            "class": self.case.klass,
            "what": self.case.what,
            "expected": list(self.case.expect),
            "end": self.end,
            "detail": self.detail,
            "ok": self.ok,
            "failures": self.failures,
            "worst_request_s": round(self.worst_request_s, 3),
            "worst_health_s": round(self.worst_health_s, 3),
            "health_failures": self.health_failures,
            "restarted": self.restarted,
            "rss_after_mb": None if self.rss_after_mb is None else round(self.rss_after_mb, 1),
            "requests": [(w, s, round(t, 3)) for w, s, t in self.requests],
        }


def _describe(answer: Answer) -> str:
    if answer.status is None:
        return f"no answer within {REQUEST_TIMEOUT[1]:g} s ({answer.text})"
    code = answer.error_code()
    detail = ""
    if isinstance(answer.body, dict) and isinstance(answer.body.get("error"), dict):
        detail = str(answer.body["error"].get("message", ""))[:300]
    return f"{answer.status}{f' {code}' if code else ''}{f': {detail}' if detail else ''}"


def _page_error(html: str) -> str:
    """The error an editor page shows (its alert, or the schema's message), as plain text."""
    match = re.search(r'id="(?:rules-error|schema-message)"[^>]*>(.*?)</div>', html, re.S)
    text = match.group(1) if match else ""
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())[:300]


class Runner:
    """Applies cases to a served app, one at a time, watching /healthz meanwhile."""

    def __init__(self, server: Server, probe: HealthProbe) -> None:
        self.server = server
        self.probe = probe
        self.client = Client(server)
        self.sentinel: int | None = None
        self.detail = ""
        self.sentinel_before: Any = None

    # --- set-up ----------------------------------------------------------------------------

    def warm_up(self) -> None:
        """Log everyone in, walk a dossier on a freshly uploaded copy of the shipped version
        (every code path of a case runs once before memory is measured), and leave a sentinel
        dossier at the unit head's approval on version 1."""
        self.client.login(sorted({user for user, _data in WALK.values()} | {"admin"}))
        sentinel = self._start("warm-up")
        self._complete("warm-up", sentinel, "prepare_dossier", WALK["prepare_dossier"][1])
        self.sentinel = int(sentinel["id"])
        self.sentinel_before = self.snapshot(self.sentinel)
        number = self._upload("warm-up", SHIPPED_BPMN, shipped_files(), expect_created=True)
        self._deploy("warm-up", number)
        dossier = self._start("warm-up")
        dossier = self._complete("warm-up", dossier, "prepare_dossier", {"decision": "submit"})
        self._complete("warm-up", dossier, "approve_at_unit", {"decision": "approve"})
        self._page_get("warm-up", f"/admin/processes/{KEY}/versions/1/forms/approve_at_unit.json")
        self.client.log.clear()

    def sentinel_unchanged(self) -> bool:
        """Whether the sentinel dossier is where it was before the corpus."""
        return self.sentinel is not None and self.snapshot(self.sentinel) == self.sentinel_before

    # --- requests ----------------------------------------------------------------------------

    def _api(self, what: str, method: str, path: str, user: str = "admin", **kwargs: Any) -> Answer:
        answer = self.client.request(what, method, path, user, **kwargs)
        if answer.status is None:
            raise CaseFailedError(f"{what}: {_describe(answer)}")
        if answer.status >= 500:
            raise CaseFailedError(f"{what}: {_describe(answer)}")
        return answer

    def _page_get(self, what: str, path: str) -> str:
        answer = self.client.request(what, "GET", path, None)
        if answer.status != 200:
            raise CaseFailedError(f"{what}: {_describe(answer)}")
        return answer.text

    def _upload(
        self, what: str, bpmn: str, files: dict[str, str], *, expect_created: bool = False
    ) -> Answer | int:
        parts: list[tuple[str, tuple[str, bytes, str]]] = [
            ("bpmn", (f"{KEY}.bpmn", bpmn.encode("utf-8"), "application/xml"))
        ]
        for name, text in files.items():
            mime = "application/json" if name.endswith(".json") else "application/xml"
            parts.append((name, (name.rsplit("/", 1)[-1], text.encode("utf-8"), mime)))
        answer = self._api(what, "POST", f"/api/v1/processes/{KEY}/versions", files=parts)
        if expect_created:
            if answer.status != 201:
                raise CaseFailedError(f"{what}: {_describe(answer)}")
            return int(answer.body["version"])
        return answer

    def _deploy(self, what: str, number: int) -> None:
        answer = self._api(what, "POST", f"/api/v1/processes/{KEY}/versions/{number}/deploy")
        if answer.status != 200:
            raise CaseFailedError(f"deploying version {number}: {_describe(answer)}")

    def _start(self, what: str) -> dict[str, Any]:
        answer = self._api(what, "POST", "/api/v1/dossiers", "canbo_ns", json=DOSSIER)
        if answer.status != 201:
            raise CaseFailedError(f"starting a dossier: {_describe(answer)}")
        return dict(answer.body)

    def _item(self, dossier: dict[str, Any], step: str) -> int:
        for item in dossier.get("current", []):
            if item["step"] == step:
                return int(item["work_item_id"])
        steps = [c["step"] for c in dossier.get("current", [])]
        raise CaseFailedError(f"the dossier waits at {steps}, not at {step}")

    def _complete(
        self, what: str, dossier: dict[str, Any], step: str, data: dict[str, Any]
    ) -> dict[str, Any]:
        answer = self._finish_step(what, dossier, step, data)
        if answer.status != 200:
            raise CaseFailedError(f"completing {step}: {_describe(answer)}")
        return dict(answer.body["dossier"])

    def _finish_step(
        self, what: str, dossier: dict[str, Any], step: str, data: dict[str, Any]
    ) -> Answer:
        user = WALK[step][0]
        item = self._item(dossier, step)
        return self.client.request(
            what, "POST", f"/api/v1/work-items/{item}/complete", user, json={"data": data}
        )

    def snapshot(self, dossier_id: int) -> Any:
        """What must not change when a step is refused: status, open steps, history, version."""
        answer = self.client.request(
            "snapshot", "GET", f"/api/v1/dossiers/{dossier_id}", "vanphong"
        )
        if answer.status != 200:
            raise CaseFailedError(f"reading dossier {dossier_id}: {_describe(answer)}")
        body = answer.body
        return (
            body["status"],
            body["updated_at"],
            body["process"],
            sorted((c["work_item_id"], c["step"], c["claimed_by"]) for c in body["current"]),
            len(body["history"]),
        )

    # --- applying a case ---------------------------------------------------------------------

    def _version_problems(self, number: int) -> int:
        answer = self._api("read versions", "GET", "/api/v1/processes")
        for process in answer.body["processes"]:
            if process["key"] == KEY:
                for version in process["versions"]:
                    if version["version"] == number:
                        return int(version["problems"])
        raise CaseFailedError(f"version {number} is not listed")

    def _save_page(self, case: Case, text: str) -> tuple[str, int | None]:
        """Save through the form or rule-table editor of version 1: ("refused"|"too_large"|
        "saved", draft number)."""
        if case.apply == "save_form":
            path, field_name = f"/admin/processes/{KEY}/versions/1/forms/{case.form}", "schema"
        else:
            path, field_name = f"/admin/processes/{KEY}/versions/1/rules/award_rules.dmn", "xml"
        token = csrf_token(self._page_get("open the editor", path))
        # Encoded before the clock starts: the time is the server's, not this client's.
        body = urlencode({"csrf_token": token, field_name: text}).encode("ascii")
        answer = self.client.request(
            "save",
            "POST",
            path,
            None,
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        if answer.status is None or answer.status >= 500:
            raise CaseFailedError(f"save: {_describe(answer)}")
        if answer.status == 413:
            return "too_large", None
        if answer.status == 422:
            self.detail = _page_error(answer.text)
            return "refused", None
        if answer.status in {302, 303}:
            match = re.search(r"/versions/(\d+)/", answer.headers.get("Location", ""))
            if match:
                return "saved", int(match.group(1))
        raise CaseFailedError(f"save: unexpected {answer.status}")

    def _accepted_version(self, case: Case, text: str) -> tuple[str, int | None]:
        """Apply the case's content: how it ended ("check" / "too_large") or ("accepted", n)."""
        if case.apply in {"upload", "upload_form", "upload_rules"}:
            bpmn, files = SHIPPED_BPMN, shipped_files()
            if case.apply == "upload":
                bpmn = diagram_for(case, text)
            elif case.apply == "upload_form":
                files[f"forms/{case.form}"] = text
            else:
                files["award_rules.dmn"] = text
            answer = self._upload("upload", bpmn, files)
            assert isinstance(answer, Answer)
            if answer.status == 413:
                return "too_large", None
            if answer.status == 422 and answer.error_code() == "diagram_problems":
                problems = answer.body["error"].get("problems")
                if not problems:
                    raise CaseFailedError("422 diagram_problems without a problem listed")
                self.detail = "; ".join(
                    f"{p.get('code')} at {p.get('element_id') or p.get('file')}: "
                    f"{str(p.get('message'))[:160]}"
                    for p in problems
                )
                if case.apply == "upload" and case.slot != "diagram":
                    # Refused, but for what? A problem must name the element the case changed.
                    named = SLOT_ELEMENTS.get(str(case.slot), {HOSTILE_ID})
                    if not any(p.get("element_id") in named for p in problems):
                        raise CaseFailedError(
                            f"refused, but no problem names {sorted(named)}: {self.detail}"
                        )
                return "check", None
            if answer.status != 201:
                raise CaseFailedError(f"upload: {_describe(answer)}")
            return "accepted", int(answer.body["version"])
        outcome, number = self._save_page(case, text)
        if outcome == "refused":
            return "check", None
        if outcome == "too_large":
            return "too_large", None
        assert number is not None
        problems = self._version_problems(number)
        if problems:
            path = f"/api/v1/processes/{KEY}/versions/{number}/deploy"
            deploy = self._api("deploy", "POST", path)
            if deploy.status == 200:
                raise CaseFailedError(f"draft {number} lists problems but was deployed")
            self.detail = f"saved as draft {number} with {problems} problem(s), not deployable"
            return "check", None
        return "accepted", number

    def _run_to_refusal(self, case: Case, number: int) -> str:
        """Deploy `number`, walk a dossier to the case's step, complete it: how it ended."""
        self._deploy("deploy", number)
        dossier = self._start("start")
        for step in WALK_ORDER[: WALK_ORDER.index(case.through)]:
            dossier = self._complete(f"complete {step}", dossier, step, WALK[step][1])
        before = self.snapshot(int(dossier["id"]))
        answer = self._finish_step(f"complete {case.through}", dossier, case.through, case.data)
        if answer.status is None or answer.status >= 500:
            raise CaseFailedError(f"complete {case.through}: {_describe(answer)}")
        after = self.snapshot(int(dossier["id"]))
        if answer.status == 422 and answer.error_code() in RUNTIME_REFUSALS:
            if after != before:
                raise CaseFailedError(f"refused with 422, but the dossier changed: {after}")
            self.detail = _describe(answer)
            return "runtime"
        raise CaseFailedError(f"the step was not refused: {_describe(answer)}")

    def run(self, case: Case) -> CaseResult:
        """Apply one case and judge how it ended."""
        result = CaseResult(case)
        self.client.log.clear()
        self.detail = ""
        text = content(case)
        began = time.monotonic()
        try:
            end, number = self._accepted_version(case, text)
            if end == "accepted" and "runtime" in case.expect:
                assert number is not None
                end = self._run_to_refusal(case, number)
            elif end == "accepted":
                end = f"accepted by the check (version {number})"
            result.end = end
            result.detail = self.detail
            if end not in case.expect:
                because = f" ({self.detail})" if self.detail else ""
                result.failures.append(
                    f"ended '{end}'{because}, expected {' or '.join(case.expect)}"
                )
        except CaseFailedError as exc:
            result.end = str(exc)
            result.failures.append(str(exc))
        except Exception as exc:  # one case's surprise must not stop the corpus
            result.end = f"{type(exc).__name__}: {exc}"
            result.failures.append(f"unexpected answer: {result.end}")
        finished = time.monotonic()
        result.requests = [(w, a.status, a.seconds) for w, a in self.client.log]
        slow = [(w, s) for w, _status, s in result.requests if s >= MAX_REQUEST_S]
        if slow:
            result.failures.append("slow: " + ", ".join(f"{w} took {s:.2f} s" for w, s in slow))
        result.worst_health_s, result.health_failures = self.probe.worst(began, finished)
        if result.worst_health_s >= MAX_HEALTH_S or result.health_failures:
            result.failures.append(
                f"/healthz: slowest {result.worst_health_s:.2f} s, "
                f"{result.health_failures} failed while the case ran"
            )
        result.rss_after_mb = self.server.worker_rss_mb()
        if not self.server.healthy():
            self.server.restart()
            self.client.refresh()
            result.restarted = True
            result.failures.append("the server stopped answering and was restarted")
        return result


# ----- the whole corpus -----------------------------------------------------------------------


@dataclass
class CorpusRun:
    """A served app with its probe and runner, and the worker's memory at the start."""

    server: Server
    probe: HealthProbe
    runner: Runner
    rss_before_mb: float | None
    worker_before: int | None

    def rss_growth_mb(self) -> float | None:
        """How much the worker's resident memory grew (None if the worker changed)."""
        if self.server.worker_pid() != self.worker_before or self.rss_before_mb is None:
            return None
        after = self.server.worker_rss_mb()
        return None if after is None else after - self.rss_before_mb


@contextmanager
def served_corpus(work_dir: Path, postgres_url: str | None = None) -> Iterator[CorpusRun]:
    """A migrated, seeded database, gunicorn on it, the probe running and a warmed-up runner.
    Everything is stopped (and a PostgreSQL database dropped) on the way out."""
    with throwaway_database(postgres_url, work_dir) as url:
        server = Server(url, work_dir)
        server.prepare()
        server.start()
        try:
            with HealthProbe(server) as probe:
                runner = Runner(server, probe)
                try:
                    runner.warm_up()
                    yield CorpusRun(
                        server, probe, runner, server.worker_rss_mb(), server.worker_pid()
                    )
                finally:
                    runner.client.close()
        finally:
            server.stop()


def results_json(results: list[CaseResult]) -> str:
    """The results as JSON text."""
    return json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=2)
