"""GET /openapi.json: the OpenAPI 3.1 description of this API, served without authentication."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask import Response

from webapp.api import bp

DOCUMENT = Path(__file__).with_name("openapi.json")


@cache
def _document() -> bytes:
    """The document as stored (UTF-8 JSON), read once."""
    return DOCUMENT.read_bytes()


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI document; no token needed."""
    return Response(_document(), mimetype="application/json")
