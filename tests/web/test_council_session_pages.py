"""The council session pages: the secretary records the meeting and attendance; secretary and
chair follow who has voted (and who sent a written opinion), never what anyone chose."""

from __future__ import annotations

import re

from tests.web.pages import login, submit

MEMBERS = ["giamdoc", "hoidong1", "hoidong2", "hoidong3", "hoidong4"]


def _secret_vote(api) -> tuple[int, list[str]]:
    dossier = api.start(award_form="bk_ttg")
    did = dossier["id"]
    api.do("canbo_ns", did, "prepare_dossier", {"decision": "submit"})
    api.do("truongphong_ns", did, "approve_at_unit", {"decision": "approve"})
    api.do("vanphong", did, "check_dossier", {"decision": "approve"})
    return did, [str(n["id"]) for n in dossier["nominees"]]


def _member_state(page: str, username: str) -> str:
    match = re.search(rf'data-member="{username}".*?data-state="(\w+)"', page, re.S)
    assert match, username
    return match.group(1)


def test_the_secretary_records_the_meeting_and_follows_the_vote(app, api, client):
    did, ids = _secret_vote(api)
    login(client, "vanphong")
    dossier_page = client.get(f"/dossiers/{did}").get_data(as_text=True)
    assert f'href="/council/{did}" id="council-session-link"' in dossier_page
    listing = client.get("/council").get_data(as_text=True)
    assert f"/council/{did}" in listing
    url = f"/council/{did}"
    page = client.get(url).get_data(as_text=True)
    assert "Bỏ phiếu kín" in page
    refused = submit(client, url, {"meeting_date": "2026-12-05", "place": "", "present": []})
    assert refused.status_code == 422
    assert "Hãy nhập địa điểm họp" in refused.get_data(as_text=True)
    done = submit(
        client,
        url,
        {
            "meeting_date": "2026-12-05",
            "place": "Phòng họp tầng 3",
            "present": ["giamdoc", "hoidong1", "hoidong2", "hoidong3"],
        },
    )
    assert done.status_code == 302
    # hoidong4 is absent: their ballot is a written opinion, counted like a vote.
    api.do("hoidong1", did, "council_vote", {"votes": dict.fromkeys(ids, "disagree")})
    api.do("hoidong4", did, "council_vote", {"votes": dict.fromkeys(ids, "agree")})
    page = client.get(url).get_data(as_text=True)
    assert _member_state(page, "hoidong1") == "voted"
    assert _member_state(page, "hoidong4") == "written"
    assert _member_state(page, "hoidong2") == "waiting"
    assert "Vắng mặt" in page
    assert "Không đồng ý" not in page  # no choice anywhere on the page
    # The chair follows the same progress; a member may not open the session.
    chair, member = app.test_client(), app.test_client()
    login(chair, "giamdoc")
    assert _member_state(chair.get(url).get_data(as_text=True), "hoidong3") == "waiting"
    login(member, "hoidong2")
    assert member.get(url).status_code == 403
    assert 'id="council-session-link"' not in member.get(f"/dossiers/{did}").get_data(as_text=True)


def test_the_tally_and_the_conclusion_show_on_the_session_page(api, client):
    did, ids = _secret_vote(api)
    for member in MEMBERS:
        api.do(member, did, "council_vote", {"votes": dict.fromkeys(ids, "agree")})
    api.do("giamdoc", did, "conclude_council", {"decision": "confirm", "comment": "Nhất trí"})
    login(client, "vanphong")
    page = client.get(f"/council/{did}").get_data(as_text=True)
    assert 'id="council-tally"' in page
    assert "5/5" in page
    assert "Nhất trí" in page


def test_the_ballot_page_says_secret_and_written_opinion(app, api, client):
    did, _ids = _secret_vote(api)
    login(client, "vanphong")
    submit(
        client,
        f"/council/{did}",
        {"meeting_date": "2026-12-05", "online": "y", "present": MEMBERS[:4]},
    )
    absent = app.test_client()
    login(absent, "hoidong4")
    [ballot] = api.items("hoidong4", did, "council_vote")
    page = absent.get(f"/work/{ballot['id']}").get_data(as_text=True)
    assert 'id="written-opinion"' in page
    assert 'id="secret-ballot"' in page
    assert 'name="comment"' not in page  # a remark could say what the member chose
    assert 'name="attachments"' not in page
    present = app.test_client()
    login(present, "hoidong1")
    [own] = api.items("hoidong1", did, "council_vote")
    page = present.get(f"/work/{own['id']}").get_data(as_text=True)
    assert 'id="secret-ballot"' in page
    assert 'id="written-opinion"' not in page


def test_an_open_ballot_page_keeps_its_remark_and_files(app, api, client):
    dossier = api.start()
    did = dossier["id"]
    api.do("canbo_ns", did, "prepare_dossier", {"decision": "submit"})
    api.do("truongphong_ns", did, "approve_at_unit", {"decision": "approve"})
    api.do("vanphong", did, "check_dossier", {"decision": "approve"})
    login(client, "hoidong1")
    [ballot] = api.items("hoidong1", did, "council_vote")
    page = client.get(f"/work/{ballot['id']}").get_data(as_text=True)
    assert 'name="comment"' in page
    assert 'id="secret-ballot"' not in page
