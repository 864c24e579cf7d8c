"""schemathesis against the API's own OpenAPI document (webapp/api/openapi.json).

For every documented operation, schemathesis generates requests from the document (valid and
invalid ones) and sends them to the app through its WSGI interface, with a demo user's bearer
token: canbo_ns (a unit officer, who may start dossiers) for every operation, the administrator
for the process operations. Every answer must not be a server error, must carry a status the
document lists for the operation, the content type it names and a body that fits its schema.
The run is reproducible (derandomized) and bounded (MAX_EXAMPLES per operation).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import ApiClient, _empty_tables
from tests.web.council import at_vote
from webapp.api.openapi import DOCUMENT

MAX_EXAMPLES = 60
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
RUN = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    # No shrinking: a failure is reported as found (shrinking a request costs many more).
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def tokens(app: Flask) -> Iterator[dict[str, str]]:
    """Bearer tokens of canbo_ns and admin; what the run created is removed afterwards."""
    client = app.test_client()
    issued = {}
    for username in ("canbo_ns", "admin"):
        response = client.post("/api/v1/tokens", json={"username": username, "password": "demo"})
        assert response.status_code == 201, response.json
        issued[username] = response.json["token"]
    yield issued
    _empty_tables(app)


@pytest.fixture(scope="module")
def real_ids(app: Flask, tokens: dict[str, str], token_cache: dict[str, str]) -> dict[str, Any]:
    """Path parameters that name real objects: a dossier at its council vote, a ballot on it,
    the shipped process and its version 1, a movement and a round of it taking proposals.
    Random ids alone mostly meet 404."""
    api = ApiClient(app.test_client(use_cookies=False), token_cache)
    dossier = at_vote(api)
    [ballot] = api.items("hoidong1", dossier["id"], "council_vote")
    # A movement and a round of it taking proposals of every award form (the unit officer's
    # generated dossiers join it).
    movement = api.post(
        "/api/v1/movements",
        "vanphong",
        json={"code": f"SCHEMATHESIS-{uuid.uuid4().hex[:8]}", "name": "Phong trào"},
    )
    assert movement.status_code == 201, movement.json
    opened = api.post(
        "/api/v1/rounds",
        "vanphong",
        json={
            "name": "Tổng kết",
            "movement_id": movement.json["id"],
            "kind": "tong_ket",
            "award_forms": ["bk_btc", "bk_ttg", "hcld_1", "hcld_2", "hcld_3"],
            "intake_deadline": "2099-12-31T17:00:00+07:00",
        },
    )
    assert opened.status_code == 201, opened.json
    return {
        "dossier_id": dossier["id"],
        "code": dossier["code"],
        "item_id": ballot["id"],
        "key": "award_nomination",
        "number": 1,
        "movement_id": movement.json["id"],
        "round_id": opened.json["id"],
    }


def _operations() -> list[tuple[str, str]]:
    document = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    return [
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "put", "post", "delete", "patch"}
    ]


OPERATIONS = _operations()
ADMIN_OPERATIONS = [(p, m) for p, m in OPERATIONS if p.startswith("/processes")]


def _reset_login_limits(app: Flask) -> None:
    for limiter in app.extensions.get("limiter", ()):
        limiter.reset()


@pytest.fixture(autouse=True)
def login_limits(app: Flask) -> Iterator[None]:
    """The generated token requests are failed logins from one address: over the limit they get
    429 (documented), and the counters are emptied so that no other test is locked out."""
    _reset_login_limits(app)
    yield
    _reset_login_limits(app)


@pytest.fixture
def api_schema(app: Flask) -> Any:
    """The document as the app serves it, bound to the app (requests go through WSGI)."""
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def _token_for(app: Flask, method: str, path: str, tokens: dict[str, str], username: str) -> str:
    if (method, path) == ("delete", "/tokens/current"):
        # Revoking is what this operation does: a throw-away token, not the shared one.
        fresh = app.test_client().post(
            "/api/v1/tokens", json={"username": username, "password": "demo"}
        )
        return str(fresh.json["token"])
    return tokens[username]


def _run(
    api_schema: Any, path: str, method: str, token: Callable[[], str], real_ids: dict[str, Any]
) -> None:
    operation = api_schema[path][method.upper()]
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    names = re.findall(r"{([^}]+)}", path)
    if names:
        # The same operation on real objects, with generated query and body.
        known = {name: real_ids[name] for name in names}
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known))
    cases = st.one_of(*strategies)

    @RUN
    @given(case=cases)
    def examples(case: Any) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {token()}"}, checks=CHECKS)

    examples()


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=lambda v: str(v))
def test_the_api_keeps_its_document_as_a_unit_officer(
    app, api_schema, tokens, real_ids, path, method
):
    token = lambda: _token_for(app, method, path, tokens, "canbo_ns")  # noqa: E731
    _run(api_schema, path, method, token, real_ids)


@pytest.mark.parametrize(("path", "method"), ADMIN_OPERATIONS, ids=lambda v: str(v))
def test_the_process_operations_keep_their_document_as_admin(
    api_schema, tokens, real_ids, path, method
):
    _run(api_schema, path, method, lambda: tokens["admin"], real_ids)
