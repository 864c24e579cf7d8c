"""Every error status of the API: who may see and do what, and bad input that changes nothing."""

from __future__ import annotations

import threading

import pytest


def dossier_at_check(api):
    dossier = api.start()
    api.do("canbo_ns", dossier["id"], "prepare_dossier", {"decision": "submit"})
    api.do("truongphong_ns", dossier["id"], "approve_at_unit", {"decision": "approve"})
    return dossier


def test_other_department_sees_nothing_of_bac_ninh(api):
    dossier = dossier_at_check(api)
    [item] = api.items("vanphong", dossier["id"], "check_dossier")
    assert api.get(f"/api/v1/dossiers/{dossier['id']}", "vanphong_hn").status_code == 404
    assert api.get(f"/api/v1/work-items/{item['id']}", "vanphong_hn").status_code == 404
    response = api.post(
        f"/api/v1/work-items/{item['id']}/complete",
        "vanphong_hn",
        json={"data": {"decision": "approve"}},
    )
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert api.items("vanphong_hn", dossier["id"]) == []
    listing = api.get("/api/v1/dossiers", "vanphong_hn").json
    assert listing["total"] == 0
    # ... and the same dossier is there for Bắc Ninh's office, unchanged.
    assert api.dossier(dossier["id"])["current"][0]["step"] == "check_dossier"


def test_a_council_member_cannot_check_a_dossier(api):
    dossier = dossier_at_check(api)
    [item] = api.items("vanphong", dossier["id"], "check_dossier")
    response = api.post(
        f"/api/v1/work-items/{item['id']}/complete",
        "hoidong1",
        json={"data": {"decision": "approve"}},
    )
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    assert api.dossier(dossier["id"])["current"][0]["step"] == "check_dossier"


def test_anonymous_and_bad_tokens_get_401(api, client):
    assert client.get("/api/v1/work-items").status_code == 401
    assert client.get("/api/v1/dossiers").status_code == 401
    bad = client.get("/api/v1/dossiers", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert bad.json["error"]["code"] == "token_invalid"
    assert client.post("/api/v1/dossiers", json={}).status_code == 401


def test_wrong_password_gets_the_same_401_as_an_unknown_user(client):
    wrong = client.post("/api/v1/tokens", json={"username": "vanphong", "password": "x"})
    unknown = client.post("/api/v1/tokens", json={"username": "nobody", "password": "x"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json == unknown.json


def test_revoked_token_stops_working(client):
    token = client.post("/api/v1/tokens", json={"username": "vanphong", "password": "demo"}).json
    headers = {"Authorization": f"Bearer {token['token']}"}
    assert client.get("/api/v1/work-items", headers=headers).status_code == 200
    assert client.delete("/api/v1/tokens/current", headers=headers).status_code == 204
    assert client.get("/api/v1/work-items", headers=headers).status_code == 401


def test_malformed_json_is_400_and_changes_nothing(api):
    dossier = dossier_at_check(api)
    [item] = api.items("vanphong", dossier["id"], "check_dossier")
    response = api.client.post(
        f"/api/v1/work-items/{item['id']}/complete",
        headers={**api.headers("vanphong"), "Content-Type": "application/json"},
        data=b'{"data": {"decision": ',
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "malformed_json"
    start = api.client.post("/api/v1/dossiers", headers=api.headers("canbo_ns"), data=b"not json")
    assert start.status_code == 400
    assert api.dossier(dossier["id"])["current"][0]["step"] == "check_dossier"


def test_unknown_award_form_is_422_naming_the_field_and_creates_nothing(api):
    before = api.get("/api/v1/dossiers", "canbo_ns").json["total"]
    body = {
        "title": "Hồ sơ",
        "award_form": "bk_xyz",
        "track": "ad_hoc",
        "procedure": "regular",
        "nominees": [{"kind": "individual", "name": "Nguyễn Văn A"}],
    }
    response = api.post("/api/v1/dossiers", "canbo_ns", json=body)
    assert response.status_code == 422
    assert "award_form" in response.json["error"]["fields"]
    assert api.get("/api/v1/dossiers", "canbo_ns").json["total"] == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"nominees": []}, "nominees"),
        ({"nominees": [{"kind": "robot", "name": "X"}]}, "nominees.0.kind"),
        ({"nominees": [{"kind": "individual", "name": "  "}]}, "nominees.0.name"),
        (
            {"nominees": [{"kind": "individual", "name": "A", "birth_date": "12/03/1985"}]},
            "nominees.0.birth_date",
        ),
        ({"procedure": "simplified", "simplified_reason": None}, "simplified_reason"),
        ({"title": ""}, "title"),
        ({"colour": "red"}, "colour"),
        ({"movement_id": 987654}, "movement_id"),
    ],
)
def test_invalid_dossiers_are_422_with_the_field(api, body, field):
    base = {
        "title": "Hồ sơ",
        "award_form": "bk_btc",
        "track": "ad_hoc",
        "procedure": "regular",
        "nominees": [{"kind": "individual", "name": "Nguyễn Văn A"}],
    }
    response = api.post("/api/v1/dossiers", "canbo_ns", json={**base, **body})
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"], response.json


def test_only_unit_officers_start_dossiers(api):
    response = api.post("/api/v1/dossiers", "vanphong", json={})
    assert response.status_code == 403


def test_return_without_comment_is_422_and_changes_nothing(api):
    dossier = dossier_at_check(api)
    for data in ({"decision": "return"}, {"decision": "return", "comment": "   "}):
        response = api.complete("vanphong", dossier["id"], "check_dossier", data)
        assert response.status_code == 422
        assert "comment" in response.json["error"]["fields"]
    response = api.complete(
        "vanphong", dossier["id"], "check_dossier", {"decision": "return", "comment": None}
    )
    assert response.json["error"]["fields"] == {"comment": "is required"}
    response = api.complete("vanphong", dossier["id"], "check_dossier", {"decision": "maybe"})
    assert response.status_code == 422
    assert "decision" in response.json["error"]["fields"]
    after = api.dossier(dossier["id"])
    assert after["current"][0]["step"] == "check_dossier"
    assert after["status"] == "in_progress"
    assert [h["step"] for h in after["history"] if h["action"] == "completed"] == [
        "prepare_dossier",
        "approve_at_unit",
    ]


def test_missing_data_is_422(api):
    dossier = dossier_at_check(api)
    [item] = api.items("vanphong", dossier["id"], "check_dossier")
    response = api.post(f"/api/v1/work-items/{item['id']}/complete", "vanphong", json={})
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"data": "is required"}


def test_vote_for_a_nominee_of_another_dossier_is_422_and_changes_nothing(api):
    dossier = dossier_at_check(api)
    other = api.start(title="Hồ sơ khác")
    api.do("vanphong", dossier["id"], "check_dossier", {"decision": "approve"})
    own = [str(n["id"]) for n in dossier["nominees"]]
    foreign = str(other["nominees"][0]["id"])
    votes = {own[0]: "agree", own[1]: "agree", foreign: "agree"}
    response = api.complete("hoidong1", dossier["id"], "council_vote", {"votes": votes})
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {
        f"votes.{foreign}": "is not a nominee of this dossier"
    }
    assert api.items("hoidong1", dossier["id"], "council_vote")
    missing = api.complete("hoidong1", dossier["id"], "council_vote", {"votes": {own[0]: "agree"}})
    assert missing.status_code == 422
    assert f"votes.{own[1]}" in missing.json["error"]["fields"]
    votes_cast = [h for h in api.dossier(dossier["id"])["history"] if h["step"] == "council_vote"]
    assert votes_cast == []


def test_a_member_votes_once_and_cannot_take_another_members_ballot(api):
    dossier = dossier_at_check(api)
    api.do("vanphong", dossier["id"], "check_dossier", {"decision": "approve"})
    votes = {str(n["id"]): "agree" for n in dossier["nominees"]}
    [mine] = api.items("hoidong1", dossier["id"], "council_vote")
    [theirs] = api.items("hoidong2", dossier["id"], "council_vote")
    assert (
        api.post(
            f"/api/v1/work-items/{mine['id']}/complete", "hoidong1", json={"data": {"votes": votes}}
        ).status_code
        == 200
    )
    again = api.post(
        f"/api/v1/work-items/{mine['id']}/complete", "hoidong1", json={"data": {"votes": votes}}
    )
    assert again.status_code == 409
    assert (
        api.post(
            f"/api/v1/work-items/{theirs['id']}/complete",
            "hoidong1",
            json={"data": {"votes": votes}},
        ).status_code
        == 403
    )


def test_unknown_dossier_and_item_are_404(api):
    assert api.get("/api/v1/dossiers/999999", "vanphong").status_code == 404
    assert api.get("/api/v1/work-items/999999", "vanphong").status_code == 404
    assert api.get("/api/v1/no-such-thing", "vanphong").status_code == 404
    assert api.get("/api/v1/no-such-thing", "vanphong").json["error"]["code"] == "not_found"


def test_bad_list_parameters_are_422(api):
    assert api.get("/api/v1/dossiers?page=x", "vanphong").status_code == 422
    assert api.get("/api/v1/dossiers?per_page=5000", "vanphong").status_code == 422
    assert api.get("/api/v1/dossiers?status=lost", "vanphong").status_code == 422
    assert api.get("/api/v1/dossiers?overdue=perhaps", "vanphong").status_code == 422
    assert api.get("/api/v1/dossiers?page=0", "vanphong").status_code == 422
    assert api.get("/api/v1/dossiers?award_form=bk_xyz", "vanphong").status_code == 422


def test_two_clients_completing_the_same_item_at_once(app, api):
    dossier = dossier_at_check(api)
    [item] = api.items("vanphong", dossier["id"], "check_dossier")
    headers = api.headers("vanphong")
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def complete() -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            f"/api/v1/work-items/{item['id']}/complete",
            headers=headers,
            json={"data": {"decision": "approve"}},
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=complete) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409]
    after = api.dossier(dossier["id"])
    assert [h["step"] for h in after["history"] if h["action"] == "completed"].count(
        "check_dossier"
    ) == 1
    assert len([c for c in after["current"] if c["step"] == "council_vote"]) == 5


def test_claim_and_release(api):
    dossier = dossier_at_check(api)
    [item] = api.items("vanphong", dossier["id"], "check_dossier")
    claimed = api.post(f"/api/v1/work-items/{item['id']}/claim", "vanphong")
    assert claimed.status_code == 200
    assert claimed.json["claimed_by"] == "vanphong"
    assert api.dossier(dossier["id"])["current"][0]["claimed_by"] == "vanphong"
    released = api.post(f"/api/v1/work-items/{item['id']}/release", "vanphong")
    assert released.json["claimed_by"] is None
    assert api.post(f"/api/v1/work-items/{item['id']}/claim", "hoidong1").status_code == 403
    actions = [h["action"] for h in api.dossier(dossier["id"])["history"]]
    assert actions[-2:] == ["claimed", "released"]


def test_work_item_shows_its_form(api):
    dossier = dossier_at_check(api)
    [item] = api.items("vanphong", dossier["id"], "check_dossier")
    detail = api.get(f"/api/v1/work-items/{item['id']}", "vanphong").json
    assert detail["form"]["title"] == "Kiểm tra hồ sơ"
    assert set(detail["form"]["properties"]) == {"decision", "comment"}
    assert detail["dossier_code"] == dossier["code"]
