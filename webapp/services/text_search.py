"""Diacritic- and case-insensitive matching: "nguyen thi hang" finds "Nguyễn Thị Hằng"."""

from __future__ import annotations

import unicodedata

# Code points below this are remembered once looked up (Latin, Vietnamese and the combining
# marks among them); others are looked up each time, so that no text can grow the table
# without bound.
_REMEMBERED_BELOW = 0x3000


class _MarkTable(dict[int, int | str | None]):
    """str.translate's table: a combining mark (category Mn) -> removed, đ/Đ -> d/D, any other
    character -> itself, each looked up when first met (a search folds every nominee name of
    its page: character by character in Python it was a tenth of the search's time)."""

    def __missing__(self, code_point: int) -> int | str | None:
        kept = None if unicodedata.category(chr(code_point)) == "Mn" else code_point
        if code_point < _REMEMBERED_BELOW:
            self[code_point] = kept
        return kept


_FOLDED = _MarkTable({ord("đ"): "d", ord("Đ"): "D"})


def fold(text: str | None) -> str:
    """Lower-case ASCII-ish form of Vietnamese text: marks removed, đ -> d, spaces collapsed."""
    if not text:
        return ""
    stripped = unicodedata.normalize("NFD", text).translate(_FOLDED)
    return " ".join(stripped.lower().split())


def search_terms(query: str | None) -> list[str]:
    """The folded words of a search query."""
    return fold(query).split()
