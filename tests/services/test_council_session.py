"""The council session: the secretary records the meeting and attendance, absent members'
written opinions count in the tally and the quorum, the chair concludes, the minutes' data is
kept."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete, select

from tests.conftest import actor_named
from webapp.models import CouncilSession, Dossier, OrgUnit, RoleAssignment, User, WorkItem
from webapp.services import council_closing, council_session, dossiers, draft_replay, work_items
from webapp.services.auth import hash_password
from webapp.services.errors import ConflictError, InvalidDataError, PermissionDeniedError

PRESENT = ["giamdoc", "hoidong1", "hoidong2", "hoidong3", "hoidong4"]
ABSENT = ["hoidong5", "hoidong6"]
EXTRA = {"hoidong5": "Lương Văn Tài", "hoidong6": "Mạc Thị Yến"}


@pytest.fixture
def seven_members(db):
    """The Department's council grows to seven for the test (and shrinks back afterwards)."""
    unit = db.scalars(select(OrgUnit).where(OrgUnit.code == "BN")).one()
    added = []
    for username, name in EXTRA.items():
        user = db.scalars(select(User).where(User.username == username)).first()
        if user is None:
            user = User(
                username=username,
                full_name=name,
                password_hash=hash_password("demo"),
                unit_id=unit.id,
            )
            db.add(user)
            db.flush()
        user.active = True
        db.add(RoleAssignment(user_id=user.id, role="council_member", unit_id=unit.id))
        added.append(user.id)
    db.commit()
    yield
    db.rollback()
    db.execute(delete(RoleAssignment).where(RoleAssignment.user_id.in_(added)))
    for user in db.scalars(select(User).where(User.id.in_(added))):
        user.active = False
    db.commit()


def _do(db, user, dossier_id, step, data):
    actor = actor_named(db, user)
    item = db.scalars(
        select(WorkItem).where(
            WorkItem.dossier_id == dossier_id,
            WorkItem.step == step,
            WorkItem.status == "open",
            (WorkItem.assignee_id.is_(None)) | (WorkItem.assignee_id == actor.user_id),
        )
    ).first()
    assert item is not None, f"no open {step} for {user}"
    work_items.complete_work_item(db, actor, item.id, data)
    db.commit()


def _at_vote(db) -> tuple[int, list[str]]:
    body = {
        "title": "Đề nghị tặng Bằng khen của Thủ tướng Chính phủ",
        "award_form": "bk_ttg",
        "track": "ad_hoc",
        "procedure": "regular",
        "nominees": [
            {"kind": "individual", "name": "Nguyễn Văn An"},
            {"kind": "individual", "name": "Lê Thị Bình"},
        ],
    }
    dossier = dossiers.start_dossier(db, actor_named(db, "canbo_ns"), body)
    db.commit()
    did = dossier.id
    _do(db, "canbo_ns", did, "prepare_dossier", {"decision": "submit"})
    _do(db, "truongphong_ns", did, "approve_at_unit", {"decision": "approve"})
    _do(db, "vanphong", did, "check_dossier", {"decision": "approve"})
    ids = [str(n.id) for n in sorted(db.get_one(Dossier, did).nominees, key=lambda n: n.position)]
    return did, ids


def _record(db, did, present, user="vanphong"):
    council_session.record_meeting(
        db,
        actor_named(db, user),
        did,
        meeting_date="2026-12-05",
        place="Phòng họp tầng 3, Sở Tài chính",
        online=False,
        present=present,
    )
    db.commit()


def test_written_opinions_of_absent_members_count_in_the_tally(db, seven_members):
    did, (first, second) = _at_vote(db)
    assert len(db.scalars(select(WorkItem).where(WorkItem.step == "council_vote")).all()) == 7
    _record(db, did, PRESENT)
    # Present: three of five agree with the first nominee, four with the second.
    for i, member in enumerate(PRESENT):
        votes = {first: "agree" if i < 3 else "disagree", second: "agree" if i < 4 else "disagree"}
        _do(db, member, did, "council_vote", {"votes": votes})
    # Absent: both send a written opinion on their ballot; both agree with the first only.
    for member in ABSENT:
        _do(db, member, did, "council_vote", {"votes": {first: "agree", second: "disagree"}})

    dossier = db.get_one(Dossier, did)
    result = {str(n.id): (n.council_agree, n.council_members, n.result) for n in dossier.nominees}
    # 5 of 7 reach the 2/3 threshold only with the written opinions; 4 of 7 do not.
    assert result == {first: (5, 7, "passed"), second: (4, 7, "failed")}

    _do(db, "giamdoc", did, "conclude_council", {"decision": "confirm", "comment": "Nhất trí"})
    council = db.scalars(select(CouncilSession).where(CouncilSession.subject_id == did)).one()
    minutes = council.minutes
    assert council.status == "concluded"
    assert minutes["meeting"] == {
        "date": "2026-12-05",
        "place": "Phòng họp tầng 3, Sở Tài chính",
        "online": False,
    }
    assert minutes["form_of_vote"] == "secret"
    assert minutes["attendance"] == {
        **dict.fromkeys(PRESENT, "present"),
        **dict.fromkeys(ABSENT, "absent"),
    }
    assert minutes["participation"] == {
        **dict.fromkeys(PRESENT, "vote"),
        **dict.fromkeys(ABSENT, "written"),
    }
    assert minutes["tally"]["voted"] == 7
    assert minutes["tally"]["nominees"][first]["agree"] == 5
    assert minutes["conclusion"]["comment"] == "Nhất trí"
    assert minutes["conclusion"]["chair"] == "giamdoc"


def test_quorum_counts_members_present_who_voted_and_written_opinions(db, seven_members):
    did, (first, second) = _at_vote(db)
    _record(db, did, PRESENT[:4])
    # Three present members vote and one absent member writes: 4 of 7 took part, below 2/3.
    for member in [*PRESENT[:3], "hoidong5"]:
        _do(db, member, did, "council_vote", {"votes": {first: "agree", second: "agree"}})
    view = council_session.session_view(db, actor_named(db, "vanphong"), did)
    assert view.voted == {*PRESENT[:3], "hoidong5"}
    assert view.written == {"hoidong5"}
    council_closing.close_vote(db, actor_named(db, "giamdoc"), did, "Không đủ thành viên")
    db.commit()
    dossier = db.get_one(Dossier, did)
    assert {n.result for n in dossier.nominees} == {"failed"}
    assert {n.council_agree for n in dossier.nominees} == {4}
    council = db.scalars(select(CouncilSession).where(CouncilSession.subject_id == did)).one()
    assert council.minutes["tally"]["quorum_met"] is False
    assert council.minutes["tally"]["voted"] == 4


def test_one_more_written_opinion_meets_the_quorum(db, seven_members):
    did, (first, second) = _at_vote(db)
    _record(db, did, PRESENT[:4])
    for member in [*PRESENT[:3], *ABSENT]:
        _do(db, member, did, "council_vote", {"votes": {first: "agree", second: "disagree"}})
    council_closing.close_vote(db, actor_named(db, "giamdoc"), did, "Một thành viên vắng")
    db.commit()
    dossier = db.get_one(Dossier, did)
    result = {str(n.id): (n.council_agree, n.result) for n in dossier.nominees}
    assert result == {first: (5, "passed"), second: (0, "failed")}


def test_only_the_secretary_records_and_only_members_attend(db):
    did, _ids = _at_vote(db)
    with pytest.raises(PermissionDeniedError):
        _record(db, did, PRESENT, user="hoidong1")
    db.rollback()
    with pytest.raises(InvalidDataError) as refused:
        _record(db, did, [*PRESENT, "vanphong"])
    assert "present" in refused.value.fields
    db.rollback()
    with pytest.raises(InvalidDataError) as nowhere:
        council_session.record_meeting(
            db,
            actor_named(db, "vanphong"),
            did,
            meeting_date=date(2026, 12, 5),
            place="  ",
            online=False,
            present=PRESENT,
        )
    assert "place" in nowhere.value.fields
    db.rollback()
    online = council_session.record_meeting(
        db,
        actor_named(db, "vanphong"),
        did,
        meeting_date=date(2026, 12, 5),
        place="",
        online=True,
        present=PRESENT[:3],
    )
    assert (online.online, online.place) == (True, None)


def test_no_session_to_record_without_a_vote_under_way(db):
    body = {
        "title": "Hồ sơ chưa đến Hội đồng",
        "award_form": "bk_ttg",
        "track": "ad_hoc",
        "procedure": "regular",
        "nominees": [{"kind": "individual", "name": "Nguyễn Văn An"}],
    }
    dossier = dossiers.start_dossier(db, actor_named(db, "canbo_ns"), body)
    db.commit()
    with pytest.raises(ConflictError):
        _record(db, dossier.id, PRESENT)


def _finish_secret(db, agreeing: int, close_after: int | None = None) -> int:
    """A Prime Minister's certificate dossier voted by secret ballot, then refused at the
    centre: `agreeing` of the five members agree with the first nominee, all with the second."""
    did, (first, second) = _at_vote(db)
    voters = PRESENT[:close_after] if close_after else PRESENT
    for i, member in enumerate(voters):
        votes = {first: "agree" if i < agreeing else "disagree", second: "agree"}
        _do(db, member, did, "council_vote", {"votes": votes})
    if close_after:
        council_closing.close_vote(db, actor_named(db, "giamdoc"), did, "Thành viên vắng")
        db.commit()
    _do(db, "giamdoc", did, "conclude_council", {"decision": "confirm"})
    sign = {"decision": "approve", "submission_number": "12/TTr", "submission_date": "2026-12-05"}
    _do(db, "giamdoc", did, "sign_submission", sign)
    _do(db, "chuyenvien_bo", did, "appraise_at_ministry", {"decision": "approve"})
    _do(db, "chuyenvien_bo", did, "ministry_council", {"decision": "approve"})
    _do(db, "botruong", did, "sign_ministry_submission", {"decision": "approve"})
    refuse = {"decision": "refuse", "comment": "Không đủ tiêu chuẩn"}
    _do(db, "chuyenvien_bo", did, "record_central_result", refuse)
    return did


def test_a_secret_vote_replays_from_its_recorded_tally(db):
    """Replaying a finished dossier counts a secret vote from the tally it recorded (the
    ballots hold no choice): the same version decides the same, nothing is stuck."""
    ids = [_finish_secret(db, 4), _finish_secret(db, 2), _finish_secret(db, 4, close_after=4)]
    report = draft_replay.replay_on_version(db, actor_named(db, "admin"), "award_nomination", 1)
    assert {d.dossier_id for d in report.dossiers} == set(ids)
    assert report.stuck == []
    assert report.changed == []
    agrees = {
        (d.dossier_id, n.name): (n.original_agree, n.replayed_agree, n.replayed_council)
        for d in report.dossiers
        for n in d.nominees
    }
    assert agrees[(ids[0], "Nguyễn Văn An")] == (4, 4, "passed")
    assert agrees[(ids[1], "Nguyễn Văn An")] == (2, 2, "failed")
    assert agrees[(ids[2], "Nguyễn Văn An")] == (4, 4, "passed")  # 4 of 5, one closed absent
