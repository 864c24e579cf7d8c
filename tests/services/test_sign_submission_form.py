"""The Director's form: signing needs the memo's number, returning to the Office needs a reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from webapp.services.errors import InvalidDataError
from webapp.services.form_validation import validate_form

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "bpmn" / "forms" / "sign_submission.json").read_text(
        encoding="utf-8"
    )
)


def test_the_director_may_sign_or_return_to_the_office():
    options = {o["const"]: o["title"] for o in SCHEMA["properties"]["decision"]["oneOf"]}
    assert options == {"approve": "Ký tờ trình, gửi Bộ Tài chính", "return": "Trả lại Văn phòng Sở"}


def test_signing_needs_the_submission_number_and_no_comment():
    with pytest.raises(InvalidDataError) as refused:
        validate_form(SCHEMA, {"decision": "approve"})
    assert set(refused.value.fields) == {"submission_number"}
    accepted = validate_form(SCHEMA, {"decision": "approve", "submission_number": "12/TTr-STC"})
    assert accepted["comment"] is None


@pytest.mark.parametrize("comment", [None, "", "   "])
def test_returning_needs_a_reason_but_no_submission_number(comment):
    data = {"decision": "return"} if comment is None else {"decision": "return", "comment": comment}
    with pytest.raises(InvalidDataError) as refused:
        validate_form(SCHEMA, data)
    assert set(refused.value.fields) == {"comment"}
    accepted = validate_form(SCHEMA, {"decision": "return", "comment": "Kiểm tra lại số liệu"})
    assert accepted["submission_number"] is None


def test_the_page_form_sends_an_empty_number_as_null_when_returning():
    # An empty optional text box reaches the validator as None (step_forms.form_data).
    data = {"decision": "return", "comment": "Kiểm tra lại", "submission_number": None}
    assert validate_form(SCHEMA, data)["submission_number"] is None
    with pytest.raises(InvalidDataError) as refused:
        validate_form(SCHEMA, {"decision": "approve", "submission_number": None})
    assert set(refused.value.fields) == {"submission_number"}
