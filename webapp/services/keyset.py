"""Keyset pagination: an opaque cursor naming the last row read, and the WHERE resuming after it.

A page read after a cursor costs the page, however deep it is in the list (an OFFSET reads and
drops every row before the page), and rows inserted or removed between two reads neither repeat
nor skip the rows already listed.

The cursor is base64url of a small JSON list: the list's ordering name, then the last row's sort
values. It only places a reader in a list they may already read, so it is checked for shape
(a mangled one is refused naming the field `cursor`), not signed.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, false, or_
from sqlalchemy.orm import Session

from webapp.services.errors import InvalidDataError

MAX_CURSOR_LENGTH = 1000
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
BAD_CURSOR = {"cursor": "is not a cursor of this list (start again from the first page)"}


@dataclass(frozen=True)
class Key:
    """One column of an ordering: its SQL expression, the Python type of its values, and whether
    it can be NULL."""

    expr: Any
    kind: type
    nullable: bool = False


def encode_cursor(ordering: str, values: Sequence[Any]) -> str:
    """The cursor resuming `ordering` after a row whose sort values are `values`."""
    plain = [v.astimezone(UTC).isoformat() if isinstance(v, datetime) else v for v in values]
    raw = json.dumps([ordering, *plain], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, ordering: str, keys: Sequence[Key]) -> list[Any]:
    """The sort values a cursor of `ordering` carries (InvalidDataError naming `cursor` when it
    is not one: mangled, too long, or made for another ordering)."""
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH or not cursor.isascii():
        raise InvalidDataError("bad cursor", BAD_CURSOR)
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        decoded = json.loads(raw.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidDataError("bad cursor", BAD_CURSOR) from exc
    if not isinstance(decoded, list) or decoded[:1] != [ordering]:
        raise InvalidDataError("bad cursor", BAD_CURSOR)
    values = decoded[1:]
    if len(values) != len(keys):
        raise InvalidDataError("bad cursor", BAD_CURSOR)
    return [_value(value, key) for value, key in zip(values, keys, strict=True)]


def _value(value: Any, key: Key) -> Any:
    if value is None:
        if key.nullable:
            return None
        raise InvalidDataError("bad cursor", BAD_CURSOR)
    if key.kind is datetime:
        if not isinstance(value, str):
            raise InvalidDataError("bad cursor", BAD_CURSOR)
        try:
            moment = datetime.fromisoformat(value)
        except ValueError as exc:
            raise InvalidDataError("bad cursor", BAD_CURSOR) from exc
        if moment.tzinfo is None:
            raise InvalidDataError("bad cursor", BAD_CURSOR)
        try:
            return moment.astimezone(UTC)
        except OverflowError as exc:  # year 1 at +14:00 is before the calendar's first day
            raise InvalidDataError("bad cursor", BAD_CURSOR) from exc
    if key.kind is int:
        # bool is an int to Python, not a row id; the columns are 32-bit integers.
        if type(value) is not int or not INT_MIN <= value <= INT_MAX:
            raise InvalidDataError("bad cursor", BAD_CURSOR)
        return value
    # PostgreSQL takes no NUL in a text value: such a cursor is no code of the list.
    if not isinstance(value, key.kind) or (isinstance(value, str) and "\x00" in value):
        raise InvalidDataError("bad cursor", BAD_CURSOR)
    return value


def nulls_sort_low(session: Session) -> bool:
    """Whether NULL sorts before every value in an ascending ORDER BY (SQLite) or after
    (PostgreSQL): the keyset of a nullable column must put NULL rows where the ORDER BY does."""
    return session.get_bind().dialect.name == "sqlite"


def after(keys: Sequence[Key], values: Sequence[Any], *, descending: bool, nulls_low: bool) -> Any:
    """WHERE for the rows that come after `values` in the ORDER BY of `keys`, all ascending or
    all `descending`: `(k1, k2, …) > (v1, v2, …)` written out, NULLs where the database sorts
    them (`nulls_low`: before every value when ascending).

    When the leading key's value is not NULL (and, for a nullable key, its NULLs come first,
    so all of them are behind), `k1 >= v1` (`<=` descending) is added as well: an index on the
    keys then starts its range scan at the cursor instead of filtering from the top.
    """
    nulls_first = nulls_low != descending
    clauses = []
    equal: list[Any] = []
    for key, value in zip(keys, values, strict=True):
        expr = key.expr
        if value is None:
            later = expr.is_not(None) if nulls_first else false()
            same = expr.is_(None)
        else:
            later = expr < value if descending else expr > value
            if key.nullable and not nulls_first:
                later = or_(later, expr.is_(None))
            same = expr == value
        clauses.append(and_(*equal, later))
        equal.append(same)
    condition = or_(*clauses)
    lead, first = keys[0], values[0]
    if first is not None and (nulls_first or not lead.nullable):
        condition = and_(lead.expr <= first if descending else lead.expr >= first, condition)
    return condition


def ranges_after(
    keys: Sequence[Key], values: Sequence[Any], *, descending: bool, nulls_low: bool
) -> list[tuple[Any, int]]:
    """The rows after `values` as consecutive slices of the order, each a WHERE that an index
    on the keys reads as one range: the rows equal on every key but the last and after it on
    that one, then those equal on every key but the last two and after on the one before, and
    so on up to the rows after on the first key alone (NULLs, where they come after, a slice of
    their own). Read in this order, each until the page is full, they list the rows that
    `after` selects, in the ORDER BY's order, without scanning a tie of the leading key (a
    status shared by thousands of dossiers) nor an OR no index can serve.

    Each slice comes with how many leading keys it holds equal: ordered by the keys after
    those, it is in the index's order (SQLite does not see that a key held equal to a value
    by an expression index needs no sorting, and would sort the whole slice).
    """
    nulls_first = nulls_low != descending
    slices: list[tuple[Any, int]] = []
    for depth in range(len(keys) - 1, -1, -1):
        prefix = [
            key.expr.is_(None) if value is None else key.expr == value
            for key, value in zip(keys[:depth], values[:depth], strict=True)
        ]
        key, value = keys[depth], values[depth]
        if value is None:
            laters = [key.expr.is_not(None)] if nulls_first else []
        else:
            laters = [key.expr < value if descending else key.expr > value]
            if key.nullable and not nulls_first:
                laters.append(key.expr.is_(None))
        slices.extend((and_(*prefix, later), depth) for later in laters)
    return slices
