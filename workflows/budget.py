"""The budget of one engine turn: CPU time and memory shared by every expression and script.

An engine turn is what one request asks of the engine: start a dossier, complete a step, or
fire the due timers, with every automated step that follows. `runtime.RunningProcess` opens
one turn around it; the expression interpreter, the script tracer and the engine-step callback
charge it and check it. Code evaluated outside a turn (a unit test, a check) gets a turn of its
own for the call.

Once a budget is broken the turn stays broken: a script that catches the error cannot carry on,
the next check raises again and the runtime refuses the turn at its end.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from workflows.errors import BudgetExceededError


@dataclass(frozen=True)
class TurnLimits:
    """How much one engine turn may use.

    cpu_seconds: CPU time of the evaluating thread spent by all expressions and scripts.
    call_seconds: CPU time one expression or one script may take of it (and twice that of
        elapsed time).
    wall_seconds: elapsed time of the turn (a turn that waits on nothing but is starved of CPU
        by others is still stopped).
    allocation: elements and characters produced by size-guarded operations (`*`, `+`, `**`,
        `%`, `join`, `replace`, `list()`, comprehensions, ...) over the whole turn.
    data_chars: characters of JSON the data of one task touched by the turn may take.
    data_depth: how deeply that data may nest.
    """

    cpu_seconds: float = 2.0
    call_seconds: float = 0.5
    wall_seconds: float = 5.0
    allocation: int = 2_000_000
    data_chars: int = 1_000_000
    data_depth: int = 50


DEFAULT_LIMITS = TurnLimits()
_limits = DEFAULT_LIMITS


def configure(limits: TurnLimits) -> None:
    """Use `limits` for the turns opened from now on (the application's configuration)."""
    global _limits  # one process-wide setting, read when a turn opens
    _limits = limits


def current_limits() -> TurnLimits:
    """The limits new turns get."""
    return _limits


class Turn:
    """The running account of one engine turn."""

    __slots__ = ("allocated", "broken", "cpu_deadline", "limits", "wall_deadline")

    def __init__(self, limits: TurnLimits):
        self.limits = limits
        self.cpu_deadline = time.thread_time() + limits.cpu_seconds
        self.wall_deadline = time.monotonic() + limits.wall_seconds
        self.allocated = 0
        self.broken: BudgetExceededError | None = None

    def fail(self, message: str, budget: str) -> BudgetExceededError:
        """Mark the turn broken and return the error to raise."""
        error = BudgetExceededError(message, budget=budget)
        if self.broken is None:
            self.broken = error
        return error

    def call_deadline(self) -> tuple[float, float]:
        """The deadlines (CPU time, wall clock) of one expression or script starting now."""
        return (
            min(self.cpu_deadline, time.thread_time() + self.limits.call_seconds),
            min(self.wall_deadline, time.monotonic() + 2 * self.limits.call_seconds),
        )

    def check_time(self, call_deadline: tuple[float, float] | None = None) -> None:
        """Raise if the turn (or the call that set `call_deadline`) has used its CPU time, or
        its wall time, or the turn is already broken."""
        if self.broken is not None:
            raise BudgetExceededError(str(self.broken), budget=self.broken.budget)
        now = time.thread_time()
        if call_deadline is not None and now <= self.cpu_deadline:
            if now > call_deadline[0]:
                raise self.fail(
                    "one expression or script used more than "
                    f"{self.limits.call_seconds:g} s of CPU",
                    "time",
                )
            if time.monotonic() > call_deadline[1]:
                raise self.fail(
                    f"one expression or script ran longer than {2 * self.limits.call_seconds:g} s",
                    "time",
                )
        if now > self.cpu_deadline:
            raise self.fail(
                f"the diagram's code used more than {self.limits.cpu_seconds:g} s of CPU "
                "in one step",
                "time",
            )
        if time.monotonic() > self.wall_deadline:
            raise self.fail(
                f"the diagram's code ran longer than {self.limits.wall_seconds:g} s in one step",
                "time",
            )

    def charge(self, amount: int) -> None:
        """Count `amount` elements or characters built; raise past the turn's allocation."""
        self.allocated += amount
        if self.allocated > self.limits.allocation:
            raise self.fail(
                f"the diagram's code built more than {self.limits.allocation:,} elements or "
                "characters in one step",
                "memory",
            )

    def raise_if_broken(self) -> None:
        """Raise the first budget error of the turn, even if diagram code caught it."""
        if self.broken is not None:
            raise BudgetExceededError(str(self.broken), budget=self.broken.budget)


_CURRENT: contextvars.ContextVar[Turn | None] = contextvars.ContextVar(
    "workflows_turn", default=None
)


def current() -> Turn | None:
    """The turn being run in this context, if any."""
    return _CURRENT.get()


@contextmanager
def turn(limits: TurnLimits | None = None, *, separate: bool = False) -> Iterator[Turn]:
    """Open a turn, or join the one already open (a nested call shares its budget);
    `separate` opens a new one anyway (a check, whose refusals are not the turn's)."""
    running = _CURRENT.get()
    if running is not None and not separate:
        yield running
        return
    opened = Turn(limits or _limits)
    token = _CURRENT.set(opened)
    try:
        yield opened
    finally:
        _CURRENT.reset(token)


def charge(amount: int) -> None:
    """Charge the current turn (no turn: nothing to charge)."""
    running = _CURRENT.get()
    if running is not None:
        running.allocated += amount
        if running.allocated > running.limits.allocation:
            running.charge(0)


def check_time() -> None:
    """Check the current turn's time (no turn: nothing to check)."""
    running = _CURRENT.get()
    if running is not None:
        running.check_time()
