"""The round's diagrams open in the modeler without import warnings (bpmn-js reads them with
bpmn-moddle: a multi-instance collection must be a declared data object, or the modeler
reports an unresolved reference and cannot save the diagram), and SpiffWorkflow still runs them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.web.pages import csrf_token, login, submit

ROOT = Path(__file__).resolve().parents[2]
# What the modeler's import does: bpmn-moddle's fromXML, whose warnings bpmn-js shows.
_READ = """
import { BpmnModdle } from 'bpmn-moddle';
import fs from 'fs';
const { warnings } = await new BpmnModdle().fromXML(fs.readFileSync(process.argv[1], 'utf8'));
console.log(JSON.stringify(warnings.map((w) => w.message)));
"""


def _import_warnings(path: Path) -> list[str]:
    node = shutil.which("node")
    assert node is not None, "node is needed to read the diagram as the modeler does"
    done = subprocess.run(  # noqa: S603 - our own script on our own diagram
        [node, "--input-type=module", "-e", _READ, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return list(json.loads(done.stdout))


@pytest.mark.parametrize("name", ["award_round.bpmn", "round_proposal.bpmn", "ministry_round.bpmn"])
def test_the_round_diagrams_open_in_the_modeler_without_warnings(name):
    assert _import_warnings(ROOT / "bpmn" / "rounds" / name) == []


def test_an_undeclared_collection_is_what_the_modeler_warns_about(tmp_path):
    # The check can fail: the same diagram without its data objects is refused as before.
    text = (ROOT / "bpmn" / "rounds" / "award_round.bpmn").read_text(encoding="utf-8")
    stripped = "\n".join(line for line in text.splitlines() if "<bpmn:dataObject " not in line)
    broken = tmp_path / "award_round.bpmn"
    broken.write_text(stripped, encoding="utf-8")
    assert "unresolved reference <award_forms>" in _import_warnings(broken)


def _round_at_vote(app) -> tuple[int, list[str]]:
    """A round (the Prime Minister's certificate: secret ballot) whose council is voting."""
    from tests.conftest import actor_named
    from tests.services.rounds_support import join, open_round, propose
    from webapp.request_db import database
    from webapp.services.rounds import steps

    with database(app).transaction() as session:
        round_ = open_round(session, forms=("bk_ttg",))
        dossier = join(session, round_, "canbo_ns", ("Nguyễn Thị Hằng", "Lê Văn Tám"), "bk_ttg")
        propose(session, dossier, "canbo_ns")
        office = actor_named(session, "vanphong")
        steps.close_intake(session, office, round_.id)
        lists = steps.compile_lists(session, office, round_.id)
        return round_.id, [str(i.nominee_id) for items in lists.values() for i in items]


def _member_state(page: str, username: str) -> str:
    match = re.search(rf'data-member="{username}".*?data-state="(\w+)"', page, re.S)
    assert match, username
    return match.group(1)


def test_the_round_council_meets_and_each_member_votes_from_the_inbox(app, client):
    round_id, keys = _round_at_vote(app)
    session_url = f"/council/rounds/{round_id}"
    ballot_url = f"/council/rounds/{round_id}/ballot"
    # The secretary records the meeting: hoidong4 is absent.
    login(client, "vanphong")
    assert f'href="{session_url}"' in client.get("/council").get_data(as_text=True)
    page = client.get(session_url).get_data(as_text=True)
    assert "Bỏ phiếu kín" in page
    present = ["giamdoc", "hoidong1", "hoidong2", "hoidong3"]
    done = submit(
        client,
        session_url,
        {"meeting_date": "2026-12-05", "place": "Phòng họp", "present": present},
    )
    assert done.status_code == 302
    # Each member finds the ballot in the inbox and casts it on the ballot page.
    members = {m: app.test_client() for m in [*present, "hoidong4"]}
    for member, browser in members.items():
        login(browser, member)
        inbox = browser.get("/work").get_data(as_text=True)
        assert f'href="{ballot_url}"' in inbox, member
    absent = members["hoidong4"].get(ballot_url).get_data(as_text=True)
    assert 'id="written-opinion"' in absent
    assert 'id="secret-ballot"' in absent
    # A ballot missing a nominee is sent back, nothing is cast.
    refused = submit(members["hoidong1"], ballot_url, {f"vote-{keys[0]}": "agree"})
    assert refused.status_code == 422
    page = client.get(session_url).get_data(as_text=True)
    assert _member_state(page, "hoidong1") == "waiting"
    for member in ["hoidong1", "hoidong4"]:
        cast = submit(members[member], ballot_url, {f"vote-{k}": "agree" for k in keys})
        assert cast.status_code == 302
        assert f'href="{ballot_url}"' not in members[member].get("/work").get_data(as_text=True)
    assert members["hoidong1"].get(ballot_url).status_code == 409  # not twice
    page = client.get(session_url).get_data(as_text=True)
    assert _member_state(page, "hoidong1") == "voted"
    assert _member_state(page, "hoidong4") == "written"
    assert _member_state(page, "hoidong2") == "waiting"
    assert "Đồng ý" not in page  # no choice on the session page
    # The others vote; the tally per nominee shows on the session page (5 of 5 agree).
    for member in ["giamdoc", "hoidong2", "hoidong3"]:
        submit(members[member], ballot_url, {f"vote-{k}": "agree" for k in keys})
    page = client.get(session_url).get_data(as_text=True)
    assert 'id="council-tally"' in page
    assert page.count("5/5") == len(keys)
    # Someone outside the council has no ballot and no session page.
    outsider = app.test_client()
    login(outsider, "canbo_ns")
    assert outsider.get(ballot_url).status_code == 403
    assert outsider.get(session_url).status_code == 403
    # The chair's conclusion form on the round page starts from the count; sent as it is, the
    # council's session is concluded and the minutes keep the tally.
    chair = members["giamdoc"]
    round_page = chair.get(f"/rounds/{round_id}").get_data(as_text=True)
    for key in keys:
        assert f'id="result-{key}-passed" value="passed" checked' in round_page
    assert f'href="{session_url}" id="council-session-link"' in round_page
    # The round's history says who voted (a written opinion for the absent), never a choice.
    assert round_page.count("Một thành viên Hội đồng đã bỏ phiếu") == 4
    assert "Một thành viên Hội đồng vắng mặt đã gửi ý kiến bằng văn bản" in round_page
    assert "Đã kiểm phiếu của Hội đồng" in round_page
    concluded = chair.post(
        f"/rounds/{round_id}/conclusion",
        data={"csrf_token": csrf_token(round_page), **{f"result-{k}": "passed" for k in keys}},
    )
    assert concluded.status_code == 302
    page = client.get(session_url).get_data(as_text=True)
    assert 'id="council-conclusion"' in page
    # The day reads dd/mm/yyyy like the rest of the page, in Vietnam's time zone.
    conclusion = page.split('id="council-conclusion">')[1].split("</p>")[0]
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y")
    assert today in conclusion
