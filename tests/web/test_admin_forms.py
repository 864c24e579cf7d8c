"""Admin pages for a version's forms and rule tables: the list, the JSON Schema editor and its
live preview, the DMN editor page; administrators only, drafts only change."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask

from tests.web.pages import csrf_token, login
from webapp.request_db import database
from webapp.services import process_versions

KEY = "award_nomination"
BASE = f"/admin/processes/{KEY}/versions"
RULES = "award_rules.dmn"
SCHEMA = {
    "type": "object",
    "title": "Phó Giám đốc xem xét",
    "required": ["decision"],
    "properties": {
        "decision": {
            "type": "string",
            "title": "Ý kiến",
            "oneOf": [
                {"const": "approve", "title": "Đồng ý"},
                {"const": "return", "title": "Trả lại"},
                {"const": "refuse", "title": "Không đồng ý"},
            ],
        },
        "votes": {
            "type": "object",
            "title": "Từng trường hợp",
            "x-nominee-map": True,
            "additionalProperties": {
                "type": "string",
                "oneOf": [{"const": "agree", "title": "Đồng ý"}],
            },
        },
    },
}


def version(app: Flask, number: int):
    with database(app).transaction() as session:
        found = process_versions.get_version(session, KEY, number)
        return {
            "status": found.status,
            "files": dict(found.files),
            "problems": list(found.problems),
        }


@pytest.fixture
def admin(client):
    login(client, "admin")
    return client


@pytest.fixture
def draft(app, admin):
    """Version 2, a draft copied from version 1 through the list page."""
    page = admin.get(f"{BASE}/1/forms")
    response = admin.post(
        f"{BASE}/1/forms",
        data={"csrf_token": csrf_token(page.get_data(as_text=True)), "action": "copy"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{BASE}/2/forms")
    assert version(app, 2)["status"] == "draft"
    return 2


def token(client, url):
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return csrf_token(page.get_data(as_text=True))


URLS = [
    f"{BASE}/1/forms",
    f"{BASE}/1/forms/check_dossier.json",
    f"{BASE}/1/rules/{RULES}",
]


@pytest.mark.parametrize("url", URLS)
def test_anonymous_users_go_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("url", URLS)
def test_other_users_are_refused(client, url):
    login(client, "vanphong")
    assert client.get(url).status_code == 403
    assert client.post(url, data={"schema": "{}"}).status_code == 403


def test_other_users_get_no_preview(client):
    login(client, "vanphong")
    url = f"{BASE}/1/forms/check_dossier.json/preview"
    assert client.post(url, data={"schema": "{}"}).status_code == 403


def test_the_list_shows_forms_rules_and_the_steps_using_them(admin):
    response = admin.get(f"{BASE}/1/forms")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    row = re.search(r'<tr data-form="check_dossier.json".*?</tr>', html, re.S).group(0)
    assert '<code class="small">check_dossier</code>' in row
    assert f"{BASE}/1/forms/check_dossier.json" in row
    rules = re.search(rf'<tr data-rules="{RULES}".*?</tr>', html, re.S).group(0)
    assert "load_council_rules" in rules
    assert "quorum, threshold" in rules
    assert f"{BASE}/1/rules/{RULES}" in rules
    # A deployed version offers a copy, not a new form.
    assert 'id="copy-as-draft"' in html
    assert 'id="new-form"' not in html


def test_unknown_versions_and_files_are_404(admin):
    assert admin.get(f"{BASE}/9/forms").status_code == 404
    assert admin.get(f"{BASE}/1/forms/nope.json").status_code == 404
    assert admin.get(f"{BASE}/1/rules/nope.dmn").status_code == 404


def test_the_preview_renders_a_radio_per_option_and_a_row_per_sample_nominee(admin):
    url = f"{BASE}/1/forms/check_dossier.json"
    response = admin.post(
        url + "/preview",
        data={"csrf_token": token(admin, url), "schema": json.dumps(SCHEMA), "lang": "vi"},
    )
    assert response.status_code == 200
    assert response.content_type.startswith("text/html")
    html = response.get_data(as_text=True)
    radios = re.findall(r'<input[^>]*name="preview-decision"[^>]*type="radio"[^>]*>', html)
    assert [re.search(r'value="(\w+)"', r).group(1) for r in radios] == [
        "approve",
        "return",
        "refuse",
    ]
    assert "Phó Giám đốc xem xét" in html
    assert html.count('name="preview-votes-n') == 3  # one radio per sample nominee
    assert "<html" not in html  # a fragment


def test_the_preview_explains_an_invalid_schema(admin):
    url = f"{BASE}/1/forms/check_dossier.json"
    csrf = token(admin, url)
    bad_json = admin.post(url + "/preview", data={"csrf_token": csrf, "schema": '{"type": '})
    assert bad_json.status_code == 200
    assert bad_json.content_type == "application/json"
    # The parser's own words and where (the sentence around them is translated).
    assert "Expecting value" in bad_json.json["error"]
    assert re.search(r"\b1\b.*\b10\b", bad_json.json["error"])
    not_object = admin.post(url + "/preview", data={"csrf_token": csrf, "schema": "[]"})
    assert not_object.status_code == 200
    assert not_object.json["error"]
    # Valid JSON Schema that the form builder cannot turn into a field.
    odd = {"type": "object", "properties": {"d": {"enum": ["a"], "x-labels": ["A"]}}}
    unbuildable = admin.post(url + "/preview", data={"csrf_token": csrf, "schema": json.dumps(odd)})
    assert unbuildable.status_code == 200
    assert unbuildable.json["error"]


def test_the_preview_needs_the_csrf_token(admin):
    url = f"{BASE}/1/forms/check_dossier.json/preview"
    assert admin.post(url, data={"schema": json.dumps(SCHEMA)}).status_code == 400


def test_the_editor_shows_the_schema_and_its_preview(admin):
    response = admin.get(f"{BASE}/1/forms/check_dossier.json")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "&#34;const&#34;: &#34;approve&#34;" in html or "&quot;const&quot;" in html
    assert 'id="preview-decision-0"' in html
    assert 'src="/static/form-editor.js"' in html
    assert "<script>" not in html  # no inline script under the CSP


def test_invalid_json_is_refused_beside_the_textarea_and_nothing_is_saved(app, admin, draft):
    url = f"{BASE}/{draft}/forms/check_dossier.json"
    before = version(app, draft)["files"]
    response = admin.post(url, data={"csrf_token": token(admin, url), "schema": '{"type": }'})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    message = re.search(
        r'<div class="invalid-feedback d-block" id="schema-message"[^>]*>(.*?)</div>', html, re.S
    )
    assert "Expecting value" in message.group(1)
    assert re.search(r"\b1\b.*\b10\b", message.group(1))
    assert 'class="form-control font-monospace schema-text is-invalid"' in html
    assert "{&#34;type&#34;: }" in html  # the text typed is kept
    assert version(app, draft)["files"] == before


def test_a_schema_that_is_not_an_object_schema_is_refused(app, admin, draft):
    url = f"{BASE}/{draft}/forms/check_dossier.json"
    before = version(app, draft)["files"]
    for text in ('{"type": "string"}', '{"type": "object", "properties": 3}'):
        response = admin.post(url, data={"csrf_token": token(admin, url), "schema": text})
        assert response.status_code == 422
    assert version(app, draft)["files"] == before


def test_saving_a_form_changes_the_draft_and_checks_it_again(app, admin, draft):
    url = f"{BASE}/{draft}/forms/check_dossier.json"
    text = json.dumps(SCHEMA, ensure_ascii=False, indent=2)
    response = admin.post(url, data={"csrf_token": token(admin, url), "schema": text})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(url)
    saved = version(app, draft)
    assert saved["files"]["forms/check_dossier.json"] == text
    assert saved["problems"] == []
    assert version(app, 1)["files"]["forms/check_dossier.json"] != text

    # Deleting the form: the step that uses it is now a problem, shown on the list.
    response = admin.post(url, data={"csrf_token": token(admin, url), "action": "delete"})
    assert response.status_code == 302
    gone = version(app, draft)
    assert "forms/check_dossier.json" not in gone["files"]
    assert [(p["code"], p["element_id"]) for p in gone["problems"]] == [
        ("unknown_form", "check_dossier")
    ]
    html = admin.get(f"{BASE}/{draft}/forms").get_data(as_text=True)
    row = re.search(r'<tr data-form="check_dossier.json".*?</tr>', html, re.S).group(0)
    assert 'data-problem-code="unknown_form"' in row
    # The missing form can be written again from its editor.
    response = admin.post(url, data={"csrf_token": token(admin, url), "schema": text})
    assert response.status_code == 302
    assert version(app, draft)["problems"] == []


def test_saving_in_a_deployed_version_makes_a_new_draft(app, admin):
    url = f"{BASE}/1/forms/check_dossier.json"
    text = json.dumps(SCHEMA)
    response = admin.post(url, data={"csrf_token": token(admin, url), "schema": text})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{BASE}/2/forms/check_dossier.json")
    assert version(app, 2)["files"]["forms/check_dossier.json"] == text
    assert version(app, 1)["status"] == "deployed"
    assert version(app, 1)["files"]["forms/check_dossier.json"] != text


def test_creating_a_form_validates_its_name(app, admin, draft):
    url = f"{BASE}/{draft}/forms"
    response = admin.post(url, data={"csrf_token": token(admin, url), "name": "Phó GĐ.json"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="new-form-name-error"' in html
    assert 'value="Phó GĐ.json"' in html
    response = admin.post(url, data={"csrf_token": token(admin, url), "name": "deputy_review.json"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{url}/deputy_review.json")
    assert "forms/deputy_review.json" in version(app, draft)["files"]


def test_the_rules_page_loads_dmn_js_with_a_relaxed_style_policy(admin):
    response = admin.get(f"{BASE}/1/rules/{RULES}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "/static/build/rules.js" in html
    assert "/static/rules-editor.js" in html
    assert "rule_bk_btc_threshold" in html  # the XML, in the textarea
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "style-src 'self' 'unsafe-inline'" in policy
    assert "unsafe-eval" not in policy


def test_the_dmn_table_round_trips_through_the_draft(app, admin, draft):
    url = f"{BASE}/{draft}/rules/{RULES}"
    xml = version(app, draft)["files"][RULES]
    lower = xml.replace(
        '<outputEntry id="rule_bk_btc_threshold"><text>2/3</text>',
        '<outputEntry id="rule_bk_btc_threshold"><text>1/2</text>',
    )
    assert lower != xml
    response = admin.post(url, data={"csrf_token": token(admin, url), "xml": lower})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(url)
    assert version(app, draft)["files"][RULES] == lower
    page = admin.get(url).get_data(as_text=True)
    assert "&lt;text&gt;1/2&lt;/text&gt;" in page

    # A table with a gap is saved, and the check reports it beside the file.
    gap = lower.replace('<text>"bk_ttg"</text>', '<text>"bk_tgg"</text>')
    admin.post(url, data={"csrf_token": token(admin, url), "xml": gap})
    assert [p["code"] for p in version(app, draft)["problems"]] == ["dmn_gap"]
    listing = admin.get(f"{BASE}/{draft}/forms").get_data(as_text=True)
    assert 'data-problem-code="dmn_gap"' in listing
    assert "bk_ttg" in listing


def test_a_hostile_or_broken_dmn_file_is_refused_and_nothing_is_saved(app, admin, draft):
    url = f"{BASE}/{draft}/rules/{RULES}"
    before = version(app, draft)["files"][RULES]
    for xml, reason in (
        (
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
            "Tệp khai báo DOCTYPE hoặc thực thể (entity) nên bị từ chối",
        ),
        ("<definitions><decision", "Tệp không phải XML hợp lệ"),
        ("<notes/>", "tệp không phải bảng quy tắc DMN"),
    ):
        response = admin.post(url, data={"csrf_token": token(admin, url), "xml": xml})
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        error = page[page.index('id="rules-error"') :]
        assert reason in error[: error.index("</div>")]
    assert version(app, draft)["files"][RULES] == before
