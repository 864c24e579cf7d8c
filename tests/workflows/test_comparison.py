"""Comparing two versions of the diagram."""

from __future__ import annotations

import json

from lxml import etree

from tests.workflows.variants import BPMN, with_deputy_review, without_ministry_council
from workflows.comparison import (
    Change,
    ItemChange,
    compare_diagrams,
    compare_forms,
    compare_lanes,
    compare_roles,
    compare_rules,
)
from workflows.diagram_info import read_diagram


def diagram(xml: bytes):
    return read_diagram(etree.fromstring(xml))


def test_same_file_has_no_changes():
    assert compare_diagrams(diagram(BPMN.read_bytes()), diagram(BPMN.read_bytes())).unchanged


def test_an_inserted_step_is_added_and_the_rewired_flow_changed():
    result = compare_diagrams(diagram(BPMN.read_bytes()), diagram(with_deputy_review()))
    assert result.added == ["deputy_review"]
    assert result.removed == []
    assert result.added_flows == ["f_deputy_done"]
    assert result.changed_flows == {
        "f_council_pass": [Change("target", "gw_merge_sign", "deputy_review")]
    }


def test_removed_steps_and_changed_attributes():
    root = etree.fromstring(without_ministry_council())
    ns = {
        "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
        "s": "http://spiffworkflow.org/bpmn/schema/1.0/core",
    }
    [check] = root.xpath("//bpmn:userTask[@id='check_dossier']", namespaces=ns)
    check.set("name", "Kiểm tra, thẩm định")
    [limit] = check.xpath(".//s:property[@name='timeLimitDays']", namespaces=ns)
    limit.set("value", "7")
    [condition] = root.xpath(
        "//bpmn:sequenceFlow[@id='f_minister_award']/bpmn:conditionExpression", namespaces=ns
    )
    condition.text = 'decision == "award" and True'
    edited = etree.tostring(root)
    result = compare_diagrams(diagram(BPMN.read_bytes()), diagram(edited))
    assert sorted(result.removed) == ["gw_ministry_council", "ministry_council"]
    assert sorted(result.removed_flows) == ["f_mc_approve", "f_mc_refuse", "f_ministry_council"]
    assert result.changed["check_dossier"] == [
        Change("name", "Kiểm tra hồ sơ", "Kiểm tra, thẩm định"),
        Change("time_limit_days", 5, 7),
    ]
    assert result.changed_flows["f_appraise_approve"] == [
        Change("target", "ministry_council", "gw_award_form")
    ]
    assert result.changed_flows["f_minister_award"] == [
        Change("condition", 'decision == "award"', 'decision == "award" and True')
    ]


# --- lanes, roles, forms and rules ----------------------------------------------------------

FORM = json.dumps(
    {
        "title": "Ý kiến của đơn vị",
        "type": "object",
        "required": ["decision"],
        "properties": {
            "decision": {
                "type": "string",
                "title": "Quyết định",
                "oneOf": [
                    {"const": "approve", "title": "Đồng ý"},
                    {"const": "return", "title": "Trả lại"},
                ],
            },
            "comment": {"type": ["string", "null"], "title": "Ý kiến", "maxLength": 4000},
        },
    },
    ensure_ascii=False,
)


def test_a_new_lane_and_its_role_are_listed():
    result = compare_lanes(diagram(BPMN.read_bytes()), diagram(with_deputy_review()))
    assert result == [
        ItemChange("added", "lane_deputy_director", "Phó Giám đốc Sở", role="deputy_director")
    ]
    roles = compare_roles(diagram(BPMN.read_bytes()), diagram(with_deputy_review()))
    assert roles == [ItemChange("added", "deputy_director")]
    assert compare_roles(diagram(with_deputy_review()), diagram(BPMN.read_bytes())) == [
        ItemChange("removed", "deputy_director")
    ]


def test_a_lane_given_another_role_is_changed():
    root = etree.fromstring(BPMN.read_bytes())
    [lane] = root.xpath("//*[local-name()='lane'][.//*[@name='role' and @value='office']]")
    lane_id = lane.get("id")
    [role] = lane.xpath(".//*[@name='role']")
    role.set("value", "director")
    lane.set("name", "Văn phòng (mới)")
    [change] = compare_lanes(diagram(BPMN.read_bytes()), read_diagram(root))
    assert (change.kind, change.key, change.role) == ("changed", lane_id, "director")
    assert change.changes[1] == Change("role", "office", "director")
    assert change.changes[0].attribute == "name"
    assert change.changes[0].after == "Văn phòng (mới)"


def test_forms_added_removed_and_changed_field_by_field():
    edited = json.loads(FORM)
    edited["properties"]["decision"]["oneOf"].append({"const": "refuse", "title": "Từ chối"})
    del edited["properties"]["comment"]
    edited["properties"]["score"] = {"type": "integer", "title": "Điểm", "maximum": 10}
    edited["required"] = ["decision", "score"]
    result = compare_forms(
        {"a.json": FORM, "gone.json": FORM},
        {"a.json": json.dumps(edited, ensure_ascii=False), "new.json": FORM},
    )
    assert [(r.kind, r.key, r.name) for r in result] == [
        ("added", "new.json", "Ý kiến của đơn vị"),
        ("removed", "gone.json", "Ý kiến của đơn vị"),
        ("changed", "a.json", "Ý kiến của đơn vị"),
    ]
    assert result[2].changes == [
        Change("field:score", None, "Điểm · [integer, maximum=10] · *"),
        Change("field:comment", "Ý kiến · [string/null, maxLength=4000]", None),
        Change(
            "field:decision",
            "Quyết định · {Đồng ý, Trả lại} · [string] · *",
            "Quyết định · {Đồng ý, Trả lại, Từ chối} · [string] · *",
        ),
    ]
    assert compare_forms({"a.json": FORM}, {"a.json": FORM}) == []


def test_a_lower_threshold_shows_as_the_rule_row_before_and_after():
    rules = (BPMN.parent / "award_rules.dmn").read_text(encoding="utf-8")
    lower = rules.replace(
        '<outputEntry id="rule_hcld_threshold"><text>2/3</text>',
        '<outputEntry id="rule_hcld_threshold"><text>1/2</text>',
    )
    assert lower != rules
    [change] = compare_rules({"award_rules.dmn": rules}, {"award_rules.dmn": lower})
    assert (change.kind, change.key) == ("changed", "award_rules.dmn")
    assert change.changes == [
        Change(
            "rule:Huân chương Lao động hạng Nhất, Nhì, Ba",
            "Tỷ lệ đồng ý tối thiểu (trên tổng số thành viên): 2/3",
            "Tỷ lệ đồng ý tối thiểu (trên tổng số thành viên): 1/2",
        )
    ]
    added_row = rules.replace(
        "</decisionTable>",
        '<rule id="rule_new"><inputEntry id="n1"><text>"x"</text></inputEntry>'
        '<outputEntry id="n2"><text>1</text></outputEntry>'
        '<outputEntry id="n3"><text>1</text></outputEntry></rule></decisionTable>',
    )
    [change] = compare_rules({"award_rules.dmn": rules}, {"award_rules.dmn": added_row})
    assert change.changes == [
        Change(
            "rule:rule_new",
            None,
            'Hình thức khen thưởng: "x"; Tỷ lệ thành viên tham gia tối thiểu: 1; '
            "Tỷ lệ đồng ý tối thiểu (trên tổng số thành viên): 1",
        )
    ]
    assert compare_rules({"award_rules.dmn": rules}, {"other.dmn": rules}) == [
        ItemChange("added", "other.dmn"),
        ItemChange("removed", "award_rules.dmn"),
    ]
    [unreadable] = compare_rules({"award_rules.dmn": rules}, {"award_rules.dmn": "<x"})
    assert (unreadable.kind, unreadable.changes) == ("changed", [])
