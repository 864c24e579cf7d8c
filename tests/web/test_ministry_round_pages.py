"""Ministry round pages: the officer opens a round, returns a Department's submission, the
Department's Office resubmits from its round page, the council drops a nominee, the Minister
signs; the dossier page shows its nominees' results."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import actor_named
from tests.services.rounds_support import council_votes, join, movement, open_round, propose
from tests.web.pages import csrf_token, login, submit
from webapp.models import Dossier, Round
from webapp.services.rounds import steps


def _browser(app, username):
    browser = app.test_client()
    login(browser, username)
    return browser


def _post(browser, page_url, url, data):
    page = browser.get(page_url)
    assert page.status_code == 200, page.status_code
    return browser.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True)), **data})


def test_the_ministry_round_through_its_pages(app, db):
    plan = movement(db)
    db.commit()
    officer = _browser(app, "chuyenvien_bo")
    bad = submit(officer, "/ministry-rounds", {"name": "", "movement_id": plan.id})
    assert bad.status_code == 422
    assert "Nhập tên" in bad.get_data(as_text=True)
    opened = submit(
        officer,
        "/ministry-rounds",
        {"name": "Đợt xét của Bộ", "movement_id": plan.id, "intake_deadline": "2026-12-31"},
    )
    assert opened.status_code == 302
    moh = db.scalars(select(Round).where(Round.name == "Đợt xét của Bộ")).one()
    db.commit()  # end the read: the pages write in between (SQLite)
    page_url = f"/ministry-rounds/{moh.id}"
    assert _browser(app, "canbo_ns").post("/ministry-rounds", data={}).status_code == 403

    bn = open_round(db, forms=("bk_btc",), movement_id=plan.id)
    a = join(db, bn, "canbo_ns", ("Nguyễn Thị Hằng", "Lê Văn Tám"))
    propose(db, a, "canbo_ns")
    office = actor_named(db, "vanphong")
    steps.close_intake(db, office, bn.id)
    steps.compile_lists(db, office, bn.id)
    db.commit()
    results = {str(n.id): "passed" for n in a.nominees}
    council_votes(db, bn, results)
    steps.record_conclusion(db, actor_named(db, "giamdoc"), bn.id, results)
    payload = {"submission_number": "20/TTr-STC", "submission_date": "2026-12-01"}
    steps.sign_submission(db, actor_named(db, "giamdoc"), bn.id, "bk_btc", payload)
    db.commit()
    # The Department round's page sends the Ministry round's id to its own page.
    assert officer.get(f"/rounds/{moh.id}").headers["Location"].endswith(page_url)
    page = officer.get(page_url).get_data(as_text=True)
    assert "Sở Tài chính Bắc Ninh" in page
    assert "Đã nhận" in page

    returned = _post(
        officer, page_url, f"{page_url}/return/{bn.id}", {"reason": "Thiếu biên bản họp"}
    )
    assert returned.status_code == 302
    department = _browser(app, "vanphong")
    round_page = department.get(f"/rounds/{bn.id}").get_data(as_text=True)
    assert "Thiếu biên bản họp" in round_page
    assert 'id="resubmit"' in round_page
    empty = _post(department, f"/rounds/{bn.id}", f"/rounds/{bn.id}/resubmit", {"note": ""})
    assert empty.status_code == 422
    again = _post(
        department, f"/rounds/{bn.id}", f"/rounds/{bn.id}/resubmit", {"note": "Đã bổ sung"}
    )
    assert again.status_code == 302
    assert "(gửi lại)" in officer.get(page_url).get_data(as_text=True)

    assert _post(officer, page_url, f"{page_url}/close", {}).status_code == 302
    dropped = a.nominees[1].id
    council = _post(
        officer,
        page_url,
        f"{page_url}/council",
        {f"result-{a.nominees[0].id}": "passed", f"result-{dropped}": "failed"},
    )
    assert council.status_code == 302
    minister = _browser(app, "botruong")
    assert _post(officer, page_url, f"{page_url}/decision", {}).status_code == 403
    signed = _post(minister, page_url, f"{page_url}/decision", {"decision_date": "2026-12-20"})
    assert signed.status_code == 302
    page = minister.get(page_url).get_data(as_text=True)
    assert "1/QĐ-BTC" in page
    assert "Hội đồng Bộ loại" in page
    finished = db.get(Round, moh.id)
    db.refresh(finished)
    assert finished.status == "finished"
    dossier = db.get(Dossier, a.id)
    db.refresh(dossier)
    sheet = department.get(f"/dossiers/{a.id}").get_data(as_text=True)
    assert "1/QĐ-BTC" in sheet
    assert [n.result for n in dossier.nominees] == ["awarded", "refused"]
