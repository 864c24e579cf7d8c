"""The check's problems in the page's language, with the engine's words only when needed."""

from __future__ import annotations

import pytest
from flask import session

from tests.workflows.diagrams import process
from webapp.admin.problem_text import described, problem_text
from workflows.checks import check_bundle, expression_problems
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


def test_a_syntax_error_is_said_in_vietnamese_with_pythons_words_as_the_detail(vietnamese):
    [problem] = condition("decision ==")
    sentence, technical = problem_text(problem)
    assert sentence == "Biểu thức “decision ==” bị từ chối: đây không phải một biểu thức hợp lệ."
    assert technical == "invalid syntax"
    [script] = [
        p.as_dict()
        for p in expression_problems(
            parse_xml(
                '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">'
                '<bpmn:process id="p"><bpmn:scriptTask id="t">'
                "<bpmn:script>x = 1\nif x</bpmn:script>"
                "</bpmn:scriptTask></bpmn:process></bpmn:definitions>",
                "d.bpmn",
            ),
            "d.bpmn",
        )
    ]
    sentence, technical = problem_text(script)
    assert sentence == "Đoạn mã “x = 1 if x” bị từ chối: dòng 2 không phải mã Python hợp lệ."
    assert technical == "expected ':'"


def test_a_reason_the_page_cannot_translate_is_kept_as_a_technical_detail(vietnamese):
    stored = {
        "code": "unsafe_expression",
        "message": "expression refused: something new",
        "params": {"text": "x", "reason": "something new"},
    }
    assert problem_text(stored) == ("Biểu thức “x” bị từ chối.", "something new")


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


def _timer_diagram(tag: str, literal: str) -> str:
    return process(
        '<bpmn:startEvent id="start"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>'
        '<bpmn:intermediateCatchEvent id="wait" name="Chờ hồ sơ"><bpmn:timerEventDefinition>'
        f'<bpmn:{tag}>"{literal}"</bpmn:{tag}></bpmn:timerEventDefinition>'
        "</bpmn:intermediateCatchEvent>"
        '<bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end"/><bpmn:endEvent id="end"/>'
    )


def _sentences(xml: str, dmn: dict[str, str] | None = None) -> dict[str, tuple[str, str, str]]:
    result = check_bundle(xml, dmn, file_name="d.bpmn")
    return {
        p["code"]: (p["element_id"], p["label"], p["sentence"])
        for p in described([p.as_dict() for p in result.problems])
    }


def test_a_timer_out_of_bounds_is_told_in_vietnamese_with_its_element(vietnamese):
    found = _sentences(_timer_diagram("timeDuration", "P99999999Y"))
    assert found == {
        "timer_out_of_bounds": (
            "wait",
            "Bộ hẹn giờ vượt quá giới hạn cho phép",
            "Bộ hẹn giờ “P99999999Y” của “Chờ hồ sơ” vượt quá giới hạn: thời gian chờ tối đa "
            "10 năm, ngày hẹn từ năm 2000 đến năm 2099, chu kỳ lặp tối đa 100 lần và kết thúc "
            "trong vòng 10 năm.",
        )
    }
    [(element, label, sentence)] = _sentences(_timer_diagram("timeCycle", "every day")).values()
    assert (element, label) == ("wait", "Không đọc được bộ hẹn giờ")
    assert sentence.startswith("Không đọc được bộ hẹn giờ “every day” của “Chờ hồ sơ”: hãy ghi")


def test_size_and_cardinality_problems_are_told_in_vietnamese(vietnamese):
    steps = "".join(
        f'<bpmn:sequenceFlow id="f{i}" sourceRef="t{i}" targetRef="t{i + 1}"/>'
        f'<bpmn:scriptTask id="t{i + 1}"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>'
        for i in range(1100)
    )
    too_large = process(f'<bpmn:startEvent id="t0"/>{steps}')
    assert _sentences(too_large) == {
        "diagram_too_large": (
            None,
            "Sơ đồ quá lớn",
            "Tệp d.bpmn có 2201 phần tử và luồng; chỉ được phép tối đa 2000.",
        )
    }
    looped = process(
        '<bpmn:startEvent id="start"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="vote"/>'
        '<bpmn:scriptTask id="vote" name="Bỏ phiếu"><bpmn:multiInstanceLoopCharacteristics>'
        "<bpmn:loopCardinality>50000</bpmn:loopCardinality>"
        "</bpmn:multiInstanceLoopCharacteristics><bpmn:script>x = 1</bpmn:script>"
        "</bpmn:scriptTask>"
        '<bpmn:sequenceFlow id="f2" sourceRef="vote" targetRef="end"/><bpmn:endEvent id="end"/>'
    )
    assert _sentences(looped)["cardinality_too_large"] == (
        "vote",
        "Một bước sẽ lặp lại quá nhiều lần",
        "“Bỏ phiếu” sẽ chạy 50000 lần; chỉ được phép tối đa 200 lần.",
    )


def test_a_dmn_literal_too_large_is_told_in_vietnamese(vietnamese):
    from pathlib import Path

    bpmn_dir = Path(__file__).resolve().parents[2] / "bpmn"
    dmn = (bpmn_dir / "award_rules.dmn").read_text(encoding="utf-8")
    dmn = dmn.replace("<text>2/3</text></outputEntry>", f"<text>{'9' * 40}</text></outputEntry>", 1)
    found = _sentences((bpmn_dir / "award_nomination.bpmn").read_text(), {"award_rules.dmn": dmn})
    element, label, sentence = found["dmn_literal_too_large"]
    assert (element, label) == ("rule_bk_btc", "Một ô của bảng quy tắc chứa giá trị quá lớn")
    assert sentence == (
        f"Ô “{'9' * 40}” chứa giá trị quá lớn: số có tối đa 30 chữ số, văn bản có tối đa "
        "1000 ký tự."
    )


def test_a_rule_table_too_large_is_told_in_vietnamese(vietnamese):
    [problem] = described(
        [
            {
                "code": "dmn_too_large",
                "message": "decision 'Mức thưởng' has 10003 rules and 3 columns; ...",
                "element_id": "award_rules",
                "file": "award_rules.dmn",
                "params": {
                    "name": "Mức thưởng",
                    "rules": "10003",
                    "columns": "3",
                    "max_rules": "500",
                    "max_columns": "50",
                },
            }
        ]
    )
    assert problem["label"] == "Bảng quy tắc quá lớn"
    assert problem["sentence"] == (
        "Bảng “Mức thưởng” có 10003 quy tắc và 3 cột; chỉ được phép tối đa 500 quy tắc và 50 cột."
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9 ** 9 ** 9 > 0", "kết quả sẽ là một số khoảng 1,228,093,894 bit; giới hạn là 100,000"),
        ('"x" * 10 ** 9 == ""', "kết quả sẽ dài 1,000,000,000 ký tự; giới hạn là 1,000,000"),
        ("'%0999999999d' % 1 == ''", "không được dùng độ rộng hoặc độ chính xác lớn hơn 1000"),
        ("len(range(10 ** 9)) > 0", "range() chỉ được tạo tối đa 100,000 số"),
    ],
)
def test_a_condition_refused_for_its_size_says_why_in_vietnamese(vietnamese, text, expected):
    [problem] = condition(text.replace("&", "&amp;").replace("<", "&lt;"))
    sentence, technical = problem_text(problem)
    assert sentence.endswith(f"bị từ chối: {expected}.")
    assert technical == ""


def test_the_engines_english_is_only_the_technical_detail(vietnamese):
    from tests.workflows.test_checks import CAMUNDA_RULE_TASK

    [problem] = described([p.as_dict() for p in check_bundle(CAMUNDA_RULE_TASK).problems])
    assert problem["label"] == "Một bước không ghi bảng quy tắc theo cách bộ máy đọc được"
    assert problem["sentence"] == (
        "Bước “Xét mức thưởng” ghi bảng quy tắc “award_rules” theo cách của Camunda "
        "(camunda:decisionRef), bộ máy này không đọc cách ghi đó: hãy chọn bảng trong khung "
        "thuộc tính."
    )
    assert problem["technical"].startswith('No DMN Diagram available with id "None"')


def test_a_flow_without_condition_reads_in_vietnamese_without_the_engines_words(vietnamese):
    from tests.workflows.diagrams import gateway_process

    xml = gateway_process("x").replace(
        '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">x</bpmn:conditionExpression>',
        "",
    )
    [problem] = described([p.as_dict() for p in check_bundle(xml).problems])
    assert (problem["code"], problem["sentence"], problem["technical"]) == (
        "flow_without_condition",
        "Nhánh “to_yes” đi ra từ cổng rẽ nhánh nhưng không có điều kiện.",
        "",
    )


def test_an_engine_message_no_rule_knows_still_has_a_sentence(vietnamese):
    stored = {"code": "invalid_bpmn", "message": "Something new went wrong", "file": "d.bpmn"}
    assert problem_text(stored) == (
        "Bộ máy không dùng được sơ đồ này (xem chi tiết kỹ thuật).",
        "Something new went wrong",
    )


def test_a_condition_the_engine_ignores_is_told_in_vietnamese(vietnamese):
    found = _sentences(
        process(
            '<bpmn:startEvent id="start"/>'
            '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="gw"/>'
            '<bpmn:exclusiveGateway id="gw" name="Quyết định" default="back"/>'
            '<bpmn:sequenceFlow id="on" name="Đồng ý" sourceRef="gw" targetRef="end">'
            "<bpmn:conditionExpression>decision == 'approve'</bpmn:conditionExpression>"
            "</bpmn:sequenceFlow>"
            '<bpmn:sequenceFlow id="back" name="Trả lại" sourceRef="gw" targetRef="end">'
            "<bpmn:conditionExpression>decision == 'return'</bpmn:conditionExpression>"
            '</bpmn:sequenceFlow><bpmn:endEvent id="end"/>'
        )
    )
    assert found == {
        "default_with_condition": (
            "back",
            "Luồng mặc định lại có điều kiện",
            "Luồng “Trả lại” là luồng mặc định của “Quyết định” nhưng lại có điều kiện "
            "“decision == 'return'”, điều kiện này không bao giờ được xét: hãy bỏ điều kiện "
            "hoặc chọn luồng khác làm mặc định.",
        )
    }


def test_every_engine_code_has_a_title_and_a_sentence(vietnamese):
    from webapp.admin import problem_text as texts
    from workflows.engine_messages import ENGINE_CODES

    assert set(texts.ENGINE_LABELS) == ENGINE_CODES
    assert set(texts.SENTENCES) | {"definition_without_id"} >= ENGINE_CODES
    assert set(texts.PROBLEM_LABELS) <= set(texts.SENTENCES) | set(texts.REFUSED) | {
        "definition_without_id"
    }


def test_every_engine_message_the_check_knows_reads_in_vietnamese(vietnamese):
    from tests.web.test_i18n_corpus_problems import english_left
    from tests.workflows.test_checks import ENGINE_MESSAGES
    from workflows.engine_messages import validation_problem

    for message, code in ENGINE_MESSAGES:
        problem = validation_problem(
            message.rstrip(". "),
            element_id="t1",
            name="Bước",
            line=7,
            file_name="d.bpmn",
            root=None,
        ).as_dict()
        [shown] = described([problem])
        quoted = [str(v) for v in problem["params"].values()] + ["d.bpmn"]
        assert shown["sentence"], code
        assert english_left(shown["sentence"], quoted) == [], shown["sentence"]
        assert english_left(shown["label"], quoted) == [], shown["label"]
        # The check's own sentence for a flow without condition needs no engine words.
        expected = "" if code == "flow_without_condition" else message.rstrip(". ")
        assert shown["technical"] == expected, code
