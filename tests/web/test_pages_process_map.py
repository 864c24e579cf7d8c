"""Bản đồ quy trình: the page, its numbers (data.json), a step's list and the diagram file."""

from __future__ import annotations

import html
import json
import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import select, update

from tests.web.pages import login
from webapp.db import utcnow
from webapp.models import ProcessVersion, WorkItem
from webapp.request_db import database
from webapp.services import process_map_summary, process_versions

STEP_KEYS = {
    "id",
    "name",
    "in_diagram",
    "waiting",
    "overdue",
    "older_versions",
    "median_seconds",
    "median_label",
    "sample_size",
    "heat",
    "summary",
    "tracking_url",
    "overdue_url",
    "dossiers_url",
}


def at_check(api, officer="canbo_ns", head="truongphong_ns", **overrides):
    dossier = api.start(as_user=officer, **overrides)
    api.do(officer, dossier["id"], "prepare_dossier", {"decision": "submit"})
    api.do(head, dossier["id"], "approve_at_unit", {"decision": "approve"})
    return dossier


def at_council(api):
    dossier = at_check(api)
    api.do("vanphong", dossier["id"], "check_dossier", {"decision": "approve"})
    return dossier


def make_late(app: Flask, dossier_id: int) -> None:
    with database(app).transaction() as session:
        session.execute(
            update(WorkItem)
            .where(WorkItem.dossier_id == dossier_id, WorkItem.status == "open")
            .values(due_at=utcnow() - timedelta(days=2))
        )


def rebuild(app: Flask, now=None) -> None:
    """The summary's rebuild, as the job queue runs it every few minutes."""
    with database(app).transaction() as session:
        process_map_summary.refresh(session, now or utcnow())


def steps_of(body):
    return {step["id"]: step for step in [*body["steps"], *body["retired_steps"]]}


def test_the_map_needs_a_login(client):
    for url in ["/process-map", "/process-map/data.json", "/process-map/diagram.bpmn"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login" in response.location


def test_the_page_carries_the_figures_its_diagram_is_drawn_from(api, client, app):
    # The script draws the overlays from the page's own figures: opening the map counts the
    # waiting dossiers once, not again through data.json.
    at_check(api)
    make_late(app, at_check(api)["id"])
    login(client, "vanphong")
    page = client.get("/process-map?award_form=bk_btc").get_data(as_text=True)
    found = re.search(r"data-figures='([^']*)'", page)
    assert found is not None
    embedded = json.loads(html.unescape(found.group(1)))
    served = client.get("/process-map/data.json?award_form=bk_btc").json
    for body in (embedded, served):
        body.pop("generated_at")
    assert embedded == served
    assert (embedded["waiting"], embedded["overdue"]) == (2, 1)
    assert embedded["filters"] == {"unit_id": None, "award_form": "bk_btc"}


def test_data_json_counts_dossiers_per_step(api, client, app):
    at_check(api)
    late = at_check(api)
    council = at_council(api)
    assert len(api.items("hoidong1", council["id"], "council_vote")) == 1
    make_late(app, late["id"])
    make_late(app, council["id"])
    rebuild(app)
    login(client, "vanphong")

    response = client.get("/process-map/data.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json
    assert set(body) == {
        "process_key",
        "version",
        "filters",
        "generated_at",
        "durations_refreshed_at",
        "waiting",
        "overdue",
        "steps",
        "retired_steps",
    }
    assert (body["waiting"], body["overdue"]) == (3, 2)
    assert body["durations_refreshed_at"] is not None
    assert body["filters"] == {"unit_id": None, "award_form": None}
    assert body["retired_steps"] == []
    steps = steps_of(body)
    assert all(set(step) == STEP_KEYS for step in body["steps"])
    assert (steps["check_dossier"]["waiting"], steps["check_dossier"]["overdue"]) == (2, 1)
    # Five ballots, one dossier.
    assert (steps["council_vote"]["waiting"], steps["council_vote"]["overdue"]) == (1, 1)
    # Two dossiers are the busiest step, but the scale runs to 8: the palest colour.
    assert steps["check_dossier"]["heat"] == 1
    assert steps["prepare_dossier"]["waiting"] == 0
    assert steps["prepare_dossier"]["sample_size"] == 3
    assert steps["prepare_dossier"]["median_seconds"] is not None
    assert steps["conclude_council"]["median_seconds"] is None
    assert steps["conclude_council"]["median_label"] == "—"
    link = urlsplit(steps["check_dossier"]["tracking_url"])
    assert link.path == "/dossiers"
    assert parse_qs(link.query) == {"step": ["check_dossier"]}
    assert parse_qs(urlsplit(steps["check_dossier"]["overdue_url"]).query) == {
        "step": ["check_dossier"],
        "overdue": ["yes"],
    }


def test_filters_apply_to_the_numbers_and_the_links(api, client):
    ns = at_check(api)
    dn = at_check(
        api, "canbo_dn", "truongphong_dn", award_form="bk_ttg", title="Hồ sơ phòng Tài chính DN"
    )
    login(client, "vanphong")
    ns_unit = api.dossier(ns["id"])["unit"]["id"]
    dn_unit = api.dossier(dn["id"])["unit"]["id"]

    def check_waiting(query):
        body = client.get(f"/process-map/data.json?{query}").json
        return body, steps_of(body)["check_dossier"]

    assert check_waiting("")[1]["waiting"] == 2
    body, step = check_waiting(f"unit_id={ns_unit}")
    assert step["waiting"] == 1
    assert body["filters"] == {"unit_id": ns_unit, "award_form": None}
    assert parse_qs(urlsplit(step["tracking_url"]).query) == {
        "step": ["check_dossier"],
        "unit_id": [str(ns_unit)],
    }
    _body, step = check_waiting("award_form=bk_ttg")
    assert step["waiting"] == 1
    assert "award_form=bk_ttg" in step["dossiers_url"]
    assert check_waiting(f"unit_id={dn_unit}&award_form=bk_btc")[1]["waiting"] == 0
    # Values the form does not offer mean "any", as on the tracking list.
    assert check_waiting("award_form=nope&unit_id=999999")[1]["waiting"] == 2

    page = client.get(f"/process-map?unit_id={dn_unit}").get_data(as_text=True)
    assert f'<option value="{dn_unit}" selected>' in page
    assert f'data-data-url="/process-map/data.json?unit_id={dn_unit}"' in page
    assert 'id="map-clear"' in page


def test_the_page_renders_the_table_and_the_diagram_urls(api, client):
    at_check(api)
    at_check(api)
    login(client, "vanphong")
    response = client.get("/process-map")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-data-url="/process-map/data.json"' in page
    assert 'data-diagram-url="/process-map/diagram.bpmn"' in page
    assert "bpmn-js/dist/bpmn-navigated-viewer.production.min.js" in page
    assert "/static/process-map.js" in page
    assert "bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css" in page
    row = re.search(
        r'<tr data-step="check_dossier" data-waiting="(\d+)" data-overdue="(\d+)"', page
    )
    assert row
    assert row.groups() == ("2", "0")
    assert "Kiểm tra hồ sơ" in page
    assert 'href="/dossiers?step=check_dossier"' in page
    assert 'id="map-empty"' not in page
    assert 'id="map-retired"' not in page
    # The strict CSP allows no inline script or style: every script is a file, no style="".
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", page) == []
    assert " style=" not in page
    assert "<style" not in page


def test_the_page_says_when_the_median_times_were_computed(api, client, app):
    at_check(api)
    login(client, "vanphong")
    page = client.get("/process-map").get_data(as_text=True)
    assert "Thời gian xử lý chưa được tính" in page
    assert client.get("/process-map/data.json").json["durations_refreshed_at"] is None

    rebuild(app)
    page = client.get("/process-map").get_data(as_text=True)
    stamp = client.get("/process-map/data.json").json["durations_refreshed_at"]
    zone = ZoneInfo(app.config["TIME_ZONE"])
    at = datetime.fromisoformat(stamp).astimezone(zone)
    assert f"cập nhật lúc {at:%H:%M}" in page
    assert "Thời gian xử lý chưa được tính" not in page
    row = re.search(r'<tr data-step="approve_at_unit".*?</tr>', page, re.S)
    assert row
    assert "dưới 1 giờ" in row.group(0)

    # A rebuild of an earlier day shows its date as well as its time.
    rebuild(app, utcnow() - timedelta(days=2))
    page = client.get("/process-map").get_data(as_text=True)
    earlier = (utcnow() - timedelta(days=2)).astimezone(zone)
    assert f"cập nhật lúc {earlier:%d/%m/%Y} " in page


def test_the_page_has_an_empty_state(client):
    login(client, "vanphong")
    page = client.get("/process-map").get_data(as_text=True)
    assert 'id="map-empty"' in page
    assert 'id="map-table"' in page  # the steps and their medians are still listed
    filtered = client.get("/process-map?award_form=hcld_1").get_data(as_text=True)
    assert 'id="map-empty"' in filtered
    assert 'href="/process-map"' in filtered


def test_another_department_sees_zeros_and_none_of_the_units(api, client, app):
    dossier = at_check(api)
    at_council(api)
    rebuild(app)
    login(client, "vanphong_hn")
    body = client.get("/process-map/data.json").json
    assert body["waiting"] == 0
    assert all(step["waiting"] == 0 and step["overdue"] == 0 for step in body["steps"])
    assert all(step["sample_size"] == 0 for step in body["steps"])
    listed = client.get("/process-map/dossiers.json?step=check_dossier").json
    assert (listed["waiting"], listed["dossiers"]) == (0, [])
    unit = api.dossier(dossier["id"])["unit"]["id"]
    page = client.get(f"/process-map?unit_id={unit}").get_data(as_text=True)
    assert f'<option value="{unit}"' not in page
    assert dossier["code"] not in page
    assert 'id="map-empty"' in page


def test_a_step_lists_its_dossiers_longest_waiting_first(api, client, app):
    first = at_check(api)
    second = at_check(api)
    make_late(app, second["id"])
    login(client, "vanphong")
    response = client.get("/process-map/dossiers.json?step=check_dossier")
    assert response.status_code == 200
    body = response.json
    assert (body["step"], body["name"], body["waiting"], body["more"]) == (
        "check_dossier",
        "Kiểm tra hồ sơ",
        2,
        0,
    )
    assert body["in_diagram"] is True
    assert body["tracking_url"] == "/dossiers?step=check_dossier"
    rows = body["dossiers"]
    assert [row["code"] for row in rows] == [first["code"], second["code"]]
    assert [row["overdue"] for row in rows] == [False, True]
    assert rows[0]["url"] == f"/dossiers/{first['id']}"
    assert rows[0]["unit"] == "Phòng Quản lý ngân sách"
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", rows[0]["since_label"])
    assert set(rows[0]) == {
        "id",
        "code",
        "title",
        "unit",
        "since",
        "since_label",
        "due_label",
        "overdue",
        "url",
    }
    assert client.get("/process-map/dossiers.json?step=no_such_step").status_code == 404
    # The panel's link leads to the tracking list narrowed to the same dossiers.
    tracking = client.get(body["tracking_url"]).get_data(as_text=True)
    assert first["code"] in tracking
    assert second["code"] in tracking


def test_the_diagram_file_is_the_deployed_version_and_revalidates(client):
    login(client, "vanphong")
    response = client.get("/process-map/diagram.bpmn")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert 'id="check_dossier"' in response.get_data(as_text=True)
    etag = response.headers["ETag"]
    again = client.get("/process-map/diagram.bpmn", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_steps_an_older_version_had_are_listed_apart(api, client, app):
    dossier = at_check(api)
    with database(app).transaction() as session:
        v1 = session.scalar(
            select(ProcessVersion).where(
                ProcessVersion.process_key == "award_nomination", ProcessVersion.version == 1
            )
        )
        xml = re.sub(
            r'(id|sourceRef|targetRef|bpmnElement)="check_dossier"',
            r'\1="verify_dossier"',
            v1.bpmn_xml,
        ).replace(">check_dossier<", ">verify_dossier<")
        v2 = process_versions.create_version(session, None, v1.process_key, xml, dict(v1.files))
        assert v2.problems == []
        process_versions.deploy_version(session, None, v1.process_key, v2.version)
    login(client, "vanphong")
    body = client.get("/process-map/data.json").json
    assert body["version"] == 2
    [retired] = body["retired_steps"]
    assert (retired["id"], retired["waiting"], retired["in_diagram"]) == ("check_dossier", 1, False)
    # The tracking list filters by the deployed steps only: the map's own list shows these.
    assert retired["tracking_url"] is None
    assert steps_of(body)["verify_dossier"]["waiting"] == 0
    page = client.get("/process-map").get_data(as_text=True)
    retired_table = page[page.index('id="map-retired"') :]
    assert '<tr data-step="check_dossier" data-waiting="1"' in retired_table
    listed = client.get(retired["dossiers_url"]).json
    assert [row["code"] for row in listed["dossiers"]] == [dossier["code"]]
    assert listed["tracking_url"] is None
    diagram = client.get("/process-map/diagram.bpmn").get_data(as_text=True)
    assert 'id="verify_dossier"' in diagram


def _legend(page: str) -> str:
    start = page.index('id="map-legend"')
    return page[start : page.index('id="process-map"', start)]


def test_the_legend_shows_no_sample_numbers_and_the_real_scale(api, client):
    at_check(api)
    at_check(api)
    login(client, "vanphong")
    page = client.get("/process-map").get_data(as_text=True)
    legend = _legend(page)
    # The symbols are explained without made-up counts ("12 đang chờ", "3 quá hạn").
    assert "số hồ sơ đang chờ tại bước" in legend
    assert "trong đó số hồ sơ quá hạn" in legend
    symbols = legend[: legend.index('id="map-scale"')]
    assert re.findall(r">\s*\d+\s*<", symbols) == []
    # The colours stand for real counts: with at most 2 waiting, the scale runs to 8.
    bands = re.findall(r'<li class="[^"]*" data-level="(\d)">.*?</span>\s*([^<]+?)\s*</li>', legend)
    assert bands == [
        ("1", "1–2 hồ sơ"),
        ("2", "3–4 hồ sơ"),
        ("3", "5–6 hồ sơ"),
        ("4", "từ 7 hồ sơ trở lên"),
    ]
    assert "thang màu tính đến 8 hồ sơ" in legend


def test_the_scale_follows_the_busiest_step_above_the_floor(api, client, app):
    for _ in range(10):
        at_check(api)
    login(client, "vanphong")
    page = client.get("/process-map").get_data(as_text=True)
    legend = _legend(page)
    assert "với bước đông nhất (10 hồ sơ)" in legend
    bands = re.findall(r'data-level="(\d)">.*?</span>\s*([^<]+?)\s*</li>', legend)
    assert [text for _level, text in bands] == [
        "1–2 hồ sơ",
        "3–5 hồ sơ",
        "6–7 hồ sơ",
        "từ 8 hồ sơ trở lên",
    ]
    body = client.get("/process-map/data.json").json
    assert steps_of(body)["check_dossier"]["heat"] == 4
