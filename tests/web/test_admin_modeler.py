"""The modeler page: who may open it, saving as a draft with the check's problems, deploying,
downloading and uploading .bpmn files."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from sqlalchemy import select

from tests.web.pages import csrf_token, login
from webapp.models import ProcessVersion
from webapp.request_db import database

BPMN = (Path(__file__).resolve().parents[2] / "bpmn" / "award_nomination.bpmn").read_text()
VERSIONS = "/admin/processes/award_nomination/versions"
XXE = BPMN.replace(
    "<bpmn:definitions",
    '<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<bpmn:definitions',
    1,
)
NO_FORM = BPMN.replace('value="check_dossier.json"', 'value="missing_form.json"')
CAMUNDA = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_1"
  targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler" exporterVersion="5.30.0">
  <bpmn:process id="Process_1" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Task_1" name="Review" camunda:assignee="demo">
      <bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_1" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_1" targetRef="EndEvent_1" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="Process_1">
      <bpmndi:BPMNShape id="StartEvent_1_di" bpmnElement="StartEvent_1">
        <dc:Bounds x="179" y="79" width="36" height="36" />
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def modeler_url(number: int) -> str:
    return f"{VERSIONS}/{number}/modeler"


def open_modeler(client, number: int = 1) -> tuple[str, dict]:
    """The page's CSRF token and its JSON configuration."""
    page = client.get(modeler_url(number))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    config = re.search(
        r'<script type="application/json" id="modeler-config">(.*?)</script>', html, re.S
    )
    assert config
    return csrf_token(html), json.loads(config.group(1))


def save(client, number: int, xml: str, token: str):
    return client.post(modeler_url(number), json={"xml": xml}, headers={"X-CSRFToken": token})


def versions(app) -> dict[int, ProcessVersion]:
    with database(app).transaction() as session:
        rows = session.scalars(
            select(ProcessVersion).where(ProcessVersion.process_key == "award_nomination")
        ).all()
        for row in rows:
            _ = row.bpmn_xml, row.files  # load the deferred columns before the session closes
            session.expunge(row)
    return {row.version: row for row in rows}


def test_anonymous_users_are_sent_to_the_login_page(client):
    response = client.get(modeler_url(1))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert client.get(f"{VERSIONS}/1/bpmn").status_code == 302


def test_other_users_may_not_open_or_change_the_diagram(client, app):
    login(client, "vanphong")
    assert client.get(modeler_url(1)).status_code == 403
    assert client.get(f"{VERSIONS}/1/bpmn").status_code == 403
    token = csrf_token(client.get("/work").get_data(as_text=True))
    assert save(client, 1, BPMN, token).status_code == 403
    assert (
        client.post(f"{VERSIONS}/1/modeler/deploy", headers={"X-CSRFToken": token}).status_code
        == 403
    )
    assert sorted(versions(app)) == [1]


def test_the_page_carries_the_version_its_forms_and_the_known_roles(client):
    login(client, "admin")
    response = client.get(modeler_url(1))
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "style-src-attr 'unsafe-inline'" in policy
    assert "script-src 'self';" in policy
    assert "unsafe-eval" not in policy
    html = response.get_data(as_text=True)
    assert "/static/build/modeler.js" in html
    assert "/static/build/modeler.css" in html
    _token, config = open_modeler(client)
    assert config["version"]["number"] == 1
    assert config["version"]["status"] == "deployed"
    assert config["version"]["problems"] == []
    assert config["version"]["deployable"] is False
    assert "approve_at_unit.json" in config["forms"]
    # Roles by name, the code as the value a lane stores.
    assert {"value": "council_chair", "label": "Chủ tịch Hội đồng Thi đua - Khen thưởng"} in config[
        "roles"
    ]
    assert {o["value"] for o in config["outcomes"]} == {"awarded", "refused", "withdrawn"}
    assert config["strings"]["group"]
    # bpmn-js's texts, English to the page's language, "Name" as the modeler means it.
    assert config["bpmnTexts"]["Create task"] == "Tạo bước (tác vụ)"
    assert config["bpmnTexts"]["Name"] == "Tên"
    assert client.get(modeler_url(99)).status_code == 404


def test_download_returns_the_stored_xml_as_a_file(client, app):
    login(client, "admin")
    response = client.get(f"{VERSIONS}/1/bpmn")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="award_nomination-v1.bpmn"'
    )
    assert response.get_data(as_text=True) == versions(app)[1].bpmn_xml


def test_saving_a_deployed_version_makes_a_draft_then_saving_the_draft_updates_it(client, app):
    login(client, "admin")
    token, _config = open_modeler(client)
    response = save(client, 1, NO_FORM, token)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["created"] is True
    assert body["version"]["number"] == 2
    assert body["version"]["status"] == "draft"
    assert body["version"]["urls"]["save"] == modeler_url(2)
    problems = body["version"]["problems"]
    assert [(p["code"], p["element_id"]) for p in problems] == [("unknown_form", "check_dossier")]
    assert problems[0]["line"]
    assert problems[0]["label"]
    assert problems[0]["message"]
    assert body["version"]["deployable"] is False
    stored = versions(app)
    assert stored[1].status == "deployed"
    assert stored[1].bpmn_xml == BPMN
    assert stored[2].bpmn_xml == NO_FORM
    assert stored[2].files == stored[1].files

    # The draft changes in place; no third version appears.
    response = save(client, 2, BPMN, token)
    assert response.status_code == 200, response.json
    assert response.json["created"] is False
    assert response.json["version"]["problems"] == []
    assert response.json["version"]["deployable"] is True
    stored = versions(app)
    assert sorted(stored) == [1, 2]
    assert stored[2].bpmn_xml == BPMN
    assert stored[2].problems == []


def test_saving_needs_the_csrf_header_and_a_diagram(client, app):
    login(client, "admin")
    token, _config = open_modeler(client)
    assert save(client, 1, BPMN, "forged").status_code == 400
    assert client.post(modeler_url(1), json={"xml": BPMN}).status_code == 400
    assert save(client, 1, "", token).status_code == 400
    response = client.post(modeler_url(1), data="not json", headers={"X-CSRFToken": token})
    assert response.status_code == 400
    assert response.json["ok"] is False
    assert sorted(versions(app)) == [1]


def test_saving_a_hostile_diagram_is_refused_and_stores_nothing(client, app):
    login(client, "admin")
    token, _config = open_modeler(client)
    response = save(client, 1, XXE, token)
    assert response.status_code == 422
    assert response.json["ok"] is False
    assert [p["code"] for p in response.json["problems"]] == ["doctype_refused"]
    assert "root:" not in response.get_data(as_text=True)
    response = save(client, 1, "<notbpmn/>", token)
    assert response.status_code == 422
    assert [p["code"] for p in response.json["problems"]] == ["not_bpmn"]
    assert sorted(versions(app)) == [1]


def test_deploy_refuses_a_draft_with_problems_and_deploys_a_clean_one(client, app):
    login(client, "admin")
    token, _config = open_modeler(client)
    assert save(client, 1, NO_FORM, token).status_code == 201
    deploy = client.post(f"{VERSIONS}/2/modeler/deploy", headers={"X-CSRFToken": token})
    assert deploy.status_code == 422
    assert deploy.json["ok"] is False
    assert [p["code"] for p in deploy.json["problems"]] == ["unknown_form"]
    assert versions(app)[2].status == "draft"
    assert versions(app)[1].status == "deployed"

    assert save(client, 2, BPMN, token).status_code == 200
    forged = client.post(f"{VERSIONS}/2/modeler/deploy", headers={"X-CSRFToken": "x"})
    assert forged.status_code == 400
    assert versions(app)[2].status == "draft"
    deploy = client.post(f"{VERSIONS}/2/modeler/deploy", headers={"X-CSRFToken": token})
    assert deploy.status_code == 200, deploy.json
    assert deploy.json["version"]["status"] == "deployed"
    assert deploy.json["version"]["deployable"] is False
    stored = versions(app)
    assert stored[2].status == "deployed"
    assert stored[1].status == "retired"

    again = client.post(f"{VERSIONS}/2/modeler/deploy", headers={"X-CSRFToken": token})
    assert again.status_code == 409
    assert again.json["ok"] is False


def upload(client, number: int, data: bytes, name: str = "diagram.bpmn", token: str | None = None):
    if token is None:
        token = csrf_token(client.get(modeler_url(number)).get_data(as_text=True))
    # The multipart body is built here: Werkzeug's test builder spools a large one into a
    # temporary file it never closes (a ResourceWarning, an error under pytest's settings).
    boundary = "----modeler-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="bpmn"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        f"{VERSIONS}/{number}/modeler/upload",
        input_stream=io.BytesIO(body),
        content_length=len(body),
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_an_uploaded_xxe_file_is_refused_with_the_reason(client, app):
    login(client, "admin")
    response = upload(client, 1, XXE.encode("utf-8"), "evil.bpmn")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "evil.bpmn khai báo DOCTYPE hoặc thực thể" in html
    assert 'id="bpmn-file-error"' in html
    assert "is-invalid" in html
    assert "root:" not in html
    assert sorted(versions(app)) == [1]


def test_an_uploaded_file_that_is_too_large_or_not_utf8_is_refused(client, app):
    login(client, "admin")
    big = BPMN.replace(
        "</bpmn:definitions>", "<!--" + "x" * (6 * 1024 * 1024) + "-->\n</bpmn:definitions>"
    )
    assert upload(client, 1, big.encode("utf-8")).status_code == 422
    assert upload(client, 1, "é".encode("latin-1") + b"<x/>").status_code == 422
    assert upload(client, 1, b"").status_code == 422
    assert upload(client, 1, BPMN.encode(), token="forged").status_code == 400
    assert sorted(versions(app)) == [1]


def test_an_uploaded_diagram_from_another_tool_becomes_a_draft_with_its_problems(client, app):
    login(client, "admin")
    response = upload(client, 1, CAMUNDA.encode("utf-8"), "review.bpmn")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(modeler_url(2))
    stored = versions(app)
    assert stored[2].status == "draft"
    assert stored[2].bpmn_xml == CAMUNDA
    assert stored[2].files == stored[1].files
    codes = {p["code"] for p in stored[2].problems}
    assert "no_lane" in codes
    assert "missing_form" in codes
    _token, config = open_modeler(client, 2)
    assert {p["code"] for p in config["version"]["problems"]} == codes
    assert all(p["label"] for p in config["version"]["problems"])


def check_expression(client, text, token: str, number: int = 1):
    return client.post(
        f"{modeler_url(number)}/check-expression",
        json={"text": text},
        headers={"X-CSRFToken": token},
    )


def test_a_condition_the_sandbox_accepts_is_said_accepted(client, app):
    login(client, "admin")
    token, config = open_modeler(client)
    assert config["version"]["urls"]["check"] == f"{modeler_url(1)}/check-expression"
    response = check_expression(client, 'decision == "return"', token)
    assert response.status_code == 200
    assert response.json == {
        "ok": True,
        "accepted": True,
        "message": "Biểu thức được môi trường an toàn của hệ thống chấp nhận.",
        "technical": "",
    }
    assert check_expression(client, 'len(tally["passed"]) > 0', token).json["accepted"] is True
    assert sorted(versions(app)) == [1]


def test_a_refused_condition_is_said_refused_in_vietnamese_naming_the_problem(client):
    login(client, "admin")
    token, _config = open_modeler(client)
    body = check_expression(client, "__import__('os').system('id')", token).json
    assert body["ok"] is True
    assert body["accepted"] is False
    assert body["message"].startswith("Biểu thức “__import__('os').system('id')” bị từ chối")
    assert "không được dùng tên “__import__”" in body["message"]
    assert body["technical"] == ""
    body = check_expression(client, "decision.__class__", token).json
    assert body["accepted"] is False
    assert "“__class__”" in body["message"]
    # A text that is no expression at all: the parser's words only as the technical detail.
    body = check_expression(client, 'decision == "return', token).json
    assert body["accepted"] is False
    assert body["message"].startswith("Đây không phải là một biểu thức hợp lệ")
    assert body["technical"].startswith("not a valid expression")


def test_checking_a_condition_needs_the_csrf_header_and_a_text(client):
    login(client, "admin")
    token, _config = open_modeler(client)
    response = client.post(f"{modeler_url(1)}/check-expression", json={"text": "x == 1"})
    assert response.status_code == 400
    assert response.json["ok"] is False
    assert check_expression(client, "x == 1", "forged").status_code == 400
    assert check_expression(client, None, token).status_code == 400
    assert check_expression(client, "x == 1", token, number=99).status_code == 404


def test_only_administrators_may_check_a_condition(client):
    login(client, "vanphong")
    token = csrf_token(client.get("/work").get_data(as_text=True))
    assert check_expression(client, "x == 1", token).status_code == 403


def test_the_page_offers_the_choice_fields_of_each_form_and_the_decisions(client):
    login(client, "admin")
    _token, config = open_modeler(client)
    [decision] = config["conditionFields"]["approve_at_unit.json"]
    assert decision["name"] == "decision"
    assert decision["label"] == "Quyết định"
    assert decision["options"] == [
        {"value": "approve", "label": "Đồng ý, trình Văn phòng Sở"},
        {"value": "return", "label": "Trả lại để hoàn thiện"},
    ]
    # A free-text comment offers no value to pick.
    fields = {f["name"] for f in config["conditionFields"]["prepare_dossier.json"]}
    assert "comment" not in fields
    assert "procedure" in fields
    assert [d["value"] for d in config["decisions"]] == ["award_rules"]
    question = config["version"]["deploy_question"]
    assert question["title"] == "Áp dụng phiên bản 1?"


def check_timer(client, kind, text, token: str):
    return client.post(
        f"{modeler_url(1)}/check-expression",
        json={"text": text, "timer": kind, "name": "Chờ bổ sung"},
        headers={"X-CSRFToken": token},
    )


def test_a_timer_value_is_checked_like_an_uploaded_diagram(client):
    login(client, "admin")
    token, _config = open_modeler(client)
    assert check_timer(client, "duration", '"P3D"', token).json["accepted"] is True
    assert check_timer(client, "cycle", '"R3/P1D"', token).json["accepted"] is True
    # A value computed from the data is bounded when the timer starts, not here.
    assert check_timer(client, "duration", "wait_for", token).json["accepted"] is True
    body = check_timer(client, "duration", '"P99999D"', token).json
    assert body["accepted"] is False
    assert "“P99999D” của “Chờ bổ sung” vượt quá giới hạn" in body["message"]
    body = check_timer(client, "date", '"hai ngày"', token).json
    assert body["accepted"] is False
    assert body["message"].startswith("Không đọc được bộ hẹn giờ “hai ngày”")
    assert "P3D" in body["message"]
    body = check_timer(client, "duration", "__import__('os')", token).json
    assert body["accepted"] is False
    assert "“__import__”" in body["message"]
    assert check_timer(client, "duration", "", token).json["accepted"] is False
    assert check_timer(client, "weekly", '"P3D"', token).status_code == 400
