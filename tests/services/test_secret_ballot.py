"""A secret vote leaves nothing that links a member to a choice, and still counts right.

Five members vote by secret ballot (the shipped rules say so for the Prime Minister's
certificate) through the API, with choices that tell them apart. Then every row of every
table, every history event, the engine state of every instance and every log record written
during the test are read: no stored choice sits with a member, the engine never held one, and
the tally is the one an open count of the same ballots gives.
"""

from __future__ import annotations

import json
import logging
import re
import zlib
from fractions import Fraction
from typing import Any

from sqlalchemy import select

from tests.web.pages import login
from webapp.db import Base
from webapp.models import BallotCount, Dossier, Event, ProcessInstance, User
from webapp.request_db import database
from workflows.operations import tally_votes

MEMBERS = ["giamdoc", "hoidong1", "hoidong2", "hoidong3", "hoidong4"]
# Each member's choices on nominees 0, 1 and 2: no two members alike but the last pair.
CHOICES = {
    "giamdoc": ("agree", "agree", "agree"),
    "hoidong1": ("agree", "disagree", "agree"),
    "hoidong2": ("disagree", "agree", "agree"),
    "hoidong3": ("agree", "agree", "disagree"),
    "hoidong4": ("agree", "disagree", "disagree"),
}
# A choice written as a value ("12": "agree", or a bare 'agree' in a list of SQL parameters):
# a tally's counts ("agree": 3) name the choice as a key and are not anyone's choice.
CHOICE_VALUE = re.compile(r"""['"](agree|disagree)['"](?!\s*:)""")
NOMINEES = [
    {"kind": "individual", "name": "Nguyễn Thị Hằng", "achievement": "Hoàn thành xuất sắc"},
    {"kind": "collective", "name": "Phòng Quản lý ngân sách", "achievement": "Tham mưu kịp thời"},
    {"kind": "individual", "name": "Trần Văn Thu", "achievement": "Sáng kiến cấp Sở"},
]


def at_secret_vote(api) -> tuple[int, list[str]]:
    """A dossier for the Prime Minister's certificate whose council vote has just opened."""
    dossier = api.start(award_form="bk_ttg", nominees=NOMINEES)
    did = dossier["id"]
    api.do("canbo_ns", did, "prepare_dossier", {"decision": "submit"})
    api.do("truongphong_ns", did, "approve_at_unit", {"decision": "approve"})
    api.do("vanphong", did, "check_dossier", {"decision": "approve"})
    return did, [str(n["id"]) for n in dossier["nominees"]]


def _ballot(member: str, nominee_ids: list[str]) -> dict[str, str]:
    return dict(zip(nominee_ids, CHOICES[member], strict=True))


def _all_loggers_at_debug(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)


def _member_refs(app) -> tuple[set[str], set[int]]:
    with database(app).session() as session:
        users = session.execute(
            select(User.id, User.username, User.full_name).where(User.username.in_(MEMBERS))
        ).all()
    names = {u.username for u in users} | {u.full_name for u in users}
    return names, {u.id for u in users}


def _rows(app) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, every column."""
    out: dict[str, list[dict[str, Any]]] = {}
    with database(app).engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            out[table.name] = [dict(r._mapping) for r in connection.execute(table.select())]
    return out


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        try:
            value = zlib.decompress(value).decode("utf-8")
        except zlib.error:
            value = value.decode("utf-8", "replace")
    return (
        json.dumps(value, default=str, ensure_ascii=False) if not isinstance(value, str) else value
    )


def _user_columns(table: str) -> set[str]:
    """The columns of `table` that point at a user (a foreign key to app_user)."""
    return {
        column.name
        for column in Base.metadata.tables[table].columns
        if any(key.column.table.name == "app_user" for key in column.foreign_keys)
    }


def _links_member(table: str, row: dict[str, Any], names: set[str], ids: set[int]) -> bool:
    # Any column that points at a user, or any text naming one; other ids (a box's, a
    # dossier's) may equal a user's id by chance and say nothing about who voted.
    user_columns = _user_columns(table)
    for column, value in row.items():
        if column in user_columns and value in ids:
            return True
        if any(name in _text(value) for name in names):
            return True
    return False


def test_a_secret_vote_links_no_member_to_a_choice(app, api, caplog):
    _all_loggers_at_debug(caplog)
    did, ids = at_secret_vote(api)
    logged = []  # what the application logged while the members voted (not the test's reads)
    for member in MEMBERS:
        caplog.clear()
        api.do(member, did, "council_vote", {"votes": _ballot(member, ids), "comment": "Ý kiến"})
        logged += caplog.records
        # The ballot box has one counter per nominee and choice from the first ballot on:
        # no row appears (or is numbered, or dated) when a given member votes.
        rows = _rows(app)
        assert len(rows["ballot_count"]) == 2 * len(ids)
        assert set(rows["ballot_count"][0]) == {"box_id", "nominee_key", "choice", "count"}
        assert set(rows["ballot_box"][0]) == {"id", "subject_kind", "subject_id", "step", "status"}

    names, ids_of_members = _member_refs(app)
    rows = _rows(app)
    # 1. No row of any table holds a choice next to a member; the ballot box names no one.
    for table, table_rows in rows.items():
        for row in table_rows:
            if table == "ballot_count":
                assert not _links_member(table, row, names, ids_of_members)
                continue
            choice = CHOICE_VALUE.search(_text({k: _text(v) for k, v in row.items()}))
            assert choice is None or not _links_member(table, row, names, ids_of_members), (
                table,
                row,
            )
    # 2. No event, no engine state holds a choice at all: only that each member voted.
    for event in rows["event"]:
        assert not CHOICE_VALUE.search(_text(event["data"])), event
        assert event["decision"] not in {"agree", "disagree"}
        assert event["comment"] is None or event["step"] != "council_vote"
    for instance in rows["process_instance"]:
        state = _text(instance["state"])
        assert "council_votes" in state  # the state was read, and it has the ballots
        assert not CHOICE_VALUE.search(state)
    assert not any(CHOICE_VALUE.search(_text(item)) for item in rows["work_item"])
    # 3. The API shows who voted, never how.
    caplog.clear()
    for reader in ("vanphong", "giamdoc", "admin"):
        assert not CHOICE_VALUE.search(json.dumps(api.dossier(did, reader)))
    logged += caplog.records
    # 4. No log record the application wrote meanwhile holds a choice (SQL included).
    assert any(r.name.startswith("sqlalchemy") for r in logged)  # the log was captured
    for record in logged:
        text = record.getMessage() + repr(vars(record))
        assert not CHOICE_VALUE.search(text), text[:500]

    # The tally is the one an open count of the same ballots gives.
    ballots = {m: _ballot(m, ids) for m in MEMBERS}
    expected = tally_votes(ballots, MEMBERS, ids, Fraction(2, 3), Fraction(2, 3))
    with database(app).session() as session:
        tally_event = session.scalars(
            select(Event).where(Event.dossier_id == did, Event.step == "count_votes")
        ).one()
        assert tally_event.data["tally"] == expected
        dossier = session.get_one(Dossier, did)
        got = {str(n.id): (n.council_agree, n.council_disagree, n.result) for n in dossier.nominees}
        counts = {(c.nominee_key, c.choice): c.count for c in session.scalars(select(BallotCount))}
        assert session.scalars(select(ProcessInstance)).one()
    assert got == {
        ids[0]: (4, 1, "passed"),
        ids[1]: (3, 2, "failed"),
        ids[2]: (3, 2, "failed"),
    }
    assert (counts[(ids[0], "agree")], counts[(ids[2], "disagree")]) == (4, 2)
    # The chair concludes on the counted box as on any vote.
    concluded = api.do("giamdoc", did, "conclude_council", {"decision": "confirm"})
    assert concluded["status"] == "in_progress"


def test_a_member_cannot_vote_twice(api):
    did, ids = at_secret_vote(api)
    [ballot] = api.items("hoidong1", did, "council_vote")
    first = api.post(
        f"/api/v1/work-items/{ballot['id']}/complete",
        "hoidong1",
        json={"data": {"votes": _ballot("hoidong1", ids)}},
    )
    assert first.status_code == 200
    again = api.post(
        f"/api/v1/work-items/{ballot['id']}/complete",
        "hoidong1",
        json={"data": {"votes": _ballot("giamdoc", ids)}},
    )
    assert again.status_code == 409
    assert again.json["error"]["code"] == "already_completed"


def test_the_chair_sees_who_has_not_voted_and_no_choice(api):
    did, ids = at_secret_vote(api)
    for member in ("hoidong1", "hoidong2"):
        api.do(member, did, "council_vote", {"votes": _ballot(member, ids)})
    login(api.client, "giamdoc")
    page = api.client.get(f"/dossiers/{did}").get_data(as_text=True)
    waiting = page[page.index("Bùi Đức Thắng") - 2000 : page.index("Bùi Đức Thắng") + 2000]
    assert "Đặng Thị Hoa" in waiting  # hoidong3 and hoidong4 have not voted
    assert not CHOICE_VALUE.search(page)
    assert "Không đồng ý" not in page


def test_an_open_vote_keeps_the_choices_as_today(api):
    """Rules that do not say secret (the Minister's certificate): the ballots are in the
    history data as before, and no ballot box is used."""
    dossier = api.start(award_form="bk_btc")
    did = dossier["id"]
    api.do("canbo_ns", did, "prepare_dossier", {"decision": "submit"})
    api.do("truongphong_ns", did, "approve_at_unit", {"decision": "approve"})
    api.do("vanphong", did, "check_dossier", {"decision": "approve"})
    ids = [str(n["id"]) for n in dossier["nominees"]]
    api.do("hoidong1", did, "council_vote", {"votes": dict.fromkeys(ids, "agree")})
    from webapp.request_db import database as db_of

    with db_of(api.client.application).session() as session:
        event = session.scalars(
            select(Event).where(Event.dossier_id == did, Event.step == "council_vote")
        ).one()
        assert event.data == {"votes": dict.fromkeys(ids, "agree")}
        assert session.scalars(select(BallotCount)).first() is None
