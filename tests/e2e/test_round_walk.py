"""A round from the Office's opening to the Minister's decision, driven in a real browser.

The Office opens a round with a deadline; three units propose seven nominees in three dossiers
(one returned and corrected); the Office closes intake and compiles; the secretary records five
of seven members present; the two absent members send written opinions on their ballots; the
tally per nominee counts all seven; the chair concludes; the Director signs one tờ trình per
award form; a Ministry round takes that submission and another Department's; the Minister
decides; each unit's dossier shows its own nominees' results and its history.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.conftest import actor_named
from tests.e2e.conftest import fresh_app, log_in, serving, shot
from webapp.db import utcnow
from webapp.models import Dossier, OrgUnit, RoleAssignment, Round, RoundEntry, User, WorkItem
from webapp.request_db import database
from webapp.services import council_session, work_items
from webapp.services.auth import hash_password
from webapp.services.people import users as people
from webapp.services.rounds import lifecycle, movements, round_council, steps

PRESENT = ["giamdoc", "hoidong1", "hoidong2", "hoidong3", "hoidong4"]
ABSENT = ["hoidong5", "hoidong6"]
# Three units of the Department: officer, head, award form, nominees.
UNITS = [
    ("canbo_ns", "truongphong_ns", "bk_btc", ["Nguyễn Thị Hằng", "Trần Văn Bình", "Lê Văn Tám"]),
    ("canbo_dn", "truongphong_dn", "bk_ttg", ["Phạm Quốc Huy", "Đỗ Minh Tuấn"]),
    ("canbo_kh", "truongphong_kh", "bk_btc", ["Vũ Văn Khánh", "Hà Thị Lan"]),
]
MOVEMENT = "Phong trào thi đua tổng kết năm 2026"
RETURN_REASON = "Thiếu thành tích của cá nhân thứ hai"


def _setup_people(app: Flask) -> int:
    """Set up through services what the demo data lacks: two more council members (seven in
    all), a third division with its officer and head, the second Department's (Hà Nội) Office
    holding its roles, and the movement the rounds belong to."""
    with database(app).transaction() as session:
        bn = session.scalars(select(OrgUnit).where(OrgUnit.code == "BN")).one()
        for username, name in (("hoidong5", "Lương Văn Tài"), ("hoidong6", "Mạc Thị Yến")):
            user = User(
                username=username,
                full_name=name,
                password_hash=hash_password("demo"),
                unit_id=bn.id,
            )
            session.add(user)
            session.flush()
            session.add(RoleAssignment(user_id=user.id, role="council_member", unit_id=bn.id))
        unit = OrgUnit(
            code="BN-KHTC", name="Phòng Kế hoạch tài chính", kind="division", parent_id=bn.id
        )
        session.add(unit)
        session.flush()
        for username, role in (("canbo_kh", "unit_officer"), ("truongphong_kh", "unit_head")):
            user = User(
                username=username,
                full_name=username,
                password_hash=hash_password("demo"),
                unit_id=unit.id,
            )
            session.add(user)
            session.flush()
            session.add(RoleAssignment(user_id=user.id, role=role, unit_id=unit.id))
        admin = actor_named(session, "admin")
        hn_office = session.scalars(select(User).where(User.username == "vanphong_hn")).one()
        hn = session.scalars(select(OrgUnit).where(OrgUnit.code == "HN")).one()
        for role in ("unit_officer", "unit_head", "director", "council_chair", "council_member"):
            people.add_assignment(session, admin, hn_office.id, role=role, unit_id=hn.id)
        return movements.create_movement(
            session,
            actor_named(session, "vanphong"),
            {"code": f"KH-{uuid.uuid4().hex[:6]}", "name": MOVEMENT},
        ).id


@pytest.fixture(scope="module")
def round_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    app = fresh_app(tmp_path_factory.mktemp("round"))
    app.config["E2E_MOVEMENT_ID"] = _setup_people(app)
    return app


@pytest.fixture(scope="module")
def round_url(round_app: Flask) -> Iterator[str]:
    with serving(round_app) as url:
        yield url


def _complete(session, username: str, dossier_id: int, step: str, data: dict) -> None:
    item = session.scalars(
        select(WorkItem).where(
            WorkItem.dossier_id == dossier_id, WorkItem.step == step, WorkItem.status == "open"
        )
    ).one()
    work_items.complete_work_item(session, actor_named(session, username), item.id, data)


def _hanoi_submits(app: Flask, movement_id: int) -> int:
    """The second Department's round, through services: its Office proposes one nominee,
    its council passes it, its Director signs; the submission reaches the Ministry round."""
    with database(app).transaction() as session:
        office = actor_named(session, "vanphong_hn")
        hn_round = lifecycle.open_round(
            session,
            office,
            {
                "name": "Tổng kết năm 2026 (Hà Nội)",
                "movement_id": movement_id,
                "kind": "tong_ket",
                "award_forms": ["bk_btc"],
                "intake_deadline": (utcnow() + timedelta(days=10)).isoformat(),
            },
        )
        dossier = lifecycle.join_round(
            session,
            office,
            hn_round.id,
            {
                "title": "Đề nghị của Sở Tài chính Hà Nội",
                "award_form": "bk_btc",
                "track": "final",
                "procedure": "regular",
                "nominees": [{"kind": "individual", "name": "Đỗ Thị Hà"}],
            },
        )
        round_id, dossier_id = hn_round.id, dossier.id
    for step, data in (
        ("prepare_dossier", {"decision": "submit"}),
        ("approve_at_unit", {"decision": "approve"}),
        ("check_dossier", {"decision": "approve"}),
    ):
        with database(app).transaction() as session:
            _complete(session, "vanphong_hn", dossier_id, step, data)
    with database(app).transaction() as session:
        office = actor_named(session, "vanphong_hn")
        steps.close_intake(session, office, round_id)
        steps.compile_lists(session, office, round_id)
        nominee_id = str(session.get_one(Dossier, dossier_id).nominees[0].id)
    with database(app).transaction() as session:
        council = council_session.latest_session(session, round_council.round_subject(round_id))
        assert council is not None
        for member in council.minutes["members"]:
            round_council.cast_ballot(
                session, actor_named(session, member), round_id, {"votes": {nominee_id: "agree"}}
            )
    with database(app).transaction() as session:
        office = actor_named(session, "vanphong_hn")
        steps.record_conclusion(session, office, round_id, {nominee_id: "passed"})
        steps.sign_submission(
            session,
            office,
            round_id,
            "bk_btc",
            {"submission_number": "3/TTr-STCHN", "submission_date": "2026-12-01"},
        )
    return dossier_id


def _act(page: Page, url: str, user: str, code: str, label: str, comment: str = "") -> None:
    """Log in as `user`, open the dossier's item from the inbox, choose `label` and send."""
    log_in(page, url, user)
    page.goto(f"{url}/work")
    page.locator(f"#inbox tr[data-dossier='{code}'] a").first.click()
    button = page.get_by_role("button", name=label, exact=True)
    if button.count():
        submit = button
    else:
        page.get_by_label(label, exact=True).check()
        submit = page.get_by_role("button", name="Gửi", exact=True)
    if comment:
        page.locator("#comment").fill(comment)
    submit.click()
    expect(page.locator(".alert-success")).to_contain_text(code)


def _create_in_round(page: Page, url: str, round_id: int, officer: str, form: str, names) -> str:
    """The unit's officer creates the dossier in the round and sends it to the head."""
    log_in(page, url, officer)
    page.goto(f"{url}/dossiers/new?round_id={round_id}")
    expect(page.locator("#round_id")).to_have_value(str(round_id))
    title = f"Đề nghị khen thưởng tổng kết năm 2026 ({officer})"
    page.locator("#title").fill(title)
    page.locator("#award_form").select_option(form)
    page.locator("input[name='track'][value='final']").check()
    page.locator("input[name='procedure'][value='regular']").check()
    for index, name in enumerate(names):
        if index:
            page.locator("[data-add-row]").click()
        page.locator(f"#nominees-{index}-kind").select_option("individual")
        page.locator(f"#nominees-{index}-name").fill(name)
    page.get_by_role("button", name="Tạo và trình").click()
    expect(page.locator(".alert-success")).to_be_visible()
    page.goto(f"{url}/dossiers?q={officer}")
    row = page.locator("#tracking tbody tr", has_text=title)
    expect(row).to_have_count(1)
    return row.get_attribute("data-dossier") or ""


def test_a_round_from_opening_to_the_ministers_decision(page: Page, round_app, round_url):
    url = round_url
    movement_id = round_app.config["E2E_MOVEMENT_ID"]
    # The Office opens the round with a deadline.
    log_in(page, url, "vanphong")
    page.goto(f"{url}/rounds")
    form = page.locator("#new-round")
    form.locator("#name").fill("Tổng kết năm 2026")
    form.locator("#movement_id").select_option(str(movement_id))
    form.locator("#kind").select_option("tong_ket")
    form.locator("#award_forms").select_option(["bk_btc", "bk_ttg"])
    form.locator("#intake_deadline").fill("2099-12-20T17:00")
    form.get_by_role("button", name="Mở đợt xét").click()
    expect(page.locator("#round-status")).to_contain_text("Đang tiếp nhận hồ sơ")
    round_id = int(re.search(r"/rounds/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    with database(round_app).transaction(write=False) as session:
        assert session.get_one(Round, round_id).movement_id == movement_id

    # Three units propose seven nominees in three dossiers.
    codes = [
        _create_in_round(page, url, round_id, officer, form_code, names)
        for officer, _head, form_code, names in UNITS
    ]
    for (_officer, head, _form, _names), code in zip(UNITS, codes, strict=True):
        _act(page, url, head, code, "Đồng ý, trình Văn phòng Sở")
    # The Office accepts two and returns the third; its unit corrects it and sends it again.
    for code in codes[:2]:
        _act(page, url, "vanphong", code, "Hồ sơ hợp lệ, trình Hội đồng")
    _act(page, url, "vanphong", codes[2], "Trả lại đơn vị để bổ sung", RETURN_REASON)
    log_in(page, url, "canbo_kh")
    page.goto(f"{url}/work")
    page.locator(f"#inbox tr[data-dossier='{codes[2]}'] a").first.click()
    expect(page.locator("#return-reason")).to_contain_text(RETURN_REASON)
    page.locator("#comment").fill("Đã bổ sung thành tích")
    page.get_by_role("button", name="Trình lãnh đạo đơn vị").click()
    expect(page).to_have_url(re.compile(r"/work$"))
    _act(page, url, "truongphong_kh", codes[2], "Đồng ý, trình Văn phòng Sở")
    _act(page, url, "vanphong", codes[2], "Hồ sơ hợp lệ, trình Hội đồng")

    # The Ministry officer opens the Ministry round the submissions will go to.
    log_in(page, url, "chuyenvien_bo")
    page.goto(f"{url}/ministry-rounds")
    page.locator("#mr-name").fill("Đợt xét tổng kết của Bộ năm 2026")
    page.locator("#mr-movement").select_option(str(movement_id))
    page.locator("#mr-deadline").fill("2099-12-31")
    page.locator("#new-ministry-round button[type='submit']").click()
    expect(page.locator("#ministry-status")).to_be_visible()
    ministry_url = page.url

    # The Office closes intake and compiles the lists.
    log_in(page, url, "vanphong")
    page.goto(f"{url}/rounds/{round_id}")
    page.get_by_role("button", name="Kết thúc tiếp nhận ngay").click()
    page.get_by_role("button", name="Tổng hợp danh sách").click()
    with database(round_app).transaction(write=False) as session:
        dossiers = [
            session.get_one(Dossier, e.dossier_id)
            for e in session.scalars(
                select(RoundEntry).where(RoundEntry.round_id == round_id).order_by(RoundEntry.id)
            )
        ]
        nominees = {d.code: [n.id for n in d.nominees] for d in dossiers}
    assert sorted(len(v) for v in nominees.values()) == [2, 2, 3]
    keys = [k for code in codes for k in nominees[code]]
    assert len(keys) == 7
    last = keys[-1]  # loses three votes: four of seven is below two thirds

    # The secretary records the meeting: five of seven present.
    page.goto(f"{url}/council/rounds/{round_id}")
    expect(page.locator("#form-of-vote")).to_contain_text("kín")
    page.locator("#meeting_date").fill("2026-12-05")
    page.locator("#place").fill("Phòng họp tầng 3")
    for member in PRESENT:
        page.locator(f"#present input[value='{member}']").check()
    page.locator("#meeting-form button[type='submit']").click()
    expect(page.locator(".alert-success")).to_be_visible()

    # Five present members vote by secret ballot; the two absent send written opinions.
    for index, member in enumerate(PRESENT + ABSENT):
        log_in(page, url, member)
        page.goto(f"{url}/council/rounds/{round_id}/ballot")
        for key in keys:
            choice = "disagree" if key == last and index in (0, 2, 5) else "agree"
            page.locator(f"#vote-{key}-{choice}").check()
        page.locator("#round-ballot-form button[type='submit']").click()
        expect(page.locator(".alert-success")).to_be_visible()

    # The chair sees the tally counting all seven and concludes.
    log_in(page, url, "giamdoc")
    page.goto(f"{url}/council/rounds/{round_id}")
    members = page.locator("#council-members")
    for member in PRESENT:
        expect(members.locator(f"[data-member='{member}'] [data-state='voted']")).to_have_count(1)
    for member in ABSENT:
        row = members.locator(f"[data-member='{member}']")
        expect(row).to_contain_text("Vắng")
        expect(row.locator("[data-state='written']")).to_have_count(1)
    tally = page.locator("#council-tally")
    for key in keys:
        expect(tally.locator(f"tr[data-nominee='{key}'] td").nth(3)).to_have_text(
            "4/7" if key == last else "7/7"
        )
    page.goto(f"{url}/rounds/{round_id}")
    for key in keys:
        expect(page.locator(f"[data-tally='{key}']")).to_contain_text(
            "4/7" if key == last else "7/7"
        )
    page.locator("#conclusion-form").get_by_role("button").click()
    expect(page.locator("#sign-bk_btc")).to_be_visible()
    page.goto(f"{url}/council/rounds/{round_id}")
    expect(page.locator("#council-conclusion")).to_be_visible()
    shot(page, "round_council_session")

    # The second Department's round reaches the Ministry as well (services, see _hanoi_submits).
    hn_dossier = _hanoi_submits(round_app, movement_id)

    # The Director signs one tờ trình per award form.
    for number, form_code in enumerate(("bk_btc", "bk_ttg"), start=10):
        page.goto(f"{url}/rounds/{round_id}")
        sign = page.locator(f"#sign-{form_code}")
        sign.locator(f"#sign-{form_code}-submission_number").fill(f"{number}/TTr-STC")
        sign.locator(f"#sign-{form_code}-submission_date").fill("2026-12-06")
        sign.locator("button[type='submit']").click()
        expect(page.locator(".alert-success")).to_be_visible()
    shot(page, "round_page")

    # The Ministry officer closes the appraisal and records the Ministry council's word.
    log_in(page, url, "chuyenvien_bo")
    page.goto(ministry_url)
    submissions = page.locator("#submissions")
    expect(submissions.locator("tbody tr")).to_have_count(2)
    expect(submissions).to_contain_text("Sở Tài chính Bắc Ninh")
    page.locator("form[action$='/close'] button[type='submit']").click()
    refused = keys[0]
    page.locator(f"#result-{refused}-failed").check()
    page.locator("#ministry-council").get_by_role("button").click()
    expect(page.locator(".alert-success")).to_be_visible()

    # The Minister decides.
    log_in(page, url, "botruong")
    page.goto(ministry_url)
    page.locator("#decision-date").fill("2026-12-20")
    page.locator("#minister-decision button[type='submit']").click()
    expect(page.locator("#ministry-status")).to_contain_text("Đã hoàn thành")

    # Each unit's dossier shows its own nominees' results and the whole history.
    with database(round_app).transaction(write=False) as session:
        results = {
            d.code: {n.id: n.result for n in session.get_one(Dossier, d.id).nominees}
            for d in dossiers
        }
        hn_result = [n.result for n in session.get_one(Dossier, hn_dossier).nominees]
    assert hn_result == ["awarded"]
    for (officer, _head, form_code, names), code in zip(UNITS, codes, strict=True):
        log_in(page, url, officer)
        page.goto(f"{url}/dossiers?q={code}")
        page.locator(f"#tracking tr[data-dossier='{code}'] a").first.click()
        expect(page.locator("tr[data-nominee]")).to_have_count(len(names))
        for nominee_id, result in results[code].items():
            if nominee_id == last:
                want = "failed"
            elif nominee_id == refused:
                want = "refused"
            else:  # the Prime Minister's award is sent up; the Minister's is awarded
                want = "sent_up" if form_code == "bk_ttg" else "awarded"
            assert result == want, (code, nominee_id, result)
            row = page.locator(f"tr[data-nominee='{nominee_id}']")
            expect(row).to_have_attribute("data-result", want)
            if nominee_id != last:
                expect(row).to_contain_text("7/7")
        for other in (n for c, ns in nominees.items() if c != code for n in ns):
            expect(page.locator(f"tr[data-nominee='{other}']")).to_have_count(0)
        timeline = page.locator("#timeline")
        body = page.locator("body")
        expect(body).to_contain_text(f"{10 if form_code == 'bk_btc' else 11}/TTr-STC")
        expect(timeline).to_contain_text("đã hoàn thành bước “Kiểm tra hồ sơ”")
        expect(timeline).to_contain_text("“Nhận kết quả xét của Hội đồng”")
        if form_code == "bk_btc":
            expect(timeline).to_contain_text("1/QĐ-BTC")
            expect(timeline.locator("li[data-step='wait_final_decision']")).not_to_have_count(0)
        if code == codes[2]:
            expect(timeline).to_contain_text(RETURN_REASON)
        # The round's own steps, among the dossier's events: the council's conclusion, this
        # form's tờ trình, the Minister's decision (Ministry round), each linked to its round.
        concluded = timeline.locator("li[data-round-action='concluded']")
        expect(concluded).to_have_count(1)
        expect(concluded).to_contain_text("Đã ghi kết luận của Hội đồng")
        expect(concluded).to_contain_text("Đợt xét của Sở")
        signed = timeline.locator("li[data-round-action='signed']")
        expect(signed).to_have_count(1)
        expect(signed).to_contain_text(f"{10 if form_code == 'bk_btc' else 11}/TTr-STC")
        decided = timeline.locator("li[data-round-action='minister_decided']")
        expect(decided).to_have_count(1)
        expect(decided).to_contain_text("Bộ trưởng đã ký")
        expect(decided).to_contain_text("QĐ-BTC")
        expect(decided.locator("a")).to_have_attribute("href", re.compile(r"/ministry-rounds/\d+$"))
        expect(timeline.locator("li[data-round-action='voted']")).to_have_count(0)
