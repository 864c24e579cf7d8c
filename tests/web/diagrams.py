"""Diagrams the web tests upload: the shipped one, and one with three problems."""

from __future__ import annotations

from pathlib import Path

SHIPPED_BPMN = (Path(__file__).resolve().parents[2] / "bpmn" / "award_nomination.bpmn").read_text()


def three_problems(bpmn: str = SHIPPED_BPMN) -> str:
    """The diagram with a missing form (check_dossier), an unknown role (the director's lane)
    and a condition calling __import__ (f_unit_approve)."""
    return (
        bpmn.replace('value="check_dossier.json"', 'value="missing_form.json"')
        .replace(
            '<spiffworkflow:property name="role" value="director" />',
            '<spiffworkflow:property name="role" value="deputy_director" />',
        )
        .replace(
            'decision == "approve"</bpmn:conditionExpression>',
            "__import__('os').system('id') == 0</bpmn:conditionExpression>",
            1,
        )
    )


def failing_after_unit_approval(bpmn: str = SHIPPED_BPMN) -> str:
    """The diagram whose gateway after the unit's approval reads a name no task data holds:
    the check cannot know, the engine fails when a dossier gets there."""
    return bpmn.replace(
        'decision == "approve"</bpmn:conditionExpression>',
        'decision == "approve" and flag_nobody_sets</bpmn:conditionExpression>',
        1,
    )


def deploy_new_version(api, xml: str) -> int:
    """Upload `xml` through the API as a new version of award_nomination and deploy it."""
    uploaded = api.client.post(
        "/api/v1/processes/award_nomination/versions",
        headers={**api.headers("admin"), "Content-Type": "application/xml"},
        data=xml.encode("utf-8"),
    )
    assert uploaded.status_code == 201, uploaded.json
    number = uploaded.json["version"]
    deployed = api.post(f"/api/v1/processes/award_nomination/versions/{number}/deploy", "admin")
    assert deployed.status_code == 200, deployed.json
    return number
