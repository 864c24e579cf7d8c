"""The movement filter (`movement=<code>`) of the tracking list, its CSV and Excel files, the
API's dossier list and the process map; the map also shows the dossiers in a round on their own
process. An unknown movement is refused with a message naming the field."""

from __future__ import annotations

import csv
import io

from flask import Flask

from tests.services.rounds_support import join, open_round
from tests.web.pages import login
from webapp.request_db import database

PREFIX = "/api/v1"


def _two_movements(app: Flask) -> dict[str, str]:
    """Two rounds in two movements, a dossier being prepared in each, and an ad-hoc one:
    movement code -> the code of its dossier."""
    found = {}
    with database(app).transaction() as session:
        for name, officer in (("Tổng kết năm", "canbo_ns"), ("Chuyên đề", "canbo_dn")):
            round_ = open_round(session, name=name, forms=("bk_btc",))
            dossier = join(session, round_, officer=officer)
            found[round_.movement.code] = dossier.code
    return found


def _codes(rows: list[dict]) -> list[str]:
    return sorted(row["code"] for row in rows)


def test_the_tracking_list_its_files_and_the_api_keep_one_movement(app: Flask, client, api):
    movements = _two_movements(app)
    adhoc = api.start(as_user="canbo_ns")["code"]
    first, second = movements
    login(client, "vanphong")

    page = client.get(f"/dossiers?movement={first}").get_data(as_text=True)
    assert movements[first] in page
    assert movements[second] not in page
    assert adhoc not in page
    assert f'<option value="{first}" selected>' in page
    # The list's exports carry the filter and keep it.
    assert f"/dossiers.csv?movement={first}" in page
    text = client.get(f"/dossiers.csv?movement={first}").get_data().decode("utf-8-sig")
    cells = {cell for row in csv.reader(io.StringIO(text)) for cell in row}
    assert movements[first] in cells
    assert movements[second] not in cells
    assert adhoc not in cells
    assert client.get(f"/dossiers.xlsx?movement={second}").status_code == 200

    listed = api.get(f"{PREFIX}/dossiers?movement={second}", "vanphong").get_json()
    assert _codes(listed["items"]) == [movements[second]]
    everything = api.get(f"{PREFIX}/dossiers", "vanphong").get_json()
    assert {movements[first], movements[second], adhoc} <= set(_codes(everything["items"]))

    # An unknown movement is refused, never read as "every movement".
    refused = client.get("/dossiers?movement=KHONG-CO")
    assert refused.status_code == 422
    assert "không phải là một phong trào" in refused.get_data(as_text=True)
    assert client.get("/dossiers.csv?movement=KHONG-CO").status_code == 422
    assert client.get("/dossiers.xlsx?movement=KHONG-CO").status_code == 422
    bad = api.get(f"{PREFIX}/dossiers?movement=KHONG-CO", "vanphong")
    assert bad.status_code == 422
    assert "movement" in bad.get_json()["error"]["fields"]


def test_the_process_map_shows_the_round_process_by_movement(app: Flask, client, api):
    movements = _two_movements(app)
    api.start(as_user="canbo_ns")
    first, second = movements
    login(client, "vanphong")

    # Ad-hoc dossiers' map: the one ad-hoc dossier waits at its first step.
    adhoc = client.get("/process-map/data.json").get_json()
    assert adhoc["process_key"] == "award_nomination"
    assert adhoc["waiting"] == 1

    # Dossiers in a round: their own process, diagram and counts, and the movement filter.
    rounds = client.get("/process-map/data.json?process=round_proposal").get_json()
    assert rounds["process_key"] == "round_proposal"
    assert rounds["waiting"] == 2
    one = client.get(f"/process-map/data.json?process=round_proposal&movement={first}")
    assert one.get_json()["waiting"] == 1
    step = next(s for s in one.get_json()["steps"] if s["waiting"])
    assert f"movement={first}" in step["dossiers_url"]
    assert "process=round_proposal" in step["dossiers_url"]
    # The tracking list filters by the ad-hoc diagram's steps: a round step has the panel only.
    assert step["tracking_url"] is None
    listed = client.get(step["dossiers_url"]).get_json()
    assert [d["code"] for d in listed["dossiers"]] == [movements[first]]
    diagram = client.get("/process-map/diagram.bpmn?process=round_proposal").get_data(as_text=True)
    assert 'process id="round_proposal"' in diagram.replace("bpmn:process", "process")
    default = client.get("/process-map/diagram.bpmn").get_data(as_text=True)
    assert "round_proposal" not in default

    page = client.get(f"/process-map?process=round_proposal&movement={second}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<option value="round_proposal" selected>' in text
    assert f'<option value="{second}" selected>' in text

    refused = client.get("/process-map?movement=KHONG-CO")
    assert refused.status_code == 422
    assert 'id="movement-error"' in refused.get_data(as_text=True)
    bad = client.get("/process-map/data.json?movement=KHONG-CO")
    assert bad.status_code == 422
    assert "movement" in bad.get_json()["error"]["fields"]
