"""Trying a version before deploying it: the sandbox run with chosen decisions and the replay of
finished dossiers, for administrators only, writing nothing."""

from __future__ import annotations

import json
import re

from flask import Flask
from sqlalchemy import select

from tests.conftest import actor_named
from tests.web.pages import login
from tests.web.test_api_paths import MEMBERS, submit_to_council, vote
from webapp.db import Base
from webapp.request_db import database
from webapp.services import process_versions, version_files

KEY = "award_nomination"


def finished(api, agrees):
    """A dossier walked to its end through the API: agrees[i] of five members agree with
    nominee i."""
    dossier = api.start()
    did = dossier["id"]
    ids = [str(n["id"]) for n in dossier["nominees"]]
    submit_to_council(api, did)
    ballots = {
        m: {nid: "agree" if p < agrees[i] else "disagree" for i, nid in enumerate(ids)}
        for p, m in enumerate(MEMBERS)
    }
    after = vote(api, did, ballots)
    after = api.do("giamdoc", did, "conclude_council", {"decision": "confirm"})
    if after["status"] == "in_progress":
        sign = {
            "decision": "approve",
            "submission_number": "1/TTr",
            "submission_date": "2026-11-29",
        }
        api.do("giamdoc", did, "sign_submission", sign)
        api.do("chuyenvien_bo", did, "appraise_at_ministry", {"decision": "approve"})
        api.do("chuyenvien_bo", did, "ministry_council", {"decision": "approve"})
        award = {"decision": "award", "decision_number": "9/QĐ", "decision_date": "2026-12-01"}
        api.do("botruong", did, "minister_decision", award)
        after = api.do("vanphong", did, "publish_result", {"decision": "publish"})
    assert after["status"] in {"awarded", "partly_awarded", "refused"}
    return after


def draft(app: Flask, *, threshold: str | None = None, condition: str | None = None) -> int:
    """A draft copied from version 1, with the bk_btc threshold or the council gateway's
    condition replaced."""
    with database(app).transaction() as session:
        admin = actor_named(session, "admin")
        version = version_files.copy_to_draft(session, admin, KEY, 1)
        if threshold:
            rules = version.files["award_rules.dmn"].replace(
                '"rule_bk_btc_threshold"><text>2/3<', f'"rule_bk_btc_threshold"><text>{threshold}<'
            )
            version_files.save_rules(session, admin, KEY, version.version, "award_rules.dmn", rules)
        if condition:
            xml = version.bpmn_xml.replace('len(tally["passed"]) &gt; 0', condition)
            process_versions.update_draft(session, admin, KEY, version.version, bpmn_xml=xml)
        return version.version


def snapshot(app: Flask):
    with database(app).transaction() as session:
        return {
            t.name: session.execute(select(t).order_by(*t.primary_key.columns)).all()
            for t in Base.metadata.sorted_tables
        }


def test_replay_page_names_the_nominees_who_would_fail_and_writes_nothing(app, client, api):
    one = finished(api, [4, 5])
    two = finished(api, [5, 5])
    number = draft(app, threshold="9/10")
    login(client, "admin")
    before = snapshot(app)  # after the login, which the security log records

    form = client.get(f"/admin/processes/{KEY}/versions/{number}/replay")
    assert form.status_code == 200
    assert "Phát lại" in form.get_data(as_text=True)
    page = client.get(f"/admin/processes/{KEY}/versions/{number}/replay?run=1")
    html = page.get_data(as_text=True)

    assert page.status_code == 200
    changed = re.search(r'<table[^>]*id="replay-changed".*?</table>', html, re.S).group(0)
    assert re.findall(r'<tr data-nominee="(\d+)"', changed) == [str(one["nominees"][0]["id"])]
    assert "Nguyễn Thị Hằng" in changed
    assert f'data-code="{one["code"]}"' in html
    assert f'data-code="{two["code"]}"' in html
    assert 'data-stuck="' not in html
    assert "1 trường hợp sẽ đạt hoặc không đạt khác đi" in html
    assert snapshot(app) == before


def test_replay_of_chosen_codes_and_bad_codes_name_the_field(app, client, api):
    one = finished(api, [5, 5])
    finished(api, [5, 4])
    login(client, "admin")
    url = f"/admin/processes/{KEY}/versions/1/replay"

    chosen = client.get(url, query_string={"run": "1", "codes": one["code"]})
    assert chosen.status_code == 200
    assert re.findall(r'data-code="([^"]+)"', chosen.get_data(as_text=True)) == [one["code"]]

    bad = client.get(url, query_string={"run": "1", "codes": f"{one['code']}, KHONG-CO-1"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert 'data-field="codes"' in html
    assert "Mã hồ sơ" in html
    assert "KHONG-CO-1" in html
    assert 'id="replay-codes-error"' in html

    many = client.get(url, query_string={"run": "1", "last": "tám"})
    assert many.status_code == 422
    assert 'data-field="last"' in many.get_data(as_text=True)


def test_only_administrators_open_the_trial_pages(client):
    login(client, "vanphong")
    for page in ("try", "replay"):
        assert client.get(f"/admin/processes/{KEY}/versions/1/{page}").status_code == 403


def trial(client, number, path, **choice):
    query = {"path": json.dumps(path), **choice}
    return client.get(f"/admin/processes/{KEY}/versions/{number}/try", query_string=query)


def current_step(html):
    match = re.search(r'id="trial-current" data-step="([^"]+)"', html)
    return match.group(1) if match else None


def test_try_walks_a_version_with_chosen_decisions_lighting_the_path(app, client):
    number = draft(app)
    login(client, "admin")
    before = snapshot(app)  # after the login, which the security log records

    first = client.get(f"/admin/processes/{KEY}/versions/{number}/try")
    html = first.get_data(as_text=True)
    assert first.status_code == 200
    assert current_step(html) == "prepare_dossier"
    assert "Trình lãnh đạo đơn vị" in html  # the step form's decision, as the form words it

    path = [
        {"step": "prepare_dossier", "decision": "submit"},
        {"step": "approve_at_unit", "decision": "approve"},
    ]
    page = trial(client, number, path, step="check_dossier", decision="approve")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert current_step(html) == "council_vote"
    assert "5 phiếu" in html
    carried = json.loads(
        re.search(r'name="path" value="([^"]*)"', html).group(1).replace("&#34;", '"')
    )
    assert carried[-1] == {"step": "check_dossier", "decision": "approve"}

    # Nominee 1 gets 5 of 5, nominee 2 gets 3 of 5: only the first passes the council.
    page = trial(client, number, carried, step="council_vote", agree_1="5", agree_2="3")
    html = page.get_data(as_text=True)
    assert current_step(html) == "conclude_council"
    assert re.search(r'data-nominee="2" data-result="failed"', html)
    completed = re.search(r'data-completed="([^"]*)"', html).group(1).replace("&#34;", '"')
    assert {"check_dossier", "council_vote", "count_votes"} <= set(json.loads(completed))
    assert 'data-current="[&#34;conclude_council&#34;]"' in html

    rest = [
        *carried,
        {"step": "council_vote", "agree": {"1": 5, "2": 3}},
        {"step": "conclude_council", "decision": "confirm"},
        {"step": "sign_submission", "decision": "approve"},
        {"step": "appraise_at_ministry", "decision": "approve"},
        {"step": "ministry_council", "decision": "approve"},
        {"step": "minister_decision", "decision": "award"},
    ]
    page = trial(client, number, rest, step="publish_result", decision="publish")
    html = page.get_data(as_text=True)
    assert 'id="trial-finished"' in html
    assert re.search(r'data-nominee="1" data-result="awarded"', html)
    assert "Bộ trưởng" in html  # the steps done, with their roles
    assert snapshot(app) == before


def test_try_refuses_a_choice_that_does_not_fit_naming_the_field(app, client):
    login(client, "admin")
    wrong = trial(client, 1, [], step="council_vote", decision="approve")
    assert wrong.status_code == 422
    assert 'data-field="path"' in wrong.get_data(as_text=True)
    garbled = client.get(f"/admin/processes/{KEY}/versions/1/try?path=%5B%7B")
    assert garbled.status_code == 422
    assert "Các lựa chọn chạy thử" in garbled.get_data(as_text=True)
    unknown = client.get(f"/admin/processes/{KEY}/versions/1/try?award_form=xyz")
    assert unknown.status_code == 422
    assert 'data-field="award_form"' in unknown.get_data(as_text=True)


def test_a_draft_that_blows_up_is_a_reported_problem_not_a_500(app, client, api):
    finished(api, [5, 5])
    number = draft(app, condition="len(str(10 ** 10 ** 8)) &gt; 0")
    login(client, "admin")
    path = [
        {"step": "prepare_dossier", "decision": "submit"},
        {"step": "approve_at_unit", "decision": "approve"},
        {"step": "check_dossier", "decision": "approve"},
        {"step": "council_vote", "agree": {"1": 5, "2": 5}},
    ]
    page = trial(client, number, path, step="conclude_council", decision="confirm")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="trial-engine-problem"' in html
    assert 'data-problem="[&#34;gw_council&#34;]"' in html

    replay = client.get(f"/admin/processes/{KEY}/versions/{number}/replay?run=1")
    assert replay.status_code == 200
    assert 'data-stuck="engine_error"' in replay.get_data(as_text=True)


def test_a_version_that_cannot_run_says_so(app, client):
    with database(app).transaction() as session:
        admin = actor_named(session, "admin")
        version = version_files.copy_to_draft(session, admin, KEY, 1)
        process_versions.update_draft(
            session, admin, KEY, version.version, bpmn_xml="<definitions/>"
        )
        number = version.version
    login(client, "admin")
    for url in ("try", "replay?run=1"):
        page = client.get(f"/admin/processes/{KEY}/versions/{number}/{url}")
        assert page.status_code == 409
        assert "Phiên bản này không chạy được" in page.get_data(as_text=True)
