"""Step forms show only what applies: nominees still in play, required marks computed from the
schema (live rules carried for the page's script), a single-option decision as the button."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from flask import Flask
from wtforms import FormField

from tests.web.pages import login, submit
from webapp.models import Nominee
from webapp.step_forms import FixedChoiceField, build_form_class, required_rules

MEMBERS = ["giamdoc", "hoidong1", "hoidong2", "hoidong3", "hoidong4"]
FORMS = Path(__file__).resolve().parents[2] / "bpmn" / "forms"


def _council_splits(api):
    """A dossier past its council: 3 of 5 agree with the first nominee (it fails: the threshold
    is two thirds of the members), 5 of 5 with the second (it passes)."""
    dossier = api.start()
    did = dossier["id"]
    first, second = (str(n["id"]) for n in dossier["nominees"])
    api.do("canbo_ns", did, "prepare_dossier", {"decision": "submit"})
    api.do("truongphong_ns", did, "approve_at_unit", {"decision": "approve"})
    api.do("vanphong", did, "check_dossier", {"decision": "approve"})
    for i, member in enumerate(MEMBERS):
        votes = {first: "agree" if i < 3 else "disagree", second: "agree"}
        api.do(member, did, "council_vote", {"votes": votes})
    api.do("giamdoc", did, "conclude_council", {"decision": "confirm"})
    return dossier, first, second


def at_minister(api):
    """A dossier waiting for the Minister's decision, its first nominee failed by the council."""
    dossier, first, second = _council_splits(api)
    did = dossier["id"]
    api.do(
        "giamdoc",
        did,
        "sign_submission",
        {"decision": "approve", "submission_number": "12/TTr-STC", "submission_date": "2026-11-29"},
    )
    api.do("chuyenvien_bo", did, "appraise_at_ministry", {"decision": "approve"})
    api.do("chuyenvien_bo", did, "ministry_council", {"decision": "approve"})
    return dossier, first, second


def _checkbox_values(page: str, name: str) -> list[str]:
    inputs = re.findall(r"<input[^>]*>", page)
    return [
        re.search(r'value="([^"]*)"', tag).group(1)  # type: ignore[union-attr]
        for tag in inputs
        if f'name="{name}"' in tag and 'type="checkbox"' in tag
    ]


def _tag(page: str, element_id: str) -> str:
    match = re.search(rf'<[a-z]+[^>]*\bid="{re.escape(element_id)}"[^>]*>', page)
    assert match, f"no element #{element_id}"
    return match.group(0)


def _mark(page: str, element_id: str) -> str:
    match = re.search(rf'<span[^>]*data-required-mark="{re.escape(element_id)}"[^>]*>', page)
    assert match, f"no required mark for #{element_id}"
    return match.group(0)


# --- Finding 2: nominees still in play ---------------------------------------------------------


def test_the_ministers_form_does_not_offer_a_nominee_the_council_rejected(api, client):
    dossier, first, second = at_minister(api)
    [item] = api.items("botruong", dossier["id"], "minister_decision")
    login(client, "botruong")
    page = client.get(f"/work/{item['id']}").get_data(as_text=True)
    assert _checkbox_values(page, "refused_nominees") == [second]
    rejected = next(n["name"] for n in dossier["nominees"] if str(n["id"]) == first)
    assert f"Không liệt kê (đã bị loại ở cấp trước): {rejected}." in page

    # Choosing the rejected nominee anyway (a forged POST) is refused beside the field.
    response = submit(
        client,
        f"/work/{item['id']}",
        {"decision": "award", "decision_number": "345/QĐ-BTC", "refused_nominees": [first]},
    )
    assert response.status_code == 422
    assert [c["step"] for c in api.dossier(dossier["id"])["current"]] == ["minister_decision"]


def test_the_api_refuses_a_decision_on_a_rejected_nominee_naming_the_field(api):
    dossier, first, second = at_minister(api)
    did = dossier["id"]
    award = {"decision": "award", "decision_number": "345/QĐ-BTC", "decision_date": "2026-12-01"}
    refused = api.complete(
        "botruong", did, "minister_decision", {**award, "refused_nominees": [first]}
    )
    assert refused.status_code == 422
    assert list(refused.json["error"]["fields"]) == ["refused_nominees.0"]
    assert "rejected at an earlier level" in refused.json["error"]["fields"]["refused_nominees.0"]
    after = api.dossier(did)
    assert [c["step"] for c in after["current"]] == ["minister_decision"]
    assert {str(n["id"]): n["result"] for n in after["nominees"]} == {
        first: "failed",
        second: "passed",
    }

    # The rejected nominee is not required either: the decision names only those in play.
    done = api.do("botruong", did, "minister_decision", award)
    results = {str(n["id"]): n["result"] for n in done["nominees"]}
    assert results == {first: "failed", second: "awarded"}


def test_a_second_council_round_votes_only_on_the_nominees_in_play(api, client):
    """The Ministry returns the dossier; the Office sends it to the council again. The ballot
    neither offers nor requires the nominee the council failed, refuses a vote on it, and that
    nominee keeps its first tally."""
    dossier, first, second = _council_splits(api)
    did = dossier["id"]
    api.do(
        "giamdoc",
        did,
        "sign_submission",
        {"decision": "approve", "submission_number": "12/TTr-STC", "submission_date": "2026-11-29"},
    )
    api.do(
        "chuyenvien_bo",
        did,
        "appraise_at_ministry",
        {"decision": "return", "comment": "Bổ sung báo cáo thành tích"},
    )
    api.do("vanphong", did, "check_dossier", {"decision": "approve"})

    [ballot] = api.items("hoidong1", did, "council_vote")
    login(client, "hoidong1")
    page = client.get(f"/work/{ballot['id']}").get_data(as_text=True)
    assert f'name="votes-n{second}"' in page
    assert f'name="votes-n{first}"' not in page

    both = api.complete(
        "hoidong1", did, "council_vote", {"votes": {first: "agree", second: "agree"}}
    )
    assert both.status_code == 422
    assert list(both.json["error"]["fields"]) == [f"votes.{first}"]

    for member in MEMBERS:
        api.do(member, did, "council_vote", {"votes": {second: "agree"}})
    nominees = {str(n["id"]): n for n in api.dossier(did)["nominees"]}
    assert nominees[first]["result"] == "failed"
    assert nominees[first]["council"] == {"agree": 3, "disagree": 2, "members": 5}
    assert nominees[second]["result"] == "passed"


# --- Finding 6: required marks, live rules, one-option decisions --------------------------------


def test_check_dossier_marks_the_decision_and_carries_the_comment_rule(api, client):
    dossier = api.start()
    did = dossier["id"]
    api.do("canbo_ns", did, "prepare_dossier", {"decision": "submit"})
    api.do("truongphong_ns", did, "approve_at_unit", {"decision": "approve"})
    [item] = api.items("vanphong", did, "check_dossier")
    login(client, "vanphong")
    page = client.get(f"/work/{item['id']}").get_data(as_text=True)

    decision = _tag(page, "decision")
    assert 'aria-required="true"' in decision
    assert " hidden" not in _mark(page, "decision")

    comment = _tag(page, "comment")
    rules = json.loads(_attr(comment, "data-required-when"))
    assert rules == [{"field": "decision", "values": ["return", "refuse"]}]
    assert " required" not in comment
    assert "aria-required" not in comment
    assert " hidden" in _mark(page, "comment")
    hint = "Bắt buộc khi chọn “Trả lại đơn vị để bổ sung” hoặc “Không đủ điều kiện khen thưởng”."
    assert hint in page
    assert "Bắt buộc khi trả lại hoặc không đồng ý" not in page
    assert '<script src="/static/step-form.js"></script>' in page

    # After a refused "return" without a comment the page comes back with the comment marked.
    response = submit(client, f"/work/{item['id']}", {"decision": "return", "comment": ""})
    assert response.status_code == 422
    again = response.get_data(as_text=True)
    comment = _tag(again, "comment")
    assert " required" in comment
    assert 'aria-required="true"' in comment
    assert " hidden" not in _mark(again, "comment")


def _attr(tag: str, name: str) -> str:
    match = re.search(rf'{name}="([^"]*)"', tag)
    assert match, f"no {name} in {tag}"
    return html.unescape(match.group(1))


def test_the_chairs_conclusion_is_a_button_not_a_radio_group_of_one(api, client):
    dossier, _first, _second = _council_splits_until_chair(api)
    [item] = api.items("giamdoc", dossier["id"], "conclude_council")
    login(client, "giamdoc")
    page = client.get(f"/work/{item['id']}").get_data(as_text=True)
    assert 'type="radio"' not in page
    hidden = _tag(page, "decision")
    assert 'type="hidden"' in hidden
    assert 'value="confirm"' in hidden
    assert re.search(
        r'<button class="btn btn-primary" type="submit" name="action" value="submit">'
        r"Xác nhận kết quả kiểm phiếu</button>",
        page,
    )
    # Whatever the browser sends for the fixed decision, the step records "confirm".
    response = submit(
        client, f"/work/{item['id']}", {"decision": "something-else", "comment": "Nhất trí"}
    )
    assert response.status_code == 302
    history = api.dossier(dossier["id"])["history"]
    concluded = [h for h in history if h.get("step") == "conclude_council"]
    assert (concluded[-1]["decision"], concluded[-1]["comment"]) == ("confirm", "Nhất trí")


def _council_splits_until_chair(api):
    dossier = api.start()
    did = dossier["id"]
    ids = [str(n["id"]) for n in dossier["nominees"]]
    api.do("canbo_ns", did, "prepare_dossier", {"decision": "submit"})
    api.do("truongphong_ns", did, "approve_at_unit", {"decision": "approve"})
    api.do("vanphong", did, "check_dossier", {"decision": "approve"})
    for member in MEMBERS:
        api.do(member, did, "council_vote", {"votes": dict.fromkeys(ids, "agree")})
    return dossier, ids[0], ids[1]


def _shipped_forms() -> list[Path]:
    return sorted(FORMS.glob("*.json"))


@pytest.mark.parametrize("path", _shipped_forms(), ids=lambda p: p.stem)
def test_required_marks_match_each_shipped_schema(app: Flask, path: Path):
    """Every shipped form: the fields its schema requires are required on the page (or fixed,
    when a single option leaves nothing to choose), those required by an if/then rule carry the
    rule, and no other field is marked."""
    schema = json.loads(path.read_text(encoding="utf-8"))
    required = set(schema.get("required", []))
    rules = required_rules(schema)
    with app.test_request_context():
        nominees = [Nominee(id=1, name="Nguyễn Văn An"), Nominee(id=2, name="Trần Thị Bình")]
        form = build_form_class(schema, nominees, "vi")(meta={"csrf": False})
        for name in schema["properties"]:
            field = form[name]
            if isinstance(field, FormField):  # one choice per nominee, each required
                assert name in required
                assert [f.flags.required for f in field.form] == [True, True], name
            elif name in required:
                assert field.flags.required or isinstance(field, FixedChoiceField), name
            elif name in rules:
                assert json.loads(field.render_kw["data-required-when"]) == rules[name], name
                assert not field.flags.required, name
            else:
                assert not field.flags.required, name
                assert "data-required-when" not in (field.render_kw or {}), name
            # The fixed hint is gone: a condition is told only where the schema has it.
            if name not in rules:
                assert "Bắt buộc khi trả lại" not in str(field.description) or (
                    path.stem == "sign_submission"  # owned by the diagram's helper
                ), name


def test_required_rules_read_enum_and_const_conditions():
    schema = json.loads((FORMS / "minister_decision.json").read_text(encoding="utf-8"))
    assert required_rules(schema) == {
        "comment": [{"field": "decision", "values": ["refuse"]}],
        "decision_number": [{"field": "decision", "values": ["award"]}],
    }
    assert required_rules({"allOf": [{"if": {"properties": {"a": {"minLength": 1}}}}]}) == {}
