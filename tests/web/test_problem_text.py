"""The check's problems in the page's language, with the engine's words only when needed."""

from __future__ import annotations

import pytest
from flask import session

from webapp.admin.problem_text import described, problem_text
from workflows.checks import expression_problems
from workflows.errors import DiagramError
from workflows.xml_loading import parse_xml


@pytest.fixture
def vietnamese(app):
    with app.test_request_context("/"):
        session["lang"] = "vi"
        yield


def condition(text: str) -> list[dict]:
    xml = (
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">'
        '<bpmn:process id="p"><bpmn:sequenceFlow id="f1">'
        f"<bpmn:conditionExpression>{text}</bpmn:conditionExpression>"
        "</bpmn:sequenceFlow></bpmn:process></bpmn:definitions>"
    )
    return [p.as_dict() for p in expression_problems(parse_xml(xml, "d.bpmn"), "d.bpmn")]


def test_a_refused_condition_names_the_text_and_the_reason(vietnamese):
    [problem] = condition("x.__class__ or open('/etc/passwd')")
    sentence, technical = problem_text(problem)
    assert sentence == (
        "Biểu thức “x.__class__ or open('/etc/passwd')” bị từ chối: không được dùng thuộc tính "
        "“__class__” (tên bắt đầu bằng _); không được dùng tên “open”."
    )
    assert technical == ""


def test_a_reason_the_page_cannot_translate_is_kept_as_a_technical_detail(vietnamese):
    [problem] = condition("decision ==")
    sentence, technical = problem_text(problem)
    assert sentence == "Biểu thức “decision ==” bị từ chối."
    assert technical.startswith("not a valid expression")


def test_a_malformed_file_says_so_and_keeps_the_parsers_words(vietnamese):
    with pytest.raises(DiagramError) as refused:
        parse_xml("<bpmn:definitions>", "hong.bpmn")
    sentence, technical = problem_text(refused.value.problems[0].as_dict())
    assert sentence == "Tệp hong.bpmn không phải XML hợp lệ."
    assert technical


def test_a_problem_stored_before_it_had_params_shows_its_message(vietnamese):
    stored = {"code": "missing_form", "message": "user task 'A' has no form", "file": None}
    assert problem_text(stored) == ("", "user task 'A' has no form")
    [page] = described([stored])
    assert page["label"] == "Bước chưa có biểu mẫu"


def test_english_pages_read_the_same_sentences_in_english(app):
    with app.test_request_context("/"):
        session["lang"] = "en"
        [problem] = condition("__import__('os')")
        assert problem_text(problem) == (
            "The expression “__import__('os')” is refused: the name “__import__” is not allowed "
            "(names starting with _).",
            "",
        )
