"""The process pages: the catalogue, a version's page, comparing two versions and moving running
dossiers (dry run, move, undo), for administrators only."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from tests.conftest import actor_named
from tests.web.pages import csrf_token, login
from tests.web.test_api_paths import to_ministry
from tests.workflows.conftest import BPMN_DIR
from tests.workflows.variants import with_deputy_review, without_ministry_council
from webapp.models import Event, InstanceMove, ProcessInstance, ProcessVersion, Role, WorkItem
from webapp.request_db import database
from webapp.services import process_versions, version_moves
from webapp.services.seeding import ensure_roles

KEY = "award_nomination"
CATALOGUE = "/admin/processes"
MOVES = f"/admin/processes/{KEY}/moves"


def add_version(app: Flask, bpmn: bytes, *, deploy: bool = False) -> int:
    """A new version of the shipped process with `bpmn` and the shipped forms and rules."""
    with database(app).transaction() as session:
        ensure_roles(session)
        if session.get(Role, "deputy_director") is None:
            session.add(Role(code="deputy_director", name="Phó Giám đốc Sở"))
            session.flush()
        _xml, files = process_versions.read_bundle_dir(BPMN_DIR, KEY)
        admin = actor_named(session, "admin")
        version = process_versions.create_version(session, admin, KEY, bpmn.decode(), files)
        assert version.problems == []
        if deploy:
            process_versions.deploy_version(session, admin, KEY, version.version)
        return version.version


def version_state(app: Flask, number: int) -> tuple[str, int]:
    with database(app).transaction() as session:
        version = process_versions.get_version(session, KEY, number)
        return version.status, version.id


def instances(app: Flask, dossier_ids: list[int]) -> dict[int, int]:
    """dossier id -> the version number its process instance runs on."""
    with database(app).transaction() as session:
        rows = session.execute(
            select(ProcessInstance.dossier_id, ProcessVersion.version)
            .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
            .where(ProcessInstance.dossier_id.in_(dossier_ids))
        ).all()
        return dict(rows)


def events(app: Flask, action: str) -> list[tuple[int, dict]]:
    with database(app).transaction() as session:
        rows = session.execute(
            select(Event.dossier_id, Event.data).where(Event.action == action)
        ).all()
        return [(dossier_id, data) for dossier_id, data in rows]


def open_steps(app: Flask, dossier_id: int) -> list[str]:
    with database(app).transaction() as session:
        return sorted(
            session.scalars(
                select(WorkItem.step).where(
                    WorkItem.dossier_id == dossier_id, WorkItem.status == "open"
                )
            )
        )


def at_check(api, count: int) -> list[dict]:
    """`count` dossiers waiting at check_dossier (the Department Office's check)."""
    dossiers = []
    for _ in range(count):
        dossier = api.start()
        api.do("canbo_ns", dossier["id"], "prepare_dossier", {"decision": "submit"})
        dossier = api.do(
            "truongphong_ns", dossier["id"], "approve_at_unit", {"decision": "approve"}
        )
        assert [c["step"] for c in dossier["current"]] == ["check_dossier"]
        dossiers.append(dossier)
    return dossiers


def row(html: str, attribute: str, value: str) -> str:
    """The <tr> of a table whose `attribute` is `value`."""
    match = re.search(rf'<tr[^>]*{attribute}="{re.escape(value)}"[^>]*>(.*?)</tr>', html, re.S)
    assert match, f"no row with {attribute}={value}"
    return match.group(0)


def token(client, url: str = CATALOGUE) -> str:
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return csrf_token(page.get_data(as_text=True))


@pytest.fixture
def admin(client):
    login(client, "admin")
    return client


# --- who may see the pages -----------------------------------------------------------------


PAGES = [
    CATALOGUE,
    f"/admin/processes/{KEY}/versions/1",
    f"/admin/processes/{KEY}/compare?a=1&b=1",
    f"/admin/processes/{KEY}/compare.json?a=1&b=1",
    MOVES,
]


@pytest.mark.parametrize("url", PAGES)
def test_pages_are_for_administrators_only(client, url):
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert "/login" in anonymous.headers["Location"]
    login(client, "vanphong")
    assert client.get(url).status_code == 403


def test_actions_are_for_administrators_only(app, client):
    login(client, "vanphong")
    csrf = csrf_token(client.get("/work").get_data(as_text=True))
    for url in (
        f"/admin/processes/{KEY}/versions/1/copy",
        f"/admin/processes/{KEY}/versions/1/deploy",
        f"/admin/processes/{KEY}/versions/1/delete",
        MOVES,
        f"{MOVES}/00000000-0000-0000-0000-000000000000/undo",
    ):
        assert client.post(url, data={"csrf_token": csrf}).status_code == 403, url
    with database(app).transaction() as session:
        assert (
            session.scalar(select(ProcessVersion.version).order_by(ProcessVersion.version.desc()))
            == 1
        )


# --- catalogue, copy, deploy ---------------------------------------------------------------


def test_catalogue_lists_versions_with_running_dossiers(app, admin, api):
    for _ in range(2):
        api.start()
    add_version(app, with_deputy_review())
    page = admin.get(CATALOGUE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    first = row(html, "data-version", "1")
    assert 'data-status="deployed"' in first
    assert 'data-running="2"' in first
    assert "Quản trị hệ thống" in row(html, "data-version", "2")  # created by, full name
    second = row(html, "data-version", "2")
    assert 'data-status="draft"' in second
    assert 'data-running="0"' in second
    assert 'data-problems="0"' in second
    # A clean draft offers deploying and comparing with the deployed version; the deployed
    # version is not deployed again, and its dossiers may be moved.
    assert 'data-action="deploy"' in second
    assert f"/admin/processes/{KEY}/compare?a=1&amp;b=2" in second
    assert 'data-action="deploy"' not in first
    assert 'data-action="moves"' in first
    assert f"/admin/processes/{KEY}/versions/1/modeler" in first
    # The admin sub-navigation, with the processes entry current.
    assert re.search(r'class="nav-link[^"]* active"[^>]*href="/admin/processes"', html)
    assert 'href="/admin/users"' in html


def test_copy_as_draft_then_deploy(app, admin):
    csrf = token(admin)
    copied = admin.post(f"/admin/processes/{KEY}/versions/1/copy", data={"csrf_token": csrf})
    assert copied.status_code == 302
    assert copied.headers["Location"].endswith(f"/admin/processes/{KEY}/versions/2")
    assert version_state(app, 2)[0] == "draft"
    page = admin.get(f"/admin/processes/{KEY}/versions/2").get_data(as_text=True)
    assert 'data-action="deploy"' in page

    deployed = admin.post(
        f"/admin/processes/{KEY}/versions/2/deploy",
        data={"csrf_token": csrf, "return_to": "version"},
    )
    assert deployed.status_code == 302
    assert deployed.headers["Location"].endswith(f"/admin/processes/{KEY}/versions/2")
    assert version_state(app, 2)[0] == "deployed"
    assert version_state(app, 1)[0] == "retired"
    html = admin.get(CATALOGUE).get_data(as_text=True)
    assert 'data-status="deployed"' in row(html, "data-version", "2")
    assert 'data-status="retired"' in row(html, "data-version", "1")

    # Only a draft is deployed from here: the retired version stays retired.
    again = admin.post(
        f"/admin/processes/{KEY}/versions/1/deploy",
        data={"csrf_token": csrf},
        follow_redirects=True,
    )
    assert again.status_code == 200
    assert version_state(app, 1)[0] == "retired"
    assert version_state(app, 2)[0] == "deployed"


def test_a_draft_with_problems_is_not_deployed_and_its_problems_are_listed(app, admin):
    broken = with_deputy_review(form="missing_form.json")
    with database(app).transaction() as session:
        ensure_roles(session)
        _xml, files = process_versions.read_bundle_dir(BPMN_DIR, KEY)
        version = process_versions.create_version(
            session, actor_named(session, "admin"), KEY, broken.decode(), files
        )
        number = version.version
        assert version.problems
    page = admin.get(f"/admin/processes/{KEY}/versions/{number}")
    html = page.get_data(as_text=True)
    problems = re.search(r'<table[^>]*id="problems-table".*?</table>', html, re.S).group(0)
    assert "unknown_form" in problems  # the form the step names is not in the version
    assert "unknown_role" in problems  # deputy_director is not a role here
    assert f"/versions/{number}/modeler#element=deputy_review" in problems
    assert 'data-action="deploy"' not in html
    refused = admin.post(
        f"/admin/processes/{KEY}/versions/{number}/deploy",
        data={"csrf_token": csrf_token(html)},
    )
    assert refused.status_code == 302
    assert version_state(app, number)[0] == "draft"
    assert version_state(app, 1)[0] == "deployed"


def test_missing_version_is_404_and_bad_csrf_is_400(admin):
    assert admin.get(f"/admin/processes/{KEY}/versions/99").status_code == 404
    assert admin.post(f"/admin/processes/{KEY}/versions/1/copy", data={}).status_code == 400


def test_a_draft_never_deployed_is_deleted_after_asking(app, admin):
    number = add_version(app, with_deputy_review())
    html = admin.get(CATALOGUE).get_data(as_text=True)
    draft_row = row(html, "data-version", str(number))
    assert 'data-action="delete"' in draft_row
    assert 'data-action="delete"' not in row(html, "data-version", "1")  # deployed
    # The button only opens a dialog; the dialog's form is what deletes.
    dialog = re.search(rf'<div class="modal fade" id="delete-{KEY}-{number}".*?</form>', html, re.S)
    assert dialog
    assert f'action="/admin/processes/{KEY}/versions/{number}/delete"' in dialog.group(0)
    assert 'data-action="delete-confirm"' in dialog.group(0)
    page = admin.get(f"/admin/processes/{KEY}/versions/{number}").get_data(as_text=True)
    assert 'data-action="delete"' in page
    assert 'data-action="delete"' not in admin.get(f"/admin/processes/{KEY}/versions/1").get_data(
        as_text=True
    )

    url = f"/admin/processes/{KEY}/versions/{number}/delete"
    assert admin.post(url, data={}).status_code == 400  # no CSRF token: nothing deleted
    assert version_state(app, number)[0] == "draft"
    deleted = admin.post(url, data={"csrf_token": csrf_token(page)})
    assert deleted.status_code == 302
    assert deleted.headers["Location"].endswith(CATALOGUE)
    assert f'data-version="{number}"' not in admin.get(CATALOGUE).get_data(as_text=True)
    assert admin.post(url, data={"csrf_token": csrf_token(page)}).status_code == 404


def test_a_deployed_or_retired_version_is_not_deleted(app, admin):
    number = add_version(app, with_deputy_review(), deploy=True)
    csrf = token(admin)
    for kept in (1, number):  # retired, deployed
        refused = admin.post(
            f"/admin/processes/{KEY}/versions/{kept}/delete", data={"csrf_token": csrf}
        )
        assert refused.status_code == 409
        assert "Chỉ xóa được bản nháp chưa từng áp dụng" in refused.get_data(as_text=True)
    assert version_state(app, 1)[0] == "retired"
    assert version_state(app, number)[0] == "deployed"


def test_saving_in_the_modeler_names_the_new_version_in_the_heading(app, admin):
    modeler = f"/admin/processes/{KEY}/versions/1/modeler"
    html = admin.get(modeler).get_data(as_text=True)
    assert re.search(r'id="modeler-title">[^<]*\b1<', html)
    xml = admin.get(f"/admin/processes/{KEY}/versions/1/bpmn").get_data(as_text=True)
    saved = admin.post(modeler, json={"xml": xml}, headers={"X-CSRFToken": csrf_token(html)})
    assert saved.status_code == 201
    version = saved.get_json()["version"]
    assert version["number"] == 2
    # What the page's script puts in the heading and the window title after the save.
    assert re.fullmatch(r"\D*2", version["title"])
    assert version["page_title"].endswith(f"{KEY} 2")
    assert version["name"]
    page = admin.get(version["urls"]["modeler"]).get_data(as_text=True)
    assert re.search(r'id="modeler-title">[^<]*\b2<', page)
    assert f"<title>{version['page_title']} ·" in page


# --- compare -------------------------------------------------------------------------------


def selected(html: str, field: str) -> str:
    """The version chosen in the compare form's `field` (a: before, b: after)."""
    select_html = re.search(rf'<select[^>]*id="compare-{field}".*?</select>', html, re.S).group(0)
    return re.search(r'<option value="(\d+)" selected>', select_html).group(1)


def test_compare_puts_the_older_version_before_whichever_order_was_picked(app, admin):
    number = add_version(app, with_deputy_review())
    for query in (f"a={number}&b=1", f"a=1&b={number}"):
        html = admin.get(f"/admin/processes/{KEY}/compare?{query}").get_data(as_text=True)
        assert (selected(html, "a"), selected(html, "b")) == ("1", str(number)), query
        assert 'data-change="added"' in row(html, "data-element", "deputy_review")
        assert f"/admin/processes/{KEY}/compare.json?a=1&amp;b={number}" in html
    data = admin.get(f"/admin/processes/{KEY}/compare.json?a={number}&b=1").get_json()
    assert (data["a"]["number"], data["b"]["number"]) == (1, number)
    assert "deputy_review" in data["markers"]["b"]["added"]
    # The catalogue's link from an older version compares it with the deployed (newer) one:
    # still older on the left.
    newer = add_version(app, without_ministry_council(), deploy=True)
    html = admin.get(f"/admin/processes/{KEY}/compare?a={newer}&b=1").get_data(as_text=True)
    assert (selected(html, "a"), selected(html, "b")) == ("1", str(newer))
    # Swap shows the newer one first on purpose, and the diagrams follow.
    swap = re.search(r'href="([^"]*)" id="compare-swap"', html).group(1).replace("&amp;", "&")
    assert "newer_first=1" in swap
    swapped = admin.get(swap).get_data(as_text=True)
    assert (selected(swapped, "a"), selected(swapped, "b")) == (str(newer), "1")
    assert 'data-change="added"' in row(swapped, "data-element", "ministry_council")
    assert "newer_first=1" in re.search(r'data-url="([^"]*)"', swapped).group(1)
    data = admin.get(f"/admin/processes/{KEY}/compare.json?a={newer}&b=1&newer_first=1").get_json()
    assert (data["a"]["number"], data["b"]["number"]) == (newer, 1)


def test_compare_shows_the_added_deputy_step(app, admin):
    number = add_version(app, with_deputy_review())
    page = admin.get(f"/admin/processes/{KEY}/compare?a=1&b={number}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    added = row(html, "data-element", "deputy_review")
    assert 'data-change="added"' in added
    assert "Phó Giám đốc xem xét" in added
    assert "Phó Giám đốc Sở" in added  # its lane
    rewired = row(html, "data-flow", "f_council_pass")
    assert 'data-change="changed"' in rewired
    assert "deputy_review" in rewired
    assert 'data-change="removed"' not in html
    # Two viewers fed by the JSON endpoint, no inline script.
    assert f"/admin/processes/{KEY}/compare.json?a=1&amp;b={number}" in html
    assert "bpmn-navigated-viewer.production.min.js" in html
    assert "<script>" not in html

    data = admin.get(f"/admin/processes/{KEY}/compare.json?a=1&b={number}").get_json()
    assert "deputy_review" in data["b"]["xml"]
    assert "deputy_review" not in data["a"]["xml"]
    assert "deputy_review" in data["markers"]["b"]["added"]
    assert "f_council_pass" in data["markers"]["a"]["changed"]
    assert data["markers"]["a"]["removed"] == []


def test_compare_lists_removed_steps_and_refuses_unknown_versions(app, admin):
    number = add_version(app, without_ministry_council())
    html = admin.get(f"/admin/processes/{KEY}/compare?a=1&b={number}").get_data(as_text=True)
    assert 'data-change="removed"' in row(html, "data-element", "ministry_council")
    bad = admin.get(f"/admin/processes/{KEY}/compare?a=1&b=77")
    assert bad.status_code == 422
    assert 'id="compare-b-error"' in bad.get_data(as_text=True)
    assert admin.get(f"/admin/processes/{KEY}/compare.json?a=1&b=77").status_code == 404
    assert admin.get(f"/admin/processes/{KEY}/compare.json?a=x").status_code == 400
    assert admin.get("/admin/processes/nope/compare").status_code == 404


# --- moves ---------------------------------------------------------------------------------


def move_form(admin, data: dict) -> tuple[int, str]:
    if data.get("action") == "move":  # a move asks why; its own tests are in test_move_reason
        data = {"reason": "Áp dụng quy trình mới", **data}
    csrf = token(admin, MOVES)
    response = admin.post(MOVES, data={"csrf_token": csrf, **data})
    return response.status_code, response.get_data(as_text=True)


def test_dry_run_move_and_undo(app, admin, api):
    dossiers = at_check(api, 3)
    ids = [d["id"] for d in dossiers]
    other = api.start()  # still at prepare_dossier: not selected
    number = add_version(app, with_deputy_review(), deploy=True)

    page = admin.get(MOVES).get_data(as_text=True)
    # The defaults: from the retired version 1 (the one with dossiers) to the deployed one.
    assert re.search(r'<option value="1" selected>', page)
    assert re.search(rf'<option value="{number}" selected>', page)

    selection = {"from": "1", "to": str(number), "select": "step", "step": "check_dossier"}
    status, html = move_form(admin, {**selection, "action": "preview"})
    assert status == 200
    for dossier in dossiers:
        line = row(html, "data-dossier", dossier["code"])
        assert 'data-can-move="yes"' in line
        assert "check_dossier" in line
    assert other["code"] not in re.search(r'id="preview-table".*?</table>', html, re.S).group(0)
    assert set(instances(app, ids).values()) == {1}  # a dry run moves nothing
    assert events(app, "moved") == []

    status, html = move_form(admin, {**selection, "action": "move"})
    assert status == 200
    batch = re.search(r'id="move-batch">([0-9a-f-]+)<', html).group(1)
    assert set(instances(app, ids).values()) == {number}
    assert instances(app, [other["id"]]) == {other["id"]: 1}
    moved = events(app, "moved")
    assert sorted(d for d, _data in moved) == sorted(ids)
    assert all(data["batch"] == batch and data["to_version"] == number for _d, data in moved)
    assert all(open_steps(app, i) == ["check_dossier"] for i in ids)

    # The batch is listed with its undo button; undoing puts every dossier back.
    listed = admin.get(MOVES).get_data(as_text=True)
    assert row(listed, "data-batch", batch)
    undone = admin.post(
        f"{MOVES}/{batch}/undo", data={"csrf_token": csrf_token(listed)}, follow_redirects=True
    )
    assert undone.status_code == 200
    assert set(instances(app, ids).values()) == {1}
    assert sorted(d for d, _data in events(app, "move_undone")) == sorted(ids)
    assert f'data-batch="{batch}"' not in undone.get_data(as_text=True)
    with database(app).transaction() as session:
        assert session.scalar(
            select(InstanceMove.undone_at).where(InstanceMove.batch == batch).limit(1)
        )
    # Undoing twice changes nothing and says so.
    again = admin.post(f"{MOVES}/{batch}/undo", data={"csrf_token": csrf_token(listed)})
    assert again.status_code == 302
    assert len(events(app, "move_undone")) == len(ids)


def test_move_by_dossier_codes(app, admin, api):
    first, second = at_check(api, 2)
    number = add_version(app, with_deputy_review(), deploy=True)
    data = {"from": "1", "to": str(number), "select": "codes", "codes": first["code"]}
    status, html = move_form(admin, {**data, "action": "move"})
    assert status == 200
    assert instances(app, [first["id"], second["id"]]) == {first["id"]: number, second["id"]: 1}

    # Unknown codes and dossiers not on the version are refused beside the field; nothing moves.
    status, html = move_form(
        admin,
        {**data, "codes": f"{second['code']}, NO-SUCH-CODE\n{first['code']}", "action": "move"},
    )
    assert status == 422
    error = re.search(r'id="codes-error"[^>]*>([^<]+)<', html).group(1)
    assert "NO-SUCH-CODE" in error
    assert first["code"] in error  # it runs on the new version already
    assert instances(app, [second["id"]]) == {second["id"]: 1}


def test_bad_move_choices_are_refused_beside_the_field(app, admin, api):
    at_check(api, 1)
    draft = add_version(app, with_deputy_review())  # a draft may still change: not a target
    status, html = move_form(
        admin, {"from": "1", "to": str(draft), "select": "step", "step": "check_dossier"}
    )
    assert status == 422
    assert 'id="to-error"' in html
    status, html = move_form(
        admin, {"from": "1", "to": "1", "select": "step", "step": "check_dossier"}
    )
    assert status == 422
    assert 'id="to-error"' in html
    deployed = add_version(app, with_deputy_review(), deploy=True)
    status, html = move_form(
        admin, {"from": "1", "to": str(deployed), "select": "step", "step": "no_such_step"}
    )
    assert status == 422
    assert 'id="step-error"' in html
    assert events(app, "moved") == []


def test_too_many_dossiers_at_once_are_refused_in_vietnamese(app, admin, api, monkeypatch):
    at_check(api, 3)
    deployed = add_version(app, with_deputy_review(), deploy=True)
    monkeypatch.setattr(version_moves, "MAX_BATCH", 2)
    status, html = move_form(
        admin,
        {
            "from": "1",
            "to": str(deployed),
            "select": "step",
            "step": "check_dossier",
            "action": "move",
        },
    )
    assert status == 422
    error = html[html.index('id="step-error"') :]
    assert "mỗi lần chuyển tối đa 2 hồ sơ" in error[: error.index("</div>")]
    assert events(app, "moved") == []


def test_a_dossier_at_a_removed_step_moves_only_when_mapped(app, admin, api):
    dossier = to_ministry(api, api.start())
    api.do("chuyenvien_bo", dossier["id"], "appraise_at_ministry", {"decision": "approve"})
    assert open_steps(app, dossier["id"]) == ["ministry_council"]
    number = add_version(app, without_ministry_council(), deploy=True)
    selection = {"from": "1", "to": str(number), "select": "step", "step": "ministry_council"}

    page = admin.get(f"{MOVES}?from=1&to={number}").get_data(as_text=True)
    mapping = re.search(r'<select[^>]*name="map-ministry_council".*?</select>', page, re.S)
    assert mapping, "no mapping select for the removed step"
    assert 'value="minister_decision"' in mapping.group(0)
    assert 'value="council_vote"' not in mapping.group(0)  # a vote is not a plain user task

    status, html = move_form(admin, {**selection, "action": "preview"})
    line = row(html, "data-dossier", dossier["code"])
    assert 'data-can-move="no"' in line
    status, html = move_form(admin, {**selection, "action": "move"})
    assert 'id="stayed-dossiers"' in html
    assert instances(app, [dossier["id"]]) == {dossier["id"]: 1}

    # A mapping to a step the new version does not offer is refused beside its select.
    status, html = move_form(admin, {**selection, "map-ministry_council": "council_vote"})
    assert status == 422
    assert 'id="map-ministry_council-error"' in html

    mapped = {**selection, "map-ministry_council": "minister_decision"}
    status, html = move_form(admin, {**mapped, "action": "preview"})
    line = row(html, "data-dossier", dossier["code"])
    assert 'data-can-move="yes"' in line
    assert "minister_decision" in line
    status, html = move_form(admin, {**mapped, "action": "move"})
    assert status == 200
    assert instances(app, [dossier["id"]]) == {dossier["id"]: number}
    assert open_steps(app, dossier["id"]) == ["minister_decision"]
    [(_id, data)] = events(app, "moved")
    assert data["mapping"] == {"ministry_council": "minister_decision"}
