"""Dossiers through the API as the demo users, along every path the Department uses."""

from __future__ import annotations

MEMBERS = ["giamdoc", "hoidong1", "hoidong2", "hoidong3", "hoidong4"]


def submit_to_council(api, dossier_id):
    api.do("canbo_ns", dossier_id, "prepare_dossier", {"decision": "submit"})
    api.do("truongphong_ns", dossier_id, "approve_at_unit", {"decision": "approve"})
    return api.do("vanphong", dossier_id, "check_dossier", {"decision": "approve"})


def vote(api, dossier_id, ballots):
    dossier = None
    for member, votes in ballots.items():
        dossier = api.do(member, dossier_id, "council_vote", {"votes": votes})
    return dossier


def to_ministry(api, dossier, ballots=None):
    first, second = (str(n["id"]) for n in dossier["nominees"])
    submit_to_council(api, dossier["id"])
    vote(api, dossier["id"], ballots or {m: {first: "agree", second: "agree"} for m in MEMBERS})
    api.do("giamdoc", dossier["id"], "conclude_council", {"decision": "confirm"})
    return api.do(
        "giamdoc",
        dossier["id"],
        "sign_submission",
        {"decision": "approve", "submission_number": "12/TTr-STC", "submission_date": "2026-11-29"},
    )


def test_bk_btc_regular_dossier_goes_from_preparation_to_awarded(api):
    dossier = api.start()
    assert dossier["status"] == "in_progress"
    assert dossier["process"] == {"key": "award_nomination", "version": 1}
    assert [c["step"] for c in dossier["current"]] == ["prepare_dossier"]
    did = dossier["id"]
    first, second = (str(n["id"]) for n in dossier["nominees"])

    after_check = submit_to_council(api, did)
    assert sorted(c["assignee"] for c in after_check["current"]) == sorted(MEMBERS)
    # 3 of 5 agree with the first nominee, 5 of 5 with the second.
    ballots = {
        m: {first: "agree" if i < 3 else "disagree", second: "agree"} for i, m in enumerate(MEMBERS)
    }
    after_vote = vote(api, did, ballots)
    assert [c["step"] for c in after_vote["current"]] == ["conclude_council"]
    results = {n["id"]: (n["result"], n["council"]) for n in after_vote["nominees"]}
    assert results[int(first)] == ("failed", {"agree": 3, "disagree": 2, "members": 5})
    assert results[int(second)] == ("passed", {"agree": 5, "disagree": 0, "members": 5})

    api.do("giamdoc", did, "conclude_council", {"decision": "confirm", "comment": "Nhất trí"})
    signed = api.do(
        "giamdoc",
        did,
        "sign_submission",
        {"decision": "approve", "submission_number": "12/TTr-STC", "submission_date": "2026-11-29"},
    )
    assert signed["submission"] == {"number": "12/TTr-STC", "date": "2026-11-29"}
    api.do("chuyenvien_bo", did, "appraise_at_ministry", {"decision": "approve"})
    api.do("chuyenvien_bo", did, "ministry_council", {"decision": "approve"})
    api.do(
        "botruong",
        did,
        "minister_decision",
        {
            "decision": "award",
            "decision_number": "345/QĐ-BTC",
            "decision_date": "2026-12-01",
            "signer": "Bộ trưởng",
        },
    )
    final = api.do("vanphong", did, "publish_result", {"decision": "publish"})

    assert final["status"] == "awarded"
    assert final["current"] == []
    nominees = {n["id"]: n for n in final["nominees"]}
    assert nominees[int(second)]["result"] == "awarded"
    assert nominees[int(second)]["decision"]["number"] == "345/QĐ-BTC"
    assert nominees[int(first)]["result"] == "failed"
    assert nominees[int(first)]["decision"] is None

    completed = [h for h in final["history"] if h["action"] == "completed"]
    assert [h["step"] for h in completed] == [
        "prepare_dossier",
        "approve_at_unit",
        "check_dossier",
        *["council_vote"] * 5,
        "conclude_council",
        "sign_submission",
        "appraise_at_ministry",
        "ministry_council",
        "minister_decision",
        "publish_result",
    ]
    assert [h["actor"] for h in completed][:3] == ["canbo_ns", "truongphong_ns", "vanphong"]
    assert all(h["at"] and h["at"].endswith("+07:00") for h in final["history"])
    conclude = next(h for h in completed if h["step"] == "conclude_council")
    assert (conclude["decision"], conclude["comment"]) == ("confirm", "Nhất trí")
    assert final["history"][-1]["action"] == "ended"


def test_return_at_check_goes_back_to_the_unit_which_resubmits(api):
    dossier = api.start()
    did = dossier["id"]
    api.do("canbo_ns", did, "prepare_dossier", {"decision": "submit"})
    api.do("truongphong_ns", did, "approve_at_unit", {"decision": "approve"})
    returned = api.do(
        "vanphong",
        did,
        "check_dossier",
        {"decision": "return", "comment": "Bổ sung báo cáo thành tích"},
    )
    assert returned["status"] == "returned"
    assert [c["step"] for c in returned["current"]] == ["prepare_dossier"]
    assert returned["history"][-1]["comment"] == "Bổ sung báo cáo thành tích"
    assert api.items("canbo_ns", did, "prepare_dossier")

    resubmitted = api.do(
        "canbo_ns", did, "prepare_dossier", {"decision": "submit", "comment": "Đã bổ sung"}
    )
    assert resubmitted["status"] == "in_progress"
    api.do("truongphong_ns", did, "approve_at_unit", {"decision": "approve"})
    assert api.items("vanphong", did, "check_dossier")


def test_simplified_procedure_never_creates_council_votes(api):
    dossier = api.start(
        procedure="simplified", simplified_reason="Thành tích đột xuất trong phòng, chống dịch"
    )
    after = submit_to_council(api, dossier["id"])
    assert [c["step"] for c in after["current"]] == ["sign_submission"]
    assert all(not api.items(m, dossier["id"], "council_vote") for m in MEMBERS)
    steps = {h["step"] for h in api.dossier(dossier["id"])["history"]}
    assert "council_vote" not in steps


def test_bk_ttg_reaches_central_result_and_ends_as_recorded(api):
    awarded = api.start(award_form="bk_ttg")
    refused = api.start(award_form="bk_ttg")
    for dossier in (awarded, refused):
        to_ministry(api, dossier)
        api.do("chuyenvien_bo", dossier["id"], "appraise_at_ministry", {"decision": "approve"})
        api.do("chuyenvien_bo", dossier["id"], "ministry_council", {"decision": "approve"})
        at_minister = api.do(
            "botruong", dossier["id"], "sign_ministry_submission", {"decision": "approve"}
        )
        assert [c["step"] for c in at_minister["current"]] == ["record_central_result"]
    api.do(
        "chuyenvien_bo",
        awarded["id"],
        "record_central_result",
        {
            "decision": "award",
            "decision_number": "1234/QĐ-TTg",
            "decision_date": "2027-01-15",
            "decided_by": "Thủ tướng Chính phủ",
        },
    )
    final = api.do("vanphong", awarded["id"], "publish_result", {"decision": "publish"})
    assert final["status"] == "awarded"
    assert {n["decision"]["decided_by"] for n in final["nominees"]} == {"Thủ tướng Chính phủ"}

    final = api.do(
        "chuyenvien_bo",
        refused["id"],
        "record_central_result",
        {"decision": "refuse", "comment": "Ban TĐKT Trung ương không đề nghị"},
    )
    assert final["status"] == "refused"
    assert {n["result"] for n in final["nominees"]} == {"refused"}


def test_no_votes_passing_refuses_the_dossier(api):
    dossier = api.start()
    first, second = (str(n["id"]) for n in dossier["nominees"])
    submit_to_council(api, dossier["id"])
    vote(
        api,
        dossier["id"],
        {
            m: {first: "disagree", second: "agree" if i < 3 else "disagree"}
            for i, m in enumerate(MEMBERS)
        },
    )
    final = api.do("giamdoc", dossier["id"], "conclude_council", {"decision": "confirm"})
    assert final["status"] == "refused"
    assert final["current"] == []
    assert {n["result"] for n in final["nominees"]} == {"failed"}


def test_minister_may_refuse_some_nominees(api):
    dossier = api.start()
    first, _second = (str(n["id"]) for n in dossier["nominees"])
    to_ministry(api, dossier)
    api.do("chuyenvien_bo", dossier["id"], "appraise_at_ministry", {"decision": "approve"})
    api.do("chuyenvien_bo", dossier["id"], "ministry_council", {"decision": "approve"})
    api.do(
        "botruong",
        dossier["id"],
        "minister_decision",
        {"decision": "award", "decision_number": "346/QĐ-BTC", "refused_nominees": [first]},
    )
    final = api.do("vanphong", dossier["id"], "publish_result", {"decision": "publish"})
    assert final["status"] == "partly_awarded"
    assert sorted(n["result"] for n in final["nominees"]) == ["awarded", "refused"]


def test_ministry_return_goes_back_to_the_office(api):
    dossier = api.start()
    to_ministry(api, dossier)
    back = api.do(
        "chuyenvien_bo",
        dossier["id"],
        "appraise_at_ministry",
        {"decision": "return", "comment": "Bổ sung biên bản họp Hội đồng"},
    )
    assert back["status"] == "returned"
    assert [c["step"] for c in back["current"]] == ["check_dossier"]


def test_director_return_goes_back_to_the_office_and_a_blank_reason_is_refused(api):
    dossier = api.start()
    did = dossier["id"]
    first, second = (str(n["id"]) for n in dossier["nominees"])
    submit_to_council(api, did)
    vote(api, did, {m: {first: "agree", second: "agree"} for m in MEMBERS})
    api.do("giamdoc", did, "conclude_council", {"decision": "confirm"})

    refused = api.complete(
        "giamdoc", did, "sign_submission", {"decision": "return", "comment": " "}
    )
    assert refused.status_code == 422
    assert "comment" in refused.json["error"]["fields"]
    assert api.items("giamdoc", did, "sign_submission")  # nothing changed

    back = api.do(
        "giamdoc",
        did,
        "sign_submission",
        {"decision": "return", "comment": "Kiểm tra lại số liệu thành tích"},
    )
    assert back["status"] == "returned"
    assert [c["step"] for c in back["current"]] == ["check_dossier"]
    assert back["submission"]["number"] is None
    assert back["history"][-1]["decision"] == "return"
    # The Office checks again; the council votes again and the Director signs this time.
    api.do("vanphong", did, "check_dossier", {"decision": "approve"})
    vote(api, did, {m: {first: "agree", second: "agree"} for m in MEMBERS})
    api.do("giamdoc", did, "conclude_council", {"decision": "confirm"})
    signed = api.do(
        "giamdoc",
        did,
        "sign_submission",
        {"decision": "approve", "submission_number": "15/TTr-STC"},
    )
    assert signed["submission"]["number"] == "15/TTr-STC"
    assert [c["step"] for c in signed["current"]] == ["appraise_at_ministry"]
