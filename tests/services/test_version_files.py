"""A version's forms and rule tables: listed with their steps, checked, saved into drafts only;
a changed threshold reaches the dossiers started after the deploy, and only those."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.conftest import actor_named
from tests.workflows.conftest import BPMN_DIR
from webapp.models import Nominee, WorkItem
from webapp.services import dossiers, process_versions, version_files, work_items
from webapp.services.errors import (
    ConflictError,
    InvalidDataError,
    NotFoundError,
    PermissionDeniedError,
)
from webapp.services.version_files import FormSchemaError

KEY = "award_nomination"
RULES = "award_rules.dmn"
BK_BTC_THRESHOLD = '<outputEntry id="rule_bk_btc_threshold"><text>2/3</text></outputEntry>'
NEW = {
    "title": "Hồ sơ khen thưởng",
    "award_form": "bk_btc",
    "track": "ad_hoc",
    "procedure": "regular",
    "nominees": [{"kind": "individual", "name": "Nguyễn Văn A"}],
}


@pytest.fixture
def admin(db):
    return actor_named(db, "admin")


@pytest.fixture
def draft(db, admin):
    version = process_versions.copy_as_draft(db, admin, KEY, 1)
    db.commit()
    assert version.problems == []
    return version


def codes(version):
    return {(p["code"], p["element_id"]) for p in version.problems}


# --- the overview --------------------------------------------------------------------------


def test_the_overview_lists_forms_and_rules_with_the_steps_that_use_them(db, admin):
    overview = version_files.version_files(db, admin, KEY, 1)
    forms = {f.name: f for f in overview.forms}
    assert set(forms) == {p.name for p in (BPMN_DIR / "forms").glob("*.json")}
    assert all(f.exists and not f.problems for f in forms.values())
    assert [s.element_id for s in forms["check_dossier.json"].used_by] == ["check_dossier"]
    assert forms["council_vote.json"].title == "Phiếu bầu của thành viên Hội đồng"
    [rules] = overview.rules
    assert rules.name == RULES
    assert [d.decision_id for d in rules.decisions] == ["award_rules"]
    assert [s.element_id for s in rules.used_by] == ["load_council_rules"]
    assert overview.diagram_readable


def test_only_administrators_see_or_change_forms(db, draft):
    officer = actor_named(db, "vanphong")
    with pytest.raises(PermissionDeniedError):
        version_files.version_files(db, officer, KEY, 1)
    with pytest.raises(PermissionDeniedError):
        version_files.save_form(db, officer, KEY, draft.version, "x.json", '{"type": "object"}')
    with pytest.raises(PermissionDeniedError):
        version_files.rules_text(db, officer, KEY, 1, RULES)


def test_unknown_files_are_not_found(db, admin):
    with pytest.raises(NotFoundError):
        version_files.form_text(db, admin, KEY, 1, "nope.json")
    with pytest.raises(NotFoundError):
        version_files.rules_text(db, admin, KEY, 1, "../award_rules.dmn")
    with pytest.raises(NotFoundError):
        version_files.version_files(db, admin, KEY, 99)


# --- forms -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ('{"type": "object",\n  "properties": {,}}', "invalid_json"),
        ("[1, 2]", "not_an_object_schema"),
        ('{"type": "string"}', "not_an_object_schema"),
        ('{"type": "object", "properties": 5}', "invalid_schema"),
        ('{"type": "object", "required": "decision"}', "invalid_schema"),
        ('{"type": "object", "properties": {"a": {"type": "text"}}}', "invalid_schema"),
    ],
)
def test_a_form_must_be_a_json_schema_of_type_object(text, code):
    with pytest.raises(FormSchemaError) as caught:
        version_files.parse_form(text)
    assert caught.value.code == code


def test_invalid_json_says_where():
    with pytest.raises(FormSchemaError) as caught:
        version_files.parse_form('{"type": "object",\n  "title": oops}')
    assert (caught.value.line, caught.value.column) == (2, 12)


def test_saving_a_form_changes_the_draft_and_checks_it_again(db, admin, draft):
    text = json.dumps({"type": "object", "properties": {"decision": {"type": "string"}}})
    saved = version_files.save_form(db, admin, KEY, draft.version, "check_dossier.json", text)
    db.commit()
    assert saved.files["forms/check_dossier.json"] == text
    assert saved.problems == []
    assert process_versions.get_version(db, KEY, 1).files["forms/check_dossier.json"] != text

    # Without its form the step is a problem of the draft; creating the form again fixes it.
    gone = version_files.delete_form(db, admin, KEY, draft.version, "check_dossier.json")
    db.commit()
    assert "forms/check_dossier.json" not in gone.files
    assert codes(gone) == {("unknown_form", "check_dossier")}
    overview = version_files.version_files(db, admin, KEY, draft.version)
    [missing] = [f for f in overview.forms if f.name == "check_dossier.json"]
    assert not missing.exists
    assert [p["code"] for p in missing.problems] == ["unknown_form"]
    back = version_files.save_form(db, admin, KEY, draft.version, "check_dossier.json", text)
    assert back.problems == []


def test_an_invalid_form_is_not_saved(db, admin, draft):
    before = dict(draft.files)
    with pytest.raises(FormSchemaError):
        version_files.save_form(db, admin, KEY, draft.version, "check_dossier.json", "{")
    db.rollback()
    assert process_versions.get_version(db, KEY, draft.version).files == before


def test_crlf_from_a_textarea_is_stored_as_lf(db, admin, draft):
    text = '{\r\n  "type": "object"\r\n}\r\n'
    saved = version_files.save_form(db, admin, KEY, draft.version, "extra_step.json", text)
    assert saved.files["forms/extra_step.json"] == '{\n  "type": "object"\n}\n'


def test_deployed_versions_never_change(db, admin):
    with pytest.raises(ConflictError) as caught:
        version_files.save_form(db, admin, KEY, 1, "check_dossier.json", '{"type": "object"}')
    assert caught.value.code == "not_a_draft"
    with pytest.raises(ConflictError):
        version_files.delete_form(db, admin, KEY, 1, "check_dossier.json")
    copy = version_files.copy_to_draft(db, admin, KEY, 1)
    assert (copy.version, copy.status) == (2, "draft")
    assert version_files.copy_to_draft(db, admin, KEY, copy.version).id == copy.id


def test_new_forms_need_a_plain_name_and_a_new_one(db, admin, draft):
    for bad in ("Deputy.json", "deputy review.json", "deputy.txt", "../x.json", ".json"):
        with pytest.raises(InvalidDataError) as caught:
            version_files.create_form(db, admin, KEY, draft.version, bad)
        assert caught.value.code == "invalid_form_name"
    with pytest.raises(InvalidDataError) as caught:
        version_files.create_form(db, admin, KEY, draft.version, "check_dossier.json")
    assert caught.value.code == "form_exists"
    created = version_files.create_form(db, admin, KEY, draft.version, "deputy_review.json")
    schema = json.loads(created.files["forms/deputy_review.json"])
    assert schema["type"] == "object"
    assert "decision" in schema["properties"]


# --- rule tables -----------------------------------------------------------------------------


def test_saving_rules_checks_the_table_for_gaps(db, admin, draft):
    _version, xml = version_files.rules_text(db, admin, KEY, draft.version, RULES)
    without_ttg = xml.replace('<text>"bk_ttg"</text>', '<text>"bk_tgg"</text>')
    saved = version_files.save_rules(db, admin, KEY, draft.version, RULES, without_ttg)
    assert saved.files[RULES] == without_ttg
    [gap] = saved.problems
    assert (gap["code"], gap["element_id"], gap["file"]) == ("dmn_gap", "award_rules", RULES)
    assert '"bk_ttg"' in gap["message"]
    overview = version_files.version_files(db, admin, KEY, draft.version)
    assert [p["code"] for p in overview.rules[0].problems] == ["dmn_gap"]


@pytest.mark.parametrize(
    ("xml", "code"),
    [
        ("<definitions", "not_xml"),
        (
            '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>',
            "doctype_refused",
        ),
        ('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"/>', "not_dmn"),
        ('<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"/>', "no_decision"),
    ],
)
def test_a_file_that_is_not_a_dmn_table_is_refused(db, admin, draft, xml, code):
    with pytest.raises(InvalidDataError) as caught:
        version_files.save_rules(db, admin, KEY, draft.version, RULES, xml)
    assert caught.value.code == code
    db.rollback()
    assert "<decision" in process_versions.get_version(db, KEY, draft.version).files[RULES]


# --- a new threshold reaches new dossiers only -------------------------------------------


def _open_item(db, dossier_id, step):
    return db.scalars(
        select(WorkItem).where(
            WorkItem.dossier_id == dossier_id, WorkItem.step == step, WorkItem.status == "open"
        )
    ).first()


def _to_council(db, dossier_id):
    for user, step, decision in (
        ("canbo_ns", "prepare_dossier", "submit"),
        ("truongphong_ns", "approve_at_unit", "approve"),
        ("vanphong", "check_dossier", "approve"),
    ):
        item = _open_item(db, dossier_id, step)
        work_items.complete_work_item(db, actor_named(db, user), item.id, {"decision": decision})
    db.commit()


def _vote(db, dossier_id, agreeing):
    """Every council member votes; the first `agreeing` of them agree."""
    ballots = db.scalars(
        select(WorkItem)
        .where(WorkItem.dossier_id == dossier_id, WorkItem.step == "council_vote")
        .order_by(WorkItem.id)
    ).all()
    assert len(ballots) == 5
    for index, ballot in enumerate(ballots):
        nominees = [str(n.id) for n in ballot.dossier.nominees]
        choice = "agree" if index < agreeing else "disagree"
        work_items.complete_work_item(
            db,
            actor_named(db, ballot.assignee.username),
            ballot.id,
            {"votes": dict.fromkeys(nominees, choice)},
        )
    db.commit()


def _results(db, dossier_id):
    return [n.result for n in db.scalars(select(Nominee).where(Nominee.dossier_id == dossier_id))]


def test_a_lower_threshold_deployed_applies_to_dossiers_started_after_the_deploy(db, admin, draft):
    before = dossiers.start_dossier(db, actor_named(db, "canbo_ns"), NEW)
    db.commit()

    _version, xml = version_files.rules_text(db, admin, KEY, draft.version, RULES)
    assert BK_BTC_THRESHOLD in xml
    half = xml.replace(BK_BTC_THRESHOLD, BK_BTC_THRESHOLD.replace("2/3", "1/2"))
    changed = version_files.save_rules(db, admin, KEY, draft.version, RULES, half)
    assert changed.problems == []
    process_versions.deploy_version(db, admin, KEY, draft.version)
    db.commit()

    after = dossiers.start_dossier(db, actor_named(db, "canbo_ns"), NEW)
    db.commit()
    for dossier in (before, after):
        _to_council(db, dossier.id)
        _vote(db, dossier.id, agreeing=3)  # 3 of 5: below 2/3, above 1/2

    assert _results(db, before.id) == ["failed"]
    assert _results(db, after.id) == ["passed"]
    # The old dossier still runs on version 1, and version 1 still asks for two thirds.
    first = process_versions.get_version(db, KEY, 1)
    assert _open_item(db, before.id, "conclude_council").version_id == first.id
    assert _open_item(db, after.id, "conclude_council").version_id == draft.id
    assert BK_BTC_THRESHOLD in first.files[RULES]
