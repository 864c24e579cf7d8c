"""My work: the inbox and the page of each work item."""

from webapp.work.views import bp

__all__ = ["bp"]
