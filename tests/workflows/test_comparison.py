"""Comparing two versions of the diagram."""

from __future__ import annotations

from lxml import etree

from tests.workflows.variants import BPMN, with_deputy_review, without_ministry_council
from workflows.comparison import Change, compare_diagrams
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
