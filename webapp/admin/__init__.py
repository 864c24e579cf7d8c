"""Administration: processes (catalogue, modeler, forms and rules, versions, moves), people,
the security audit trail."""

from webapp.admin import audit, forms_editor, home, modeler, people, processes  # noqa: F401 - routes on bp
from webapp.admin.blueprint import bp

__all__ = ["bp"]
