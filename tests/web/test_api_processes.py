"""Administrators upload, check and deploy process versions through the API."""

from __future__ import annotations

from pathlib import Path

from tests.web.diagrams import deploy_new_version, failing_after_unit_approval, three_problems

BPMN = (Path(__file__).resolve().parents[2] / "bpmn" / "award_nomination.bpmn").read_text()


def upload(api, xml, as_user="admin"):
    return api.client.post(
        "/api/v1/processes/award_nomination/versions",
        headers={**api.headers(as_user), "Content-Type": "application/xml"},
        data=xml.encode("utf-8"),
    )


def test_upload_lists_every_problem_at_once(api):
    broken = three_problems(BPMN)
    response = upload(api, broken)
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "diagram_problems"
    found = {(p["code"], p["element_id"]) for p in error["problems"]}
    assert ("unknown_form", "check_dossier") in found
    assert ("unknown_role", "lane_director") in found
    assert ("unsafe_expression", "f_unit_approve") in found
    assert len(found) == 3
    assert all(p["line"] for p in error["problems"])
    assert "check_dossier" in error["fields"]
    versions = api.get("/api/v1/processes", "admin").json["processes"][0]["versions"]
    assert [v["version"] for v in versions] == [1]


def test_hostile_xml_is_refused(api):
    xxe = BPMN.replace(
        "<bpmn:definitions",
        '<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<bpmn:definitions',
        1,
    )
    response = upload(api, xxe)
    assert response.status_code == 422
    assert response.json["error"]["problems"][0]["code"] == "doctype_refused"
    assert "root:" not in response.get_data(as_text=True)


def test_only_administrators_manage_processes(api):
    assert upload(api, BPMN, as_user="vanphong").status_code == 403
    assert api.get("/api/v1/processes", "vanphong").status_code == 403
    assert (
        api.get("/api/v1/processes/award_nomination/versions/1/bpmn", "vanphong").status_code == 403
    )


def test_deploy_starts_new_dossiers_on_the_new_version_and_old_ones_keep_theirs(api):
    old = api.start()
    renamed = BPMN.replace('name="Kiểm tra hồ sơ"', 'name="Kiểm tra, thẩm định hồ sơ"')
    created = upload(api, renamed)
    assert created.status_code == 201, created.json
    assert created.json["status"] == "draft"
    assert created.json["version"] == 2
    deployed = api.post("/api/v1/processes/award_nomination/versions/2/deploy", "admin")
    assert deployed.status_code == 200
    assert deployed.json["status"] == "deployed"
    listing = api.get("/api/v1/processes", "admin").json["processes"][0]["versions"]
    assert [(v["version"], v["status"]) for v in listing] == [(1, "retired"), (2, "deployed")]
    assert listing[0]["running_dossiers"] == 1

    new = api.start()
    assert new["process"]["version"] == 2
    for dossier in (old, new):
        api.do("canbo_ns", dossier["id"], "prepare_dossier", {"decision": "submit"})
        api.do("truongphong_ns", dossier["id"], "approve_at_unit", {"decision": "approve"})
    assert api.dossier(old["id"])["current"][0]["title"] == "Kiểm tra hồ sơ"
    assert api.dossier(new["id"])["current"][0]["title"] == "Kiểm tra, thẩm định hồ sơ"
    assert (
        api.post("/api/v1/processes/award_nomination/versions/2/deploy", "admin").status_code == 409
    )
    xml = api.get("/api/v1/processes/award_nomination/versions/2/bpmn", "admin")
    assert xml.mimetype == "application/xml"
    assert "Kiểm tra, thẩm định hồ sơ" in xml.get_data(as_text=True)


def test_upload_needs_xml_or_multipart(api):
    response = api.post("/api/v1/processes/award_nomination/versions", "admin", json={"x": 1})
    assert response.status_code == 422
    assert "content_type" in response.json["error"]["fields"]


def _corpus_files():
    from tests.workflows.test_checks import CORPUS

    return sorted(p for p in CORPUS.rglob("*") if p.suffix in {".bpmn", ".dmn"})


def test_every_corpus_file_gets_a_draft_or_its_problems(api):
    files = _corpus_files()
    assert len(files) == 160
    outcomes = {201: 0, 422: 0}
    for path in files:
        response = api.client.post(
            "/api/v1/processes/corpus_check/versions",
            headers={**api.headers("admin"), "Content-Type": "application/xml"},
            data=path.read_bytes(),
        )
        assert response.status_code in outcomes, (path.name, response.status_code)
        outcomes[response.status_code] += 1
        if response.status_code == 422:
            problems = response.json["error"]["problems"]
            assert problems
            assert all(p["message"] for p in problems)
    assert outcomes[422] > 0


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_hostile_uploads_are_refused_fast_and_without_memory_growth(api):
    import time

    from tests.workflows.test_xml_safety import BILLION_LAUGHS

    xxe = BPMN.replace(
        "<bpmn:definitions",
        '<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<bpmn:definitions',
        1,
    )
    deep = "<a>" * 200_000 + "</a>" * 200_000
    before = _rss_kib()
    for body in (xxe, BILLION_LAUGHS, deep) * 5:
        started = time.perf_counter()
        response = upload(api, body)
        assert time.perf_counter() - started < 1
        assert response.status_code == 422
    assert _rss_kib() - before < 50 * 1024


def test_a_condition_that_fails_at_run_time_is_422_and_changes_nothing(api):
    deploy_new_version(api, failing_after_unit_approval(BPMN))
    dossier = api.start()
    api.do("canbo_ns", dossier["id"], "prepare_dossier", {"decision": "submit"})
    before = api.dossier(dossier["id"])
    response = api.complete(
        "truongphong_ns", dossier["id"], "approve_at_unit", {"decision": "approve"}
    )
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "process_error"
    assert "flag_nobody_sets" in response.json["error"]["fields"]["process"]
    after = api.dossier(dossier["id"])
    assert after["current"] == before["current"]
    assert after["history"] == before["history"]
