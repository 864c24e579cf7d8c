"""The load test's users: asyncio clients over loopback HTTP that do what each role does.

Every virtual user acts as one of the demo accounts, with its own API token and its own
logged-in browser session (cookie), over its own keep-alive connection. In a loop it picks an
activity by its role's weights:

- work: its inbox (GET /api/v1/work-items), one of its items (GET /api/v1/work-items/<id>), the
  item's dossier (GET /api/v1/dossiers/<id>), then completes the item with the step's data
  (POST .../complete, as bench/path.py scripts the shipped process);
- search: a person's name in the dossier list (GET /api/v1/dossiers?q=…), then one of the
  dossiers found;
- map (the Office and the leaders): the process map page (/process-map, which carries the
  figures its diagram is drawn from) and the diagram (/process-map/diagram.bpmn, revalidated by
  its ETag as a browser does: 304 once the user has it), with the session cookie;
- export (the Office and the leaders): the tracking list searched for a name, as CSV
  (/dossiers.csv?q=…).

Between two requests a user thinks `think` seconds (0: none). Several virtual users acting as the
same account share its items by id (item id modulo their number), so two of them never complete
the same step at the same moment: every refused request is an error of the application.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

import aiohttp

from bench.path import awarded_path
from bench.prefill import FAMILY, GIVEN, MIDDLE
from bench.stats import Samples, Summary

# Kinds of request, in the order of the report.
KINDS = (
    "inbox",
    "open_item",
    "complete",
    "search",
    "open_dossier",
    "process_map",
    "process_map_diagram",
    "export",
)
# The demo accounts that act, and what each role does how often (relative weights).
WORKERS = {"work": 6, "search": 3}
OVERSEERS = {"work": 5, "search": 3, "map": 1, "export": 1}
ROLES: dict[str, dict[str, int]] = {
    "canbo_ns": WORKERS,
    "canbo_dn": WORKERS,
    "truongphong_ns": OVERSEERS,
    "truongphong_dn": OVERSEERS,
    "vanphong": OVERSEERS,
    "giamdoc": OVERSEERS,
    "hoidong1": WORKERS,
    "hoidong2": WORKERS,
    "hoidong3": WORKERS,
    "hoidong4": WORKERS,
    "chuyenvien_bo": OVERSEERS,
    "botruong": OVERSEERS,
}
PASSWORD = "demo"
CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
TIMEOUT = aiohttp.ClientTimeout(total=120)


@dataclass
class Recorder:
    """Durations per kind of request, errors, and the window throughput is counted over: from
    the first request's start to the run's end (`deadline`), or the last answer if earlier.
    A request answered after the deadline counts in the durations, not in the throughput:
    one slow straggler does not stretch the window."""

    samples: Samples = field(default_factory=Samples)
    errors: Counter[str] = field(default_factory=Counter)
    # 409 "stale": two steps of one dossier completed at the same moment (council members
    # voting together); the second is refused whole and its user tries again later.
    conflicts: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    first: float | None = None
    last: float | None = None
    deadline: float | None = None
    # Requests per kind answered by the deadline.
    in_window: Counter[str] = field(default_factory=Counter)

    def record(
        self, kind: str, began: float, ended: float, error: str | None, *, conflict: bool = False
    ) -> None:
        """One answered (or failed) request."""
        self.samples.add(kind, (ended - began) * 1000.0)
        self.first = began if self.first is None else min(self.first, began)
        self.last = ended if self.last is None else max(self.last, ended)
        if self.deadline is None or ended <= self.deadline:
            self.in_window[kind] += 1
        if conflict:
            self.conflicts[kind] += 1
        elif error is not None:
            self.errors[kind] += 1
            if len(self.examples) < 20:
                self.examples.append(f"{kind}: {error}")

    @property
    def window(self) -> float:
        """Seconds from the first request's start to the deadline (or the last answer)."""
        if self.first is None or self.last is None:
            return 0.0
        if self.deadline is not None:
            return max(min(self.last, self.deadline) - self.first, 0.0)
        return self.last - self.first

    def summary(self, kind: str) -> Summary | None:
        """The figures of `kind`, or None when none was made."""
        return self.samples.summary(kind) if self.samples.values(kind) else None


def person_name(rng: random.Random) -> str:
    """A name as the prefill gives nominees, with diacritics or folded as users type them."""
    gender = rng.choice(["female", "male"])
    name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE[gender])} {rng.choice(GIVEN[gender])}"
    return name if rng.random() < 0.5 else _folded(name)


def _folded(text: str) -> str:
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def step_data(step: str, username: str, dossier: dict[str, Any]) -> dict[str, Any] | None:
    """The data the shipped process's step takes, for this dossier's nominees (a council
    member votes only on the nominees still in play); None for a step the script lacks."""
    nominees = dossier["nominees"]
    ids = [str(n["id"]) for n in nominees]
    for action in [*awarded_path("ns", ids), *awarded_path("dn", ids)]:
        if action.step != step or (step == "council_vote" and action.username != username):
            continue
        data = dict(action.data)
        if isinstance(data.get("votes"), dict):
            out = {str(n["id"]) for n in nominees if n.get("result") == "failed"}
            data["votes"] = {k: v for k, v in data["votes"].items() if k not in out}
        return data
    return None


class User:
    """One virtual user acting as `username`; `slot` of `slots` users share that account."""

    def __init__(
        self,
        base: str,
        username: str,
        slot: int,
        slots: int,
        *,
        think: float,
        seed: int,
        recorder: Recorder,
        logins: Recorder,
    ) -> None:
        self.base = base
        self.username = username
        self.slot = slot
        self.slots = slots
        self.think = think
        self.rng = random.Random(seed)
        self.recorder = recorder
        self.logins = logins
        self.token = ""
        # The diagram's ETag once fetched, sent back as a browser's cache does.
        self.diagram_etag: str | None = None
        # Logged in (token and page session): a user whose login failed does not go on.
        self.ready = False
        self.session: aiohttp.ClientSession | None = None
        self.activities = list(ROLES[username].items())

    async def open(self) -> None:
        """A connection of its own, a cookie jar that keeps loopback cookies, and logins."""
        self.session = aiohttp.ClientSession(
            self.base,
            connector=aiohttp.TCPConnector(limit=1),
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            timeout=TIMEOUT,
        )
        began = time.perf_counter()
        error = None
        try:
            async with self.session.post(
                "/api/v1/tokens", json={"username": self.username, "password": PASSWORD}
            ) as response:
                body = await response.json(content_type=None)
                if response.status != 201:
                    error = f"POST /api/v1/tokens: {response.status}"
                else:
                    self.token = body["token"]
            if error is None:
                error = await self._web_login()
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            error = repr(exc)
        self.logins.record("login", began, time.perf_counter(), error)
        self.ready = error is None

    async def _web_login(self) -> str | None:
        assert self.session is not None
        async with self.session.get("/login") as response:
            page = await response.text()
        token = CSRF.search(page)
        if token is None:
            return "no CSRF token on /login"
        form = {"csrf_token": token.group(1), "username": self.username, "password": PASSWORD}
        async with self.session.post("/login", data=form, allow_redirects=False) as response:
            await response.read()
            if response.status != 302:
                return f"POST /login: {response.status}"
        return None

    async def close(self) -> None:
        """Close the connection."""
        if self.session is not None:
            await self.session.close()

    async def request(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        body: Any = None,
        api: bool = True,
        etag: str | None = None,
    ) -> Any:
        """One timed request (send to the last byte read); returns the decoded JSON body of a
        200 from the API, the text of a page, or None after an error (recorded). With `etag`
        the request is conditional: a 304 is an answer, and the ETag is kept."""
        assert self.session is not None
        headers: dict[str, str] | None = {
            "Accept": "application/json",
            "Authorization": f"Bearer {self.token}",
        }
        if not api:
            headers = {"If-None-Match": etag} if etag else None
        began = time.perf_counter()
        error = None
        conflict = False
        result: Any = None
        try:
            async with self.session.request(method, path, json=body, headers=headers) as response:
                raw = await response.read()
                if etag is not None and response.status in (200, 304):
                    self.diagram_etag = response.headers.get("ETag", etag)
                elif response.status == 409 and b'"stale"' in raw:
                    conflict = True
                elif response.status != 200:
                    error = f"{method} {path}: {response.status} {raw[:200]!r}"
                elif api:
                    result = await response.json(content_type=None)
                else:
                    result = raw
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            error = f"{method} {path}: {exc!r}"
        ended = time.perf_counter()
        self.recorder.record(kind, began, ended, error, conflict=conflict)
        if self.think:
            await asyncio.sleep(self.think)
        return result

    async def run(self, until: float) -> None:
        """Activities until the monotonic clock passes `until` (a started activity finishes
        its current request, not the ones after it)."""
        if self.think:
            # Users do not all click in the same instant.
            await asyncio.sleep(self.rng.uniform(0, self.think))
        names = [name for name, _w in self.activities]
        weights = [w for _n, w in self.activities]
        # A user first looks at everything its role offers once, in an order of its own (fifty
        # users in one order opened the process map and the export within the same two
        # seconds, five times their rate afterwards), then works as it pleases.
        first_round = self.rng.sample(names, k=len(names))
        while time.perf_counter() < until:
            activity = first_round.pop(0) if first_round else self.rng.choices(names, weights)[0]
            await getattr(self, f"_{activity}")(until)

    async def _work(self, until: float) -> None:
        inbox = await self.request("inbox", "GET", "/api/v1/work-items")
        if not inbox or time.perf_counter() >= until:
            return
        mine = [
            row
            for row in inbox
            if row.get("id") is not None
            and row["id"] % self.slots == self.slot
            and row.get("subject", {}).get("kind") == "dossier"
        ]
        if not mine:
            return
        row = self.rng.choice(mine)
        item = await self.request("open_item", "GET", f"/api/v1/work-items/{row['id']}")
        if item is None or time.perf_counter() >= until:
            return
        dossier = await self.request("open_dossier", "GET", f"/api/v1/dossiers/{row['dossier_id']}")
        if dossier is None or time.perf_counter() >= until:
            return
        data = step_data(row["step"], self.username, dossier)
        if data is None:
            self.recorder.record(
                "complete", time.perf_counter(), time.perf_counter(), f"no data for {row['step']}"
            )
            return
        await self.request(
            "complete", "POST", f"/api/v1/work-items/{row['id']}/complete", body={"data": data}
        )

    async def _search(self, until: float) -> None:
        query = person_name(self.rng)
        found = await self.request(
            "search", "GET", f"/api/v1/dossiers?q={quote_plus(query)}&per_page=50"
        )
        if not found or not found.get("items") or time.perf_counter() >= until:
            return
        dossier = self.rng.choice(found["items"])
        await self.request("open_dossier", "GET", f"/api/v1/dossiers/{dossier['id']}")

    async def _map(self, until: float) -> None:
        await self.request("process_map", "GET", "/process-map", api=False)
        if time.perf_counter() < until:
            await self.request(
                "process_map_diagram",
                "GET",
                "/process-map/diagram.bpmn",
                api=False,
                etag=self.diagram_etag or "",
            )

    async def _export(self, until: float) -> None:
        query = person_name(self.rng)
        await self.request("export", "GET", f"/dossiers.csv?q={quote_plus(query)}", api=False)


def cast(users: int) -> list[tuple[str, int, int]]:
    """(account, slot, slots) of each of `users` virtual users: the accounts in turn."""
    accounts = list(ROLES)
    chosen = [accounts[n % len(accounts)] for n in range(users)]
    totals = Counter(chosen)
    seen: Counter[str] = Counter()
    cast_list = []
    for account in chosen:
        cast_list.append((account, seen[account], totals[account]))
        seen[account] += 1
    return cast_list


@dataclass
class RunResult:
    """What one run measured."""

    name: str
    users: int
    think: float
    seconds: float
    recorder: Recorder
    logins: Recorder


async def run_users(
    base: str, users: int, think: float, seconds: float, seed: int, name: str
) -> RunResult:
    """`users` virtual users for `seconds` (after logging in together), then their figures."""
    recorder, logins = Recorder(), Recorder()
    cast_list = cast(users)
    crowd: Sequence[User] = [
        User(
            base,
            account,
            slot,
            slots,
            think=think,
            seed=seed * 1000 + n,
            recorder=recorder,
            logins=logins,
        )
        for n, (account, slot, slots) in enumerate(cast_list)
    ]
    try:
        await asyncio.gather(*(user.open() for user in crowd))
        until = time.perf_counter() + seconds
        recorder.deadline = until
        # A failed login is counted among the logins' errors; that user makes no request
        # (each would fail as unauthenticated and hide the errors that matter).
        await asyncio.gather(*(user.run(until) for user in crowd if user.ready))
    finally:
        await asyncio.gather(*(user.close() for user in crowd))
    return RunResult(name, users, think, seconds, recorder, logins)
