"""A search word found in the dossiers' folded text through a trigram index, not a scan.

The migration 0014_search_index builds the index: on SQLite an FTS5 table `dossier_fts` with
the trigram tokenizer over `dossier.search_text` (kept in step by triggers), on PostgreSQL a
GIN `gin_trgm_ops` index on the column itself. Both answer `LIKE '%word%'` from the index when
the word has at least three characters; a shorter word (or one holding a LIKE wildcard, which
SQLite's FTS5 cannot take with an ESCAPE) is matched on the column, which reads every row the
other conditions leave.

On SQLite every indexed word of a search goes into one FTS5 query (`LIKE … AND LIKE …`): FTS5
intersects the words' trigram lists itself and checks the text of the few rows left, where one
subquery per word checked the text of every row holding any of them ("thi" is in a quarter
of all names: 110 ms at 100,000 dossiers against 6 ms).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Boolean, ColumnElement, String, and_, bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from webapp.models import Dossier

# A trigram index needs at least one whole trigram to narrow a search.
MIN_INDEXED_LENGTH = 3
_LIKE_SPECIAL = ("%", "_", "/", "\\")


def indexed(term: str) -> bool:
    """Whether the index can answer this folded word."""
    return len(term) >= MIN_INDEXED_LENGTH and not any(c in term for c in _LIKE_SPECIAL)


class FoldedTextContains(ColumnElement[bool]):
    """`dossier.search_text` holds every one of the folded words `terms` (each indexed).

    Its SQL depends only on how many words there are: the words are bound parameters made
    here, so a statement holding it is compiled once per number of words and dialect, not on
    every search (SQLAlchemy's cache key is the patterns' structure, their values are read
    at each execution).
    """

    inherit_cache = True
    # SQLAlchemy reads this list to build cache keys (its own declaration, not ClassVar).
    _traverse_internals = [("patterns", InternalTraversal.dp_clauseelement_tuple)]  # noqa: RUF012
    type = Boolean()
    # A comparison already: without this SQLite gets `… IN (…) = 1`, which no index answers.
    _is_implicitly_boolean = True

    def __init__(self, terms: Sequence[str]) -> None:
        self.patterns = tuple(
            bindparam(None, f"%{term}%", type_=String(), unique=True) for term in terms
        )


def folded_text_contains(terms: Sequence[str]) -> list[Any]:
    """WHERE clauses: the dossier's folded text holds every word of `terms`, the indexed ones
    read from the index in one lookup, the others matched on the column."""
    clauses: list[Any] = [
        Dossier.search_text.contains(term, autoescape=True) for term in terms if not indexed(term)
    ]
    found = [term for term in terms if indexed(term)]
    if found:
        clauses.insert(0, FoldedTextContains(found))
    return clauses


class ReadAfterSearch(ColumnElement[Any]):
    """A column compared after the search found its rows, never read through its own index.

    SQLite's planner cannot tell how few rows the FTS5 lookup returns: given an index on
    another condition's column (the actor's units, a status) it reads every row that index
    holds and checks each against the search (23 ms at 100,000 dossiers for a name matching
    650 of them, and more the rarer the name). `+column` keeps that column off its index, so
    the search's rows drive the read. PostgreSQL weighs both itself: the column as it is.
    """

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]  # noqa: RUF012

    def __init__(self, column: Any) -> None:
        self.column = column
        self.type = column.type


def is_indexed_search(terms: Sequence[str]) -> bool:
    """Whether a search for `terms` reads its rows from the index (one word long enough)."""
    return any(indexed(term) for term in terms)


def searched_column(column: Any, terms: Sequence[str]) -> Any:
    """`column` for a condition of a query that searches `terms`: kept off its index when an
    indexed word of the search leads the read (see ReadAfterSearch)."""
    return ReadAfterSearch(column) if is_indexed_search(terms) else column


@compiles(ReadAfterSearch)
def _column(element: ReadAfterSearch, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column, **kw)


@compiles(ReadAfterSearch, "sqlite")
def _unary_plus(element: ReadAfterSearch, compiler: SQLCompiler, **kw: Any) -> str:
    return f"+{compiler.process(element.column, **kw)}"


@compiles(FoldedTextContains)
def _generic(element: FoldedTextContains, compiler: SQLCompiler, **kw: Any) -> str:
    # PostgreSQL: pg_trgm's GIN index answers LIKE '%…%' on the column itself (one index scan
    # for all the words).
    clause = and_(*(Dossier.search_text.like(pattern) for pattern in element.patterns))
    return compiler.process(clause.self_group(), **kw)


@compiles(FoldedTextContains, "sqlite")
def _sqlite(element: FoldedTextContains, compiler: SQLCompiler, **kw: Any) -> str:
    # FTS5's trigram tokenizer answers two-argument LIKEs (no ESCAPE) from its index, all the
    # words of one query together.
    likes = " AND ".join(
        f"dossier_fts.search_text LIKE {compiler.process(pattern, **kw)}"
        for pattern in element.patterns
    )
    identifier = compiler.process(Dossier.id.expression, **kw)
    # Every piece is compiled SQL (a column and bound parameters' placeholders), never input.
    subquery = "SELECT dossier_fts.rowid FROM dossier_fts WHERE "
    return f"{identifier} IN ({subquery}{likes})"
