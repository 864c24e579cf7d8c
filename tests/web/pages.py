"""Helpers for page tests: log in through the form (with its CSRF token), read forms."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client: FlaskClient, username: str, password: str = "demo") -> Any:
    """Log in through the login page."""
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "username": username,
            "password": password,
        },
    )


def submit(client: FlaskClient, url: str, data: dict[str, Any], **kwargs: Any) -> Any:
    """GET the page, then POST `data` with the page's CSRF token."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return client.post(
        url, data={"csrf_token": csrf_token(page.get_data(as_text=True)), **data}, **kwargs
    )
