"""Notifications and their mail, against a real SMTP server (aiosmtpd) on 127.0.0.1.

A step completed mails those who may take the next one, once each, in Vietnamese with a link;
with the server stopped the mail waits (attempts counted, next attempt later) and leaves when it
is back; a rolled-back completion leaves no outbox row; reminders, overdue notices, digests and
the Office's summary go out once.
"""

from __future__ import annotations

import dataclasses
import socket
import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Integer, String, delete, event, func, insert, literal, select

from tests.conftest import actor_named
from webapp.db import utcnow
from webapp.models import MailOutbox, Notification, OrgUnit, Role, RoleAssignment, User, WorkItem
from webapp.notification_jobs import deliver_outbox
from webapp.request_db import database
from webapp.services import dossiers, notifications, work_items
from webapp.services.notifications import deadlines, digest, outbox
from webapp.services.notifications.fanout import holders_of, notify
from webapp.services.settings import MailSettings

BASE_URL = "https://khenthuong.example.vn"
NEW = {
    "title": "Đề nghị khen thưởng đột xuất",
    "award_form": "bk_btc",
    "track": "ad_hoc",
    "procedure": "regular",
    "nominees": [{"kind": "individual", "name": "Nguyễn Thị Hằng"}],
}


class Inbox:
    """The SMTP server's catch: every message received, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = message_from_bytes(envelope.original_content, policy=default_policy)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    """aiosmtpd on a free port of 127.0.0.1, stopped and started again at will."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mail_db(app, db, smtp, monkeypatch):
    """The test's session (and every session the app opens) with mail on, to the test server."""
    store = database(app)
    settings = dataclasses.replace(
        store.settings,
        mail=MailSettings(server="127.0.0.1", port=smtp.port, sender="khenthuong@example.vn"),
        app_base_url=BASE_URL,
    )
    monkeypatch.setattr(store, "settings", settings)
    db.info["settings"] = settings
    return db


def email_of(db, username: str) -> str:
    return db.scalar(select(User.email).where(User.username == username))


def start(db):
    dossier = dossiers.start_dossier(db, actor_named(db, "canbo_ns"), dict(NEW))
    db.commit()
    return dossier


def submitted(db):
    """A dossier sent by its author to the unit head (the author's own draft told no one)."""
    dossier = start(db)
    complete(db, "canbo_ns", dossier, "prepare_dossier", {"decision": "submit"})
    return dossier


def open_item(db, dossier, step):
    return db.scalars(
        select(WorkItem).where(
            WorkItem.dossier_id == dossier.id, WorkItem.step == step, WorkItem.status == "open"
        )
    ).one()


def complete(db, username, dossier, step, data, *, commit=True):
    item = open_item(db, dossier, step)
    work_items.complete_work_item(db, actor_named(db, username), item.id, data)
    if commit:
        db.commit()


def deliver(db, now=None) -> int:
    sent = deliver_outbox(db, now or utcnow())
    db.commit()
    return sent


def outbox_rows(db) -> list[MailOutbox]:
    db.expire_all()
    return list(db.scalars(select(MailOutbox).order_by(MailOutbox.id)))


def test_a_completed_step_mails_the_next_assignees_once_each_in_vietnamese(mail_db, smtp):
    db = mail_db
    dossier = start(db)
    assert deliver(db) == 0  # the author is not told of their own draft

    complete(db, "canbo_ns", dossier, "prepare_dossier", {"decision": "submit"})
    complete(db, "truongphong_ns", dossier, "approve_at_unit", {"decision": "approve"})
    assert deliver(db) >= 2
    assert deliver(db) == 0  # nothing goes twice

    head = smtp.inbox.to(email_of(db, "truongphong_ns"))
    office = smtp.inbox.to(email_of(db, "vanphong"))
    assert len(head) == 1
    assert len(office) == 1
    # Those who may not take the steps hear nothing.
    assert smtp.inbox.to(email_of(db, "vanphong_hn")) == []
    assert smtp.inbox.to(email_of(db, "canbo_dn")) == []
    assert max(Counter(m["To"] for m in smtp.inbox.messages).values()) == 1

    check = open_item(db, dossier, "check_dossier")
    message = office[0]
    assert message["Subject"] == f"Việc mới: Kiểm tra hồ sơ, hồ sơ {dossier.code}"
    assert message["From"] == "khenthuong@example.vn"
    body = message.get_content()
    assert body.startswith("Kính gửi anh/chị,")
    assert f"Hồ sơ {dossier.code} (Đề nghị khen thưởng đột xuất) đang chờ anh/chị" in body
    assert "ở bước “Kiểm tra hồ sơ”" in body
    assert f"Xem tại: {BASE_URL}/work/{check.id}" in body
    assert all(row.status == "sent" and row.attempts == 1 for row in outbox_rows(db))


def test_with_the_smtp_server_stopped_mail_waits_then_leaves_when_it_is_back(mail_db, smtp):
    db = mail_db
    smtp.stop()
    dossier = submitted(db)
    now = utcnow()

    assert deliver(db, now) == 0
    (row,) = outbox_rows(db)
    assert row.recipient == email_of(db, "truongphong_ns")
    assert (row.status, row.attempts) == ("queued", 1)
    assert row.next_attempt_at > now
    assert "ConnectionRefusedError" in row.last_error

    # Not due yet: the next pass leaves it alone.
    assert deliver(db, now + timedelta(seconds=10)) == 0
    assert outbox_rows(db)[0].attempts == 1

    # Still down at the second try: the wait doubles.
    second = row.next_attempt_at
    assert deliver(db, second) == 0
    row = outbox_rows(db)[0]
    assert (row.status, row.attempts) == ("queued", 2)
    assert row.next_attempt_at - second == 2 * (second - now)

    smtp.start()
    assert deliver(db, row.next_attempt_at) == 1
    row = outbox_rows(db)[0]
    assert (row.status, row.attempts) == ("sent", 3)
    (message,) = smtp.inbox.messages
    assert f"Hồ sơ {dossier.code}" in message.get_content()


def test_after_the_last_attempt_the_mail_is_marked_failed_and_can_be_retried(mail_db, smtp):
    db = mail_db
    smtp.stop()
    submitted(db)
    now = utcnow()
    for _attempt in range(outbox.MAX_ATTEMPTS):
        deliver(db, now)
        now = outbox_rows(db)[0].next_attempt_at
    row = outbox_rows(db)[0]
    assert (row.status, row.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    assert deliver(db, now + timedelta(days=1)) == 0  # a failed mail is not tried again
    assert [m.id for m in outbox.failed_mails(db)] == [row.id]

    outbox.retry_mail(db, row.id, now)
    db.commit()
    smtp.start()
    assert deliver(db, now) == 1
    assert outbox_rows(db)[0].status == "sent"


def test_a_rolled_back_completion_sends_nothing(mail_db, smtp):
    db = mail_db
    dossier = start(db)
    before = len(outbox_rows(db))

    complete(db, "canbo_ns", dossier, "prepare_dossier", {"decision": "submit"}, commit=False)
    db.flush()
    # Inside the transaction the mail to the unit head is written...
    assert db.scalar(select(func.count()).select_from(MailOutbox)) == before + 1
    db.rollback()
    # ...and goes with it.
    assert len(outbox_rows(db)) == before
    assert (
        db.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.kind == "new_step", Notification.dossier_id == dossier.id)
        )
        == 0
    )
    assert deliver(db) == 0
    assert smtp.inbox.messages == []


def test_a_claimed_mail_is_leased_so_another_worker_does_not_take_it(mail_db, app, smtp):
    db = mail_db
    submitted(db)
    now = utcnow()
    claimed = outbox.claim_due(db, now)
    assert len(claimed) == 1
    if db.get_bind().dialect.name == "postgresql":
        # Not yet committed: the second worker skips the locked row instead of waiting.
        other = database(app).session(write=True)
        try:
            assert outbox.claim_due(other, now) == []
        finally:
            other.rollback()
            other.close()
    db.commit()
    other = database(app).session(write=True)
    try:
        assert outbox.claim_due(other, now) == []
        # A worker killed mid-send: after the lease the row is taken again.
        again = outbox.claim_due(other, now + outbox.LEASE + timedelta(seconds=1))
        assert [m.id for m in again] == [claimed[0].id]
        assert again[0].attempts == 2
    finally:
        other.rollback()
        other.close()


def test_digest_users_get_one_daily_mail_and_off_users_none(mail_db, smtp):
    db = mail_db
    notifications.set_email_mode(db, actor_named(db, "truongphong_ns"), "digest")
    notifications.set_email_mode(db, actor_named(db, "vanphong"), "off")
    db.commit()
    first, second = start(db), start(db)
    complete(db, "canbo_ns", first, "prepare_dossier", {"decision": "submit"})
    complete(db, "canbo_ns", second, "prepare_dossier", {"decision": "submit"})
    complete(db, "truongphong_ns", first, "approve_at_unit", {"decision": "approve"})
    deliver(db)
    assert smtp.inbox.to(email_of(db, "truongphong_ns")) == []
    assert smtp.inbox.to(email_of(db, "vanphong")) == []
    # The bell still rings for both.
    assert notifications.unread_count(db, actor_named(db, "truongphong_ns")) == 2
    assert notifications.unread_count(db, actor_named(db, "vanphong")) == 1

    now = utcnow()
    assert digest.queue_digests(db, now) == 1
    assert digest.queue_digests(db, now + timedelta(minutes=5)) == 0  # once a day
    db.commit()
    deliver(db)
    (mail,) = smtp.inbox.to(email_of(db, "truongphong_ns"))
    assert mail["Subject"].startswith("Thông báo của anh/chị ngày ")
    body = mail.get_content()
    assert f"Hồ sơ {first.code}" in body
    assert f"Hồ sơ {second.code}" in body
    assert body.count("Xem tại: https://khenthuong.example.vn/work/") == 2


def test_reminder_and_overdue_notices_go_once_to_who_may_take_the_step(mail_db, smtp):
    db = mail_db
    dossier = start(db)
    complete(db, "canbo_ns", dossier, "prepare_dossier", {"decision": "submit"})
    deliver(db)
    smtp.inbox.messages.clear()
    item = open_item(db, dossier, "approve_at_unit")
    now = utcnow()

    item.due_at = now + timedelta(hours=1)
    db.commit()
    assert deadlines.notify_reminders(db, now) == 1
    assert deadlines.notify_reminders(db, now) == 0
    db.commit()
    item.due_at = now - timedelta(hours=1)
    db.commit()
    assert deadlines.notify_overdue(db, now) == 1
    assert deadlines.notify_overdue(db, now + timedelta(hours=1)) == 0
    db.commit()
    deliver(db)
    subjects = sorted(m["Subject"] for m in smtp.inbox.to(email_of(db, "truongphong_ns")))
    assert [s.split(":")[0] for s in subjects] == ["Nhắc việc", "Quá hạn"]
    assert all(dossier.code in s for s in subjects)
    assert len(smtp.inbox.messages) == 2


def test_the_office_gets_one_daily_summary_of_late_steps_and_with_whom(mail_db, smtp):
    db = mail_db
    dossier = start(db)
    complete(db, "canbo_ns", dossier, "prepare_dossier", {"decision": "submit"})
    item = open_item(db, dossier, "approve_at_unit")
    now = utcnow()
    item.due_at = now - timedelta(days=2)
    db.commit()
    deliver(db)
    smtp.inbox.messages.clear()

    assert deadlines.office_daily_summary(db, now) >= 1
    assert deadlines.office_daily_summary(db, now + timedelta(minutes=1)) == 0
    db.commit()
    office = actor_named(db, "vanphong")
    (notice,) = notifications.my_notifications(db, office)
    assert (notice.kind, notice.params["count"], notice.link) == (
        "overdue_summary",
        1,
        "/dossiers?overdue=yes",
    )
    # The other Department's Office has nothing late.
    assert notifications.my_notifications(db, actor_named(db, "vanphong_hn")) == []
    deliver(db)
    (mail,) = smtp.inbox.to(email_of(db, "vanphong"))
    assert mail["Subject"] == "Các bước quá hạn hôm nay: 1"
    body = mail.get_content()
    assert f"{dossier.code} — Lãnh đạo đơn vị duyệt hồ sơ — hạn " in body
    assert "đang ở Lãnh đạo đơn vị" in body


def test_returned_and_decided_dossiers_are_told_to_their_unit_and_author(mail_db, smtp):
    db = mail_db
    returned, refused = start(db), start(db)
    for dossier in (returned, refused):
        complete(db, "canbo_ns", dossier, "prepare_dossier", {"decision": "submit"})
        complete(db, "truongphong_ns", dossier, "approve_at_unit", {"decision": "approve"})
    complete(db, "vanphong", returned, "check_dossier", {"decision": "return", "comment": "Thiếu"})
    complete(
        db, "vanphong", refused, "check_dossier", {"decision": "refuse", "comment": "Không đủ"}
    )
    author = actor_named(db, "canbo_ns")
    kinds = {(n.kind, n.dossier_id) for n in notifications.my_notifications(db, author)}
    assert ("returned", returned.id) in kinds
    assert ("decision", refused.id) in kinds
    deliver(db)
    subjects = {m["Subject"] for m in smtp.inbox.to(email_of(db, "canbo_ns"))}
    assert f"Hồ sơ {returned.code} được trả lại đơn vị" in subjects
    assert f"Quyết định về hồ sơ {refused.code}" in subjects
    (decision,) = [
        m
        for m in smtp.inbox.to(email_of(db, "canbo_ns"))
        if m["Subject"] == f"Quyết định về hồ sơ {refused.code}"
    ]
    assert "không được khen thưởng" in decision.get_content()


def test_the_job_queue_pass_sends_the_outbox_by_itself(mail_db, app, smtp):
    from webapp.jobs.passes import run_pass

    db = mail_db
    dossier = submitted(db)
    report = run_pass(database(app), utcnow())
    assert report.jobs["deliver_outbox"] == 1
    assert "deliver_outbox" not in report.failed
    (message,) = smtp.inbox.to(email_of(db, "truongphong_ns"))
    assert dossier.code in message["Subject"]
    assert outbox_rows(db)[0].status == "sent"


def test_telling_hundreds_of_role_holders_is_a_few_statements(mail_db, app):
    db = mail_db
    unit = db.scalar(select(OrgUnit).where(OrgUnit.code == "BN"))
    db.add(Role(code="notice_bulk", name="Vai trò thử"))
    db.flush()
    db.execute(
        insert(User),
        [
            {
                "username": f"bulk{n:03d}",
                "full_name": f"Người {n}",
                "email": f"bulk{n:03d}@example.invalid",
                "password_hash": "x",
                "unit_id": unit.id,
            }
            for n in range(300)
        ],
    )
    bulk = select(User.id).where(User.username.like("bulk%"))
    db.execute(
        insert(RoleAssignment).from_select(
            ["user_id", "role", "unit_id"],
            select(User.id, literal("notice_bulk", String), literal(unit.id, Integer)).where(
                User.id.in_(bulk)
            ),
        )
    )
    db.commit()
    statements = []
    engine = db.get_bind()

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    try:
        event.listen(engine, "before_cursor_execute", count)
        started = time.perf_counter()
        notify(
            db,
            holders_of(db, "notice_bulk", unit.id),
            "overdue_summary",
            {"count": 1},
            "/dossiers?overdue=yes",
            utcnow(),
        )
        elapsed = time.perf_counter() - started
        event.remove(engine, "before_cursor_execute", count)
        db.commit()
        inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
        assert len(inserts) == 2  # one for the notifications, one for the mail
        assert len(statements) <= 6
        told = db.scalar(
            select(func.count()).select_from(Notification).where(Notification.user_id.in_(bulk))
        )
        mailed = db.scalar(
            select(func.count()).select_from(MailOutbox).where(MailOutbox.user_id.in_(bulk))
        )
        assert told == mailed == 300
        assert elapsed < 2.0, elapsed
    finally:
        db.rollback()
        db.execute(delete(Notification).where(Notification.user_id.in_(bulk)))
        db.execute(delete(MailOutbox).where(MailOutbox.user_id.in_(bulk)))
        db.execute(delete(RoleAssignment).where(RoleAssignment.user_id.in_(bulk)))
        db.execute(delete(User).where(User.username.like("bulk%")))
        db.commit()


def test_an_overdue_step_is_escalated_once_to_the_unit_head_or_the_director(mail_db, smtp):
    from webapp.notification_jobs import deadline_notices

    db = mail_db
    drafted = start(db)  # the unit officer's step: its unit head hears of it
    at_unit = submitted(db)  # the unit head's own step: the Director
    at_office = submitted(db)
    complete(db, "truongphong_ns", at_office, "approve_at_unit", {"decision": "approve"})
    now = utcnow()
    late = {
        "prepare_dossier": open_item(db, drafted, "prepare_dossier"),
        "approve_at_unit": open_item(db, at_unit, "approve_at_unit"),
        "check_dossier": open_item(db, at_office, "check_dossier"),  # the Office's: the Director
    }
    for item in late.values():
        item.due_at = now - timedelta(hours=1)
    db.commit()
    deliver(db)
    smtp.inbox.messages.clear()

    assert deadline_notices(db, now)["escalations"] == 3
    db.commit()
    assert deadline_notices(db, now + timedelta(hours=1))["escalations"] == 0
    db.commit()

    def escalated(username: str) -> set[int | None]:
        return {
            n.work_item_id
            for n in notifications.my_notifications(db, actor_named(db, username))
            if n.kind == "overdue_escalation"
        }

    assert escalated("truongphong_ns") == {late["prepare_dossier"].id}
    assert escalated("giamdoc") == {late["approve_at_unit"].id, late["check_dossier"].id}
    # Those who may take the step heard of it by the overdue notice, not again.
    assert escalated("canbo_ns") == set()
    assert escalated("vanphong") == set()
    assert escalated("truongphong_dn") == set()  # another unit's head
    deliver(db)
    escalation = "Quá hạn, đề nghị đôn đốc: "
    subjects = sorted(m["Subject"] for m in smtp.inbox.to(email_of(db, "giamdoc")))
    assert len(subjects) == 2
    assert all(s.startswith(escalation) for s in subjects)
    assert any(at_office.code in s for s in subjects)
    (head_mail,) = [
        m
        for m in smtp.inbox.to(email_of(db, "truongphong_ns"))
        if m["Subject"].startswith(escalation)
    ]
    assert drafted.code in head_mail["Subject"]
    assert "Quá hạn mà chưa được xử lý" in head_mail.get_content()
