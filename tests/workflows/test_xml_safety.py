"""Hostile XML is refused before anything reads it."""

from __future__ import annotations

import time

import pytest

from tests.workflows.diagrams import gateway_process
from workflows import DiagramError, load_definition
from workflows.checks import check_bundle
from workflows.xml_loading import MAX_DMN_BYTES, MAX_XML_BYTES, parse_xml


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET")
    return path


def external_entity(secret) -> str:
    return (
        gateway_process("True")
        .replace(
            "<bpmn:definitions",
            f'<!DOCTYPE d [<!ENTITY xxe SYSTEM "file://{secret}">]>\n<bpmn:definitions',
        )
        .replace(
            '<bpmn:startEvent id="start"/>',
            '<bpmn:startEvent id="start"><bpmn:documentation>&xxe;</bpmn:documentation>'
            "</bpmn:startEvent>",
        )
    )


def parameter_entity(tmp_path, secret) -> str:
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(
        f'<!ENTITY % file SYSTEM "file://{secret}">'
        "<!ENTITY % eval \"<!ENTITY leak '%file;'>\">%eval;"
    )
    return (
        gateway_process("True")
        .replace(
            "<bpmn:definitions",
            f'<!DOCTYPE d [<!ENTITY % remote SYSTEM "file://{dtd}">%remote;]>\n<bpmn:definitions',
        )
        .replace(
            '<bpmn:startEvent id="start"/>',
            '<bpmn:startEvent id="start"><bpmn:documentation>&leak;</bpmn:documentation>'
            "</bpmn:startEvent>",
        )
    )


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + ']>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">'
    '<bpmn:process id="p"><bpmn:documentation>&lol9;</bpmn:documentation></bpmn:process>'
    "</bpmn:definitions>"
)


def test_external_entity_is_refused(secret):
    with pytest.raises(DiagramError) as info:
        load_definition(external_entity(secret))
    assert info.value.problems[0].code == "doctype_refused"
    assert "TOP-SECRET" not in str(info.value)


def test_parameter_entity_is_refused(tmp_path, secret):
    result = check_bundle(parameter_entity(tmp_path, secret))
    assert [p.code for p in result.problems] == ["doctype_refused"]
    assert "TOP-SECRET" not in repr(result)


def test_billion_laughs_is_refused_quickly():
    started = time.perf_counter()
    with pytest.raises(DiagramError) as info:
        parse_xml(BILLION_LAUGHS, "lol.bpmn")
    assert time.perf_counter() - started < 1
    assert info.value.problems[0].code == "doctype_refused"


def test_deep_nesting_is_refused():
    deep = "<a>" * 100_000 + "</a>" * 100_000
    with pytest.raises(DiagramError) as info:
        parse_xml(deep, "deep.bpmn")
    assert info.value.problems[0].code == "not_xml"


def test_oversized_file_is_refused_without_parsing():
    huge = b"<a>" + b" " * (MAX_XML_BYTES + 1) + b"</a>"
    with pytest.raises(DiagramError) as info:
        parse_xml(huge, "huge.bpmn")
    assert info.value.problems[0].code == "file_too_large"


def test_a_rule_table_has_a_smaller_size_limit_than_a_diagram():
    # A few hundred rules fit in far less; a larger table is refused before its tree is built.
    big = b"<a>" + b" " * MAX_DMN_BYTES + b"</a>"
    with pytest.raises(DiagramError) as info:
        parse_xml(big, "award_rules.dmn")
    assert info.value.problems[0].code == "file_too_large"
    assert parse_xml(big, "diagram.bpmn").tag == "a"


def test_malformed_xml_names_the_line():
    with pytest.raises(DiagramError) as info:
        parse_xml("<a>\n<b>\n</a>", "bad.bpmn")
    problem = info.value.problems[0]
    assert problem.code == "not_xml"
    assert problem.line == 3


def test_a_dmn_file_is_not_a_bpmn_file():
    dmn = '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"/>'
    with pytest.raises(DiagramError) as info:
        load_definition(dmn)
    assert info.value.problems[0].code == "not_bpmn"
