"""The council's rules for a round: quorum, threshold and secrecy per award form, read from the
rules table (award_rules.dmn) of the deployed dossier process, the same table a dossier's vote
uses. Cells are evaluated by the engine's restricted interpreter, never eval."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lxml import etree
from sqlalchemy.orm import Session

from webapp.services.errors import InvalidDataError
from webapp.services.process_versions import deployed_version
from webapp.services.settings import settings_of
from workflows import expressions
from workflows.dmn_checks import cell_expression

RULES_FILE = "award_rules.dmn"
_INPUT = "dmninputexpr"


@dataclass(frozen=True)
class FormRules:
    """What the rules table says for one award form."""

    quorum: float
    threshold: float
    secret: bool


def _local(node: etree._Element) -> str:
    return str(etree.QName(node).localname)


def _children(node: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in node if isinstance(c.tag, str) and _local(c) == name]


def _text(node: etree._Element) -> str:
    texts = _children(node, "text")
    return (texts[0].text or "").strip() if texts else ""


def _matches(cell: str, award_form: str) -> bool:
    if cell in {"", "-"}:
        return True
    return bool(expressions.evaluate(cell_expression(cell), {_INPUT: award_form}))


def _table(session: Session) -> etree._Element:
    version = deployed_version(session, settings_of(session).process_key)
    text = (version.files or {}).get(RULES_FILE)
    if not isinstance(text, str):
        raise InvalidDataError("the rules table is missing", {"rules": "award_rules.dmn"})
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(text.encode("utf-8"), parser)
    tables = [n for n in root.iter() if isinstance(n.tag, str) and _local(n) == "decisionTable"]
    if not tables:
        raise InvalidDataError("the rules table is missing", {"rules": "award_rules.dmn"})
    return tables[0]


def rules_for_forms(session: Session, award_forms: Iterable[str]) -> dict[str, FormRules]:
    """The first matching rule's quorum, threshold and secrecy for each award form; a form the
    table does not cover is refused (the council could not know how to count)."""
    table = _table(session)
    outputs = [o.get("name") for o in _children(table, "output")]
    out: dict[str, FormRules] = {}
    for form in sorted(set(award_forms)):
        found: dict[str, Any] | None = None
        for rule in _children(table, "rule"):
            cells = [_text(c) for c in _children(rule, "inputEntry")]
            if all(_matches(cell, form) for cell in cells):
                values = [_text(c) for c in _children(rule, "outputEntry")]
                found = {
                    name: expressions.evaluate(value, {}) if value else None
                    for name, value in zip(outputs, values, strict=False)
                }
                break
        if found is None or found.get("quorum") is None or found.get("threshold") is None:
            raise InvalidDataError(
                "the rules table has no council rule for an award form of the round",
                {f"award_forms.{form}": "has no rule"},
            )
        out[form] = FormRules(
            quorum=float(found["quorum"]),
            threshold=float(found["threshold"]),
            secret=found.get("secret") is True,
        )
    return out
