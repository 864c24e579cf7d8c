"""Admin pages (to be built): modeler."""

from __future__ import annotations
