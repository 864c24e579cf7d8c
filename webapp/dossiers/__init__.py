"""Dossier pages: tracking list, the dossier page, creating a dossier, attachments."""

from webapp.dossiers.views import bp

__all__ = ["bp"]
