"""A step's time limit and its legal basis, as the diagram of the dossier's version says
(properties `timeLimitDays` and `timeLimitBasis`), for the pages that show a due date."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import ProcessVersion
from webapp.services.process_catalogue import read_version_diagram


@dataclass(frozen=True)
class StepLimit:
    """A step's time limit in working days and the text of its legal basis (either may be
    missing)."""

    days: int | None
    basis: str | None


NO_LIMIT = StepLimit(None, None)


# A version's diagram never changes: its steps' limits are read once per diagram hash.
_CACHE: dict[str, dict[str, StepLimit]] = {}
_CACHE_SIZE = 32


def _limits_of(bpmn_xml: str) -> dict[str, StepLimit]:
    """Every human step's limit in one diagram."""
    diagram = read_version_diagram(bpmn_xml, "diagram.bpmn")
    if diagram is None:
        return {}
    return {
        element.element_id: StepLimit(element.time_limit_days, element.time_limit_basis)
        for element in diagram.human_steps()
    }


def step_limit(session: Session, version_id: int, step: str) -> StepLimit:
    """The time limit and legal basis of `step` in the version `version_id`."""
    source_hash = session.scalar(
        select(ProcessVersion.source_hash).where(ProcessVersion.id == version_id)
    )
    if source_hash is None:
        return NO_LIMIT
    limits = _CACHE.get(source_hash)
    if limits is None:
        bpmn_xml = session.scalar(
            select(ProcessVersion.bpmn_xml).where(ProcessVersion.id == version_id)
        )
        limits = _limits_of(bpmn_xml or "")
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[source_hash] = limits
    return limits.get(step, NO_LIMIT)
