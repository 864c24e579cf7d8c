"""My work: the inbox and the page of each work item; the council's session pages."""

from webapp.work import council  # noqa: F401 - registers the council's routes on bp
from webapp.work.views import bp

__all__ = ["bp"]
