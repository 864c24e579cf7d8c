"""Turn a corpus file into what is sent: a diagram with the hostile text in its slot, a form, a
rule table. Recipes (*.recipe.json) make the content that is too large to commit.

Diagram variants edit the shipped diagram the way an administrator would in the modeler: the
hostile element goes between the unit head's approval (approve_at_unit) and the gateway after
it, in the unit head's lane, so a dossier meets it when the unit head approves.
"""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path
from typing import Any

from lxml import etree

from tests.hostile.cases import Case

ROOT = Path(__file__).resolve().parents[2]
BPMN_DIR = ROOT / "bpmn"
SHIPPED_BPMN = (BPMN_DIR / "award_nomination.bpmn").read_text(encoding="utf-8")
SHIPPED_RULES = (BPMN_DIR / "award_rules.dmn").read_text(encoding="utf-8")
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
B = f"{{{BPMN_NS}}}"
S = f"{{{SPIFF_NS}}}"
XSI_TYPE = f"{{{XSI_NS}}}type"
HOSTILE_ID = "hostile_step"
# The elements a slot's content lands in: a refusal by the check must name one of them.
SLOT_ELEMENTS = {
    "condition": {"f_unit_approve", "gw_unit"},
    "mi_collection": {HOSTILE_ID, "hostile_items"},
}


def shipped_files() -> dict[str, str]:
    """The shipped rule table and forms, keyed as a version stores them."""
    files = {p.name: p.read_text(encoding="utf-8") for p in sorted(BPMN_DIR.glob("*.dmn"))}
    for form in sorted((BPMN_DIR / "forms").glob("*.json")):
        files[f"forms/{form.name}"] = form.read_text(encoding="utf-8")
    return files


def shipped_form(name: str) -> dict[str, Any]:
    """A shipped form's schema, parsed."""
    result: dict[str, Any] = json.loads(shipped_files()[f"forms/{name}"])
    return result


# ----- content of a case ----------------------------------------------------------------------


def content(case: Case) -> str:
    """The hostile text of a case: the data file, or what its recipe makes."""
    if case.file.endswith(".recipe.json"):
        recipe = json.loads(case.path.read_text(encoding="utf-8"))
        generator = GENERATORS[recipe.pop("generator")]
        return generator(**recipe)
    text = case.path.read_text(encoding="utf-8")
    # Expressions and scripts are stored with a final newline; a form or table keeps its own.
    return text.rstrip("\n") if case.file.endswith((".expr", ".timer")) else text


def diagram_for(case: Case, text: str) -> str:
    """The BPMN the case uploads: the shipped diagram with `text` in the case's slot."""
    if case.slot == "diagram":
        return text
    if case.slot == "condition":
        return with_condition(text)
    root = etree.fromstring(SHIPPED_BPMN.encode("utf-8"))
    process = root.find(f"{B}process")
    if case.slot == "script":
        _insert(process, [_script_task(process, HOSTILE_ID, text)])
    elif case.slot in {"timer_duration", "timer_cycle", "timer_date"}:
        event = etree.SubElement(process, B + "intermediateCatchEvent", id=HOSTILE_ID)
        definition = etree.SubElement(event, B + "timerEventDefinition")
        kind = {"timer_duration": "timeDuration", "timer_cycle": "timeCycle"}.get(
            case.slot, "timeDate"
        )
        _expression(definition, kind, text)
        _insert(process, [event])
    elif case.slot == "cardinality":
        task = _user_task(process, HOSTILE_ID)
        loop = etree.SubElement(task, B + "multiInstanceLoopCharacteristics")
        _expression(loop, "loopCardinality", text)
        _insert(process, [task])
    elif case.slot == "mi_collection":
        script = _script_task(process, "hostile_items", text)
        task = _user_task(process, HOSTILE_ID)
        loop = etree.SubElement(task, B + "multiInstanceLoopCharacteristics")
        etree.SubElement(loop, B + "loopDataInputRef").text = "items"
        etree.SubElement(loop, B + "inputDataItem", id="item", name="item")
        _insert(process, [script, task])
    elif case.slot == "standard_loop":
        task = _script_task(process, HOSTILE_ID, text)
        # The schema wants an activity's loop characteristics before a script task's script.
        loop = etree.Element(B + "standardLoopCharacteristics")
        # SpiffWorkflow runs the task again while the loop condition holds.
        _expression(loop, "loopCondition", "True")
        task.insert(0, loop)
        _insert(process, [task])
    else:
        raise ValueError(f"unknown slot {case.slot}")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")


def with_condition(expression: str) -> str:
    """The shipped diagram whose condition after the unit head's approval is `expression`."""
    root = etree.fromstring(SHIPPED_BPMN.encode("utf-8"))
    flow = root.find(f"{B}process/{B}sequenceFlow[@id='f_unit_approve']")
    flow.find(f"{B}conditionExpression").text = expression
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")


def _expression(parent: etree._Element, tag: str, text: str) -> etree._Element:
    node = etree.SubElement(parent, B + tag)
    node.set(XSI_TYPE, "bpmn:tFormalExpression")
    node.text = text
    return node


def _script_task(process: etree._Element, task_id: str, script: str) -> etree._Element:
    task = etree.SubElement(process, B + "scriptTask", id=task_id, name="Bước của quản trị")
    etree.SubElement(task, B + "script").text = script
    return task


def _user_task(process: etree._Element, task_id: str) -> etree._Element:
    task = etree.SubElement(process, B + "userTask", id=task_id, name="Bước của quản trị")
    extensions = etree.SubElement(task, B + "extensionElements")
    props = etree.SubElement(extensions, S + "properties")
    etree.SubElement(
        props, S + "property", name="formJsonSchemaFilename", value="approve_at_unit.json"
    )
    return task


def _insert(process: etree._Element, nodes: list[etree._Element]) -> None:
    """Put `nodes` in a row between approve_at_unit and gw_unit, in the unit head's lane."""
    lane = process.find(f"{B}laneSet/{B}lane[@id='lane_unit_head']")
    for node in nodes:
        etree.SubElement(lane, B + "flowNodeRef").text = node.get("id")
    flow = process.find(f"{B}sequenceFlow[@id='f_unit_review']")
    flow.set("targetRef", str(nodes[0].get("id")))
    chain = [*nodes[1:]]
    source = nodes[0]
    for index, target in enumerate([*chain, None]):
        etree.SubElement(
            process,
            B + "sequenceFlow",
            id=f"f_hostile_{index}",
            sourceRef=str(source.get("id")),
            targetRef=str(target.get("id")) if target is not None else "gw_unit",
        )
        if target is not None:
            source = target


# ----- recipes --------------------------------------------------------------------------------

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<bpmn:definitions xmlns:bpmn="{BPMN_NS}" xmlns:spiffworkflow="{SPIFF_NS}" '
    f'xmlns:xsi="{XSI_NS}" id="hostile_definitions" targetNamespace="http://bpmn.io/schema/bpmn">'
)
_ROLE = (
    "<bpmn:extensionElements><spiffworkflow:properties>"
    '<spiffworkflow:property name="role" value="unit_officer"/>'
    "</spiffworkflow:properties></bpmn:extensionElements>"
)
_FORM = (
    "<bpmn:extensionElements><spiffworkflow:properties>"
    '<spiffworkflow:property name="formJsonSchemaFilename" value="prepare_dossier.json"/>'
    "</spiffworkflow:properties></bpmn:extensionElements>"
)


def _process(body: str, lane_refs: list[str]) -> str:
    refs = "".join(f"<bpmn:flowNodeRef>{r}</bpmn:flowNodeRef>" for r in lane_refs)
    return (
        _HEAD
        + '<bpmn:process id="award_nomination" name="Quy trình thử" isExecutable="true">'
        + f'<bpmn:laneSet id="lanes"><bpmn:lane id="lane_unit_officer" name="Cán bộ">{_ROLE}'
        + refs
        + "</bpmn:lane></bpmn:laneSet>"
        + body
        + "</bpmn:process></bpmn:definitions>"
    )


def linear_diagram(tasks: int) -> str:
    """start -> t1 -> … -> tN -> end, every task a user task of the unit officer."""
    ids = ["start", *(f"t{i}" for i in range(1, tasks + 1)), "end"]
    body = ['<bpmn:startEvent id="start"/>']
    body += [f'<bpmn:userTask id="{i}" name="Bước {i}">{_FORM}</bpmn:userTask>' for i in ids[1:-1]]
    body.append('<bpmn:endEvent id="end"/>')
    body += [
        f'<bpmn:sequenceFlow id="f{n}" sourceRef="{a}" targetRef="{b}"/>'
        for n, (a, b) in enumerate(itertools.pairwise(ids))
    ]
    return _process("".join(body), ids)


def nested_subprocesses(depth: int) -> str:
    """start -> sp1 -> end, where sp1 holds start -> sp2 -> end, … down to a user task."""
    inner = (
        f'<bpmn:startEvent id="s{depth + 1}"/>'
        f'<bpmn:userTask id="deepest" name="Bước sâu nhất">{_FORM}</bpmn:userTask>'
        f'<bpmn:endEvent id="e{depth + 1}"/>'
        f'<bpmn:sequenceFlow id="a{depth + 1}" sourceRef="s{depth + 1}" targetRef="deepest"/>'
        f'<bpmn:sequenceFlow id="b{depth + 1}" sourceRef="deepest" targetRef="e{depth + 1}"/>'
    )
    for level in range(depth, 0, -1):
        inner = (
            f'<bpmn:startEvent id="s{level}"/>'
            f'<bpmn:subProcess id="sp{level}">{inner}</bpmn:subProcess>'
            f'<bpmn:endEvent id="e{level}"/>'
            f'<bpmn:sequenceFlow id="a{level}" sourceRef="s{level}" targetRef="sp{level}"/>'
            f'<bpmn:sequenceFlow id="b{level}" sourceRef="sp{level}" targetRef="e{level}"/>'
        )
    return _process(inner, ["s1", "sp1", "e1"])


def padded_diagram(megabytes: int) -> str:
    """The shipped diagram whose process documentation is `megabytes` MB of text."""
    root = etree.fromstring(SHIPPED_BPMN.encode("utf-8"))
    documentation = root.find(f"{B}process/{B}documentation")
    documentation.text = _padding(megabytes)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")


def _padding(megabytes: int) -> str:
    line = "Hồ sơ đề nghị khen thưởng của đơn vị. "
    return line * (megabytes * 1024 * 1024 // len(line.encode("utf-8")))


def padded_form(megabytes: int) -> str:
    """The unit head's form with a description of `megabytes` MB."""
    schema = shipped_form("approve_at_unit.json")
    schema["description"] = _padding(megabytes)
    return json.dumps(schema, ensure_ascii=False)


def nested_schema(depth: int) -> str:
    """The unit head's form with a field whose `items` nest `depth` deep."""
    schema = shipped_form("approve_at_unit.json")
    text = json.dumps(schema, ensure_ascii=False)
    nested = '{"items": ' * depth + '{"type": "string"}' + "}" * depth
    return text.replace('"properties": {', f'"properties": {{"nested": {nested}, ', 1)


def long_expression(megabytes: int) -> str:
    """`decision == "approve" or …` repeated to `megabytes` MB."""
    term = 'decision == "approve"'
    return " or ".join([term] * (megabytes * 1024 * 1024 // (len(term) + 4)))


def long_script(megabytes: int) -> str:
    """A script of `megabytes` MB: one assignment a line."""
    return "".join(f"x{i % 1000} = {i}\n" for i in range(megabytes * 1024 * 1024 // 12))


def many_rules(rules: int) -> str:
    """The shipped rule table with `rules` rules, each for its own award form."""
    root = etree.fromstring(SHIPPED_RULES.encode("utf-8"))
    ns = root.nsmap[None]
    table = root.find(f"{{{ns}}}decision/{{{ns}}}decisionTable")
    template = table.find(f"{{{ns}}}rule")
    for i in range(rules):
        rule = copy.deepcopy(template)
        rule.set("id", f"rule_extra_{i}")
        for n, entry in enumerate(rule.iter(f"{{{ns}}}inputEntry", f"{{{ns}}}outputEntry")):
            entry.set("id", f"rule_extra_{i}_{n}")
        rule.find(f"{{{ns}}}inputEntry/{{{ns}}}text").text = f'"form_{i}"'
        table.append(rule)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")


GENERATORS = {
    "linear_diagram": linear_diagram,
    "nested_subprocesses": nested_subprocesses,
    "padded_diagram": padded_diagram,
    "padded_form": padded_form,
    "nested_schema": nested_schema,
    "long_expression": long_expression,
    "long_script": long_script,
    "many_rules": many_rules,
}
