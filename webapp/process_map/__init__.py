"""Bản đồ quy trình: the deployed diagram with how many dossiers wait at each step."""

from webapp.process_map import commands  # noqa: F401 - registers `flask refresh-process-map`
from webapp.process_map.views import bp

__all__ = ["bp"]
