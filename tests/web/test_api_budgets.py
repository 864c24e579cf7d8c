"""A deployed diagram whose code breaks a budget at run time: 422 process_error, nothing
changed, and the server goes on answering."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from sqlalchemy import select

from tests.web.diagrams import SHIPPED_BPMN, deploy_new_version
from webapp.models import ProcessInstance, WorkItem
from webapp.request_db import database

APPROVED = 'decision == "approve"</bpmn:conditionExpression>'

# The check cannot know how long `decision` is, so the versions deploy; the engine refuses them.
HOSTILE = {
    "repetition": 'decision == "approve" and len(decision * 10 ** 9) > 0',
    "power": 'decision == "approve" and len(decision) ** len(decision) ** len(decision) > 0',
    "formatting": (
        'decision == "approve" and len(("%0" + str(len(decision) * 10 ** 8) + "d") % 1) > 0'
    ),
    "comprehension": (
        'decision == "approve" and '
        "len([i for i in range(10000) if sorted(range(len(decision) * 12000))]) > 0"
    ),
}


def saved(app: Flask, dossier_id: int) -> tuple[int, bytes, list[tuple[str, str]]]:
    """The dossier's engine revision and state, and its work items (step, status)."""
    with database(app).transaction() as session:
        instance = session.scalars(
            select(ProcessInstance).where(ProcessInstance.dossier_id == dossier_id)
        ).one()
        items = session.execute(
            select(WorkItem.step, WorkItem.status)
            .where(WorkItem.dossier_id == dossier_id)
            .order_by(WorkItem.id)
        ).all()
        return instance.revision, instance.state, [(step, status) for step, status in items]


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_condition_that_breaks_a_budget_is_422_and_changes_nothing(app, api, name):
    xml = SHIPPED_BPMN.replace(APPROVED, HOSTILE[name] + "</bpmn:conditionExpression>", 1)
    assert xml != SHIPPED_BPMN
    deploy_new_version(api, xml)
    dossier = api.start()
    api.do("canbo_ns", dossier["id"], "prepare_dossier", {"decision": "submit"})
    before = api.dossier(dossier["id"])
    before_saved = saved(app, dossier["id"])

    began = time.perf_counter()
    response = api.complete(
        "truongphong_ns", dossier["id"], "approve_at_unit", {"decision": "approve"}
    )
    assert time.perf_counter() - began < 3
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "process_error"
    assert response.json["error"]["fields"]["process"]  # what ran out, for the administrator
    assert api.dossier(dossier["id"]) == before  # same step, same history
    assert saved(app, dossier["id"]) == before_saved  # same revision, state and work items

    # The server answers the next requests, and the step can be tried again (refused again).
    again = api.complete(
        "truongphong_ns", dossier["id"], "approve_at_unit", {"decision": "approve"}
    )
    assert again.status_code == 422
    other = api.start()
    assert api.do("canbo_ns", other["id"], "prepare_dossier", {"decision": "submit"})
    assert api.get("/api/v1/work-items", "truongphong_ns").status_code == 200


def test_a_literal_budget_bomb_is_refused_at_upload(api):
    xml = SHIPPED_BPMN.replace(
        APPROVED, 'decision == "approve" and len("x" * 10 ** 9) > 0</bpmn:conditionExpression>', 1
    )
    response = api.client.post(
        "/api/v1/processes/award_nomination/versions",
        headers={**api.headers("admin"), "Content-Type": "application/xml"},
        data=xml.encode("utf-8"),
    )
    assert response.status_code == 422, response.json
    problems = response.json["error"]["problems"]
    assert [(p["code"], p["element_id"]) for p in problems] == [
        ("unsafe_expression", "f_unit_approve")
    ]
    assert "1,000,000,000 characters" in problems[0]["params"]["reason"]
