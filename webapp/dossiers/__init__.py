"""Dossier pages: tracking list, the dossier page, creating a dossier, attachments."""

from webapp.dossiers import close_vote, create, exports, package_views, views  # noqa: F401 - they register routes on bp
from webapp.dossiers.blueprint import bp

__all__ = ["bp"]
