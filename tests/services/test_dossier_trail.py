"""The dossier trail: counts from the engine, the path worked out from them, visibility."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import actor_named
from webapp.models import ProcessInstance, WorkItem
from webapp.services import dossiers, work_items
from webapp.services.dossier_trail import dossier_trail, taken_flows
from webapp.services.errors import NotFoundError
from webapp.services.process_versions import definition_of, deployed_version
from workflows import DiagramInfo, ElementInfo, FlowInfo

NEW = {
    "title": "Đề nghị khen thưởng đột xuất",
    "award_form": "bk_btc",
    "track": "ad_hoc",
    "procedure": "regular",
    "nominees": [{"kind": "individual", "name": "Nguyễn Thị Hằng"}],
}


def start(db):
    dossier = dossiers.start_dossier(db, actor_named(db, "canbo_ns"), NEW)
    db.commit()
    return dossier


def complete(db, username, dossier, step, data):
    item = db.scalars(
        select(WorkItem).where(
            WorkItem.dossier_id == dossier.id, WorkItem.step == step, WorkItem.status == "open"
        )
    ).first()
    assert item is not None, f"no open {step}"
    work_items.complete_work_item(db, actor_named(db, username), item.id, data)
    db.commit()


def shipped_diagram(db) -> DiagramInfo:
    return definition_of(deployed_version(db, "award_nomination")).diagram


def element(element_id: str, kind: str) -> ElementInfo:
    return ElementInfo(element_id, kind, element_id, "p", None, None, {}, None, False, None)


def diagram(nodes: dict[str, str], flows: list[tuple[str, str, str]]) -> DiagramInfo:
    """A hand-made diagram: node id -> kind, and (flow id, source, target)."""
    return DiagramInfo(
        process_ids=("p",),
        process_names={"p": None},
        elements={node: element(node, kind) for node, kind in nodes.items()},
        flows={f: FlowInfo(f, src, dst, None, None, False, None) for f, src, dst in flows},
    )


def test_a_return_from_the_office_is_told_apart_from_one_by_the_unit_head(db):
    shipped = shipped_diagram(db)
    # Office returned once; the dossier came back and waits at the check again.
    office = taken_flows(
        shipped,
        {
            "start": 1,
            "gw_merge_prepare": 2,
            "prepare_dossier": 2,
            "approve_at_unit": 2,
            "gw_unit": 2,
            "gw_merge_check": 2,
            "check_dossier": 1,
            "gw_check": 1,
        },
        ["check_dossier"],
    )
    assert office["f_check_return"] == 1
    assert office["f_unit_approve"] == 2
    assert office["f_prepare"] == 2
    assert "f_unit_return" not in office
    assert "f_check_approve" not in office
    # The unit head returned once; the officer submitted again and the head decides again.
    unit = taken_flows(
        shipped,
        {
            "start": 1,
            "gw_merge_prepare": 2,
            "prepare_dossier": 2,
            "approve_at_unit": 1,
            "gw_unit": 1,
        },
        ["approve_at_unit"],
    )
    assert unit == {
        "f_start": 1,
        "f_prepare": 2,
        "f_submit": 2,
        "f_unit_review": 1,
        "f_unit_return": 1,
    }


def test_counts_that_cannot_tell_mark_every_possible_flow_without_a_count():
    # Two choices, each made once, each sending to `m` or `x`: which went where is unknowable.
    nodes = {"a": "exclusiveGateway", "b": "exclusiveGateway", "m": "task", "x": "task"}
    flows = [("am", "a", "m"), ("ax", "a", "x"), ("bm", "b", "m"), ("bx", "b", "x")]
    counts = {"a": 1, "b": 1, "m": 1, "x": 1}
    assert taken_flows(diagram(nodes, flows), counts, []) == {
        "am": None,
        "ax": None,
        "bm": None,
        "bx": None,
    }


def test_a_fork_sends_a_token_down_every_branch_and_a_join_is_not_a_sum():
    nodes = {
        "s": "startEvent",
        "fork": "parallelGateway",
        "t1": "userTask",
        "t2": "userTask",
        "join": "parallelGateway",
        "e": "endEvent",
    }
    flows = [
        ("f0", "s", "fork"),
        ("f1", "fork", "t1"),
        ("f2", "fork", "t2"),
        ("f3", "t1", "join"),
        ("f4", "t2", "join"),
        ("f5", "join", "e"),
    ]
    # t1 done, t2 still open: the join waits, nothing after it was reached.
    waiting = taken_flows(diagram(nodes, flows), {"s": 1, "fork": 1, "t1": 1}, ["t2"])
    assert waiting == {"f0": 1, "f1": 1, "f2": 1}
    done = taken_flows(
        diagram(nodes, flows),
        {"s": 1, "fork": 1, "t1": 1, "t2": 1, "join": 1, "e": 1},
        [],
    )
    assert done == {f: 1 for f, _src, _dst in flows}


def test_the_trail_of_a_dossier_after_a_return_round(db):
    dossier = start(db)
    complete(db, "canbo_ns", dossier, "prepare_dossier", {"decision": "submit"})
    complete(db, "truongphong_ns", dossier, "approve_at_unit", {"decision": "approve"})
    complete(db, "vanphong", dossier, "check_dossier", {"decision": "return", "comment": "Thiếu"})
    complete(db, "canbo_ns", dossier, "prepare_dossier", {"decision": "submit"})
    trail = dossier_trail(db, actor_named(db, "vanphong"), dossier.id)
    assert trail.current == ["approve_at_unit"]
    assert trail.completed["prepare_dossier"] == 2
    assert trail.completed["approve_at_unit"] == 1
    assert trail.completed["check_dossier"] == 1
    assert trail.flows["f_check_return"] == 1
    assert trail.flows["f_submit"] == 2
    assert "f_unit_return" not in trail.flows
    assert (trail.process_key, trail.version) == ("award_nomination", 1)
    assert 'id="approve_at_unit"' in trail.bpmn_xml
    assert trail.finished is False
    assert trail.complete is True


def test_the_trail_follows_the_dossiers_visibility(db):
    dossier = start(db)
    assert dossier_trail(db, actor_named(db, "truongphong_ns"), dossier.id).current == [
        "prepare_dossier"
    ]
    for outsider in ("vanphong_hn", "canbo_dn"):
        with pytest.raises(NotFoundError):
            dossier_trail(db, actor_named(db, outsider), dossier.id)


def test_an_unreadable_engine_state_still_gives_the_diagram_and_the_open_steps(db):
    dossier = start(db)
    complete(db, "canbo_ns", dossier, "prepare_dossier", {"decision": "submit"})
    instance = db.scalars(
        select(ProcessInstance).where(ProcessInstance.dossier_id == dossier.id)
    ).one()
    instance.state = b"not a saved workflow"
    db.commit()
    trail = dossier_trail(db, actor_named(db, "vanphong"), dossier.id)
    assert trail.complete is False
    assert trail.current == ["approve_at_unit"]
    assert trail.completed == {}
    assert trail.flows == {}
    assert 'id="approve_at_unit"' in trail.bpmn_xml
