"""Whole numbers read from URLs stay within what the database can hold.

A path id or a query-string number beyond what an id column holds is not a client's typo to be
passed on: the database refuses it with an error that would become a 500. Ids are INTEGER
columns, 32-bit on PostgreSQL (`integer out of range` for 2**31), so ids stop at 2**31 - 1.
Paths use BoundedIntConverter (registered in place of Flask's `int`): such a URL matches no
route, so it is a 404. Query strings use `query_int`/`query_page` as the `type` of
`request.args.get`: a number out of range is a 404 too, while text that is not a number keeps
the caller's default as before.
"""

from __future__ import annotations

from typing import Any

from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, Map, ValidationError

MAX_ID = 2**31 - 1
# Pages are multiplied by a page size into an SQL offset: keep that product far inside 64 bits.
MAX_PAGE = 1_000_000
_MAX_DIGITS = len(str(2**63 - 1))


class BoundedIntConverter(IntegerConverter):
    """Flask's `int` converter with an upper bound of MAX_ID unless the rule gives one."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)

    def to_python(self, value: str) -> Any:
        # int() of thousands of digits is slow (and refused past 4,300): stop at the length.
        if len(value) > _MAX_DIGITS:
            raise ValidationError()
        return super().to_python(value)


def _bounded(raw: str, top: int) -> int:
    text = raw.strip()
    if not (text.isascii() and text.isdigit()):
        raise ValueError(raw)  # not a number: request.args.get falls back to its default
    if len(text) > _MAX_DIGITS or int(text) > top:
        raise NotFound()
    return int(text)


def query_int(raw: str) -> int:
    """A non-negative id from a query string (`type=query_int`); NotFound past MAX_ID."""
    return _bounded(raw, MAX_ID)


def query_page(raw: str) -> int:
    """A page number from a query string (`type=query_page`); NotFound past MAX_PAGE."""
    return _bounded(raw, MAX_PAGE)
