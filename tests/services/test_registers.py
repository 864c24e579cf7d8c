"""Registers: numbers given once, in order, with no gap under real concurrency (20 threads,
each its own session and connection) on SQLite and PostgreSQL; the administrator's "next
number" never goes back over an issued one; only administrators manage registers."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from tests.conftest import actor_named
from tests.web.pages import csrf_token, login, submit
from webapp.models import DocumentRegister, IssuedNumber
from webapp.request_db import database
from webapp.services import registers
from webapp.services.errors import InvalidDataError, PermissionDeniedError

THREADS = 20


def _issue_concurrently(app, actor, count: int) -> tuple[list[int], list[BaseException]]:
    barrier = threading.Barrier(count)
    numbers: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def request(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            # Opened after the barrier: on SQLite a writing session takes the lock as it begins.
            session = database(app).session(write=True)
            try:
                issued = registers.issue_number(
                    session,
                    actor,
                    "TTr",
                    "STC",
                    2026,
                    subject_kind="dossier",
                    subject_id=index,
                    purpose=f"request {index}",
                )
                session.commit()
            finally:
                session.close()
            with lock:
                numbers.append(issued.number)
        except BaseException as exc:
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=request, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return numbers, errors


def test_twenty_concurrent_requests_get_twenty_consecutive_numbers(app, db):
    admin = actor_named(db, "admin")
    # The paper register is at 57 when the system starts.
    registers.set_next_number(db, admin, "TTr", "STC", 2026, 58)
    db.commit()
    director = actor_named(db, "giamdoc")

    numbers, errors = _issue_concurrently(app, director, THREADS)

    assert errors == []
    assert sorted(numbers) == list(range(58, 58 + THREADS))
    db.rollback()  # read what the threads committed
    rows = db.scalars(select(IssuedNumber).order_by(IssuedNumber.number)).all()
    assert [r.number for r in rows] == list(range(58, 58 + THREADS))
    assert [r.text for r in rows][:2] == ["58/TTr-STC", "59/TTr-STC"]
    assert {r.subject_id for r in rows} == set(range(THREADS))
    assert {r.issued_by_id for r in rows} == {director.user_id}
    register = db.scalars(select(DocumentRegister)).one()
    assert register.next_number == 58 + THREADS


def test_first_requests_on_a_new_register_create_it_once(app, db):
    director = actor_named(db, "giamdoc")
    db.close()
    numbers, errors = _issue_concurrently(app, director, 8)
    assert errors == []
    assert sorted(numbers) == list(range(1, 9))
    db.rollback()
    assert len(db.scalars(select(DocumentRegister)).all()) == 1


def test_a_rolled_back_request_gives_its_number_back(app, db):
    director = actor_named(db, "giamdoc")
    db.rollback()  # SQLite: let the other session take the write lock
    session = database(app).session(write=True)
    first = registers.issue_number(session, director, "TTr", "STC", 2026)
    session.rollback()
    session.close()
    again = registers.issue_number(db, director, "TTr", "STC", 2026)
    db.commit()
    assert first.number == again.number == 1


def test_registers_are_separate_per_type_body_and_year(db):
    director = actor_named(db, "giamdoc")
    texts = [
        registers.issue_number(db, director, doc_type, body, year).text
        for doc_type, body, year in [
            ("TTr", "STC", 2026),
            ("TTr", "STC", 2026),
            ("QĐ", "STC", 2026),
            ("TTr", "VP", 2026),
            ("TTr", "STC", 2027),
        ]
    ]
    assert texts == ["1/TTr-STC", "2/TTr-STC", "1/QĐ-STC", "1/TTr-VP", "1/TTr-STC"]


def test_next_number_never_at_or_below_an_issued_one(db):
    admin = actor_named(db, "admin")
    registers.set_next_number(db, admin, "TTr", "STC", 2026, 58)
    for _ in range(3):
        registers.issue_number(db, admin, "TTr", "STC", 2026)  # 58, 59, 60
    with pytest.raises(InvalidDataError) as refused:
        registers.set_next_number(db, admin, "TTr", "STC", 2026, 60)
    assert refused.value.fields == {
        "next_number": "must be greater than 60, the last number issued"
    }
    with pytest.raises(InvalidDataError) as zero:
        registers.set_next_number(db, admin, "TTr", "STC", 2026, 0)
    assert set(zero.value.fields) == {"next_number"}
    # Forward is allowed (the paper register moved on), and the next number follows it.
    registers.set_next_number(db, admin, "TTr", "STC", 2026, 75)
    assert registers.issue_number(db, admin, "TTr", "STC", 2026).number == 75
    lines = registers.list_registers(db, admin)
    assert [
        (line.register.next_number, line.last_issued.number, line.issued_count) for line in lines
    ] == [(76, 75, 4)]


def test_unknown_type_body_or_year_names_the_field(db):
    admin = actor_named(db, "admin")
    with pytest.raises(InvalidDataError) as refused:
        registers.issue_number(db, admin, "XYZ", "S T C", 1800)
    assert set(refused.value.fields) == {"doc_type", "body", "year"}


def test_only_administrators_manage_registers(db):
    director = actor_named(db, "giamdoc")
    with pytest.raises(PermissionDeniedError):
        registers.set_next_number(db, director, "TTr", "STC", 2026, 58)
    with pytest.raises(PermissionDeniedError):
        registers.list_registers(db, director)


def test_admin_page_lists_registers_and_refuses_going_back(client, app):
    with database(app).transaction() as session:
        admin = actor_named(session, "admin")
        registers.set_next_number(session, admin, "TTr", "STC", 2026, 58)
        registers.issue_number(session, admin, "TTr", "STC", 2026, purpose="test")
    login(client, "admin")
    page = client.get("/admin/registers")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'data-register="TTr-STC-2026"' in text
    # The page's title is its name alone, and the hand-issue form stands once, in the page.
    title = text.split("<title>")[1].split("</title>")[0]
    assert "<" not in title
    assert "Sổ đăng ký" in title
    assert text.count('id="issue-number"') == 1
    assert "58/TTr-STC" in text
    assert '<td class="next-number">59</td>' in text
    # Every number issued is listed with what it was for, who took it and when.
    assert 'data-issued="58/TTr-STC"' in text
    row = text.split('data-issued="58/TTr-STC"')[1].split("</tr>")[0]
    assert "test" in row
    assert "Quản trị hệ thống" in row

    refused = submit(
        client,
        "/admin/registers",
        {"doc_type": "TTr", "body": "STC", "year": "2026", "next_number": "58"},
    )
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "Số tiếp theo phải lớn hơn 58" in body
    moved = submit(
        client,
        "/admin/registers",
        {"doc_type": "TTr", "body": "STC", "year": "2026", "next_number": "70"},
    )
    assert moved.status_code == 302
    with database(app).transaction() as session:
        issued = registers.issue_number(session, actor_named(session, "admin"), "TTr", "STC", 2026)
    assert issued.text == "70/TTr-STC"


def test_admin_page_is_for_administrators_only(client):
    login(client, "giamdoc")
    assert client.get("/admin/registers").status_code == 403


def test_twenty_concurrent_http_requests_get_twenty_consecutive_numbers(app, client):
    """The same through the administrator's "issue a number by hand" form: 20 browsers (own
    cookies, own request, own database session) post at once."""
    with database(app).transaction() as session:
        registers.set_next_number(session, actor_named(session, "admin"), "TTr", "STC", 2026, 58)
    browsers = []
    for _ in range(THREADS):
        browser = app.test_client()
        login(browser, "admin")
        page = browser.get("/admin/registers")
        browsers.append((browser, csrf_token(page.get_data(as_text=True))))
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    lock = threading.Lock()

    def post(index: int) -> None:
        browser, token = browsers[index]
        barrier.wait(timeout=30)
        response = browser.post(
            "/admin/registers/issue",
            data={
                "csrf_token": token,
                "doc_type": "TTr",
                "body": "STC",
                "year": "2026",
                "purpose": f"Tờ trình gửi kèm công văn {index}",
            },
        )
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert statuses == [302] * THREADS
    with database(app).transaction() as session:
        rows = session.scalars(select(IssuedNumber).order_by(IssuedNumber.number)).all()
        assert [r.number for r in rows] == list(range(58, 58 + THREADS))
        assert {r.purpose for r in rows} == {
            f"Tờ trình gửi kèm công văn {i}" for i in range(THREADS)
        }


def test_issuing_by_hand_needs_what_it_is_for(client):
    login(client, "admin")
    token = csrf_token(client.get("/admin/registers").get_data(as_text=True))
    refused = client.post(
        "/admin/registers/issue",
        data={
            "csrf_token": token,
            "doc_type": "TTr",
            "body": "STC",
            "year": "2026",
            "purpose": " ",
        },
    )
    assert refused.status_code == 422
    assert "Dùng cho (văn bản, nội dung) không hợp lệ" in refused.get_data(as_text=True)
    done = client.post(
        "/admin/registers/issue",
        data={
            "csrf_token": token,
            "doc_type": "QĐ",
            "body": "STC",
            "year": "2026",
            "purpose": "Quyết định khen thưởng",
        },
        follow_redirects=True,
    )
    assert "Đã cấp số 1/QĐ-STC." in done.get_data(as_text=True)
