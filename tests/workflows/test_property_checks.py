"""An uploaded file is held to what the properties panel accepts: time limits and outcomes."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import session

from tests.workflows.diagrams import lane, process
from webapp.admin.problem_text import problem_label, problem_text
from workflows.checks import check_bundle
from workflows.diagram_info import read_time_limit, valid_time_limit

ROLES = {"office"}
SHIPPED = (Path(__file__).resolve().parents[2] / "bpmn" / "award_nomination.bpmn").read_text()


def _props(**values: str) -> str:
    items = "".join(
        f'<spiffworkflow:property name="{name}" value="{value}"/>' for name, value in values.items()
    )
    return (
        "<bpmn:extensionElements><spiffworkflow:properties>"
        f"{items}</spiffworkflow:properties></bpmn:extensionElements>"
    )


def diagram(*, limit: str | None = None, outcome: str | None = None) -> str:
    task_props = {"formJsonSchemaFilename": "f.json"}
    if limit is not None:
        task_props["timeLimitDays"] = limit
    end_props = _props(outcome=outcome) if outcome is not None else ""
    return process(
        '<bpmn:startEvent id="start"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>'
        f'<bpmn:userTask id="review" name="Xem xét">{_props(**task_props)}</bpmn:userTask>'
        '<bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end"/>'
        f'<bpmn:endEvent id="end" name="Kết thúc">{end_props}</bpmn:endEvent>',
        lanes=lane("l_office", "office", ["start", "review", "end"]),
    )


def codes(xml: str) -> set[tuple[str, str | None]]:
    result = check_bundle(xml, forms={"f.json"}, known_roles=ROLES)
    return {(p.code, p.element_id) for p in result.problems}


@pytest.mark.parametrize("limit", ["1", "5", " 30 ", "365"])
def test_a_time_limit_the_panel_accepts_passes(limit):
    assert codes(diagram(limit=limit)) == set()


def test_a_diagram_without_these_properties_passes():
    assert codes(diagram()) == set()


@pytest.mark.parametrize("limit", ["hai", "0", "-3", "2.5", "366", "1e3", "²", "５", "9" * 5000])
def test_a_time_limit_the_panel_refuses_is_named_at_its_task(limit):
    result = check_bundle(diagram(limit=limit), forms={"f.json"}, known_roles=ROLES)
    [problem] = result.problems
    assert (problem.code, problem.element_id) == ("invalid_time_limit", "review")
    assert problem.line
    assert problem.params["name"] == "Xem xét"
    assert problem.params["max"] == "365"
    assert len(problem.params["value"]) <= 80
    assert not result.ok


@pytest.mark.parametrize("outcome", ["awarded", "refused", "withdrawn"])
def test_an_outcome_the_product_knows_passes(outcome):
    assert codes(diagram(outcome=outcome)) == set()


@pytest.mark.parametrize("outcome", ["won", "Awarded", " awarded", "refused "])
def test_an_unknown_outcome_is_named_at_its_end(outcome):
    result = check_bundle(diagram(outcome=outcome), forms={"f.json"}, known_roles=ROLES)
    [problem] = result.problems
    assert (problem.code, problem.element_id) == ("invalid_outcome", "end")
    assert problem.params["known"] == "awarded, refused, withdrawn"
    assert problem.line


def test_both_problems_are_listed_at_once():
    assert codes(diagram(limit="hai", outcome="won")) == {
        ("invalid_time_limit", "review"),
        ("invalid_outcome", "end"),
    }


def test_the_shipped_diagram_still_passes():
    result = check_bundle(SHIPPED, forms=None, known_roles=None)
    assert not [p for p in result.problems if p.code in {"invalid_time_limit", "invalid_outcome"}]


def multi_instance(collection: str, item: str) -> str:
    return process(
        '<bpmn:startEvent id="start"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="vote"/>'
        f'<bpmn:userTask id="vote" name="Bỏ phiếu">{_props(formJsonSchemaFilename="f.json")}'
        '<bpmn:multiInstanceLoopCharacteristics isSequential="false">'
        f"<bpmn:loopDataInputRef>{collection}</bpmn:loopDataInputRef>"
        f'<bpmn:inputDataItem id="{item}" name="the item"/>'
        "</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>"
        '<bpmn:sequenceFlow id="f2" sourceRef="vote" targetRef="end"/>'
        '<bpmn:endEvent id="end"/>',
        lanes=lane("l_office", "office", ["start", "vote", "end"]),
    )


def test_valid_collection_and_element_variable_pass():
    # The item's name is a label (SpiffWorkflow keys the data by its id), as in its own tests.
    assert codes(multi_instance("council_members", "member")) == set()
    assert codes(multi_instance("_items2", "x")) == set()


@pytest.mark.parametrize(
    ("collection", "item", "bad"),
    [
        ("thành_viên", "member", "thành_viên"),
        ("council members", "member", "council members"),
        (" members", "member", " members"),
        ("members", "a.b", "a.b"),
        ("members", "a-b", "a-b"),
    ],
)
def test_a_name_the_panel_refuses_is_named_at_its_task(collection, item, bad):
    result = check_bundle(multi_instance(collection, item), forms={"f.json"}, known_roles=ROLES)
    found = [p for p in result.problems if p.code == "invalid_variable_name"]
    shown = " ".join(bad.split())  # quoted on one line
    assert [(p.element_id, p.params["value"], p.params["name"]) for p in found] == [
        ("vote", shown, "Bỏ phiếu")
    ]
    assert found[0].line
    assert not result.ok


def test_reading_a_time_limit_never_raises():
    assert read_time_limit("²") is None  # "²".isdigit() holds, int("²") raises
    assert read_time_limit("9" * 5000) is None  # past int()'s digit limit
    assert read_time_limit("0") is None
    assert read_time_limit(" 7 ") == 7
    assert read_time_limit("400") == 400  # a deployed value keeps its meaning
    assert not valid_time_limit("400")
    assert valid_time_limit("365")


@pytest.fixture
def vietnamese(app):
    with app.test_request_context("/"):
        session["lang"] = "vi"
        yield


def test_the_problems_read_in_vietnamese(vietnamese):
    result = check_bundle(diagram(limit="hai", outcome="won"), forms={"f.json"}, known_roles=ROLES)
    by_code = {p.code: p.as_dict() for p in result.problems}
    assert problem_label("invalid_time_limit") == "Thời hạn của một bước không phải là số ngày"
    assert problem_label("invalid_outcome") == "Một điểm kết thúc ghi kết quả không tồn tại"
    assert problem_text(by_code["invalid_time_limit"]) == (
        "Bước “Xem xét” có thời hạn “hai”: hãy ghi số ngày làm việc là một số nguyên từ 1 đến 365.",
        "",
    )
    [named] = check_bundle(
        multi_instance("members", "a-b"), forms={"f.json"}, known_roles=ROLES
    ).problems
    assert problem_text(named.as_dict()) == (
        "Bước “Bỏ phiếu” dùng “a-b” làm tên danh sách hoặc biến phần tử: tên chỉ gồm chữ cái "
        "không dấu, chữ số và dấu _, và không bắt đầu bằng chữ số.",
        "",
    )
    assert problem_text(by_code["invalid_outcome"]) == (
        "Điểm kết thúc “Kết thúc” ghi kết quả “won”, không thuộc các kết quả hợp lệ: "
        "awarded, refused, withdrawn.",
        "",
    )


def test_an_upload_with_a_time_limit_in_words_is_refused(api):
    xml = SHIPPED.replace(
        '<spiffworkflow:property name="timeLimitDays" value="5" />',
        '<spiffworkflow:property name="timeLimitDays" value="hai" />',
        1,
    )
    assert xml != SHIPPED
    response = api.client.post(
        "/api/v1/processes/award_nomination/versions",
        headers={**api.headers("admin"), "Content-Type": "application/xml"},
        data=xml.encode("utf-8"),
    )
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "diagram_problems"
    found = {(p["code"], p["element_id"]) for p in error["problems"]}
    assert found == {("invalid_time_limit", "prepare_dossier")}
    assert "prepare_dossier" in error["fields"]
    versions = api.get("/api/v1/processes", "admin").json["processes"][0]["versions"]
    assert [v["version"] for v in versions] == [1]


def test_an_upload_is_held_to_the_panels_rules_for_roles_forms_and_conditions(api):
    """What the panel cannot produce, a file drawn elsewhere must not bring in either."""
    from lxml import etree

    ns = {
        "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
        "s": "http://spiffworkflow.org/bpmn/schema/1.0/core",
    }
    root = etree.fromstring(SHIPPED.encode("utf-8"))
    [role] = root.xpath("//bpmn:lane[@id='lane_office']//s:property[@name='role']", namespaces=ns)
    role.set("value", "deputy_director")
    [form] = root.xpath(
        "//bpmn:userTask[@id='check_dossier']//s:property[@name='formJsonSchemaFilename']",
        namespaces=ns,
    )
    form.set("value", "no_such_form.json")
    for flow_id, text in (("f_unit_return", "decision == 'return'"), ("f_submit", "True")):
        [flow] = root.xpath(f"//bpmn:sequenceFlow[@id='{flow_id}']", namespaces=ns)
        etree.SubElement(flow, f"{{{ns['bpmn']}}}conditionExpression").text = text
    response = api.client.post(
        "/api/v1/processes/award_nomination/versions",
        headers={**api.headers("admin"), "Content-Type": "application/xml"},
        data=etree.tostring(root, xml_declaration=True, encoding="UTF-8"),
    )
    assert response.status_code == 422
    found = {(p["code"], p["element_id"]) for p in response.json["error"]["problems"]}
    assert found == {
        ("unknown_role", "lane_office"),
        ("unknown_form", "check_dossier"),
        ("default_with_condition", "f_unit_return"),
        ("condition_ignored", "f_submit"),
    }
