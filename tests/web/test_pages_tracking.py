"""Theo dõi hồ sơ: the tracking page and its CSV export, as the users who read them."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import update

from tests.web.pages import login
from webapp.db import utcnow
from webapp.models import WorkItem
from webapp.request_db import database
from webapp.services.tracking_export import HEADERS

ROW = re.compile(r'<tr data-dossier="([^"]+)" data-status="([^"]+)"')
UTF8_BOM = b"\xef\xbb\xbf"


def codes_on(html: str) -> list[str]:
    """The dossier codes of the list, in the order shown."""
    return [match.group(1) for match in ROW.finditer(html)]


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def row_of(html: str, code: str) -> str:
    start = html.index(f'<tr data-dossier="{code}"')
    return html[start : html.index("</tr>", start)]


def html_text(html: str) -> str:
    """The text of an HTML fragment, tags removed and entities read."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def to_check(api, dossier):
    api.do("canbo_ns", dossier["id"], "prepare_dossier", {"decision": "submit"})
    api.do("truongphong_ns", dossier["id"], "approve_at_unit", {"decision": "approve"})


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(UTF8_BOM)
    return list(csv.reader(io.StringIO(data[len(UTF8_BOM) :].decode("utf-8"))))


def make_overdue(app: Flask, dossier_id: int) -> None:
    with database(app).transaction() as session:
        session.execute(
            update(WorkItem)
            .where(WorkItem.dossier_id == dossier_id, WorkItem.status == "open")
            .values(due_at=utcnow() - timedelta(days=3))
        )


def test_the_list_shows_each_dossier_with_its_step_holder_and_status(api, client):
    waiting = api.start(title="Hồ sơ đang chờ kiểm tra")
    fresh = api.start(title="Hồ sơ mới lập")
    to_check(api, waiting)
    login(client, "vanphong")
    html = page(client, "/dossiers")
    assert codes_on(html) == [fresh["code"], waiting["code"]]  # newest first
    row = row_of(html, waiting["code"])
    assert f'href="/dossiers/{waiting["id"]}"' in row
    assert "Hồ sơ đang chờ kiểm tra" in row
    assert "Phòng Quản lý ngân sách" in row
    assert "Bằng khen của Bộ trưởng Bộ Tài chính" in row
    assert "Kiểm tra hồ sơ" in row  # the step's name from the diagram
    assert "Văn phòng Sở" in row  # nobody took it: the role holds it
    assert "Đang xử lý" in row
    assert "Lập hồ sơ đề nghị khen thưởng" in row_of(html, fresh["code"])
    assert 'id="tracking-total">2<' in html
    # Scripts come from files only (the Content-Security-Policy forbids inline ones).
    assert 'src="/static/tracking.js"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


def test_a_taken_step_shows_who_took_it(api, client):
    dossier = api.start()
    to_check(api, dossier)
    [item] = api.items("vanphong", dossier["id"], "check_dossier")
    assert api.post(f"/api/v1/work-items/{item['id']}/claim", "vanphong").status_code == 200
    login(client, "truongphong_ns")
    row = row_of(page(client, "/dossiers"), dossier["code"])
    assert "Ngô Thị Lan" in row
    assert "Văn phòng Sở" not in row


def test_departments_and_units_see_only_their_own(api, client):
    own = api.start()
    other = api.start(as_user="canbo_dn", title="Hồ sơ của phòng Tài chính doanh nghiệp")
    login(client, "canbo_dn")
    html = page(client, "/dossiers")
    assert codes_on(html) == [other["code"]]
    assert own["code"] not in html
    # The unit filter offers only what the user may see.
    assert "Phòng Tài chính doanh nghiệp</option>" in html
    assert "Phòng Quản lý ngân sách</option>" not in html
    assert own["code"] not in client.get("/dossiers.csv").get_data(as_text=True)

    hanoi = client.application.test_client()
    login(hanoi, "vanphong_hn")
    html = page(hanoi, "/dossiers")
    assert codes_on(html) == []
    assert 'id="tracking-empty"' in html
    assert own["code"] not in html
    assert other["code"] not in html
    assert read_csv(hanoi.get("/dossiers.csv").data) == [list(HEADERS)]


def test_filters_by_step_status_unit_award_form_and_overdue(api, client, app):
    at_check = api.start(title="Đang kiểm tra")
    to_check(api, at_check)
    prime_minister = api.start(title="Bằng khen Thủ tướng", award_form="bk_ttg")
    other_unit = api.start(as_user="canbo_dn", title="Phòng doanh nghiệp")
    make_overdue(app, prime_minister["id"])
    login(client, "vanphong")

    assert codes_on(page(client, "/dossiers?step=check_dossier")) == [at_check["code"]]
    assert codes_on(page(client, "/dossiers?award_form=bk_ttg")) == [prime_minister["code"]]
    assert codes_on(page(client, "/dossiers?status=awarded")) == []
    assert len(codes_on(page(client, "/dossiers?status=in_progress"))) == 3
    unit_id = api.dossier(other_unit["id"])["unit"]["id"]
    assert codes_on(page(client, f"/dossiers?unit_id={unit_id}")) == [other_unit["code"]]
    late = page(client, "/dossiers?overdue=yes")
    assert codes_on(late) == [prime_minister["code"]]
    assert "Quá hạn" in row_of(late, prime_minister["code"])
    assert 'class="table-danger"' in late
    assert prime_minister["code"] not in codes_on(page(client, "/dossiers?overdue=no"))
    both = page(client, "/dossiers?step=prepare_dossier&award_form=bk_btc")
    assert codes_on(both) == [other_unit["code"]]
    # The step filter lists the deployed diagram's steps by their names, the choice kept.
    assert '<option value="check_dossier" selected>Kiểm tra hồ sơ</option>' in page(
        client, "/dossiers?step=check_dossier"
    )


def test_values_the_filters_do_not_offer_are_ignored(api, client):
    dossier = api.start()
    login(client, "vanphong")
    for query in ("status=bogus", "step=nope", "award_form=x", "overdue=maybe", "unit_id=999999"):
        assert codes_on(page(client, f"/dossiers?{query}")) == [dossier["code"]], query
    assert codes_on(page(client, "/dossiers?sort=password")) == [dossier["code"]]
    assert codes_on(page(client, "/dossiers?page=abc")) == [dossier["code"]]


def test_search_ignores_diacritics_and_case(api, client):
    found = api.start(nominees=[{"kind": "individual", "name": "Nguyễn Thị Hằng"}])
    other = api.start(nominees=[{"kind": "individual", "name": "Trần Văn Đông"}])
    login(client, "vanphong")
    for query in ("nguyen thi hang", "NGUYỄN THỊ HẰNG", "hằng", found["code"].lower()):
        assert codes_on(page(client, f"/dossiers?q={query}")) == [found["code"]], query
    assert codes_on(page(client, "/dossiers?q=dong")) == [other["code"]]
    html = page(client, "/dossiers?q=khong+co+ho+so+nao")
    assert 'id="tracking-empty"' in html
    assert 'id="clear-filters"' in html
    assert 'value="khong co ho so nao"' in html  # the box keeps what was typed


def test_columns_sort_both_ways_and_headers_toggle(api, client):
    first = api.start(title="Một")
    second = api.start(title="Hai", award_form="bk_ttg")
    third = api.start(title="Ba")
    to_check(api, third)
    api.do("vanphong", third["id"], "check_dossier", {"decision": "return", "comment": "Bổ sung"})
    login(client, "vanphong")
    by_code = [first["code"], second["code"], third["code"]]
    assert codes_on(page(client, "/dossiers?sort=code")) == by_code
    assert codes_on(page(client, "/dossiers?sort=-code")) == by_code[::-1]
    assert codes_on(page(client, "/dossiers?sort=created")) == by_code
    assert codes_on(page(client, "/dossiers")) == by_code[::-1]
    # Award forms in the order of the regulations: the Minister's certificate first.
    assert codes_on(page(client, "/dossiers?sort=award_form"))[-1] == second["code"]
    assert codes_on(page(client, "/dossiers?sort=-award_form"))[0] == second["code"]
    # Statuses in workflow order: in progress before returned.
    assert codes_on(page(client, "/dossiers?sort=status"))[-1] == third["code"]
    assert codes_on(page(client, "/dossiers?sort=-status"))[0] == third["code"]

    html = page(client, "/dossiers?sort=code&status=in_progress")
    code_header = html[html.index('data-sort="code"') - 300 : html.index('data-sort="code"')]
    assert 'aria-sort="ascending"' in code_header
    assert re.search(r'href="/dossiers\?[^"]*sort=-code[^"]*" data-sort="code"', html)
    assert re.search(r'href="/dossiers\?[^"]*sort=status[^"]*" data-sort="status"', html)
    # Sorting keeps the filters; filtering keeps the sort.
    assert re.search(r'href="/dossiers\?status=in_progress&amp;sort=-code"', html)
    assert '<input type="hidden" name="sort" value="code">' in html


def test_paging_links_and_a_page_past_the_end(api, client, monkeypatch):
    monkeypatch.setattr("webapp.dossiers.views.PER_PAGE", 2)
    dossiers = [api.start(title=f"Hồ sơ {i}") for i in range(5)]
    newest_first = [d["code"] for d in reversed(dossiers)]
    login(client, "vanphong")
    first = page(client, "/dossiers")
    assert codes_on(first) == newest_first[:2]
    assert 'id="tracking-total">5<' in first
    assert 'href="/dossiers?page=3"' in first
    assert 'rel="prev"' not in first
    last = page(client, "/dossiers?page=3")
    assert codes_on(last) == newest_first[4:]
    assert 'aria-current="page">3<' in last
    assert 'rel="next"' not in last
    assert codes_on(page(client, "/dossiers?page=2&sort=code")) == sorted(newest_first)[2:4]
    response = client.get("/dossiers?page=9&sort=code")
    assert response.status_code == 302
    assert response.location == "/dossiers?sort=code&page=3"


def test_csv_export_has_a_bom_vietnamese_headers_and_the_filtered_rows(api, client, app):
    waiting = api.start(title='=HYPERLINK("http://evil.example")')
    api.start(title="Không thuộc bộ lọc")
    to_check(api, waiting)
    make_overdue(app, waiting["id"])
    [item] = api.items("vanphong", waiting["id"], "check_dossier")
    login(client, "vanphong")
    response = client.get("/dossiers.csv?step=check_dossier")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Content-Disposition"].endswith('.csv"')
    rows = read_csv(response.data)
    assert rows[0] == [
        "Mã hồ sơ",
        "Trích yếu",
        "Đơn vị",
        "Hình thức khen thưởng",
        "Bước hiện tại",
        "Người đang xử lý",
        "Từ lúc",
        "Hạn xử lý",
        "Trạng thái",
        "Tình trạng",
        "Số người được đề nghị",
        "Số người được khen thưởng",
        "Ngày tạo",
        "Ngày kết thúc",
    ]
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    since = datetime.fromisoformat(item["created_at"]).astimezone(zone)
    due = (utcnow() - timedelta(days=3)).astimezone(zone)
    assert [row[:9] for row in rows[1:]] == [
        [
            waiting["code"],
            '\'=HYPERLINK("http://evil.example")',  # never a live formula in Excel
            "Phòng Quản lý ngân sách",
            "Bằng khen của Bộ trưởng Bộ Tài chính",
            "Kiểm tra hồ sơ",
            "Văn phòng Sở",
            since.strftime("%d/%m/%Y %H:%M"),
            due.strftime("%d/%m/%Y"),
            "Đang xử lý",
        ]
    ]
    everything = read_csv(client.get("/dossiers.csv").data)
    assert len(everything) == 3


def test_csv_follows_the_sort_and_stays_vietnamese_in_english_mode(api, client):
    dossiers = [api.start(title=f"Hồ sơ {i}") for i in range(3)]
    login(client, "vanphong")
    client.get("/language/en?next=/dossiers")
    html = page(client, "/dossiers")
    assert "Export CSV" in html
    assert "Dossier tracking" in html
    rows = read_csv(client.get("/dossiers.csv?sort=code").data)
    assert [r[0] for r in rows[1:]] == [d["code"] for d in dossiers]
    assert rows[0][0] == "Mã hồ sơ"
    assert {r[8] for r in rows[1:]} == {"Đang xử lý"}
    assert {r[9][:9] for r in rows[1:]} == {"Đang chờ "}
    assert "sort=code" in page(client, "/dossiers?sort=code").split('id="export-csv"')[1][:200]


def test_each_row_of_the_csv_names_its_own_deadline(api, client, app):
    """Rows in the same situation share their words; another deadline day is another sentence
    (an export puts each distinct sentence into words once)."""
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    # Weeks late whatever the holidays: each row says how many working days and since when.
    morning = datetime.now(zone).replace(hour=9, minute=0, second=0, microsecond=0)
    dues = [morning - timedelta(days=20), morning - timedelta(days=20, hours=-5)]
    dues.append(morning - timedelta(days=41))
    dossiers = [api.start(title=f"Hồ sơ {i}") for i in range(3)]
    for dossier, due in zip(dossiers, dues, strict=True):
        to_check(api, dossier)
        with database(app).transaction() as session:
            session.execute(
                update(WorkItem)
                .where(WorkItem.dossier_id == dossier["id"], WorkItem.status == "open")
                .values(due_at=due)
            )
    login(client, "vanphong")
    rows = read_csv(client.get("/dossiers.csv?step=check_dossier&sort=code").data)[1:]
    assert [row[0] for row in rows] == [d["code"] for d in dossiers]
    for row, due in zip(rows, dues, strict=True):
        assert row[7] == due.strftime("%d/%m/%Y")
        assert row[9].startswith("Đang chờ Văn phòng Sở: Kiểm tra hồ sơ — ")
        assert re.search(rf"đã quá hạn \d+ ngày làm việc \(hạn {row[7]}\)$", row[9])
    assert rows[0][9] == rows[1][9]  # the same day, another hour: the same words
    assert rows[2][9] != rows[0][9]
    # The same sentences as each dossier's row on the tracking page.
    html = page(client, "/dossiers?step=check_dossier&sort=code")
    for row in rows:
        assert row[9] in html_text(row_of(html, row[0]))


@pytest.mark.parametrize("url", ["/dossiers", "/dossiers.csv"])
def test_the_list_needs_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response.location


def test_the_total_stops_counting_at_the_bound(api, client, monkeypatch):
    """Past the bound the list says "hơn N" and still pages on; at or under it, the exact count."""
    monkeypatch.setattr("webapp.dossiers.views.PER_PAGE", 2)
    monkeypatch.setitem(client.application.config, "LIST_TOTAL_BOUND", 3)
    dossiers = [api.start(title=f"Hồ sơ {i}") for i in range(5)]
    newest_first = [d["code"] for d in reversed(dossiers)]
    login(client, "vanphong")
    first = page(client, "/dossiers")
    assert 'id="tracking-total" data-lower-bound>hơn 3<' in first
    assert "Hồ sơ, từ 1 đến 2 trong hơn 3<" in first
    # Counting stopped, yet every page can still be reached: the last one has the fifth dossier.
    assert 'rel="next"' in first
    last = page(client, "/dossiers?page=3")
    assert codes_on(last) == newest_first[4:]
    # A narrower filter under the bound is counted exactly.
    monkeypatch.setitem(client.application.config, "LIST_TOTAL_BOUND", 5)
    assert 'id="tracking-total">5<' in page(client, "/dossiers")


@pytest.mark.parametrize("url", ["/dossiers.csv", "/dossiers.csv?level=nominees", "/dossiers.xlsx"])
def test_an_export_gives_its_database_connection_back_when_sent(api, client, app, url):
    """The file is read after the request's teardown: the stream returns its connection itself
    (left to the garbage collector, five exports held four connections idle in transaction)."""
    api.start()
    login(client, "vanphong")
    pool = database(app).engine.pool
    for _ in range(3):
        response = client.get(url)
        assert response.status_code == 200
        assert len(response.get_data()) > 100
        response.close()
        assert pool.checkedout() == 0
