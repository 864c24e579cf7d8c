"""Figures computed from the process map's summary, kept in the process until it is rebuilt.

The summary changes only when the job queue rebuilds it, and every rebuild stamps a new random
generation (process_map_summary.refresh). A figure computed from it (the medians a user's map
shows, for that user's units and filters) therefore stays true while the generation is the
same: each worker computes it once per rebuild and scope instead of reading a few thousand
visits for every map. A figure is never kept without a generation, and a new generation drops
every figure of the old one.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from threading import Lock
from typing import TypeVar

# How many figures one worker keeps for the current generation (one per scope and filters the
# map was opened with); past that all are dropped and computed again as asked.
KEPT = 512

T = TypeVar("T")


class SummaryFigures:
    """Figures of the current generation, by key; thread-safe (the threaded worker)."""

    def __init__(self, kept: int = KEPT) -> None:
        self._kept = kept
        self._lock = Lock()
        self._generation: str | None = None
        self._known: dict[Hashable, object] = {}

    def get(self, generation: str | None, key: Hashable, compute: Callable[[], T]) -> T:
        """The figure `key` of `generation`: kept from an earlier call, or `compute()` (then
        kept). Without a generation it is always computed."""
        if generation is None:
            return compute()
        with self._lock:
            if generation == self._generation and key in self._known:
                return self._known[key]  # type: ignore[return-value]
        # Computed outside the lock: a slow read must not hold every other map; two threads
        # may compute the same figure once each, which is harmless.
        value = compute()
        with self._lock:
            if generation != self._generation:
                self._generation = generation
                self._known = {}
            elif len(self._known) >= self._kept:
                self._known = {}
            self._known[key] = value
        return value

    def clear(self) -> None:
        """Forget every figure."""
        with self._lock:
            self._generation = None
            self._known = {}
