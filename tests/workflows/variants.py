"""Changed versions of the shipped diagram, made by editing its XML the way an administrator
would in the modeler (engine semantics only; the drawing is not updated)."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

BPMN = Path(__file__).resolve().parents[2] / "bpmn" / "award_nomination.bpmn"
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
B = f"{{{NS['bpmn']}}}"
S = f"{{{NS['spiffworkflow']}}}"


def _tree() -> etree._Element:
    return etree.fromstring(BPMN.read_bytes())


def _properties(parent: etree._Element, values: dict[str, str]) -> None:
    extensions = etree.SubElement(parent, B + "extensionElements")
    props = etree.SubElement(extensions, S + "properties")
    for name, value in values.items():
        etree.SubElement(props, S + "property", name=name, value=value)


def with_deputy_review(form: str = "approve_at_unit.json") -> bytes:
    """A user task "Phó Giám đốc xem xét" in a new lane deputy_director, between
    conclude_council's passing flow and sign_submission."""
    root = _tree()
    process = root.find(f"{B}process")
    lane_set = process.find(f"{B}laneSet")
    lane = etree.SubElement(lane_set, B + "lane", id="lane_deputy_director", name="Phó Giám đốc Sở")
    _properties(lane, {"role": "deputy_director"})
    etree.SubElement(lane, B + "flowNodeRef").text = "deputy_review"
    task = etree.SubElement(
        process, B + "userTask", id="deputy_review", name="Phó Giám đốc xem xét"
    )
    _properties(task, {"formJsonSchemaFilename": form, "timeLimitDays": "2"})
    flow = process.find(f"{B}sequenceFlow[@id='f_council_pass']")
    flow.set("targetRef", "deputy_review")
    etree.SubElement(
        process,
        B + "sequenceFlow",
        id="f_deputy_done",
        sourceRef="deputy_review",
        targetRef="gw_merge_sign",
    )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def without_ministry_council() -> bytes:
    """The Ministry council step removed: appraisal approval goes straight to the award form."""
    root = _tree()
    process = root.find(f"{B}process")
    for element_id in ("ministry_council", "gw_ministry_council"):
        node = process.find(f"*[@id='{element_id}']")
        process.remove(node)
        for ref in process.iter(f"{B}flowNodeRef"):
            if ref.text == element_id:
                ref.getparent().remove(ref)
    for flow_id in ("f_ministry_council", "f_mc_approve", "f_mc_refuse"):
        process.remove(process.find(f"{B}sequenceFlow[@id='{flow_id}']"))
    process.find(f"{B}sequenceFlow[@id='f_appraise_approve']").set("targetRef", "gw_award_form")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
