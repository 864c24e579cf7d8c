"""A tracking list too long to export while the user waits: asked for, made by the job queue,
downloaded by its owner only, deleted after its keeping time."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from tests.web.pages import csrf_token, login
from webapp.db import utcnow
from webapp.jobs.passes import run_pass
from webapp.models import ExportFile, User
from webapp.request_db import database
from webapp.services import background_exports
from webapp.services.file_store import file_store_of


@pytest.fixture
def three_dossiers(api, app, monkeypatch):
    """Three dossiers, and a limit of two rows for a workbook made while the user waits."""
    monkeypatch.setitem(app.config, "EXPORT_DIRECT_ROWS", 2)
    return [api.start(title=f"Hồ sơ xuất Excel {n}") for n in range(3)]


def ask_for_export(client, query: str = "") -> str:
    """Follow the Excel button to the page that prepares it; POST its form; the list page."""
    redirected = client.get(f"/dossiers.xlsx{query}")
    assert redirected.status_code == 303
    assert redirected.location.startswith("/dossiers/exports/new")
    page = client.get(redirected.location)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Danh sách này có hơn 2 hồ sơ" in html
    action = html.split('id="export-new"')[1].split('action="')[1].split('"')[0]
    posted = client.post(action.replace("&amp;", "&"), data={"csrf_token": csrf_token(html)})
    assert posted.status_code == 302
    assert posted.location == "/dossiers/exports"
    return client.get("/dossiers/exports").get_data(as_text=True)


def run_jobs(app, at=None):
    with app.app_context():
        return run_pass(database(app), at or utcnow())


def exports_in_db(app) -> list[ExportFile]:
    with database(app).transaction() as session:
        return list(session.scalars(select(ExportFile).order_by(ExportFile.id)))


def sheet_rows(data: bytes, sheet: str = "Hồ sơ") -> list[tuple]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    rows = list(book[sheet].iter_rows(values_only=True))
    book.close()
    return rows


def test_a_long_list_is_prepared_by_the_job_queue_and_downloaded_by_its_owner(
    three_dossiers, api, client, app
):
    login(client, "vanphong")
    listed = ask_for_export(client, "?sort=code")
    assert "Toàn bộ danh sách" in listed  # sorted, not filtered
    assert 'data-status="queued"' in listed
    assert "Đang chờ" in listed
    assert '<meta http-equiv="refresh"' in listed  # refreshes itself until the file is ready
    assert 'href="/dossiers/exports/1/file"' not in listed

    report = run_jobs(app)
    assert report.jobs["tracking_exports"] == {"built": 1, "failed": 0, "expired": 0}
    [export] = exports_in_db(app)
    assert (export.status, export.rows) == ("ready", 3)

    listed = client.get("/dossiers/exports").get_data(as_text=True)
    assert 'data-status="ready"' in listed
    assert "Sẵn sàng" in listed
    assert '<meta http-equiv="refresh"' not in listed
    download = client.get(f"/dossiers/exports/{export.id}/file")
    assert download.status_code == 200
    assert download.mimetype.endswith("spreadsheetml.sheet")
    assert download.headers["Content-Disposition"].endswith('.xlsx"')
    prepared = sheet_rows(download.data)

    # The same workbook the page would have sent at once with a higher limit.
    app.config["EXPORT_DIRECT_ROWS"] = 100
    direct = client.get("/dossiers.xlsx?sort=code")
    assert direct.status_code == 200
    assert prepared == sheet_rows(direct.data)
    assert sorted(row[0] for row in prepared[1:]) == sorted(d["code"] for d in three_dossiers)
    assert sheet_rows(download.data, "Người được đề nghị") == sheet_rows(
        direct.data, "Người được đề nghị"
    )

    # Its owner is told, in Vietnamese, with the way to the file.
    notices = client.get("/notifications").get_data(as_text=True)
    assert "Tệp Excel danh sách hồ sơ bạn yêu cầu (3 hồ sơ) đã sẵn sàng để tải về." in notices

    # Nobody else reads it, nor knows it exists.
    other = app.test_client()
    login(other, "giamdoc")
    assert other.get(f"/dossiers/exports/{export.id}/file").status_code == 404
    assert f'data-export="{export.id}"' not in other.get("/dossiers/exports").get_data(as_text=True)


def test_the_filters_and_the_visibility_are_those_of_the_request(three_dossiers, api, client, app):
    api.start(title="Một hồ sơ khác hẳn")
    login(client, "vanphong")
    ask_for_export(client, "?q=xuat+excel&sort=code")
    run_jobs(app)
    [export] = exports_in_db(app)
    assert export.query == {"q": "xuat excel", "sort": "code"}
    assert "Tìm: xuat excel" in client.get("/dossiers/exports").get_data(as_text=True)
    rows = sheet_rows(client.get(f"/dossiers/exports/{export.id}/file").data)
    assert [row[0] for row in rows[1:]] == sorted(d["code"] for d in three_dossiers)


def test_without_the_csrf_token_nothing_is_queued(three_dossiers, client, app):
    login(client, "vanphong")
    assert client.post("/dossiers/exports").status_code == 400
    assert client.post("/dossiers/exports", data={"csrf_token": "forged"}).status_code == 400
    assert exports_in_db(app) == []


def test_a_user_has_at_most_three_files_in_preparation(three_dossiers, client, app):
    login(client, "vanphong")
    for _ in range(background_exports.PENDING_PER_USER):
        ask_for_export(client)
    page = ask_for_export(client)
    assert "Đang có 3 tệp Excel được chuẩn bị cho bạn" in page
    assert len(exports_in_db(app)) == background_exports.PENDING_PER_USER


def test_a_disabled_account_gets_no_file_and_the_request_says_it_failed(
    three_dossiers, client, app
):
    login(client, "vanphong")
    ask_for_export(client)
    with database(app).transaction() as session:
        session.execute(update(User).where(User.username == "vanphong").values(active=False))
    try:
        report = run_jobs(app)
    finally:  # the demo accounts outlive the test
        with database(app).transaction() as session:
            session.execute(update(User).where(User.username == "vanphong").values(active=True))
    assert report.jobs["tracking_exports"]["failed"] == 1
    [export] = exports_in_db(app)
    assert export.status == "failed"
    assert export.content_hash is None
    assert "disabled" in (export.error or "")


def test_files_past_their_keeping_time_are_deleted_with_their_request(three_dossiers, client, app):
    login(client, "vanphong")
    ask_for_export(client)
    run_jobs(app)
    [export] = exports_in_db(app)
    with database(app).transaction() as session:
        store = file_store_of(session)
        assert store.exists(str(export.content_hash))
    later = utcnow() + background_exports.KEEP_FOR + timedelta(minutes=1)
    report = run_jobs(app, later)
    assert report.jobs["tracking_exports"]["expired"] == 1
    assert exports_in_db(app) == []
    with database(app).transaction() as session:
        assert not file_store_of(session).exists(str(export.content_hash))
        assert session.scalar(select(func.count()).select_from(ExportFile)) == 0


def test_a_short_list_is_still_sent_at_once(api, client, app):
    api.start(title="Một hồ sơ")
    login(client, "vanphong")
    response = client.get("/dossiers.xlsx")
    assert response.status_code == 200
    assert len(sheet_rows(response.data)) == 2
    assert exports_in_db(app) == []


def test_verify_files_checks_the_prepared_workbooks_and_names_their_owner(
    three_dossiers, client, app
):
    login(client, "vanphong")
    ask_for_export(client)
    run_jobs(app)
    [export] = exports_in_db(app)
    runner = app.test_cli_runner()
    clean = runner.invoke(args=["verify-files"])
    assert "1 file(s) checked: 0 missing or altered" in clean.output, clean.output
    with database(app).transaction() as session:
        file_store_of(session).delete(str(export.content_hash))
    result = runner.invoke(args=["verify-files"])
    assert result.exit_code == 1
    assert f"MISSING {export.content_hash}" in result.output
    assert f"Excel export {export.id} of vanphong" in result.output
    # The page says the file is gone instead of failing.
    assert client.get(f"/dossiers/exports/{export.id}/file").status_code == 404
