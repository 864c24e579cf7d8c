"""Entity aliases built once and shared by every request's statements, safe across threads.

SQLAlchemy makes an alias's column collection, and each of its adapted column attributes, on
first use. When two threads do that at once (the first requests of a gunicorn worker serving
several threads), each can build its own, and a statement made of the other thread's fails to
compile ("Can't determine which FROM clause to join from"): a 500 under load. Made before the
alias is shared (SQLAlchemy's own joined loader fills the collection of the aliases it pools),
there is nothing left to race.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import inspect
from sqlalchemy.orm import aliased

Entity = TypeVar("Entity")


def shared_alias(entity: type[Entity], name: str) -> type[Entity]:
    """An alias of `entity` for module-level statements: its columns made before any thread
    sees it (an alias made per call would rebuild its column expressions every request)."""
    alias = aliased(entity, name=name)
    inspect(alias).selectable.c  # noqa: B018 - filling the collection is the point
    # Each column's adapted attribute and expression too, made lazily on first use as well.
    for column in inspect(entity).column_attrs:
        getattr(alias, column.key).__clause_element__()
    return alias
