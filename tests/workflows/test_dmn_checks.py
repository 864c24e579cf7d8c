"""Decision tables with gaps (and overlaps under UNIQUE) are reported with their decision."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from workflows.checks import check_bundle
from workflows.dmn_checks import called_decisions, decisions_of, dmn_gap_problems
from workflows.xml_loading import parse_xml

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
RULES = (BPMN_DIR / "award_rules.dmn").read_text(encoding="utf-8")
DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def table(inputs, rows, *, hit_policy="UNIQUE", decision_id="d1"):
    """A DMN file with one decision table: inputs are (expression, typeRef) pairs, rows are
    lists of input cells (one output column, filled in)."""
    head = "".join(
        f'<input id="in{i}"><inputExpression id="ie{i}" typeRef="{type_ref}">'
        f"<text>{expression}</text></inputExpression></input>"
        for i, (expression, type_ref) in enumerate(inputs)
    )
    body = "".join(
        f'<rule id="r{n}">'
        + "".join(f"<inputEntry><text>{cell}</text></inputEntry>" for cell in row)
        + "<outputEntry><text>1</text></outputEntry></rule>"
        for n, row in enumerate(rows, start=1)
    )
    return (
        f'<definitions xmlns="{DMN_NS}" id="defs" name="t" namespace="x">\n'
        f'<decision id="{decision_id}" name="Rules">\n'
        f'<decisionTable id="t1" hitPolicy="{hit_policy}">{head}'
        f'<output id="o1" name="result" typeRef="number"/>{body}</decisionTable>'
        "</decision></definitions>"
    )


def problems(dmn, **kwargs):
    return dmn_gap_problems(parse_xml(dmn, "rules.dmn"), "rules.dmn", **kwargs)


def messages(dmn, **kwargs):
    return [(p.code, p.message) for p in problems(dmn, **kwargs)]


def test_the_shipped_rules_cover_every_award_form_once():
    assert problems(RULES) == []


def test_a_missing_award_form_is_a_gap_naming_the_values_and_the_decision():
    dmn = RULES.replace('? in ("hcld_1", "hcld_2", "hcld_3")', '? in ("hcld_1",)')
    assert dmn != RULES
    [problem] = problems(dmn)
    assert problem.code == "dmn_gap"
    assert problem.element_id == "award_rules"
    assert problem.file_name == "rules.dmn"
    assert problem.line == 3
    assert problem.message.endswith('award_form = "hcld_2", "hcld_3"')


def test_a_typo_in_a_value_leaves_that_award_form_uncovered():
    dmn = RULES.replace('<text>"bk_btc"</text>', '<text>"bk_bct"</text>')
    assert messages(dmn) == [
        (
            "dmn_gap",
            "decision 'Số thành viên tối thiểu và tỷ lệ đồng ý theo hình thức khen thưởng' "
            'has no rule for award_form = "bk_btc"',
        )
    ]


def test_a_comma_list_is_not_a_list_for_the_engine():
    # dmn-js writes "one of" as a FEEL list; SpiffWorkflow compares the value with a tuple.
    dmn = table([("award_form", "string")], [['"bk_btc", "bk_ttg"'], ['? in ("hcld_1", "hcld_2")']])
    [(code, message)] = messages(dmn)
    assert code == "dmn_gap"
    assert message.endswith('award_form = "bk_btc", "bk_ttg", "hcld_3"')


def test_overlaps_are_reported_under_unique_only():
    rows = [['"bk_btc"'], ['? in ("bk_btc", "bk_ttg")'], ["-"]]
    dmn = table([("award_form", "string")], rows)
    found = messages(dmn)
    assert [code for code, _ in found] == ["dmn_overlap"] * 3
    assert "'r1' and 'r2'" in found[0][1]
    assert 'award_form = "bk_btc"' in found[0][1]
    assert "'r2' and 'r3'" in found[2][1]
    assert messages(table([("award_form", "string")], rows, hit_policy="FIRST")) == []


def test_the_enumerations_are_a_parameter():
    dmn = table([("decision", "string")], [['"approve"'], ['"return"']])
    assert problems(dmn) == []  # an unknown variable: nothing to say
    found = messages(dmn, enumerations={"decision": ("approve", "return", "refuse")})
    assert found == [("dmn_gap", "decision 'Rules' has no rule for decision = \"refuse\"")]


@pytest.mark.parametrize(
    ("cells", "type_ref", "gap"),
    [
        (["&lt; 10", "&gt;= 10"], "number", None),
        (["&lt; 10", "&gt; 10"], "number", "score = 10"),
        (["10 &lt;= ? &lt; 20", "? &gt;= 20"], "number", "score < 10"),
        (["&lt;= 5", "&gt;= 6"], "integer", None),
        (["&lt;= 5", "&gt;= 6"], "number", "5 < score < 6"),
        (["&lt; 0", "0", "? &gt; 0 and ? &lt; 18", "&gt;= 65"], "integer", "18 <= score < 65"),
        (["[1..5]"], "integer", None),  # FEEL ranges are not read: no guess
        (["&lt; 10", "&gt; 20"], "number", "10 <= score <= 20"),
        (["&gt; -5", "-5"], "number", "score < -5"),
    ],
)
def test_numeric_ranges(cells, type_ref, gap):
    found = messages(table([("score", type_ref)], [[c] for c in cells]))
    gaps = [message for code, message in found if code == "dmn_gap"]
    if gap is None:
        assert gaps == []
    else:
        assert gaps == [f"decision 'Rules' has no rule for {gap}"]


def test_a_cell_naming_another_variable_is_given_the_benefit_of_the_doubt():
    dmn = table([("score", "number")], [["&lt; limit"], ["&gt;= limit"]])
    assert problems(dmn) == []


def test_two_columns_name_the_missing_combinations():
    dmn = table(
        [("award_form", "string"), ("members", "integer")],
        [
            ['? in ("bk_btc", "bk_ttg", "hcld_1", "hcld_2", "hcld_3")', "&gt;= 5"],
            ['"bk_btc"', "&lt; 5"],
        ],
    )
    [(code, message)] = messages(dmn)
    assert code == "dmn_gap"
    assert 'award_form = "bk_ttg" and members < 5' in message
    assert 'award_form = "hcld_3" and members < 5' in message
    assert "bk_btc" not in message


def test_a_boolean_input_needs_both_values():
    dmn = table([("posthumous", "boolean")], [["True"]])
    assert messages(dmn) == [("dmn_gap", "decision 'Rules' has no rule for posthumous = False")]


def test_an_empty_table_has_every_value_missing():
    dmn = table([("award_form", "string")], [])
    [(_, message)] = messages(dmn)
    assert message.endswith('award_form = "bk_btc", "bk_ttg", "hcld_1", "hcld_2", "hcld_3"')


def test_check_bundle_reports_gaps_with_the_other_problems():
    bpmn = (BPMN_DIR / "award_nomination.bpmn").read_bytes()
    dmn = RULES.replace('<text>"bk_ttg"</text>', '<text>"bk_tgg"</text>')
    result = check_bundle(bpmn, {"award_rules.dmn": dmn})
    gaps = [p for p in result.problems if p.code == "dmn_gap"]
    assert [(p.element_id, p.file_name) for p in gaps] == [("award_rules", "award_rules.dmn")]
    assert "bk_ttg" in gaps[0].message
    assert not result.ok


def test_decisions_and_the_tasks_that_call_them():
    [decision] = decisions_of(parse_xml(RULES, "award_rules.dmn"))
    assert decision.decision_id == "award_rules"
    assert decision.inputs == ("award_form",)
    assert decision.outputs == ("quorum", "threshold", "secret")
    assert (decision.hit_policy, decision.rule_count) == ("UNIQUE", 3)
    bpmn = parse_xml((BPMN_DIR / "award_nomination.bpmn").read_bytes(), "award_nomination.bpmn")
    assert called_decisions(bpmn) == {"load_council_rules": "award_rules"}


def test_cells_are_read_the_way_the_engine_reads_them():
    rows = [
        ['? == "bk_btc" or ? == "bk_ttg"'],
        ['? in {"hcld_3"}'],
        ['not ? in ("bk_btc", "bk_ttg", "hcld_3", "hcld_2")'],
        ['!= "hcld_1"'],  # glued to the input: award_form != "hcld_1"
    ]
    inputs = [("award_form", "string")]
    assert messages(table(inputs, rows, hit_policy="FIRST")) == []
    [(_, message)] = messages(table(inputs, rows[:3], hit_policy="FIRST"))
    assert message.endswith('award_form = "hcld_2"')
    # A cell the engine cannot read is not counted as a gap (nor as covering for sure).
    assert messages(table(inputs, [*rows[:3], ['!= "hcld_1" and ?']], hit_policy="FIRST")) == []


def test_a_number_past_floats_range_leaves_the_table_alone_without_crashing():
    cells = ["< 1" + "0" * 400, ">= 1" + "0" * 400]  # the cuts overflow a float
    dmn = parse_xml(table([("amount", "number")], [[escape(c)] for c in cells]), "t.dmn")
    assert dmn_gap_problems(dmn, "t.dmn") == []
