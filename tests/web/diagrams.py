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
