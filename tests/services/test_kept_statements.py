"""Statements kept per key: built once, rebuilt after the cache starts again."""

from __future__ import annotations

from webapp.services import kept_statements
from webapp.services.kept_statements import kept


def test_a_key_is_built_once_and_a_full_cache_starts_again(monkeypatch):
    monkeypatch.setattr(kept_statements, "_kept", {})
    monkeypatch.setattr(kept_statements, "MAX_KEPT", 3)
    built: list[str] = []

    def build(name: str):
        return lambda: built.append(name) or object()

    first = kept(("a", 1), build("a"))
    assert kept(("a", 1), build("a again")) is first
    assert kept(("a", 2), build("a2")) is not first
    kept("b", build("b"))
    assert built == ["a", "a2", "b"]
    # A fourth key over the bound of three: everything is built afresh from then on.
    kept("c", build("c"))
    assert kept(("a", 1), build("a rebuilt")) is not first
    assert built == ["a", "a2", "b", "c", "a rebuilt"]
