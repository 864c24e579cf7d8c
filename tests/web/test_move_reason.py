"""A move of running dossiers says why: the page asks for a reason (not for the dry run), and
the reason is written in every moved dossier's history and in the list of recent moves; an undo
may say why too."""

from __future__ import annotations

import re

from tests.web.pages import csrf_token, login
from tests.web.test_admin_processes import (
    MOVES,
    add_version,
    at_check,
    events,
    instances,
    row,
    token,
)
from tests.workflows.variants import with_deputy_review
from webapp.services.version_moves import MAX_REASON_CHARS

REASON = "Thông tư mới bổ sung bước Phó Giám đốc xem xét"


def post(admin, data: dict) -> tuple[int, str]:
    response = admin.post(MOVES, data={"csrf_token": token(admin, MOVES), **data})
    return response.status_code, response.get_data(as_text=True)


def setup(app, api, client) -> tuple[list[int], dict]:
    ids = [d["id"] for d in at_check(api, 2)]
    number = add_version(app, with_deputy_review(), deploy=True)
    login(client, "admin")
    return ids, {"from": "1", "to": str(number), "select": "step", "step": "check_dossier"}


def reason_error(html: str) -> str:
    match = re.search(r'id="reason-error"[^>]*>([^<]+)<', html)
    assert match, "no error beside the reason"
    return match.group(1)


def test_a_move_without_a_reason_is_refused_beside_the_field(app, api, client):
    ids, selection = setup(app, api, client)
    for blank in ("", "   \n "):
        status, html = post(client, {**selection, "reason": blank, "action": "move"})
        assert status == 422
        assert reason_error(html).startswith("Lý do")
        assert 'aria-describedby="reason-help reason-error"' in html
    status, html = post(client, {**selection, "action": "move"})
    assert status == 422
    assert reason_error(html).startswith("Lý do")
    assert set(instances(app, ids).values()) == {1}
    assert events(app, "moved") == []


def test_the_dry_run_needs_no_reason(app, api, client):
    ids, selection = setup(app, api, client)
    status, html = post(client, {**selection, "action": "preview"})
    assert status == 200
    assert 'id="reason-error"' not in html
    assert html.count('data-can-move="yes"') == len(ids)


def test_a_reason_too_long_is_refused_and_nothing_moves(app, api, client):
    ids, selection = setup(app, api, client)
    too_long = "x" * (MAX_REASON_CHARS + 1)
    status, html = post(client, {**selection, "reason": too_long, "action": "move"})
    assert status == 422
    assert reason_error(html) == f"Lý do: tối đa {MAX_REASON_CHARS} ký tự."
    assert too_long in html  # kept in the field to shorten
    assert set(instances(app, ids).values()) == {1}


def test_the_reason_goes_into_each_history_and_the_list_of_moves(app, api, client):
    ids, selection = setup(app, api, client)
    status, html = post(client, {**selection, "reason": f"  {REASON}\n", "action": "move"})
    assert status == 200
    assert f"Lý do: {REASON}" in html
    batch = re.search(r'id="move-batch">([0-9a-f-]+)<', html).group(1)
    moved = events(app, "moved")
    assert sorted(d for d, _ in moved) == sorted(ids)
    assert {data["reason"] for _, data in moved} == {REASON}

    listed = client.get(MOVES).get_data(as_text=True)
    assert REASON in row(listed, "data-batch", batch)

    undone = client.post(
        f"{MOVES}/{batch}/undo",
        data={"csrf_token": csrf_token(listed), "reason": "Chuyển nhầm"},
        follow_redirects=True,
    )
    assert undone.status_code == 200
    assert {data["reason"] for _, data in events(app, "move_undone")} == {"Chuyển nhầm"}


def test_an_undo_needs_no_reason_but_refuses_one_too_long(app, api, client):
    ids, selection = setup(app, api, client)
    _status, html = post(client, {**selection, "reason": REASON, "action": "move"})
    batch = re.search(r'id="move-batch">([0-9a-f-]+)<', html).group(1)
    listed = client.get(MOVES).get_data(as_text=True)
    refused = client.post(
        f"{MOVES}/{batch}/undo",
        data={"csrf_token": csrf_token(listed), "reason": "x" * (MAX_REASON_CHARS + 1)},
        follow_redirects=True,
    )
    assert f"Lý do: tối đa {MAX_REASON_CHARS} ký tự." in refused.get_data(as_text=True)
    assert set(instances(app, ids).values()) != {1}  # nothing undone
    assert events(app, "move_undone") == []

    client.post(f"{MOVES}/{batch}/undo", data={"csrf_token": csrf_token(listed)})
    assert set(instances(app, ids).values()) == {1}
    assert {data["reason"] for _, data in events(app, "move_undone")} == {None}
