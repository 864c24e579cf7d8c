"""Random data against every shipped step form: the validator either accepts it, returning
exactly what was sent, or refuses it with InvalidDataError; nothing else ever escapes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webapp.services.errors import InvalidDataError
from webapp.services.form_validation import validate_form

FORMS = {
    path.name: json.loads(path.read_text(encoding="utf-8"))
    for path in sorted((Path(__file__).resolve().parents[2] / "bpmn" / "forms").glob("*.json"))
}
NOMINEES = ["1", "2"]

any_text = st.text(st.characters(codec=None, categories=None), max_size=30)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    any_text,
    st.sampled_from(["approve", "return", "refuse", "submit", "agree", "2024-02-29", "", " "]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(NOMINEES) | any_text, inner, max_size=3),
    ),
    max_leaves=8,
)


def _consts(schema: dict[str, Any]) -> list[Any]:
    return [o["const"] for o in schema.get("oneOf", []) if "const" in o] + list(
        schema.get("enum", [])
    )


@st.composite
def submissions(draw: st.DrawFn, schema: dict[str, Any]) -> dict[str, Any]:
    """Data shaped like the form (its fields, often with an allowed choice), plus noise."""
    data: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        if draw(st.integers(0, 4)) == 0:
            continue
        choices = _consts(prop)
        additional = prop.get("additionalProperties")
        if prop.get("x-nominee-map") and isinstance(additional, dict):
            options = _consts(additional) or ["x"]
            strategy = st.fixed_dictionaries({n: st.sampled_from(options) for n in NOMINEES})
        elif choices:
            strategy = st.sampled_from(choices)
        else:
            strategy = json_values
        data[name] = draw(st.one_of(strategy, json_values) if draw(st.booleans()) else strategy)
    if draw(st.integers(0, 5)) == 0:
        data[draw(any_text)] = draw(json_values)
    return data


@pytest.mark.parametrize("name", sorted(FORMS))
def test_random_data_is_accepted_as_sent_or_refused_cleanly(name):
    schema = FORMS[name]
    outcomes = {"accepted": 0, "refused": 0}

    @settings(
        derandomize=True,
        max_examples=150,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(st.one_of(submissions(schema), json_values))
    def check(data: Any) -> None:
        try:
            accepted = validate_form(schema, data, nominee_ids=NOMINEES)
        except InvalidDataError:
            outcomes["refused"] += 1
            return
        outcomes["accepted"] += 1
        assert isinstance(data, dict)
        assert set(data) <= set(accepted)
        for key, value in data.items():
            assert accepted[key] == value
            assert json.loads(json.dumps(accepted[key])) == value  # storable as JSON, unchanged

    check()
    assert outcomes["refused"] > 0
    # Forms with few required fields are filled often enough for both sides to be explored.
    if name in {"check_dossier.json", "approve_at_unit.json", "appraise_at_ministry.json"}:
        assert outcomes["accepted"] > 0, name
