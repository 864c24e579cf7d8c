"""The round's diagrams open in the modeler without import warnings (bpmn-js reads them with
bpmn-moddle: a multi-instance collection must be a declared data object, or the modeler
reports an unresolved reference and cannot save the diagram), and SpiffWorkflow still runs them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What the modeler's import does: bpmn-moddle's fromXML, whose warnings bpmn-js shows.
_READ = """
import { BpmnModdle } from 'bpmn-moddle';
import fs from 'fs';
const { warnings } = await new BpmnModdle().fromXML(fs.readFileSync(process.argv[1], 'utf8'));
console.log(JSON.stringify(warnings.map((w) => w.message)));
"""


def _import_warnings(path: Path) -> list[str]:
    node = shutil.which("node")
    assert node is not None, "node is needed to read the diagram as the modeler does"
    done = subprocess.run(  # noqa: S603 - our own script on our own diagram
        [node, "--input-type=module", "-e", _READ, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return list(json.loads(done.stdout))


@pytest.mark.parametrize("name", ["award_round.bpmn", "round_proposal.bpmn"])
def test_the_round_diagrams_open_in_the_modeler_without_warnings(name):
    assert _import_warnings(ROOT / "bpmn" / "rounds" / name) == []


def test_an_undeclared_collection_is_what_the_modeler_warns_about(tmp_path):
    # The check can fail: the same diagram without its data objects is refused as before.
    text = (ROOT / "bpmn" / "rounds" / "award_round.bpmn").read_text(encoding="utf-8")
    stripped = "\n".join(line for line in text.splitlines() if "<bpmn:dataObject " not in line)
    broken = tmp_path / "award_round.bpmn"
    broken.write_text(stripped, encoding="utf-8")
    assert "unresolved reference <award_forms>" in _import_warnings(broken)
