"""A search word found in the dossiers' folded text through a trigram index, not a scan.

The migration 0014_search_index builds the index: on SQLite an FTS5 table `dossier_fts` with
the trigram tokenizer over `dossier.search_text` (kept in step by triggers), on PostgreSQL a
GIN `gin_trgm_ops` index on the column itself. Both find a word of at least three characters
from the index (PostgreSQL answering `LIKE '%word%'`, SQLite an FTS5 phrase); a shorter word, or
one holding a LIKE wildcard, is matched on the column, which reads every row the other
conditions leave.

On SQLite every indexed word of a search goes into one FTS5 query (`"nguyen" AND "hang"`):
FTS5 intersects the words' trigram lists itself, where one subquery per word checked the text
of every row holding any of them ("thi" is in a quarter of all names: 110 ms at 100,000
dossiers against 6 ms). A word quoted as a phrase is a run of consecutive trigrams, which is
exactly the text holding the word: unlike `LIKE '%word%'`, no dossier's text is read again to
check it (7.0 against 9.8 ms for a name found 650 times in 100,000).

A search reads its rows in one of three ways (`filter_conditions` takes one):
- `folded_text_contains`: the index looked up, every match found, then the other conditions;
- `folded_text_driving`: the index read first, row by row, so that a LIMIT stops it early (on
  SQLite the FTS5 table must then be joined: `read_search_first`);
- `scanned_text_contains`: each row's own text checked as another index (the list's order)
  reads it, for a search matching so many dossiers that its first page is met within a few
  thousand rows of that order (migration 0026 puts the text in the date index on SQLite).
  PostgreSQL's page of such a search keeps `folded_text_contains` (`past_bound_text`): its
  planner weighs the trigram index against the list's order from its statistics of the text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    column,
    table,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from webapp.models import Dossier

# A trigram index needs at least one whole trigram to narrow a search.
MIN_INDEXED_LENGTH = 3
_LIKE_SPECIAL = ("%", "_", "/", "\\")
# SQLite's FTS5 table of migration 0014: its rowid is the dossier's id.
SEARCH_INDEX = table("dossier_fts", column("rowid", Integer))


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
    type = Boolean()
    # A comparison already: without this SQLite gets `… IN (…) = 1`, which no index answers.
    _is_implicitly_boolean = True
    # SQLAlchemy reads this list to build cache keys (its own declaration, not ClassVar).
    _traverse_internals = [  # noqa: RUF012
        ("patterns", InternalTraversal.dp_clauseelement_tuple),
        ("phrases", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, terms: Sequence[str]) -> None:
        # PostgreSQL's LIKE patterns, one per word; SQLite's FTS5 query, all the words.
        self.patterns = tuple(
            bindparam(None, f"%{term}%", type_=String(), unique=True) for term in terms
        )
        self.phrases = bindparam(None, fts_query(terms), type_=String(), unique=True)


class FoldedTextDriving(FoldedTextContains):
    """The same condition, read first: on SQLite the FTS5 table's own MATCH, for a statement
    that joins that table to the dossiers (`read_search_first`), so that its rows come from the
    index one by one and a LIMIT stops the index read, where `id IN (…)` finds every match
    before the first row (a name found 650 times: 1.7 ms for the first 101 against 17 ms)."""

    inherit_cache = True


def fts_query(terms: Sequence[str]) -> str:
    """An FTS5 query holding every word of `terms`, each a quoted phrase (quotes doubled)."""
    return " AND ".join('"' + term.replace('"', '""') + '"' for term in terms)


def folded_text_contains(terms: Sequence[str]) -> list[Any]:
    """WHERE clauses: the dossier's folded text holds every word of `terms`, the indexed ones
    read from the index in one lookup, the others matched on the column."""
    return _with_index(FoldedTextContains, terms)


def folded_text_driving(terms: Sequence[str]) -> list[Any]:
    """The clauses of `folded_text_contains`, the index read first (see FoldedTextDriving): for
    a statement made by `read_search_first`."""
    return _with_index(FoldedTextDriving, terms)


def scanned_text_contains(terms: Sequence[str]) -> list[Any]:
    """WHERE clauses: every word of `terms` in the dossier's folded text, checked on each row
    another condition or the order reads (never through the search index)."""
    return [Dossier.search_text.contains(term, autoescape=True) for term in terms]


def past_bound_text(session: Session) -> Callable[[Sequence[str]], list[Any]]:
    """How the page of a search matching past its total's bound checks the words.

    SQLite reads the list's order with each row's text checked in the index (its planner
    cannot weigh the FTS5 table against another index). PostgreSQL plans it from its
    statistics of the text: along the list's order for words in many dossiers, from the
    trigram index and sorted for rarer ones, where forcing the order read 44,000 rows of a
    unit for a name in 2,300 of 1,000,000 dossiers (115 ms against 11 ms).
    """
    return scanned_text_contains if search_stops_early(session) else folded_text_contains


# psycopg prepares a statement run five times on a connection, and PostgreSQL may then keep
# one generic plan for every value of its parameters.
_CUSTOM_PLANS = text("SET LOCAL plan_cache_mode = force_custom_plan")


def plan_for_the_words(session: Session) -> None:
    """On PostgreSQL, plan the rest of the transaction's statements for their own values.

    A search's plan depends on its words: a generic plan of `LIKE $1` guesses one matching
    row and reads the trigram index and sorts, whatever the word (148 ms for "nguyen thi hang"
    at 1,000,000 dossiers, where the plan made for it reads the list's order: 8 ms).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_CUSTOM_PLANS)


def _with_index(kind: type[FoldedTextContains], terms: Sequence[str]) -> list[Any]:
    clauses: list[Any] = [
        Dossier.search_text.contains(term, autoescape=True) for term in terms if not indexed(term)
    ]
    found = [term for term in terms if indexed(term)]
    if found:
        clauses.insert(0, kind(found))
    return clauses


def search_stops_early(session: Session) -> bool:
    """Whether the search index must lead the read for a LIMIT to stop it: SQLite's FTS5
    table, joined first, gives its matches one by one; PostgreSQL plans the read itself (its
    GIN index builds a bitmap of every candidate, or, for words in many dossiers, a scan
    checks each row and stops at the LIMIT)."""
    return session.get_bind().dialect.name == "sqlite"


def read_search_first(session: Session, statement: Select[Any]) -> Select[Any]:
    """`statement` (conditions from `folded_text_driving`) reading the search index first: on
    SQLite from the FTS5 table joined to the dossiers; PostgreSQL plans its own reads."""
    if not search_stops_early(session):
        return statement
    return statement.select_from(SEARCH_INDEX).join(Dossier, Dossier.id == SEARCH_INDEX.c.rowid)


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
    # Every piece is compiled SQL (a column and a bound parameter's placeholder), never input.
    identifier = compiler.process(Dossier.id.expression, **kw)
    match = compiler.process(element.phrases, **kw)
    subquery = "SELECT dossier_fts.rowid FROM dossier_fts WHERE dossier_fts MATCH "
    return f"{identifier} IN ({subquery}{match})"


@compiles(FoldedTextDriving, "sqlite")
def _sqlite_driving(element: FoldedTextDriving, compiler: SQLCompiler, **kw: Any) -> str:
    # The statement joins the FTS5 table (read_search_first): its own MATCH, row by row.
    return f"dossier_fts MATCH {compiler.process(element.phrases, **kw)}"
