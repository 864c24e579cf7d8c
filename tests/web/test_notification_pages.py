"""The bell: its unread count in the navigation bar, the list (open, mark read, mark all read),
the e-mail choice, and the administrator's page of mail that could not be sent."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.web.pages import csrf_token, login, submit
from webapp.db import utcnow
from webapp.models import MailOutbox, Notification, NotificationPreference, User
from webapp.request_db import database

BELL = re.compile(r'id="nav-bell-count">([^<]+)<')


def bell(client) -> str | None:
    match = BELL.search(client.get("/work").get_data(as_text=True))
    return match.group(1) if match else None


def submitted(api):
    dossier = api.start()
    api.do("canbo_ns", dossier["id"], "prepare_dossier", {"decision": "submit"})
    return dossier


def test_the_bell_counts_unread_notifications_and_the_list_marks_them_read(client, api):
    first, second = submitted(api), submitted(api)
    login(client, "truongphong_ns")
    assert bell(client) == "2"

    page = client.get("/notifications")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<title>Thông báo" in html
    assert f"Hồ sơ {first['code']} (" in html
    assert "đang chờ anh/chị ở bước “Lãnh đạo đơn vị duyệt hồ sơ”" in html
    assert html.count('data-read="no"') == 2

    # "Open" marks it read and goes to the step.
    with database(client.application).transaction() as session:
        notice = session.scalars(
            select(Notification)
            .join(User, User.id == Notification.user_id)
            .where(Notification.dossier_id == second["id"], User.username == "truongphong_ns")
        ).one()
    opened = client.post(
        f"/notifications/{notice.id}/read", data={"csrf_token": csrf_token(html), "open": "1"}
    )
    assert opened.status_code == 302
    assert opened.headers["Location"] == notice.link
    assert notice.link.startswith("/work/")
    assert bell(client) == "1"

    token = csrf_token(client.get("/notifications").get_data(as_text=True))
    done = client.post("/notifications/read-all", data={"csrf_token": token})
    assert done.status_code == 302
    html = client.get("/notifications").get_data(as_text=True)
    assert bell(client) is None
    assert html.count('data-read="yes"') == 2
    assert "Đã đánh dấu 1 thông báo là đã đọc." in html


def test_another_users_notification_cannot_be_marked(client, api):
    submitted(api)
    with database(client.application).transaction() as session:
        notice = session.scalars(select(Notification)).first()
    login(client, "vanphong")
    token = csrf_token(client.get("/notifications").get_data(as_text=True))
    response = client.post(f"/notifications/{notice.id}/read", data={"csrf_token": token})
    assert response.status_code == 404
    with database(client.application).transaction() as session:
        assert session.get(Notification, notice.id).read_at is None


def test_the_email_choice_is_saved_and_a_bad_one_is_refused(client):
    login(client, "vanphong")
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert 'id="email-immediate" value="immediate" checked' in page
    saved = submit(client, "/notifications/preferences", {"email_mode": "digest"})
    assert saved.status_code == 302
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert 'id="email-digest" value="digest" checked' in page
    assert "Đã lưu cài đặt thông báo của anh/chị." in page

    refused = submit(client, "/notifications/preferences", {"email_mode": "hourly"})
    assert refused.status_code == 422
    assert "Thư điện tử: hãy chọn một trong các lựa chọn đã cho." in refused.get_data(as_text=True)
    with database(client.application).transaction() as session:
        user_id = session.scalar(select(User.id).where(User.username == "vanphong"))
        assert session.get(NotificationPreference, user_id).email_mode == "digest"


def test_the_administrator_sees_failed_mail_and_queues_it_again(client):
    now = utcnow()
    with database(client.application).transaction() as session:
        mail = MailOutbox(
            recipient="vanphong@example.invalid",
            kind="new_step",
            subject="Việc mới: Kiểm tra hồ sơ, hồ sơ BN-1",
            body="…",
            status="failed",
            attempts=6,
            next_attempt_at=now,
            last_error="ConnectionRefusedError: [Errno 111] Connection refused",
            created_at=now,
        )
        session.add(mail)
        session.flush()
        mail_id = mail.id
    login(client, "vanphong")
    assert client.get("/admin/mail").status_code == 403
    token = csrf_token(client.get("/work").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})

    login(client, "admin")
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "Thư không gửi được" in page
    assert f'data-mail="{mail_id}"' in page
    assert "ConnectionRefusedError" in page
    retried = client.post(f"/admin/mail/{mail_id}/retry", data={"csrf_token": csrf_token(page)})
    assert retried.status_code == 302
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "Thư đã được đưa lại vào hàng chờ gửi." in page
    assert 'id="failed-mail-empty"' in page
    with database(client.application).transaction() as session:
        row = session.get(MailOutbox, mail_id)
        assert (row.status, row.attempts) == ("queued", 0)
    # Retrying what is not a failed mail finds nothing.
    again = client.post(f"/admin/mail/{mail_id}/retry", data={"csrf_token": csrf_token(page)})
    assert again.status_code == 404
