"""Figures kept by the summary's generation: computed once per generation and key, never kept
without a generation, all dropped when the generation changes or too many are kept."""

from __future__ import annotations

from webapp.services.summary_figures import SummaryFigures


def counting():
    calls: list[str] = []

    def compute(value: str):
        def run() -> str:
            calls.append(value)
            return value

        return run

    return calls, compute


def test_a_figure_is_computed_once_per_generation_and_key():
    calls, compute = counting()
    figures = SummaryFigures()
    assert figures.get("g1", "a", compute("A")) == "A"
    assert figures.get("g1", "a", compute("other")) == "A"
    assert figures.get("g1", "b", compute("B")) == "B"
    assert calls == ["A", "B"]


def test_without_a_generation_nothing_is_kept():
    calls, compute = counting()
    figures = SummaryFigures()
    assert figures.get(None, "a", compute("A")) == "A"
    assert figures.get(None, "a", compute("A2")) == "A2"
    assert calls == ["A", "A2"]


def test_a_new_generation_drops_the_figures_of_the_old_one():
    calls, compute = counting()
    figures = SummaryFigures()
    figures.get("g1", "a", compute("A"))
    assert figures.get("g2", "a", compute("A2")) == "A2"
    # Back to g1 (another database in the same process): computed again, never mixed.
    assert figures.get("g1", "a", compute("A3")) == "A3"
    assert calls == ["A", "A2", "A3"]


def test_past_the_bound_every_figure_is_computed_again():
    calls, compute = counting()
    figures = SummaryFigures(kept=2)
    figures.get("g", "a", compute("A"))
    figures.get("g", "b", compute("B"))
    figures.get("g", "c", compute("C"))  # full: dropped, then kept alone
    figures.get("g", "c", compute("C2"))
    figures.get("g", "a", compute("A2"))
    assert calls == ["A", "B", "C", "A2"]
    figures.clear()
    figures.get("g", "a", compute("A3"))
    assert calls[-1] == "A3"
