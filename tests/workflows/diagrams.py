"""Small BPMN documents built in tests (engine semantics only, no drawing)."""

from __future__ import annotations

from xml.sax.saxutils import escape

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" '
    'targetNamespace="http://bpmn.io/schema/bpmn">\n'
)


def lane(lane_id: str, role: str | None, refs: list[str]) -> str:
    props = (
        "<bpmn:extensionElements><spiffworkflow:properties>"
        f'<spiffworkflow:property name="role" value="{role}"/>'
        "</spiffworkflow:properties></bpmn:extensionElements>"
        if role
        else ""
    )
    nodes = "".join(f"<bpmn:flowNodeRef>{r}</bpmn:flowNodeRef>" for r in refs)
    return f'<bpmn:lane id="{lane_id}" name="{lane_id}">{props}{nodes}</bpmn:lane>'


def user_task(task_id: str, form: str | None = "f.json") -> str:
    props = (
        "<bpmn:extensionElements><spiffworkflow:properties>"
        f'<spiffworkflow:property name="formJsonSchemaFilename" value="{form}"/>'
        "</spiffworkflow:properties></bpmn:extensionElements>"
        if form
        else ""
    )
    return f'<bpmn:userTask id="{task_id}" name="{task_id}">{props}</bpmn:userTask>'


def gateway_process(condition: str, *, default: bool = True) -> str:
    """start -> gateway -(condition)-> yes_end | (default) -> no_end."""
    dflt = ' default="to_no"' if default else ""
    return (
        HEAD
        + '<bpmn:process id="p" isExecutable="true">'
        + '<bpmn:startEvent id="start"/>'
        + '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="gw"/>'
        + f'<bpmn:exclusiveGateway id="gw"{dflt}/>'
        + '<bpmn:sequenceFlow id="to_yes" sourceRef="gw" targetRef="yes">'
        + '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
        + escape(condition)
        + "</bpmn:conditionExpression></bpmn:sequenceFlow>"
        + '<bpmn:sequenceFlow id="to_no" sourceRef="gw" targetRef="no"/>'
        + '<bpmn:endEvent id="yes"/><bpmn:endEvent id="no"/>'
        + "</bpmn:process></bpmn:definitions>"
    )


def script_process(script: str) -> str:
    """start -> script task -> end."""
    return (
        HEAD
        + '<bpmn:process id="p" isExecutable="true">'
        + '<bpmn:startEvent id="start"/>'
        + '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="run"/>'
        + f'<bpmn:scriptTask id="run"><bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>'
        + '<bpmn:sequenceFlow id="f2" sourceRef="run" targetRef="end"/>'
        + '<bpmn:endEvent id="end"/>'
        + "</bpmn:process></bpmn:definitions>"
    )


def process(body: str, lanes: str = "") -> str:
    lane_set = f'<bpmn:laneSet id="ls">{lanes}</bpmn:laneSet>' if lanes else ""
    return (
        HEAD
        + f'<bpmn:process id="p" isExecutable="true">{lane_set}{body}</bpmn:process>'
        + "</bpmn:definitions>"
    )
