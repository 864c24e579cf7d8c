"""A NUL or another control character in a query string is refused naming the parameter (API:
422 `invalid`) or ignored as no match (pages), never a 500: PostgreSQL refuses such text."""

from __future__ import annotations

import pytest

from tests.web.pages import login

BAD = ["a%00b", "%14%0A%F3%B6%96%88", "x%7F"]


@pytest.mark.parametrize("value", BAD)
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/dossiers?movement={v}",
        "/api/v1/dossiers?q={v}",
        "/api/v1/dossiers?step={v}",
        "/api/v1/work-items?movement={v}",
    ],
)
def test_the_api_names_the_parameter(api, url, value):
    response = api.get(url.format(v=value), "canbo_ns")
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    name = url.split("?")[1].split("=")[0]
    assert name in error["fields"]


def test_a_bad_parameter_name_is_refused_too(api):
    response = api.get("/api/v1/dossiers?a%00b=1", "canbo_ns")
    assert response.status_code == 422
    assert "query" in response.get_json()["error"]["fields"]


def test_a_listed_dossier_is_still_found_by_clean_queries(api):
    dossier = api.start()
    found = api.get(f"/api/v1/dossiers?q={dossier['code']}", "canbo_ns").get_json()
    assert [d["code"] for d in found["items"]] == [dossier["code"]]


@pytest.mark.parametrize("query", ["movement=a%00b", "q=a%00b", "step=a%00b", "status=%00"])
def test_the_tracking_page_does_not_fail(client, query):
    login(client, "vanphong")
    response = client.get(f"/dossiers?{query}")
    assert response.status_code in {200, 422}, response.status_code
