"""The OpenAPI document: served without a token, well formed, complete, and true to real answers.

Real responses are validated against the schema the document gives for their route and status.
The document promises the listed fields (clients must tolerate new ones), but here every object
schema that lists properties is closed with `additionalProperties: false`, so that a field a
serializer adds, drops, renames or retypes without the document following makes a test fail.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from tests.web.council import at_vote, vote
from webapp.api import serializers
from webapp.api.openapi import DOCUMENT
from webapp.services.dossier_schema import DOSSIER_SCHEMA

ROOT = Path(__file__).resolve().parents[2]
BPMN = (ROOT / "bpmn" / "award_nomination.bpmn").read_text(encoding="utf-8")
FORMS = sorted((ROOT / "bpmn" / "forms").glob("*.json"))
PREFIX = "/api/v1"
URI = "urn:award-dossiers:openapi"
# Operations without a token: logging in, this document, the public status look-up.
PUBLIC_OPERATIONS = {
    ("/tokens", "post"),
    ("/openapi.json", "get"),
    ("/status-lookup/{code}", "get"),
}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
MEMBERS = ["giamdoc", "hoidong1", "hoidong2", "hoidong3", "hoidong4"]
REQUIRED_SCHEMAS = {
    "Dossier",
    "DossierSummary",
    "DossierPage",
    "Nominee",
    "Event",
    "CurrentStep",
    "WorkItem",
    "WorkItemDetail",
    "Token",
    "ProcessList",
    "ProcessVersion",
    "Problem",
    "Error",
}

# The structure of an OpenAPI 3.1 document, as far as this API uses it (after the official
# schema at https://spec.openapis.org/oas/3.1/schema, without what this API has no use for).
_EXTENSIONS: dict[str, Any] = {"^x-": {}}
OPENAPI_STRUCTURE: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["openapi", "info", "paths"],
    "properties": {
        "openapi": {"type": "string", "pattern": r"^3\.1\.\d+(-.+)?$"},
        "info": {
            "type": "object",
            "required": ["title", "version"],
            "properties": {
                "title": {"type": "string"},
                "version": {"type": "string"},
                "description": {"type": "string"},
                "summary": {"type": "string"},
            },
            "patternProperties": _EXTENSIONS,
            "additionalProperties": False,
        },
        "jsonSchemaDialect": {"type": "string", "format": "uri"},
        "servers": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["url"],
                "properties": {"url": {"type": "string"}, "description": {"type": "string"}},
                "additionalProperties": False,
            },
        },
        "security": {"$ref": "#/$defs/security"},
        "tags": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}, "description": {"type": "string"}},
                "additionalProperties": False,
            },
        },
        "paths": {
            "type": "object",
            "propertyNames": {"pattern": "^/"},
            "additionalProperties": {"$ref": "#/$defs/path-item"},
        },
        "components": {
            "type": "object",
            "properties": {
                "schemas": {"type": "object", "additionalProperties": {"$ref": "#/$defs/schema"}},
                "responses": {
                    "type": "object",
                    "additionalProperties": {"$ref": "#/$defs/response-or-reference"},
                },
                "parameters": {
                    "type": "object",
                    "additionalProperties": {"$ref": "#/$defs/parameter-or-reference"},
                },
                "headers": {
                    "type": "object",
                    "additionalProperties": {"$ref": "#/$defs/header-or-reference"},
                },
                "securitySchemes": {
                    "type": "object",
                    "additionalProperties": {"$ref": "#/$defs/security-scheme"},
                },
            },
            "patternProperties": _EXTENSIONS,
            "additionalProperties": False,
        },
    },
    "patternProperties": _EXTENSIONS,
    "additionalProperties": False,
    "$defs": {
        "schema": {"type": ["object", "boolean"]},
        "reference": {
            "type": "object",
            "required": ["$ref"],
            "properties": {
                "$ref": {"type": "string", "format": "uri-reference"},
                "summary": {"type": "string"},
                "description": {"type": "string"},
            },
            "additionalProperties": False,
        },
        "security": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        },
        "path-item": {
            "type": "object",
            "properties": {
                "summary": {"type": "string"},
                "description": {"type": "string"},
                "parameters": {
                    "type": "array",
                    "items": {"$ref": "#/$defs/parameter-or-reference"},
                },
                **{method: {"$ref": "#/$defs/operation"} for method in sorted(HTTP_METHODS)},
            },
            "patternProperties": _EXTENSIONS,
            "additionalProperties": False,
        },
        "operation": {
            "type": "object",
            "required": ["responses"],
            "properties": {
                "tags": {"type": "array", "items": {"type": "string"}},
                "summary": {"type": "string"},
                "description": {"type": "string"},
                "operationId": {"type": "string"},
                "parameters": {
                    "type": "array",
                    "items": {"$ref": "#/$defs/parameter-or-reference"},
                },
                "requestBody": {
                    "if": {"type": "object", "required": ["$ref"]},
                    "then": {"$ref": "#/$defs/reference"},
                    "else": {"$ref": "#/$defs/request-body"},
                },
                "responses": {
                    "type": "object",
                    "minProperties": 1,
                    "propertyNames": {"pattern": "^([1-5][0-9]{2}|[1-5]XX|default)$"},
                    "additionalProperties": {"$ref": "#/$defs/response-or-reference"},
                },
                "security": {"$ref": "#/$defs/security"},
                "deprecated": {"type": "boolean"},
            },
            "patternProperties": _EXTENSIONS,
            "additionalProperties": False,
        },
        "parameter-or-reference": {
            "if": {"type": "object", "required": ["$ref"]},
            "then": {"$ref": "#/$defs/reference"},
            "else": {"$ref": "#/$defs/parameter"},
        },
        "parameter": {
            "type": "object",
            "required": ["name", "in", "schema"],
            "properties": {
                "name": {"type": "string"},
                "in": {"enum": ["query", "header", "path", "cookie"]},
                "description": {"type": "string"},
                "required": {"type": "boolean"},
                "deprecated": {"type": "boolean"},
                "schema": {"$ref": "#/$defs/schema"},
                "style": {"type": "string"},
                "explode": {"type": "boolean"},
                "example": True,
            },
            "if": {"properties": {"in": {"const": "path"}}},
            "then": {"required": ["required"], "properties": {"required": {"const": True}}},
            "patternProperties": _EXTENSIONS,
            "additionalProperties": False,
        },
        "request-body": {
            "type": "object",
            "required": ["content"],
            "properties": {
                "description": {"type": "string"},
                "content": {"$ref": "#/$defs/content"},
                "required": {"type": "boolean"},
            },
            "patternProperties": _EXTENSIONS,
            "additionalProperties": False,
        },
        "content": {
            "type": "object",
            "propertyNames": {"pattern": r"^[a-z*]+/[a-z0-9.+*-]+$"},
            "additionalProperties": {
                "type": "object",
                "properties": {
                    "schema": {"$ref": "#/$defs/schema"},
                    "example": True,
                    "examples": {"type": "object"},
                    "encoding": {"type": "object"},
                },
                "patternProperties": _EXTENSIONS,
                "additionalProperties": False,
            },
        },
        "response-or-reference": {
            "if": {"type": "object", "required": ["$ref"]},
            "then": {"$ref": "#/$defs/reference"},
            "else": {
                "type": "object",
                "required": ["description"],
                "properties": {
                    "description": {"type": "string"},
                    "headers": {
                        "type": "object",
                        "additionalProperties": {"$ref": "#/$defs/header-or-reference"},
                    },
                    "content": {"$ref": "#/$defs/content"},
                    "links": {"type": "object"},
                },
                "patternProperties": _EXTENSIONS,
                "additionalProperties": False,
            },
        },
        "header-or-reference": {
            "if": {"type": "object", "required": ["$ref"]},
            "then": {"$ref": "#/$defs/reference"},
            "else": {
                "type": "object",
                "required": ["schema"],
                "properties": {
                    "description": {"type": "string"},
                    "required": {"type": "boolean"},
                    "deprecated": {"type": "boolean"},
                    "schema": {"$ref": "#/$defs/schema"},
                },
                "patternProperties": _EXTENSIONS,
                "additionalProperties": False,
            },
        },
        "security-scheme": {
            "type": "object",
            "required": ["type"],
            "properties": {
                "type": {"enum": ["apiKey", "http", "mutualTLS", "oauth2", "openIdConnect"]},
                "description": {"type": "string"},
                "scheme": {"type": "string"},
                "bearerFormat": {"type": "string"},
            },
            "if": {"properties": {"type": {"const": "http"}}},
            "then": {"required": ["scheme"]},
            "patternProperties": _EXTENSIONS,
            "additionalProperties": False,
        },
    },
}

FORMATS = FormatChecker(["date"])


@FORMATS.checks("date-time", raises=ValueError)
def _is_timestamp_with_offset(value: object) -> bool:
    """ISO 8601 with a UTC offset, as the API writes every timestamp."""
    if not isinstance(value, str):
        return True
    return datetime.fromisoformat(value).utcoffset() is not None


# ---------------------------------------------------------------------------------------------
# Helpers


def load_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    return document


def walk(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every (path, value) of a JSON tree, depth first."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, (*path, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, (*path, str(index)))


def resolve(document: dict[str, Any], ref: str) -> Any:
    """The target of a local `$ref` ('#/a/b'); KeyError or IndexError if there is none."""
    assert ref.startswith("#/"), f"only local references are used: {ref}"
    node: Any = document
    for raw in ref[2:].split("/"):
        segment = raw.replace("~1", "/").replace("~0", "~")
        node = node[int(segment)] if isinstance(node, list) else node[segment]
    return node


def deref(document: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        node = resolve(document, node["$ref"])
    return node


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def closed(node: Any, key: str | None = None) -> Any:
    """A copy where every object schema listing properties forbids other keys (tests only)."""
    if isinstance(node, list):
        return [closed(value) for value in node]
    if not isinstance(node, dict):
        return node
    out = {k: closed(v, k) for k, v in node.items()}
    conditional = key in {"if", "then", "else"}  # closing these would change their meaning
    lists_properties = isinstance(out.get("properties"), dict)
    if lists_properties and "additionalProperties" not in out and not conditional:
        out["additionalProperties"] = False
    return out


def pointer(*segments: str) -> str:
    return "".join("/" + s.replace("~", "~0").replace("/", "~1") for s in segments)


class Contract:
    """Checks real responses against what the document says of their route and status."""

    def __init__(self, document: dict[str, Any]):
        self.document = document
        resource = DRAFT202012.create_resource(closed(document))
        self.registry: Registry[Any] = Registry().with_resource(URI, resource)

    def errors(self, path: str, method: str, status: int, body: Any) -> list[str]:
        operation = self.document["paths"][path][method]
        assert str(status) in operation["responses"], (
            f"{method.upper()} {path} does not document status {status}"
        )
        location = pointer("paths", path, method, "responses", str(status))
        response = operation["responses"][str(status)]
        while "$ref" in response:
            location = response["$ref"][1:]
            response = resolve(self.document, response["$ref"])
        assert "application/json" in response.get("content", {}), (
            f"{method.upper()} {path} {status} documents no JSON body"
        )
        target = f"{URI}#{quote(location + pointer('content', 'application/json', 'schema'))}"
        validator = Draft202012Validator(
            {"$ref": target}, registry=self.registry, format_checker=FORMATS
        )
        return [
            f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
            for e in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        ]

    def check(self, path: str, method: str, response: Any, status: int) -> Any:
        """Assert the status, JSON media type and documented shape; return the JSON body."""
        assert response.status_code == status, (response.status_code, response.get_json())
        assert response.mimetype == "application/json", response.mimetype
        body = response.get_json()
        problems = self.errors(path, method, status, body)
        assert not problems, f"{method.upper()} {path} {status}:\n" + "\n".join(problems)
        if status == 401:
            header = deref(self.document, self._response(path, method, 401))["headers"]
            expected = deref(self.document, header["WWW-Authenticate"])["schema"]["const"]
            assert response.headers["WWW-Authenticate"] == expected
        return body

    def _response(self, path: str, method: str, status: int) -> Any:
        return self.document["paths"][path][method]["responses"][str(status)]


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return load_document()


@pytest.fixture(scope="module")
def contract(document: dict[str, Any]) -> Contract:
    return Contract(document)


def api_routes(app: Any) -> dict[str, set[str]]:
    """Path (OpenAPI style, without the prefix) -> methods, from the app's URL map."""
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule[len(PREFIX) :])
        routes.setdefault(path, set()).update(
            m.lower() for m in rule.methods or () if m not in {"HEAD", "OPTIONS"}
        )
    return routes


# ---------------------------------------------------------------------------------------------
# (a) The document itself


def test_document_is_served_without_a_token(client, document):
    response = client.get(f"{PREFIX}/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == document
    assert response.get_data() == DOCUMENT.read_bytes()


def test_document_is_pretty_printed_utf8_without_escapes():
    raw = DOCUMENT.read_text(encoding="utf-8")
    assert raw == json.dumps(load_document(), indent=2, ensure_ascii=False) + "\n"


def test_document_has_the_structure_of_openapi_3_1(document):
    Draft202012Validator.check_schema(OPENAPI_STRUCTURE)
    validator = Draft202012Validator(OPENAPI_STRUCTURE, format_checker=FormatChecker())
    problems = [
        f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in validator.iter_errors(document)
    ]
    assert not problems, "\n".join(problems)
    assert document["openapi"].startswith("3.1.")
    assert document["servers"] == [{"url": PREFIX}]


def test_every_schema_in_the_document_is_a_valid_json_schema(document):
    checked = 0
    for path, node in walk(document):
        parent = path[-2] if len(path) > 1 else None
        is_component = len(path) == 3 and path[:2] == ("components", "schemas")
        if is_component or (path and path[-1] == "schema" and parent != "properties"):
            Draft202012Validator.check_schema(node)
            checked += 1
    assert checked > len(document["components"]["schemas"])
    assert set(document["components"]["schemas"]) >= REQUIRED_SCHEMAS


def test_every_ref_resolves_and_every_component_is_used(document):
    refs = {node["$ref"] for _, node in walk(document) if isinstance(node, dict) and "$ref" in node}
    for ref in sorted(refs):
        try:
            resolve(document, ref)
        except (KeyError, IndexError, ValueError):
            pytest.fail(f"$ref {ref} resolves to nothing")
    for kind, components in document["components"].items():
        if kind == "securitySchemes":
            continue
        for name in components:
            assert f"#/components/{kind}/{name}" in refs, f"{kind}/{name} is never used"


def test_security_and_operation_ids(document):
    schemes = document["components"]["securitySchemes"]
    assert (schemes["bearerAuth"]["type"], schemes["bearerAuth"]["scheme"]) == ("http", "bearer")
    assert document["security"] == [{"bearerAuth": []}]
    requirements = list(document["security"])
    ids = []
    for path, method, operation in operations(document):
        ids.append(operation["operationId"])
        requirements += operation.get("security", [])
        public = operation.get("security") == []
        assert public == ((path, method) in PUBLIC_OPERATIONS), (
            path,
            method,
        )
        if not public:
            assert "401" in operation["responses"], (path, method)
        if "json" in "".join(operation.get("requestBody", {}).get("content", {})):
            assert {"400", "413", "422"} <= set(operation["responses"]), (path, method)
    assert len(ids) == len(set(ids))
    for requirement in requirements:
        assert set(requirement) <= set(schemes)


def test_every_error_response_has_the_error_shape(document):
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                response = deref(document, response)
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (path, method, status)


def test_every_route_is_documented_and_nothing_else(app, document):
    routes = api_routes(app)
    documented = {
        path: {m for m in item if m in HTTP_METHODS} for path, item in document["paths"].items()
    }
    assert documented == routes
    converters = {}
    for rule in app.url_map.iter_rules():
        for converter, name in re.findall(r"<(?:([^:<>]+):)?([^<>]+)>", rule.rule):
            converters[name] = converter or "default"
    for path, _method, operation in operations(document):
        params = [deref(document, p) for p in operation.get("parameters", [])]
        in_path = {p["name"]: p for p in params if p["in"] == "path"}
        assert set(in_path) == set(re.findall(r"{([^}]+)}", path)), path
        for name, param in in_path.items():
            expected = "integer" if converters[name] == "int" else "string"
            assert param["schema"]["type"] == expected, (path, name)


def test_documented_dossier_body_is_the_one_the_code_validates(document):
    """The request schema of POST /dossiers is DOSSIER_SCHEMA, annotations and refs aside."""

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(resolve(document, node["$ref"]))
            return {k: inline(v) for k, v in node.items() if k != "description"}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    body = document["paths"]["/dossiers"]["post"]["requestBody"]["content"]["application/json"]
    assert inline(body["schema"]) == json.loads(json.dumps(DOSSIER_SCHEMA))


def test_complete_describes_every_step_and_field_of_the_shipped_forms(document):
    text = document["paths"]["/work-items/{item_id}/complete"]["post"]["description"]
    steps = set(re.findall(r'<bpmn:userTask id="([^"]+)"', BPMN))
    assert steps == {form.stem for form in FORMS}
    for form in FORMS:
        schema = json.loads(form.read_text(encoding="utf-8"))
        assert f"| `{form.stem}`" in text, form.stem
        for field in schema["properties"]:
            assert f"`{field}`" in text or f'"{field}"' in text, (form.stem, field)


# ---------------------------------------------------------------------------------------------
# (b) Real responses against the document


def complete(api, contract, as_user, dossier_id, step, data):
    response = api.complete(as_user, dossier_id, step, data)
    return contract.check("/work-items/{item_id}/complete", "post", response, 200)["dossier"]


def test_a_dossier_from_start_to_award_fits_the_document(api, contract):
    token = api.client.post(f"{PREFIX}/tokens", json={"username": "vanphong", "password": "demo"})
    contract.check("/tokens", "post", token, 201)

    body = {
        "title": "Đề nghị tặng Bằng khen của Bộ trưởng cho tập thể và cá nhân phòng QLNS",
        "award_form": "bk_btc",
        "track": "ad_hoc",
        "procedure": "regular",
        "simplified_reason": None,
        "nominees": [
            {
                "kind": "individual",
                "name": "Nguyễn Thị Hằng",
                "position": "Chuyên viên",
                "gender": "female",
                "birth_date": "1985-03-12",
                "staff_category": "frontline",
                "posthumous": False,
                "achievement": "Hoàn thành xuất sắc nhiệm vụ",
            },
            {"kind": "collective", "name": "Phòng Quản lý ngân sách"},
            {"kind": "individual", "name": "Trần Văn Đông"},
        ],
    }
    started = api.post(f"{PREFIX}/dossiers", "canbo_ns", json=body)
    dossier = contract.check("/dossiers", "post", started, 201)
    did = dossier["id"]
    first, second, third = (str(n["id"]) for n in dossier["nominees"])

    complete(api, contract, "canbo_ns", did, "prepare_dossier", {"decision": "submit"})
    complete(api, contract, "truongphong_ns", did, "approve_at_unit", {"decision": "approve"})

    inbox = contract.check("/work-items", "get", api.get(f"{PREFIX}/work-items", "vanphong"), 200)
    [item] = [i for i in inbox if i["dossier_id"] == did]
    url = f"{PREFIX}/work-items/{item['id']}"
    detail = contract.check("/work-items/{item_id}", "get", api.get(url, "vanphong"), 200)
    assert detail["form"]["type"] == "object"
    claimed = api.post(f"{url}/claim", "vanphong")
    assert contract.check("/work-items/{item_id}/claim", "post", claimed, 200)["claimed_by"]
    released = api.post(f"{url}/release", "vanphong")
    contract.check("/work-items/{item_id}/release", "post", released, 200)
    complete(api, contract, "vanphong", did, "check_dossier", {"decision": "approve"})

    for member in MEMBERS:
        votes = {first: "agree", second: "agree", third: "disagree"}
        complete(api, contract, member, did, "council_vote", {"votes": votes})
    concluded = complete(api, contract, "giamdoc", did, "conclude_council", {"decision": "confirm"})
    assert all(n["council"] for n in concluded["nominees"])
    complete(
        api,
        contract,
        "giamdoc",
        did,
        "sign_submission",
        {"decision": "approve", "submission_number": "12/TTr-STC", "submission_date": "2026-11-29"},
    )
    complete(api, contract, "chuyenvien_bo", did, "appraise_at_ministry", {"decision": "approve"})
    complete(api, contract, "chuyenvien_bo", did, "ministry_council", {"decision": "approve"})
    decision = {
        "decision": "award",
        "decision_number": "345/QĐ-BTC",
        "decision_date": "2026-12-01",
        "signer": "Bộ trưởng",
        "refused_nominees": [second],
    }
    complete(api, contract, "botruong", did, "minister_decision", decision)
    final = complete(api, contract, "vanphong", did, "publish_result", {"decision": "publish"})
    assert final["status"] == "partly_awarded"
    assert final["closed_at"] is not None
    assert any(n["decision"] for n in final["nominees"])

    read = api.get(f"{PREFIX}/dossiers/{did}", "vanphong")
    assert contract.check("/dossiers/{dossier_id}", "get", read, 200) == final
    done = contract.check("/work-items/{item_id}", "get", api.get(url, "vanphong"), 200)
    assert (done["status"], done["completed_by"]) == ("done", "vanphong")

    other = api.start(procedure="simplified", simplified_reason="Thành tích đột xuất")
    listing = api.get(f"{PREFIX}/dossiers?q=nguyen thi hang&per_page=10", "vanphong")
    page = contract.check("/dossiers", "get", listing, 200)
    assert {d["id"] for d in page["items"]} == {did, other["id"]}

    processes = contract.check("/processes", "get", api.get(f"{PREFIX}/processes", "admin"), 200)
    assert processes["processes"][0]["versions"][0]["running_dossiers"] == 1


def test_error_responses_fit_the_document(api, contract):
    client = api.client
    contract.check("/dossiers", "get", client.get(f"{PREFIX}/dossiers"), 401)
    bad = client.post(f"{PREFIX}/tokens", json={"username": "vanphong", "password": "x"})
    assert contract.check("/tokens", "post", bad, 401)["error"]["code"] == "bad_credentials"
    missing = client.post(f"{PREFIX}/tokens", json={"username": "vanphong"})
    assert "password" in contract.check("/tokens", "post", missing, 422)["error"]["fields"]

    unknown = api.get(f"{PREFIX}/dossiers/999999", "vanphong")
    assert contract.check("/dossiers/{dossier_id}", "get", unknown, 404)["error"]["code"] == (
        "not_found"
    )

    invalid = api.post(
        f"{PREFIX}/dossiers",
        "canbo_ns",
        json={
            "title": "Hồ sơ",
            "award_form": "bk_xyz",
            "track": "ad_hoc",
            "procedure": "regular",
            "nominees": [{"kind": "robot", "name": "X"}],
        },
    )
    fields = contract.check("/dossiers", "post", invalid, 422)["error"]["fields"]
    assert {"award_form", "nominees.0.kind"} <= set(fields)
    paging = api.get(f"{PREFIX}/dossiers?per_page=5000", "vanphong")
    assert "per_page" in contract.check("/dossiers", "get", paging, 422)["error"]["fields"]
    forbidden = api.post(f"{PREFIX}/dossiers", "vanphong", json={})
    contract.check("/dossiers", "post", forbidden, 403)

    dossier = api.start()
    [item] = api.items("canbo_ns", dossier["id"], "prepare_dossier")
    url = f"{PREFIX}/work-items/{item['id']}/complete"
    path = "/work-items/{item_id}/complete"
    malformed = client.post(
        url, headers={**api.headers("canbo_ns"), "Content-Type": "application/json"}, data=b"{"
    )
    assert contract.check(path, "post", malformed, 400)["error"]["code"] == "malformed_json"
    contract.check(path, "post", api.post(url, "hoidong1", json={"data": {}}), 403)
    wrong = api.post(url, "canbo_ns", json={"data": {"decision": "maybe", "colour": "red"}})
    assert set(contract.check(path, "post", wrong, 422)["error"]["fields"]) == {
        "decision",
        "colour",
    }
    api.do("canbo_ns", dossier["id"], "prepare_dossier", {"decision": "submit"})
    again = api.post(url, "canbo_ns", json={"data": {"decision": "submit"}})
    assert contract.check(path, "post", again, 409)["error"]["code"] == "already_completed"


def test_closing_a_vote_fits_the_document(api, contract):
    dossier = at_vote(api)
    url = f"{PREFIX}/dossiers/{dossier['id']}/close-vote"
    path = "/dossiers/{dossier_id}/close-vote"
    contract.check(path, "post", api.post(url, "hoidong1", json={"comment": "x"}), 403)
    blank = api.post(url, "giamdoc", json={"comment": ""})
    assert "comment" in contract.check(path, "post", blank, 422)["error"]["fields"]
    vote(api, dossier, ["giamdoc", "hoidong1", "hoidong2", "hoidong3"])
    closed = contract.check(path, "post", api.post(url, "giamdoc", json={"comment": "Ốm"}), 200)
    assert [c["step"] for c in closed["dossier"]["current"]] == ["conclude_council"]
    again = api.post(url, "giamdoc", json={"comment": "Ốm"})
    assert contract.check(path, "post", again, 409)["error"]["code"] == "no_open_vote"


def upload(api, xml, as_user="admin"):
    return api.client.post(
        f"{PREFIX}/processes/award_nomination/versions",
        headers={**api.headers(as_user), "Content-Type": "application/xml"},
        data=xml.encode("utf-8"),
    )


def test_process_versions_fit_the_document(api, contract):
    path = "/processes/{key}/versions"
    broken = BPMN.replace('value="check_dossier.json"', 'value="missing_form.json"')
    error = contract.check(path, "post", upload(api, broken), 422)["error"]
    assert error["code"] == "diagram_problems"
    assert [(p["code"], p["element_id"]) for p in error["problems"]] == [
        ("unknown_form", "check_dossier")
    ]
    contract.check(path, "post", upload(api, BPMN, as_user="vanphong"), 403)

    created = contract.check(path, "post", upload(api, BPMN), 201)
    assert (created["status"], created["problems"]) == ("draft", [])
    deploy = f"{PREFIX}/processes/award_nomination/versions/{created['version']}/deploy"
    deployed = contract.check(
        "/processes/{key}/versions/{number}/deploy", "post", api.post(deploy, "admin"), 200
    )
    assert deployed["status"] == "deployed"
    twice = api.post(deploy, "admin")
    contract.check("/processes/{key}/versions/{number}/deploy", "post", twice, 409)
    contract.check("/processes", "get", api.get(f"{PREFIX}/processes", "vanphong"), 403)


# ---------------------------------------------------------------------------------------------
# The checks above can fail


def test_a_serializer_that_drifts_from_the_document_is_caught(api, contract, monkeypatch):
    dossier = api.start()
    url = f"{PREFIX}/dossiers/{dossier['id']}"
    path = "/dossiers/{dossier_id}"
    assert not contract.errors(path, "get", 200, api.get(url, "vanphong").get_json())

    original_event = serializers.event_json
    original_nominee = serializers.nominee_json

    def renamed_event(event):
        body = original_event(event)
        body["who"] = body.pop("actor")
        return body

    def retyped_nominee(nominee):
        return {**original_nominee(nominee), "id": str(nominee.id), "extra": True}

    monkeypatch.setattr(serializers, "event_json", renamed_event)
    monkeypatch.setattr(serializers, "nominee_json", retyped_nominee)
    problems = "\n".join(contract.errors(path, "get", 200, api.get(url, "vanphong").get_json()))
    assert "history/0: 'actor' is a required property" in problems
    assert "history/0: Additional properties are not allowed ('who'" in problems
    assert "nominees/0/id: " in problems
    assert "nominees/0: Additional properties are not allowed ('extra'" in problems

    body = api.get(url, "vanphong").get_json()
    body["created_at"] = body["created_at"][:19]  # no offset
    body["status"] = "lost"
    problems = "\n".join(contract.errors(path, "get", 200, body))
    assert "created_at: " in problems
    assert "status: 'lost' is not one of" in problems
