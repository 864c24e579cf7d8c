"""Admin pages (to be built): forms_editor."""

from __future__ import annotations
