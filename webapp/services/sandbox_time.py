"""Time in a sandbox (a trial run, a replay): nobody waits there for a timer, so when only a
timer is left to wait for (the Huân chương public-comment window), its time comes at once."""

from __future__ import annotations

from datetime import timedelta

from workflows import AutomatedStep, ProcessRuntimeError, RunningProcess

MAX_TIMERS = 20
"""Timers passed one after another at most (a cycle repeats at most 100 times: enough here)."""


def let_timers_pass(process: RunningProcess) -> list[AutomatedStep]:
    """While nobody has a step and a timer waits, fire it at its due time; the steps it ran."""
    steps: list[AutomatedStep] = []
    for _ in range(MAX_TIMERS):
        status = process.status()
        if status.completed or status.next_timer_at is None or process.ready_human_tasks():
            break
        try:
            steps += process.refresh_timers(status.next_timer_at + timedelta(seconds=1))
        except ProcessRuntimeError:  # the timer cannot fire: the run stays where it waits
            break
    return steps
