"""The compare page lists lanes, roles, forms and rules with the steps, in Vietnamese, and its
JSON carries the same changes."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from flask import Flask
from lxml import etree

from tests.conftest import actor_named
from tests.web.pages import login
from tests.web.test_i18n import english_on
from tests.workflows.conftest import BPMN_DIR
from tests.workflows.variants import with_deputy_review
from webapp.models import Role
from webapp.request_db import database
from webapp.services import process_versions
from webapp.services.seeding import ensure_roles

KEY = "award_nomination"


@pytest.fixture
def admin(client):
    login(client, "admin")
    return client


def _version(app: Flask, bpmn: bytes, change_files) -> int:
    """A new version with `bpmn` and the shipped files as `change_files` edits them."""
    with database(app).transaction() as session:
        ensure_roles(session)
        if session.get(Role, "deputy_director") is None:
            session.add(Role(code="deputy_director", name="Phó Giám đốc Sở"))
            session.flush()
        _xml, files = process_versions.read_bundle_dir(BPMN_DIR, KEY)
        change_files(files)
        admin = actor_named(session, "admin")
        version = process_versions.create_version(session, admin, KEY, bpmn.decode(), files)
        assert version.problems == []
        return version.version


def _edit(files: dict[str, str]) -> None:
    """A lower threshold for the Labour Orders, a new choice in the unit's form, a new form."""
    files["award_rules.dmn"] = files["award_rules.dmn"].replace(
        '<outputEntry id="rule_hcld_threshold"><text>2/3</text>',
        '<outputEntry id="rule_hcld_threshold"><text>1/2</text>',
    )
    form = json.loads(files["forms/approve_at_unit.json"])
    form["properties"]["decision"]["oneOf"].append({"const": "defer", "title": "Hoãn lại"})
    files["forms/approve_at_unit.json"] = json.dumps(form, ensure_ascii=False)
    files["forms/deputy_review.json"] = files["forms/approve_at_unit.json"]


def _row(html: str, attribute: str, value: str) -> str:
    match = re.search(rf'<(tr|li)[^>]*{attribute}="{re.escape(value)}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, f"no row with {attribute}={value}"
    return " ".join(unescape(match.group(0)).split())


def _text(html: str) -> str:
    """What a reader sees of some HTML, on one line."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_lanes_roles_forms_and_rules_are_listed_with_the_steps(app, admin):
    number = _version(app, with_deputy_review("deputy_review.json"), _edit)
    page = admin.get(f"/admin/processes/{KEY}/compare?a=1&b={number}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)

    lane = _row(html, "data-lane", "lane_deputy_director")
    assert 'data-change="added"' in lane
    assert "Phó Giám đốc Sở (deputy_director)" in lane
    role = _row(html, "data-role", "deputy_director")
    assert 'data-change="added"' in role
    assert "Phó Giám đốc Sở (deputy_director)" in role

    added_form = _row(html, "data-file", "deputy_review.json")
    assert 'data-change="added"' in added_form
    changed_form = _row(html, "data-file", "approve_at_unit.json")
    assert 'data-change="changed"' in changed_form
    assert "Trường “decision”" in changed_form
    assert "Trả lại để hoàn thiện, Hoãn lại} · [string] · *" in _text(changed_form)

    rules = _row(html, "data-file", "award_rules.dmn")
    assert 'data-change="changed"' in rules
    assert (
        "Quy tắc “Huân chương Lao động hạng Nhất, Nhì, Ba”: Tỷ lệ đồng ý tối thiểu (trên tổng "
        "số thành viên): 2/3 → Tỷ lệ đồng ý tối thiểu (trên tổng số thành viên): 1/2"
    ) in _text(rules)

    assert english_on(html) == []

    data = admin.get(f"/admin/processes/{KEY}/compare.json?a=1&b={number}").get_json()
    changes = data["changes"]
    assert changes["unchanged"] is False
    assert [(s["change"], s["id"]) for s in changes["steps"]] == [("added", "deputy_review")]
    assert changes["lanes"] == [
        {
            "change": "added",
            "change_label": "Thêm mới",
            "key": "lane_deputy_director",
            "name": "Phó Giám đốc Sở",
            "role": "deputy_director",
            "changes": [],
        }
    ]
    assert [(r["change"], r["key"], r["name"]) for r in changes["roles"]] == [
        ("added", "deputy_director", "Phó Giám đốc Sở")
    ]
    assert [(f["change"], f["key"]) for f in changes["forms"]] == [
        ("added", "deputy_review.json"),
        ("changed", "approve_at_unit.json"),
    ]
    [field] = changes["forms"][1]["changes"]
    assert (field["attribute"], field["label"]) == ("field:decision", "Trường “decision”")
    [rules_file] = changes["rules"]
    [row] = rules_file["changes"]
    assert row == {
        "attribute": "rule:Huân chương Lao động hạng Nhất, Nhì, Ba",
        "label": "Quy tắc “Huân chương Lao động hạng Nhất, Nhì, Ba”",
        "before": "Tỷ lệ đồng ý tối thiểu (trên tổng số thành viên): 2/3",
        "after": "Tỷ lệ đồng ý tối thiểu (trên tổng số thành viên): 1/2",
    }
    # The new lane is coloured on the newer diagram.
    assert "lane_deputy_director" in data["markers"]["b"]["added"]


def test_a_lane_given_another_role_and_a_removed_form_are_listed(app, admin):
    shipped = (BPMN_DIR / f"{KEY}.bpmn").read_bytes()
    root = etree.fromstring(shipped)
    [role] = root.xpath("//*[@id='lane_office']//*[@name='role']")
    role.set("value", "director")
    edited = etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    def with_unused_form(files: dict[str, str]) -> None:
        files["forms/unused.json"] = files["forms/approve_at_unit.json"]

    before = _version(app, shipped, with_unused_form)
    after = _version(app, edited, lambda files: None)
    html = admin.get(f"/admin/processes/{KEY}/compare?a={before}&b={after}").get_data(as_text=True)
    lane = _row(html, "data-lane", "lane_office")
    assert 'data-change="changed"' in lane
    assert "Vai trò: Văn phòng Sở (office) → Giám đốc Sở (director)" in _text(lane)
    assert 'data-change="removed"' in _row(html, "data-file", "unused.json")
    assert 'data-change="removed"' in _row(html, "data-role", "office")
    assert (
        "lane_office"
        in admin.get(f"/admin/processes/{KEY}/compare.json?a={before}&b={after}").get_json()[
            "markers"
        ]["a"]["changed"]
    )


def test_a_version_compared_with_itself_lists_no_change(admin):
    data = admin.get(f"/admin/processes/{KEY}/compare.json?a=1&b=1").get_json()
    assert data["changes"] == {
        "unchanged": True,
        "steps": [],
        "flows": [],
        "lanes": [],
        "roles": [],
        "forms": [],
        "rules": [],
    }
    html = admin.get(f"/admin/processes/{KEY}/compare?a=1&b=1").get_data(as_text=True)
    assert 'id="compare-unchanged"' in html
    assert 'id="compare-lanes"' not in html
    assert 'id="compare-forms"' not in html
    assert 'id="compare-rules"' not in html
