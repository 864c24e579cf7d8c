"""Admin pages (to be built): people."""

from __future__ import annotations
