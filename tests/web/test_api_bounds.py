"""Hostile diagrams through the API: listed problems within two seconds, never a hang or a 500;
a timer computed from a person's answer is refused at run time and changes nothing."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from tests.web.diagrams import SHIPPED_BPMN, deploy_new_version
from tests.workflows.test_bounds import linear, nested

VERSIONS = "/api/v1/processes/award_nomination/versions"
DMN = (Path(__file__).resolve().parents[2] / "bpmn" / "award_rules.dmn").read_text()


def with_timer_after_unit_approval(expression: str) -> str:
    """The shipped diagram with a timer `wait_unit` between the unit's approval and the check."""
    flow = '<bpmn:sequenceFlow id="f_unit_approve" name="Đồng ý" sourceRef="gw_unit" targetRef="'
    assert flow + 'gw_merge_check">' in SHIPPED_BPMN
    timer = (
        '<bpmn:intermediateCatchEvent id="wait_unit" name="Chờ trước khi kiểm tra">'
        "<bpmn:timerEventDefinition><bpmn:timeDuration>"
        f"{expression}</bpmn:timeDuration></bpmn:timerEventDefinition>"
        "</bpmn:intermediateCatchEvent>"
        '<bpmn:sequenceFlow id="f_wait_unit" sourceRef="wait_unit" targetRef="gw_merge_check"/>'
    )
    return SHIPPED_BPMN.replace(flow + 'gw_merge_check">', flow + 'wait_unit">', 1).replace(
        "</bpmn:process>", timer + "</bpmn:process>", 1
    )


def upload(api, xml: str):
    started = time.perf_counter()
    response = api.client.post(
        VERSIONS,
        headers={**api.headers("admin"), "Content-Type": "application/xml"},
        data=xml.encode("utf-8"),
    )
    elapsed = time.perf_counter() - started
    assert elapsed < 2, f"took {elapsed:.2f} s"
    return response


def problems_of(response) -> set[tuple[str, str | None]]:
    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["code"] == "diagram_problems"
    assert all(p["message"] for p in error["problems"])
    return {(p["code"], p["element_id"]) for p in error["problems"]}


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        (with_timer_after_unit_approval('"P99999999Y"'), ("timer_out_of_bounds", "wait_unit")),
        (with_timer_after_unit_approval('"P1000000000D"'), ("timer_out_of_bounds", "wait_unit")),
        (with_timer_after_unit_approval("'in a while'"), ("invalid_timer", "wait_unit")),
        (
            SHIPPED_BPMN.replace(
                "<bpmn:loopDataInputRef>council_members</bpmn:loopDataInputRef>",
                "<bpmn:loopCardinality>50000</bpmn:loopCardinality>",
            ),
            ("cardinality_too_large", "council_vote"),
        ),
        (linear(500), ("diagram_too_long", "t299")),
        (linear(3000), ("diagram_too_large", None)),
        (nested(200), ("subprocess_too_deep", "sp16")),
    ],
    ids=["99999999Y", "1000000000D", "unreadable", "cardinality", "500", "3000", "nested"],
)
def test_a_hostile_diagram_is_refused_with_its_problem_and_element(api, xml, expected):
    before = api.get("/api/v1/processes", "admin").json
    assert expected in problems_of(upload(api, xml))
    assert api.get("/api/v1/processes", "admin").json == before


def test_a_dmn_number_with_hundreds_of_digits_is_refused(api):
    started = time.perf_counter()
    response = api.client.post(
        VERSIONS,
        headers=api.headers("admin"),
        data={
            "bpmn": (io.BytesIO(SHIPPED_BPMN.encode("utf-8")), "award_nomination.bpmn"),
            "dmn": (
                io.BytesIO(
                    DMN.replace("<text>2/3</text>", f"<text>{'7' * 300}</text>", 1).encode()
                ),
                "award_rules.dmn",
            ),
        },
        content_type="multipart/form-data",
    )
    assert time.perf_counter() - started < 2
    assert ("dmn_literal_too_large", "rule_bk_btc") in problems_of(response)


def test_a_timer_from_a_persons_answer_is_refused_at_run_time_and_changes_nothing(api):
    deploy_new_version(api, with_timer_after_unit_approval("comment"))
    dossier = api.start()
    api.do("canbo_ns", dossier["id"], "prepare_dossier", {"decision": "submit"})
    before = api.dossier(dossier["id"])
    started = time.perf_counter()
    response = api.complete(
        "truongphong_ns",
        dossier["id"],
        "approve_at_unit",
        {"decision": "approve", "comment": "P99999999Y"},
    )
    assert time.perf_counter() - started < 2
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "process_error"
    assert "wait_unit" in str(response.json["error"])
    after = api.dossier(dossier["id"])
    assert after == before

    # The same step with a wait the limits allow goes on to the timer.
    response = api.complete(
        "truongphong_ns",
        dossier["id"],
        "approve_at_unit",
        {"decision": "approve", "comment": "P3D"},
    )
    assert response.status_code == 200, response.json


def test_the_longest_chain_allowed_is_read_in_a_request(api):
    """The chain limit leaves the parser's recursion room below a request's own stack."""
    from workflows.bounds import MAX_CHAIN_LENGTH

    response = upload(api, linear(MAX_CHAIN_LENGTH - 2))
    assert response.status_code == 201, response.json
    assert response.json["problems"] == []
