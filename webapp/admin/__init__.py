"""Administration: processes (catalogue, modeler, forms and rules, versions, moves), people,
the security audit trail."""

from webapp.admin import (  # noqa: F401 - routes on bp
    audit,
    award_rules,
    compare,
    forms_editor,
    history_check,
    home,
    letterheads,
    modeler,
    moves,
    paper_templates,
    people,
    processes,
    registers,
    trial,
    working_calendar,
)
from webapp.admin.blueprint import bp

__all__ = ["bp"]
