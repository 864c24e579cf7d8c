"""Install the shipped round diagrams (bpmn/rounds/) as versioned processes, like the dossier's."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.models import ProcessVersion
from webapp.services.process_versions import FORMS_PREFIX, create_version, deploy_version
from webapp.services.rounds.round_instances import (
    MINISTRY_PROCESS_KEY,
    PROPOSAL_PROCESS_KEY,
    ROUND_PROCESS_KEY,
)

# The proposal's first steps are the dossier's own: their forms are shared with bpmn/forms/.
SHARED_FORMS = ("prepare_dossier.json", "approve_at_unit.json", "check_dossier.json")


def read_round_bundle(bpmn_dir: Path, process_key: str) -> tuple[str, dict[str, str]]:
    """The diagram bpmn/rounds/<key>.bpmn with its forms (the shared ones and its own)."""
    rounds = bpmn_dir / "rounds"
    bpmn_xml = (rounds / f"{process_key}.bpmn").read_text(encoding="utf-8")
    files = {
        FORMS_PREFIX + name: (bpmn_dir / "forms" / name).read_text(encoding="utf-8")
        for name in SHARED_FORMS
    }
    for form in sorted((rounds / "forms").glob("*.json")):
        files[FORMS_PREFIX + form.name] = form.read_text(encoding="utf-8")
    return bpmn_xml, files


def install_round_processes(session: Session, bpmn_dir: Path) -> list[ProcessVersion]:
    """Create and deploy version 1 of each round process that has no version yet."""
    installed = []
    for key in (PROPOSAL_PROCESS_KEY, ROUND_PROCESS_KEY, MINISTRY_PROCESS_KEY):
        exists = session.scalar(
            select(func.count())
            .select_from(ProcessVersion)
            .where(ProcessVersion.process_key == key)
        )
        if exists:
            continue
        bpmn_xml, files = read_round_bundle(bpmn_dir, key)
        version = create_version(session, None, key, bpmn_xml, files, comment="Quy trình mặc định")
        if version.problems:
            raise RuntimeError(f"the shipped process {key} has problems: {version.problems}")
        installed.append(deploy_version(session, None, key, version.version))
    return installed
