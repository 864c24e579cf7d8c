"""A step's form is untrusted: refused at upload (both paths) when it could fetch, open, hang or
recurse; a stored legacy form like that refuses the step quickly without fetching anything."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from referencing.exceptions import Unresolvable
from sqlalchemy import select

from tests.conftest import actor_named
from tests.web.diagrams import SHIPPED_BPMN, deploy_new_version
from webapp.models import ProcessVersion
from webapp.request_db import database
from webapp.services import process_versions, version_files
from webapp.services.errors import InvalidDataError
from webapp.services.form_schemas import (
    UnsafeFormError,
    check_form_schema,
    form_validator,
)
from webapp.services.form_validation import validate_form
from webapp.services.version_files import FormSchemaError

FORMS = Path(__file__).resolve().parents[2] / "bpmn" / "forms"
KEY = "award_nomination"


@pytest.fixture
def silent_port() -> Iterator[socket.socket]:
    """A local port that accepts connections into its backlog and never answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    yield listener
    listener.close()


def no_connection_reached(listener: socket.socket) -> bool:
    try:
        connection, _ = listener.accept()
    except BlockingIOError:
        return True
    connection.close()
    return False


def form(**properties: object) -> dict[str, object]:
    return {"type": "object", "properties": properties}


def refusal(schema: object) -> UnsafeFormError:
    with pytest.raises(UnsafeFormError) as caught:
        check_form_schema(schema)
    return caught.value


@pytest.mark.parametrize("path", sorted(FORMS.glob("*.json")), ids=lambda p: p.name)
def test_every_shipped_form_passes(path):
    check_form_schema(json.loads(path.read_text(encoding="utf-8")))


def test_references_outside_the_document_are_refused(silent_port):
    port = silent_port.getsockname()[1]
    for ref in (f"http://127.0.0.1:{port}/x.json", "file:///etc/passwd", "other.json#/a"):
        problem = refusal(form(comment={"$ref": ref}))
        assert problem.code == "external_ref"
        assert problem.location == "/properties/comment/$ref"
    assert refusal(form(a={"$dynamicRef": "https://example.org/s#meta"})).code == "external_ref"
    assert refusal({"type": "object", "$id": "https://example.org/form"}).code == "external_ref"
    assert refusal(form(a={"$id": "urn:x", "type": "string"})).code == "external_ref"
    assert no_connection_reached(silent_port)


def test_references_inside_the_document_must_resolve():
    ok = {
        "type": "object",
        "$defs": {"text": {"type": "string", "maxLength": 10}},
        "properties": {"a": {"$ref": "#/$defs/text"}},
    }
    check_form_schema(ok)
    assert list(form_validator(ok).iter_errors({"a": "x" * 11}))
    missing = {**ok, "properties": {"a": {"$ref": "#/$defs/nothing"}}}
    assert refusal(missing).code == "unresolvable_ref"


def test_a_reference_loop_is_refused():
    assert refusal({"type": "object", "$ref": "#"}).code == "ref_loop"
    assert refusal({"type": "object", "allOf": [{"$ref": "#"}]}).code == "ref_loop"


def test_a_reference_loop_under_a_field_is_refused_by_looking_at_the_references():
    # {} never reaches the field, so only reading the references finds this loop.
    looping = {
        **form(extra={"$ref": "#/$defs/loop"}),
        "$defs": {"loop": {"$ref": "#/$defs/loop"}},
    }
    assert refusal(looping).code == "ref_loop"
    mutual = {
        **form(extra={"$ref": "#/$defs/a"}),
        "$defs": {
            "a": {"items": {"$ref": "#/$defs/b"}},
            "b": {"properties": {"c": {"$ref": "#/$defs/a"}}},
        },
    }
    assert refusal(mutual).code == "ref_loop"
    shared = {
        **form(x={"$ref": "#/$defs/a"}, y={"$ref": "#/$defs/a"}),
        "$defs": {"a": {"type": "string"}},
    }
    check_form_schema(shared)
    anchor = {**form(x={"$ref": "#name"}), "$defs": {"a": {"$anchor": "name"}}}
    assert refusal(anchor).code == "unresolvable_ref"


@pytest.mark.parametrize(
    "schema",
    [
        form(comment={"type": "string", "minLength": 10**100}),
        form(comment={"type": "string", "maxLength": 10**16}),
        form(score={"type": "number", "maximum": 1e300}),
        form(score={"type": "integer", "default": -(10**40)}),
        form(choice={"enum": [1, 10**20]}),
    ],
)
def test_numbers_in_a_form_are_bounded(schema):
    assert refusal(schema).code == "number_too_large"


def test_only_the_2020_12_draft_at_the_root():
    check_form_schema({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"})
    draft7 = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"}
    assert refusal(draft7).code == "unsupported_draft"
    inner = form(a={"$schema": "https://json-schema.org/draft/2020-12/schema"})
    assert refusal(inner).code == "unsupported_draft"


def test_patterns_must_compile_with_re2():
    for pattern in (r"(a)\1", r"(?=a)b", r"(?<!a)b", "a{1001}", "x" * 1001):
        problem = refusal(form(a={"type": "string", "pattern": pattern}))
        assert problem.code == "unsafe_pattern"
        assert problem.location == "/properties/a/pattern"
    assert refusal({"type": "object", "patternProperties": {r"(\w)\1": {}}}).code == (
        "unsafe_pattern"
    )
    both = {"type": "object", "patternProperties": {"^x": {}}, "unevaluatedProperties": False}
    assert refusal(both).code == "unsafe_pattern"


def test_not_json_schema_and_too_deep_are_refused():
    assert refusal(form(a={"type": "strang"})).code == "invalid_schema"
    assert refusal(form(a={"minLength": -1})).code == "invalid_schema"
    assert refusal({"type": "array"}).code == "not_an_object_schema"
    assert refusal([]).code == "not_an_object_schema"
    nested: dict[str, object] = {"type": "string"}
    for _ in range(40):
        nested = {"type": "object", "properties": {"a": nested}}
    assert refusal(nested).code == "too_deep"


def test_catastrophic_patterns_run_in_linear_time():
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string", "pattern": "^(a+)+$"}},
        "patternProperties": {"^(x+)+$": {"type": "integer"}},
        "additionalProperties": False,
    }
    check_form_schema(schema)
    hostile = "a" * 100_000 + "!"
    started = time.perf_counter()
    errors = list(form_validator(schema).iter_errors({"a": hostile, "x" * 50_000 + "!": 1}))
    assert time.perf_counter() - started < 1.0
    assert {e.validator for e in errors} == {"pattern", "additionalProperties"}
    assert not list(form_validator(schema).iter_errors({"a": "aaa", "xx": 3}))
    assert list(form_validator(schema).iter_errors({"xx": "three"}))


def test_format_regex_is_checked_with_re2():
    schema = form(rule={"type": "string", "format": "regex"})
    check_form_schema(schema)
    assert not list(form_validator(schema).iter_errors({"rule": "^[a-z]+$"}))
    assert [e.validator for e in form_validator(schema).iter_errors({"rule": r"(a)\1"})] == [
        "format"
    ]


def test_the_validator_never_fetches_a_reference(silent_port):
    port = silent_port.getsockname()[1]
    for ref in (f"http://127.0.0.1:{port}/x.json", "file:///etc/passwd"):
        schema = form(comment={"$ref": ref})
        started = time.perf_counter()
        with pytest.raises(Unresolvable):
            list(form_validator(schema).iter_errors({"comment": "x"}))
        assert time.perf_counter() - started < 1.0
    assert no_connection_reached(silent_port)


def test_validate_form_refuses_an_unsafe_schema_with_422(silent_port):
    port = silent_port.getsockname()[1]
    schema = form(comment={"$ref": f"http://127.0.0.1:{port}/x.json"})
    with pytest.raises(InvalidDataError) as caught:
        validate_form(schema, {"comment": "x"})
    assert caught.value.code == "invalid_form"
    assert no_connection_reached(silent_port)


def test_the_admin_editor_refuses_an_unsafe_form():
    text = json.dumps(form(comment={"$ref": "file:///etc/passwd"}))
    with pytest.raises(FormSchemaError) as caught:
        version_files.parse_form(text)
    assert caught.value.code == "external_ref"
    with pytest.raises(FormSchemaError) as caught:
        version_files.parse_form(json.dumps(form(a={"type": "string", "pattern": r"(a)\1"})))
    assert caught.value.code == "unsafe_pattern"
    with pytest.raises(FormSchemaError) as caught:
        version_files.parse_form(json.dumps(form(a={"type": 5})))
    assert caught.value.code == "invalid_schema"


def test_a_version_upload_names_the_unsafe_form(db):
    bpmn, files = process_versions.read_bundle_dir(FORMS.parent, KEY)
    files["forms/check_dossier.json"] = json.dumps(
        form(decision={"type": "string"}, comment={"$ref": "http://127.0.0.1:9/x.json"})
    )
    files["forms/conclude_council.json"] = json.dumps(form(a={"type": "strang"}))
    version = process_versions.create_version(db, actor_named(db, "admin"), KEY, bpmn, files)
    found = {(p["code"], p["file"]) for p in version.problems}
    assert ("invalid_form", "forms/check_dossier.json") in found
    assert ("invalid_form", "forms/conclude_council.json") in found
    messages = [p["message"] for p in version.problems if p["file"] == "forms/check_dossier.json"]
    assert "external_ref" in messages[0]


def test_a_stored_legacy_form_with_a_remote_ref_is_422_at_completion(app, api, silent_port):
    """A form stored before the check (written straight into the database) never fetches."""
    port = silent_port.getsockname()[1]
    number = deploy_new_version(api, SHIPPED_BPMN)
    with database(app).transaction() as session:
        version = session.scalars(
            select(ProcessVersion).filter_by(process_key=KEY, version=number)
        ).one()
        files = dict(version.files)
        legacy = json.loads(files["forms/check_dossier.json"])
        legacy["properties"]["comment"] = {"$ref": f"http://127.0.0.1:{port}/x.json"}
        legacy["properties"]["attachment"] = {"$ref": "file:///etc/passwd"}
        files["forms/check_dossier.json"] = json.dumps(legacy)
        version.files = files
        version.source_hash = process_versions.source_hash(version.bpmn_xml, files)

    dossier = api.start()
    api.do("canbo_ns", dossier["id"], "prepare_dossier", {"decision": "submit"})
    api.do("truongphong_ns", dossier["id"], "approve_at_unit", {"decision": "approve"})
    started = time.perf_counter()
    response = api.complete(
        "vanphong", dossier["id"], "check_dossier", {"decision": "approve", "comment": "x"}
    )
    assert time.perf_counter() - started < 1.0
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "invalid_form"
    assert no_connection_reached(silent_port)
    assert api.items("vanphong", dossier["id"], "check_dossier")


def test_whitespace_in_patterns_is_unicode_as_json_schema_reads_it():
    # The shipped forms require a non-blank comment to return a dossier with the pattern \S.
    schema = json.loads((FORMS / "approve_at_unit.json").read_text(encoding="utf-8"))
    for blank in ("\u00a0\u00a0", "\u2003", "\ufeff ", " \t"):
        with pytest.raises(InvalidDataError) as refused:
            validate_form(schema, {"decision": "return", "comment": blank})
        assert "comment" in refused.value.fields
    accepted = validate_form(schema, {"decision": "return", "comment": "\u00a0Thiếu báo cáo"})
    assert accepted["comment"] == "\u00a0Thiếu báo cáo"
