"""Timing samples and their summary (median, 95th percentile)."""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    """The figures of one operation."""

    name: str
    n: int
    median_ms: float
    p95_ms: float
    mean_ms: float
    min_ms: float
    max_ms: float


def percentile(values: list[float], share: float) -> float:
    """The `share` (0..1) percentile, interpolated between the closest ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = share * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class Samples:
    """Durations in milliseconds, collected per operation name."""

    def __init__(self) -> None:
        self._ms: dict[str, list[float]] = defaultdict(list)

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        """Time the block and keep the duration under `name`."""
        start = time.perf_counter()
        yield
        self._ms[name].append((time.perf_counter() - start) * 1000.0)

    def add(self, name: str, ms: float) -> None:
        """Keep a duration measured elsewhere."""
        self._ms[name].append(ms)

    def names(self) -> list[str]:
        """Every operation with at least one sample, in the order first seen."""
        return [name for name, values in self._ms.items() if values]

    def values(self, name: str) -> list[float]:
        """The raw durations of `name`."""
        return list(self._ms.get(name, []))

    def summary(self, name: str) -> Summary:
        """Median, p95 and friends of `name`."""
        values = self._ms[name]
        return Summary(
            name=name,
            n=len(values),
            median_ms=statistics.median(values),
            p95_ms=percentile(values, 0.95),
            mean_ms=statistics.fmean(values),
            min_ms=min(values),
            max_ms=max(values),
        )


def missed(figures: Mapping[str, float | None], targets: Mapping[str, float]) -> list[str]:
    """The names (in the targets' order) whose figure is not under its target in ms.

    A target without a figure is missed too: nothing measured is nothing met.
    """
    return [
        name
        for name, limit in targets.items()
        if (value := figures.get(name)) is None or not value < limit
    ]
