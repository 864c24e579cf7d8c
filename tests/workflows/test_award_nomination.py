"""The shipped diagram, branch by branch, with a save/load between every step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.workflows.conftest import MEMBERS

ALL_AGREE = {m: {"11": "agree", "12": "agree"} for m in MEMBERS}


def to_council(d) -> None:
    d.do("prepare_dossier", {"decision": "submit"})
    d.do("approve_at_unit", {"decision": "approve"})
    d.do("check_dossier", {"decision": "approve"})


def to_ministry(d, votes=None) -> None:
    to_council(d)
    d.vote(votes or ALL_AGREE)
    d.do("conclude_council", {"decision": "confirm"})
    d.do("sign_submission", {"decision": "approve", "submission_number": "12/TTr-STC"})


def test_first_step_is_prepare_dossier_for_the_unit_officer(driver):
    d = driver()
    [task] = d.ready()
    assert (task.element_id, task.role, task.form) == (
        "prepare_dossier",
        "unit_officer",
        "prepare_dossier.json",
    )
    assert task.time_limit_days == 5
    assert task.name == "Lập hồ sơ đề nghị khen thưởng"


def test_bk_btc_regular_path_awards_only_nominees_that_reach_the_threshold(driver):
    d = driver()
    to_council(d)
    assert d.ready_steps() == ["council_vote"] * 5
    assert sorted(t.assignee for t in d.ready()) == sorted(MEMBERS)
    assert {t.role for t in d.ready()} == {"council_member"}
    # 3 of 5 agree for nominee 11 (below 2/3 of all members), 5 of 5 for nominee 12.
    d.vote(
        {m: {"11": "agree" if i < 3 else "disagree", "12": "agree"} for i, m in enumerate(MEMBERS)}
    )
    tally = d.updates("tally")
    assert tally["passed"] == ["12"]
    assert tally["failed"] == ["11"]
    assert tally["nominees"]["11"] == {"agree": 3, "disagree": 2, "members": 5, "passed": False}
    assert d.ready_steps() == ["conclude_council"]
    d.do("conclude_council", {"decision": "confirm"})
    d.do("sign_submission", {"decision": "approve", "submission_number": "12/TTr-STC"})
    d.do("appraise_at_ministry", {"decision": "approve"})
    d.do("ministry_council", {"decision": "approve"})
    assert d.ready_steps() == ["minister_decision"]
    d.do("minister_decision", {"decision": "award", "decision_number": "345/QĐ-BTC"})
    d.do("publish_result", {"decision": "publish"})
    assert d.outcome == "awarded"
    counts = d.process.visit_counts()
    assert counts["council_vote"] == 1
    assert counts["end_awarded"] == 1


@pytest.mark.parametrize(
    ("voters", "quorum_met", "passed"),
    [
        # 4 of 5 took part (quorum 2/3 met); 4 agree of 5 members reaches 2/3.
        (4, True, ["11", "12"]),
        # 3 of 5 took part: below the quorum of 2/3, nobody passes however they voted.
        (3, False, []),
    ],
)
def test_ballots_closed_without_an_opinion_count_as_absent(driver, voters, quorum_met, passed):
    d = driver()
    to_council(d)
    votes = {
        m: ({"11": "agree", "12": "agree"} if i < voters else {}) for i, m in enumerate(MEMBERS)
    }
    d.vote(votes)
    tally = d.updates("tally")
    assert (tally["voted"], tally["quorum_met"], tally["passed"]) == (voters, quorum_met, passed)
    assert tally["nominees"]["11"]["agree"] == voters


def test_unit_head_return_goes_back_to_the_officer(driver):
    d = driver()
    d.do("prepare_dossier", {"decision": "submit"})
    d.do("approve_at_unit", {"decision": "return", "comment": "Thiếu báo cáo"})
    assert d.ready_steps() == ["prepare_dossier"]
    d.do("prepare_dossier", {"decision": "submit"})
    assert d.ready_steps() == ["approve_at_unit"]


def test_office_return_loops_to_the_unit_and_back(driver):
    d = driver()
    d.do("prepare_dossier", {"decision": "submit"})
    d.do("approve_at_unit", {"decision": "approve"})
    d.do("check_dossier", {"decision": "return", "comment": "Bổ sung biên bản"})
    assert d.ready_steps() == ["prepare_dossier"]
    d.do("prepare_dossier", {"decision": "submit"})
    d.do("approve_at_unit", {"decision": "approve"})
    assert d.ready_steps() == ["check_dossier"]
    assert d.process.visit_counts()["prepare_dossier"] == 2


def test_office_refusal_ends_refused(driver):
    d = driver()
    d.do("prepare_dossier", {"decision": "submit"})
    d.do("approve_at_unit", {"decision": "approve"})
    d.do("check_dossier", {"decision": "refuse", "comment": "Không đủ tiêu chuẩn"})
    assert d.ready_steps() == []
    assert d.outcome == "refused"


def test_simplified_procedure_skips_the_council(driver):
    d = driver(procedure="simplified")
    to_council(d)
    assert d.ready_steps() == ["sign_submission"]
    assert "council_vote" not in d.process.visit_counts()


def test_no_nominee_passing_ends_refused_after_the_chair_confirms(driver):
    d = driver()
    to_council(d)
    d.vote(
        {
            m: {"11": "disagree", "12": "agree" if i < 2 else "disagree"}
            for i, m in enumerate(MEMBERS)
        }
    )
    assert d.updates("tally")["passed"] == []
    d.do("conclude_council", {"decision": "confirm"})
    assert d.outcome == "refused"
    assert d.process.status().end_element_id == "end_refused_council"


def test_ministry_return_goes_back_to_the_office_and_the_council_votes_again(driver):
    d = driver()
    to_ministry(d)
    d.do("appraise_at_ministry", {"decision": "return", "comment": "Bổ sung hiệp y"})
    assert d.ready_steps() == ["check_dossier"]
    d.do("check_dossier", {"decision": "approve"})
    assert d.ready_steps() == ["council_vote"] * 5
    d.vote({m: {"11": "agree", "12": "disagree"} for m in MEMBERS})
    assert d.updates("tally")["passed"] == ["11"]
    d.do("conclude_council", {"decision": "confirm"})
    assert d.ready_steps() == ["sign_submission"]


def test_director_return_goes_back_to_the_office_and_signs_after_the_new_check(driver):
    d = driver()
    to_council(d)
    d.vote(ALL_AGREE)
    d.do("conclude_council", {"decision": "confirm"})
    d.do("sign_submission", {"decision": "return", "comment": "Kiểm tra lại số liệu"})
    assert d.ready_steps() == ["check_dossier"]
    assert "appraise_at_ministry" not in d.process.visit_counts()
    d.do("check_dossier", {"decision": "approve"})
    assert d.ready_steps() == ["council_vote"] * 5
    d.vote(ALL_AGREE)
    d.do("conclude_council", {"decision": "confirm"})
    d.do("sign_submission", {"decision": "approve", "submission_number": "12/TTr-STC"})
    assert d.ready_steps() == ["appraise_at_ministry"]
    assert d.process.visit_counts()["sign_submission"] == 2


def test_director_return_of_a_simplified_dossier_skips_the_council_again(driver):
    d = driver(procedure="simplified")
    to_council(d)
    d.do("sign_submission", {"decision": "return", "comment": "Thiếu hiệp y"})
    assert d.ready_steps() == ["check_dossier"]
    d.do("check_dossier", {"decision": "return", "comment": "Bổ sung hiệp y"})
    assert d.ready_steps() == ["prepare_dossier"]


@pytest.mark.parametrize(
    ("step", "data", "end"),
    [
        ("appraise_at_ministry", {"decision": "refuse", "comment": "x"}, "end_refused_ministry"),
        ("ministry_council", {"decision": "refuse", "comment": "x"}, "end_refused_ministry"),
        ("minister_decision", {"decision": "refuse", "comment": "x"}, "end_refused_minister"),
    ],
)
def test_refusals_at_the_ministry(driver, step, data, end):
    d = driver()
    to_ministry(d)
    for earlier in ["appraise_at_ministry", "ministry_council", "minister_decision"]:
        if earlier == step:
            break
        d.do(earlier, {"decision": "approve"})
    d.do(step, data)
    assert d.outcome == "refused"
    assert d.process.status().end_element_id == end


def wait_out_public_comment(d) -> None:
    """A Huân chương's list is open to comments for 10 working days before the Director signs:
    nobody has a step meanwhile; the worker's pass after the window moves it on."""
    assert d.ready_steps() == []
    armed = datetime.now(UTC)
    due = d.process.status().next_timer_at
    # 10 working days, the arming day the first, span a weekend at least: armed early on a
    # Monday (Vietnam's time) they end that Friday week, 11 days and some hours later.
    assert due - armed >= timedelta(days=11)
    d.reload()
    d.process.refresh_timers(due - timedelta(minutes=1))
    assert d.ready_steps() == []
    d.process.refresh_timers(due + timedelta(minutes=1))
    assert d.ready_steps() == ["sign_submission"]


@pytest.mark.parametrize("award_form", ["bk_ttg", "hcld_1", "hcld_2", "hcld_3"])
def test_central_levels_award(driver, award_form):
    d = driver(award_form=award_form)
    to_council(d)
    d.vote(ALL_AGREE)
    d.do("conclude_council", {"decision": "confirm"})
    if award_form.startswith("hcld"):
        wait_out_public_comment(d)
    d.do("sign_submission", {"decision": "approve", "submission_number": "12/TTr-STC"})
    d.do("appraise_at_ministry", {"decision": "approve"})
    d.do("ministry_council", {"decision": "approve"})
    assert d.ready_steps() == ["sign_ministry_submission"]
    d.do("sign_ministry_submission", {"decision": "approve"})
    assert d.ready_steps() == ["record_central_result"]
    d.do("record_central_result", {"decision": "award", "decision_number": "1/QĐ-TTg"})
    d.do("publish_result", {"decision": "publish"})
    assert d.outcome == "awarded"


def test_central_refusal_and_return(driver):
    d = driver(award_form="bk_ttg")
    to_ministry(d)
    d.do("appraise_at_ministry", {"decision": "approve"})
    d.do("ministry_council", {"decision": "approve"})
    d.do("sign_ministry_submission", {"decision": "approve"})
    d.do("record_central_result", {"decision": "return", "comment": "Bổ sung"})
    assert d.ready_steps() == ["appraise_at_ministry"]
    d.do("appraise_at_ministry", {"decision": "approve"})
    d.do("ministry_council", {"decision": "approve"})
    d.do("sign_ministry_submission", {"decision": "approve"})
    d.do("record_central_result", {"decision": "refuse", "comment": "Không đạt"})
    assert d.outcome == "refused"
    assert d.process.status().end_element_id == "end_refused_central"


def test_rules_come_from_the_decision_table(driver):
    d = driver(award_form="hcld_3")
    to_council(d)
    rules = next(s for s in d.steps if s.element_id == "load_council_rules")
    assert rules.updates == {
        "quorum": pytest.approx(2 / 3),
        "threshold": pytest.approx(2 / 3),
        "secret": True,  # a state award: the council votes by secret ballot
    }


def test_completed_task_cannot_be_completed_twice(driver):
    from workflows import TaskNotReadyError

    d = driver()
    [task] = d.ready()
    d.process.complete(task.task_id, {"decision": "submit"})
    with pytest.raises(TaskNotReadyError):
        d.process.complete(task.task_id, {"decision": "submit"})


def test_saved_state_holds_no_spec(driver):
    d = driver()
    import json
    import zlib

    state = json.loads(zlib.decompress(d.process.dump()))
    assert "spec" not in state
    assert "subprocess_specs" not in state
    assert len(d.process.dump()) < 4000
