"""An approve/return branch built in the browser (issue 10, first "Done when" item).

On a draft copied from the shipped process, the administrator inserts a step "Phó Giám đốc xem
xét" on the simplified procedure's flow (after the office's check), in a new lane below the
office's, followed by an exclusive gateway with two flows: "Đồng ý" on to the director's
signature, "Trả lại" back to the office's check. The lane's role, the step's form and time
limit, and each flow's condition are chosen in the properties panel: a field of the step's form
and one of its values ("Quyết định = Trả lại để hoàn thiện"), checked live by the server. The
check then asks for a default flow; the return flow becomes it with the panel's checkbox. The
draft is saved, deployed through the page's confirmation, and two dossiers go through the JSON
API to the new step, where the deputy decides on the work-item page: one approves and reaches
the director's signature, the other returns and is back at the office's check.

The diagram's structure (a lane, a task, a gateway, three connections) is made with bpmn-js's
modeling service: drawing connections across a 4,500-pixel diagram with the mouse is not what
this test is about. Every property is set through the panel's inputs, as a user does.
"""

from __future__ import annotations

import contextlib
import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from lxml import etree
from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from sqlalchemy import select

from tests.e2e.conftest import fresh_app, log_in, serving, shot
from webapp.models import OrgUnit, ProcessVersion, Role, RoleAssignment, User
from webapp.request_db import database
from webapp.services.auth import hash_password

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "webapp" / "static" / "build" / "modeler.js"
KEY = "award_nomination"
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
SIMPLIFIED_DOSSIER = {
    "title": "Đề nghị tặng Bằng khen của Bộ trưởng (thủ tục đơn giản)",
    "award_form": "bk_btc",
    "track": "ad_hoc",
    "procedure": "simplified",
    "simplified_reason": "Thành tích đột xuất trong phòng chống thiên tai",
    "nominees": [{"kind": "individual", "name": "Nguyễn Thị Hằng"}],
}
# The new lane, the step after the office's check, the gateway and its flows, made with the
# modeling service; the ids bpmn-js gives them come back to the test.
BUILD_STRUCTURE = """
() => {
  const modeler = document.getElementById('modeler-page').modeler;
  const modeling = modeler.get('modeling');
  const registry = modeler.get('elementRegistry');
  const participant = registry.get('award_participant');
  const lane = modeling.addLane(registry.get('lane_office'), 'bottom');
  const middle = lane.y + lane.height / 2;
  const task = modeling.createShape({ type: 'bpmn:UserTask' }, { x: 1700, y: middle }, participant);
  modeling.reconnectEnd(registry.get('f_simplified'), task, { x: task.x, y: middle });
  const gateway = modeling.appendShape(
    task, { type: 'bpmn:ExclusiveGateway' }, { x: 1900, y: middle }, participant);
  const approve = modeling.connect(gateway, registry.get('gw_merge_sign'));
  const back = modeling.connect(gateway, registry.get('gw_merge_check'));
  return { lane: lane.id, task: task.id, gateway: gateway.id, approve: approve.id, back: back.id };
}
"""
# Where an element is on the screen, after scrolling the canvas to put it in the middle: a
# shape's centre (or `at`, a point of the diagram), a point a quarter along a connection's
# first segment.
POINT_ON_SCREEN = """
([id, at]) => {
  const modeler = document.getElementById('modeler-page').modeler;
  const canvas = modeler.get('canvas');
  const element = modeler.get('elementRegistry').get(id);
  // A selected connection's segments are handles to drag it by, not to click.
  modeler.get('selection').select(null);
  let x = element.x + element.width / 2;
  let y = element.y + element.height / 2;
  if (at) {
    [ x, y ] = at;
  } else if (element.waypoints) {
    const points = element.waypoints;
    const index = points.slice(1).findIndex(
      (end, i) => Math.abs(end.x - points[i].x) + Math.abs(end.y - points[i].y) >= 40);
    const [ start, end ] = [ points[Math.max(index, 0)], points[Math.max(index, 0) + 1] ];
    // A quarter of the way: the middle may carry the flow's name, a label of its own.
    x = start.x + (end.x - start.x) / 4;
    y = start.y + (end.y - start.y) / 4;
  }
  // The point in the middle of the canvas, the canvas on the screen.
  const box = canvas.viewbox();
  const { width, height } = box;
  canvas.viewbox({ x: x - width / 2, y: y - height / 2, width, height });
  canvas.getContainer().scrollIntoView({ block: 'nearest' });
  const rect = canvas.getContainer().getBoundingClientRect();
  return { x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 };
}
"""


# --- the server side ---------------------------------------------------------------------------


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    """A fresh demo database, with the role deputy_director and phogiamdoc holding it at the
    Bắc Ninh department (made here: the people pages are another test's business)."""
    app = fresh_app(tmp_path)
    with database(app).transaction() as session:
        department = session.scalars(select(OrgUnit).where(OrgUnit.code == "BN")).one()
        session.add(Role(code="deputy_director", name="Phó Giám đốc Sở"))
        user = User(
            username="phogiamdoc",
            full_name="Trương Thị Phó",
            unit_id=department.id,
            password_hash=hash_password("demo"),
        )
        session.add(user)
        session.flush()
        session.add(RoleAssignment(user_id=user.id, role="deputy_director", unit_id=department.id))
    return app


@pytest.fixture
def url(app: Flask) -> Iterator[str]:
    """The app served; a test asks for it before `page`, so the page closes first."""
    with serving(app) as base:
        yield base


class Api:
    """The JSON API as one user, with a bearer token."""

    def __init__(self, base_url: str, username: str):
        self.base_url = base_url
        self.token = ""
        self.token = self.call("POST", "/tokens", {"username": username, "password": "demo"})[
            "token"
        ]

    def call(self, method: str, path: str, body: Any = None) -> Any:
        # The test server's loopback http URL, never a file: or custom scheme.
        request = urllib.request.Request(  # noqa: S310
            f"{self.base_url}/api/v1{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode("utf-8"),
            headers={"Content-Type": "application/json", "Accept": "application/json"}
            | ({"Authorization": f"Bearer {self.token}"} if self.token else {}),
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.loads(response.read())

    def complete(self, dossier_id: int, step: str, data: dict[str, Any]) -> None:
        [item] = [
            i
            for i in self.call("GET", "/work-items")
            if i["dossier_id"] == dossier_id and i["step"] == step
        ]
        self.call("POST", f"/work-items/{item['id']}/complete", {"data": data})


def current_steps(base_url: str, dossier_id: int) -> list[tuple[str, str]]:
    dossier = Api(base_url, "admin").call("GET", f"/dossiers/{dossier_id}")
    return sorted((c["step"], c["role"]) for c in dossier["current"])


def to_the_deputy(base_url: str) -> tuple[int, str]:
    """A dossier on the simplified procedure, taken by the unit and the office to the new step."""
    officer = Api(base_url, "canbo_ns")
    dossier = officer.call("POST", "/dossiers", SIMPLIFIED_DOSSIER)
    officer.complete(dossier["id"], "prepare_dossier", {"decision": "submit"})
    Api(base_url, "truongphong_ns").complete(
        dossier["id"], "approve_at_unit", {"decision": "approve"}
    )
    Api(base_url, "vanphong").complete(dossier["id"], "check_dossier", {"decision": "approve"})
    return dossier["id"], dossier["code"]


def stored_xml(app: Flask, number: int) -> etree._Element:
    with database(app).transaction() as session:
        xml = session.scalars(
            select(ProcessVersion.bpmn_xml).where(
                ProcessVersion.process_key == KEY, ProcessVersion.version == number
            )
        ).one()
    return etree.fromstring(xml.encode("utf-8"))


# --- the browser side --------------------------------------------------------------------------


def click_element(page: Page, element_id: str, at: tuple[float, float] | None = None) -> None:
    """Click an element of the diagram (it becomes the panel's element)."""
    point = page.evaluate(POINT_ON_SCREEN, [element_id, list(at) if at else None])
    page.mouse.click(point["x"], point["y"])
    # A click on a flow's name selects its label, which shows the flow in the panel too.
    selected = page.locator(
        f"#modeler-canvas g.djs-element[data-element-id='{element_id}'].selected, "
        f"#modeler-canvas g.djs-element[data-element-id='{element_id}_label'].selected"
    )
    expect(selected).to_have_count(1)


def verdict(condition: Locator) -> Locator:
    """The server's verdict on the condition, in the panel's condition group."""
    return condition.locator(".award-condition-check[data-accepted]")


def modeler_xml(page: Page) -> str:
    """The diagram as the modeler would save it now."""
    return page.evaluate(
        "async () => (await document.getElementById('modeler-page').modeler.saveXML()).xml"
    )


def entry(page: Page, entry_id: str):
    """An input of the properties panel, its group opened."""
    if entry_id.startswith(("award-condition", "award-default")):
        group_id = "award-condition"
    elif entry_id.startswith("award-"):
        group_id = "award-properties"
    else:
        group_id = "general"
    header = page.locator(
        f"#modeler-properties [data-group-id='group-{group_id}'] .bio-properties-panel-group-header"
    )
    if header.count() and "open" not in (header.get_attribute("class") or ""):
        header.click()
    return page.locator(f"#bio-properties-panel-{entry_id}")


STACK_INDEX = "document.getElementById('modeler-page').modeler.get('commandStack')._stackIdx"


def type_into(page: Page, entry_id: str, text: str) -> None:
    """Type a value in a text entry of the panel and wait until the panel has applied it."""
    field = entry(page, entry_id)
    before = page.evaluate(STACK_INDEX)
    field.fill(text)
    expect(field).to_have_value(text)
    # The panel applies a typed value after a 300 ms pause, as one command; a refused value
    # applies nothing, so past a few seconds the test goes on and asserts what the panel says.
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(f"(n) => ({STACK_INDEX}) !== n", arg=before, timeout=4000)


def give_condition(page: Page, flow_id: str, name: str, value_label: str) -> None:
    """Name a flow leaving the gateway and give it "Quyết định = <value>" in the panel."""
    click_element(page, flow_id)
    type_into(page, "name", name)
    condition = page.locator("#modeler-properties [data-group-id='group-award-condition']")
    expect(condition).to_be_visible()
    expect(verdict(condition)).to_have_attribute("data-accepted", "empty")
    field = entry(page, "award-condition-field")
    expect(
        field.locator("option", has_text="Quyết định (bước Phó Giám đốc xem xét)")
    ).to_have_count(1)
    field.select_option(label="Quyết định (bước Phó Giám đốc xem xét)")
    entry(page, "award-condition-value").select_option(label=value_label)
    expect(condition.locator("[data-condition-reading]")).to_have_text(
        f"Đi theo luồng này khi: Quyết định = {value_label}"
    )
    expect(verdict(condition)).to_have_attribute("data-accepted", "true")


# --- the test ----------------------------------------------------------------------------------


def test_an_approve_return_branch_built_in_the_browser_sends_each_dossier_its_way(
    app: Flask, url: str, page: Page
) -> None:
    assert BUNDLE.exists(), "the modeler bundle is missing: run `make assets` (npm run build)"
    log_in(page, url, "admin")
    page.goto(f"{url}/admin/processes/{KEY}/versions/1/modeler")
    expect(page.locator("#modeler-page[data-ready='true']")).to_be_attached(timeout=20_000)
    page.locator("#modeler-properties").scroll_into_view_if_needed()

    ids = page.evaluate(BUILD_STRUCTURE)

    # The step: its name and id, then its form and time limit in "Workflow properties".
    click_element(page, ids["task"])
    type_into(page, "name", "Phó Giám đốc xem xét")
    type_into(page, "id", "deputy_review")
    entry(page, "award-form").select_option("approve_at_unit.json")
    type_into(page, "award-time-limit", "2")

    # The lane (clicked on its title band): its name and role.
    lane_box = page.evaluate(
        "id => { const e = document.getElementById('modeler-page').modeler"
        ".get('elementRegistry').get(id); return [e.x + 15, e.y + e.height / 2]; }",
        ids["lane"],
    )
    click_element(page, ids["lane"], (lane_box[0], lane_box[1]))
    type_into(page, "name", "Phó Giám đốc Sở")
    entry(page, "award-role").select_option(label="Phó Giám đốc Sở")
    expect(entry(page, "award-role")).to_have_value("deputy_director")

    click_element(page, ids["gateway"])
    type_into(page, "name", "Phó Giám đốc đồng ý?")

    # Each flow's condition: a field of the step's form and one of its values.
    give_condition(page, ids["approve"], "Đồng ý", "Đồng ý, trình Văn phòng Sở")
    give_condition(page, ids["back"], "Trả lại", "Trả lại để hoàn thiện")
    expect(entry(page, "award-condition-expression")).to_have_value('decision == "return"')
    shot(page, "branch_conditions")

    # An expression written by hand is checked live; the sandbox's refusal reads in Vietnamese.
    condition = page.locator("#modeler-properties [data-group-id='group-award-condition']")
    type_into(page, "award-condition-expression", "decision.__class__ == 'x'")
    check = verdict(condition)
    expect(check).to_have_attribute("data-accepted", "false")
    expect(check).to_contain_text("bị từ chối")
    expect(check).to_contain_text("“__class__”")
    expect(entry(page, "award-condition-field")).to_have_value("")
    # A value the field does not have is accepted by the engine, but the panel warns.
    type_into(page, "award-condition-expression", 'decision == "retrun"')
    expect(check).to_have_attribute("data-accepted", "true")
    expect(condition.locator("[data-condition-hint]")).to_have_text(
        "“retrun” không phải là một câu trả lời của “Quyết định”: luồng này sẽ không bao giờ "
        "được đi theo."
    )
    page.evaluate("document.getElementById('modeler-page').modeler.get('commandStack').undo()")
    # Undo puts the picked condition back, in the panel too.
    page.evaluate("document.getElementById('modeler-page').modeler.get('commandStack').undo()")
    expect(entry(page, "award-condition-expression")).to_have_value('decision == "return"')
    expect(entry(page, "award-condition-field")).to_have_value("decision")
    expect(check).to_have_attribute("data-accepted", "true")

    # Saved: a new draft; the check wants a default flow on the gateway.
    page.locator("#modeler-save").click()
    expect(page.locator("#modeler-page[data-state='clean']")).to_be_attached()
    expect(page.locator("#modeler-status")).to_have_attribute("data-status", "draft")
    expect(page.locator("#modeler-title")).to_contain_text("2")
    problems = page.locator("#problem-list li")
    expect(problems).to_have_count(1)
    expect(problems.first).to_have_attribute("data-problem-code", "no_default_flow")
    expect(problems.first).to_have_attribute("data-element-id", ids["gateway"])

    # The return flow becomes the default one: its condition goes.
    click_element(page, ids["back"])
    entry(page, "award-default-flow").check()
    expect(entry(page, "award-condition-expression")).to_have_count(0)
    expect(entry(page, "award-default-flow")).to_be_checked()
    # One step of undo puts the condition back and clears the default; redo makes it again.
    page.evaluate("document.getElementById('modeler-page').modeler.get('commandStack').undo()")
    expect(entry(page, "award-default-flow")).not_to_be_checked()
    expect(entry(page, "award-condition-expression")).to_have_value('decision == "return"')
    page.evaluate("document.getElementById('modeler-page').modeler.get('commandStack').redo()")
    expect(entry(page, "award-default-flow")).to_be_checked()
    expect(entry(page, "award-condition-expression")).to_have_count(0)
    page.locator("#modeler-save").click()
    expect(page.locator("#problem-count")).to_have_text("0")
    expect(page.locator("#modeler-page[data-state='clean']")).to_be_attached()

    # Deploy asks first, in the catalogue's words.
    page.locator("#modeler-deploy").click()
    dialog = page.locator("#modeler-deploy-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".modal-title")).to_have_text("Áp dụng phiên bản 2?")
    shot(page, "branch_deploy_question")
    dialog.locator("#modeler-deploy-confirm").click()
    expect(page.locator("#modeler-status")).to_have_attribute("data-status", "deployed")

    # What was saved is what the engine reads.
    root = stored_xml(app, 2)
    [gateway] = root.xpath(f"//bpmn:exclusiveGateway[@id='{ids['gateway']}']", namespaces=NS)
    assert gateway.get("default") == ids["back"]
    [approve] = root.xpath(f"//bpmn:sequenceFlow[@id='{ids['approve']}']", namespaces=NS)
    assert approve.xpath("bpmn:conditionExpression/text()", namespaces=NS) == [
        'decision == "approve"'
    ]
    [back] = root.xpath(f"//bpmn:sequenceFlow[@id='{ids['back']}']", namespaces=NS)
    assert back.xpath("bpmn:conditionExpression", namespaces=NS) == []
    [simplified] = root.xpath("//bpmn:sequenceFlow[@id='f_simplified']", namespaces=NS)
    assert simplified.get("targetRef") == "deputy_review"

    # Two dossiers reach the new step; the deputy approves one and returns the other.
    approved, approved_code = to_the_deputy(url)
    returned, returned_code = to_the_deputy(url)
    assert current_steps(url, approved) == [("deputy_review", "deputy_director")]
    assert current_steps(url, returned) == [("deputy_review", "deputy_director")]
    log_in(page, url, "phogiamdoc")
    for code, choice in (
        (approved_code, "Đồng ý, trình Văn phòng Sở"),
        (returned_code, "Trả lại để hoàn thiện"),
    ):
        page.goto(f"{url}/work")
        row = page.locator("#inbox tbody tr", has_text=code)
        expect(row).to_contain_text("Phó Giám đốc xem xét")
        row.locator("a").first.click()
        page.get_by_label(choice, exact=True).check()
        if choice.startswith("Trả lại"):
            page.get_by_label("Ý kiến").fill("Bổ sung bảng thành tích có xác nhận.")
        page.get_by_role("button", name="Gửi").click()
        expect(page.locator(".alert-success")).to_be_visible()

    assert current_steps(url, approved) == [("sign_submission", "director")]
    assert current_steps(url, returned) == [("check_dossier", "office")]


def test_a_timer_and_a_rule_task_decision_are_set_in_the_panel(
    app: Flask, url: str, page: Page
) -> None:
    log_in(page, url, "admin")
    page.goto(f"{url}/admin/processes/{KEY}/versions/1/modeler")
    expect(page.locator("#modeler-page[data-ready='true']")).to_be_attached(timeout=20_000)
    page.locator("#modeler-properties").scroll_into_view_if_needed()

    # The rule task shows the decision it calls, among the version's rule tables.
    click_element(page, "load_council_rules")
    decision = entry(page, "award-decision")
    expect(decision).to_have_value("award_rules")
    expect(decision.locator("option")).to_have_text(
        ["(chưa chọn quyết định)", re.compile(r"tỷ lệ đồng ý .*\(award_rules\.dmn\)$")]
    )
    # Cleared, then chosen again: the file says so as the engine reads it.
    decision.select_option("")
    assert "calledDecisionId" not in modeler_xml(page)
    decision.select_option("award_rules")
    expect(decision).to_have_value("award_rules")
    [called] = etree.fromstring(modeler_xml(page).encode("utf-8")).xpath(
        "//bpmn:businessRuleTask[@id='load_council_rules']"
        "/bpmn:extensionElements/spiffworkflow:calledDecisionId/text()",
        namespaces={**NS, "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"},
    )
    assert called == "award_rules"

    # The shipped diagram's conditions read back: field = value where they have that shape,
    # as an expression otherwise; a default flow says so.
    condition = page.locator("#modeler-properties [data-group-id='group-award-condition']")
    click_element(page, "f_sign_return")
    expect(condition.locator("[data-condition-reading]")).to_have_text(
        "Đi theo luồng này khi: Quyết định = Trả lại Văn phòng Sở"
    )
    expect(entry(page, "award-condition-field")).to_have_value("decision")
    click_element(page, "f_council_pass")
    expect(entry(page, "award-condition-expression")).to_have_value('len(tally["passed"]) > 0')
    expect(entry(page, "award-condition-field")).to_have_value("")
    expect(entry(page, "award-condition-field").locator("option:checked")).to_have_text(
        "(biểu thức viết bên dưới)"
    )
    expect(verdict(condition)).to_have_attribute("data-accepted", "true")
    click_element(page, "f_sign_approve")
    expect(entry(page, "award-default-flow")).to_be_checked()
    expect(entry(page, "award-condition-expression")).to_have_count(0)

    # A timer event (made with the modeling service, as in the test above).
    timer_id = page.evaluate(
        """() => {
          const modeler = document.getElementById('modeler-page').modeler;
          const registry = modeler.get('elementRegistry');
          const shape = modeler.get('elementFactory').createShape({
            type: 'bpmn:IntermediateCatchEvent', eventDefinitionType: 'bpmn:TimerEventDefinition'
          });
          return modeler.get('modeling').createShape(
            shape, { x: 1600, y: 700 }, registry.get('award_participant')).id;
        }"""
    )
    click_element(page, timer_id)
    expect(page.locator("[data-group-id='group-timer']")).to_have_count(0)
    kind = entry(page, "award-timer-kind")
    kind.select_option("duration")
    check = page.locator("#award-timer-check .award-condition-check")
    expect(check).to_have_attribute("data-accepted", "false")
    type_into(page, "award-timer-value", "P99999D")
    expect(check).to_have_attribute("data-accepted", "false")
    expect(check).to_contain_text("vượt quá giới hạn")
    type_into(page, "award-timer-value", "hai ngày")
    expect(check).to_have_attribute("data-accepted", "false")
    expect(check).to_contain_text("P3D")
    type_into(page, "award-timer-value", "P3D")
    expect(check).to_have_attribute("data-accepted", "true")
    shot(page, "timer_in_the_panel")
    root = etree.fromstring(modeler_xml(page).encode("utf-8"))
    [duration] = root.xpath(
        f"//bpmn:intermediateCatchEvent[@id='{timer_id}']"
        "/bpmn:timerEventDefinition/bpmn:timeDuration",
        namespaces=NS,
    )
    assert duration.text == '"P3D"'
    # A date instead: the value moves with the kind.
    kind.select_option("date")
    expect(check).to_have_attribute("data-accepted", "false")
    page.evaluate("document.getElementById('modeler-page').modeler.get('commandStack').undo()")
    expect(kind).to_have_value("duration")
    expect(entry(page, "award-timer-value")).to_have_value("P3D")
    expect(check).to_have_attribute("data-accepted", "true")


def test_a_message_events_content_and_routing_are_set_in_the_panel(
    app: Flask, url: str, page: Page
) -> None:
    """The round's proposal diagram: what a throw sends, where a catch puts what it receives,
    and the correlation that routes the message, each read and changed in the panel."""
    log_in(page, url, "admin")
    page.goto(f"{url}/admin/processes/round_proposal/versions/1/modeler")
    expect(page.locator("#modeler-page[data-ready='true']")).to_be_attached(timeout=20_000)
    page.locator("#modeler-properties").scroll_into_view_if_needed()

    click_element(page, "send_proposal")
    payload = entry(page, "award-message-payload")
    expect(payload).to_have_value('{"round_id": round_id, "dossier_id": dossier_id}')
    routed = entry(page, "award-correlation-cp_round")
    expect(routed).to_have_value("round_id")
    group = page.locator("#modeler-properties [data-group-id='group-award-message']")
    expect(group).to_contain_text("Định tuyến theo round_id")
    type_into(page, "award-message-payload", '{"round_id": round_id, "unit": __builtins__}')
    refusal = page.locator("#award-payload-check .award-condition-check[data-accepted]")
    expect(refusal).to_have_attribute("data-accepted", "false")
    expect(refusal).to_contain_text("“__builtins__”")
    page.evaluate("document.getElementById('modeler-page').modeler.get('commandStack').undo()")
    expect(payload).to_have_value('{"round_id": round_id, "dossier_id": dossier_id}')
    expect(refusal).to_have_attribute("data-accepted", "true")

    click_element(page, "wait_round_result")
    variable = entry(page, "award-message-variable")
    expect(variable).to_have_value("round_result")
    type_into(page, "award-message-variable", "round outcome")
    expect(page.locator("#modeler-properties")).to_contain_text("Chỉ dùng chữ cái, chữ số và dấu _")
    type_into(page, "award-message-variable", "round_outcome")
    type_into(page, "award-correlation-cp_dossier", "int(dossier_id)")
    shot(page, "message_in_the_panel")

    root = etree.fromstring(modeler_xml(page).encode("utf-8"))
    spiff = {**NS, "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
    assert root.xpath(
        "//bpmn:intermediateCatchEvent[@id='wait_round_result']//spiffworkflow:messageVariable"
        "/text()",
        namespaces=spiff,
    ) == ["round_outcome"]
    assert root.xpath(
        "//bpmn:intermediateThrowEvent[@id='send_proposal']//spiffworkflow:messagePayload/text()",
        namespaces=spiff,
    ) == ['{"round_id": round_id, "dossier_id": dossier_id}']
    [path] = root.xpath(
        "//bpmn:correlationProperty[@id='cp_dossier']"
        "/bpmn:correlationPropertyRetrievalExpression[@messageRef='msg_round_result']/*/text()",
        namespaces=NS,
    )
    assert path == "int(dossier_id)"
    # Saved as a draft, the file passes the check (bpmn-js writes the correlation's expression
    # as bpmn:messagePath, which SpiffWorkflow reads as it reads bpmn:formalExpression).
    page.locator("#modeler-save").click()
    expect(page.locator("#modeler-page[data-state='clean']")).to_be_attached()
    expect(page.locator("#modeler-status")).to_have_attribute("data-status", "draft")
    expect(page.locator("#problem-count")).to_have_text("0")
