"""Diacritic- and case-insensitive matching: "nguyen thi hang" finds "Nguyễn Thị Hằng"."""

from __future__ import annotations

import unicodedata


def fold(text: str | None) -> str:
    """Lower-case ASCII-ish form of Vietnamese text: marks removed, đ -> d, spaces collapsed."""
    if not text:
        return ""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.lower().split())


def search_terms(query: str | None) -> list[str]:
    """The folded words of a search query."""
    return fold(query).split()
