"""The manifest of the hostile-content corpus: one entry per data file under corpus/<class>/.

Each case says what the file is, how it reaches the server and how the server must refuse it:

- apply "upload": the file goes into a copy of the shipped diagram at `slot` (or is a whole
  diagram, slot "diagram") and is uploaded as a new version through the API, with the shipped
  forms and rule table;
- apply "upload_form" / "upload_rules": the file replaces the form `form` / award_rules.dmn
  among the shipped files, uploaded with the shipped diagram as a new version through the API
  (multipart; for content larger than a page's form field may be);
- apply "save_form": the file replaces the form `form` of version 1 through the admin's form
  editor (a new draft);
- apply "save_rules": the file replaces award_rules.dmn of version 1 through the rule-table
  editor (a new draft).

Expected ends:

- "check": the upload is answered 422 `diagram_problems` with a problem, or the editor refuses
  the save (422), or the saved draft lists a problem and cannot be deployed;
- "runtime": the version is deployed, a dossier is started on it and walked to `through`; the
  completion of that step (with `data`) is answered 422 `process_error` or `invalid` (or
  `invalid_form`: the step's form cannot check the data) and the dossier is exactly where it
  was;
- "too_large": the request body is over the server's limit: 413 before anything is read.

Files named *.recipe.json describe content too large to commit; tests/hostile/builders.py
makes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parent / "corpus"
CLASSES = (
    "cpu",
    "memory",
    "recursion",
    "timers",
    "cardinality",
    "ref",
    "regex",
    "numbers",
    "sizes",
)
ENDS = frozenset({"check", "runtime", "too_large"})
APPLY = frozenset({"upload", "upload_form", "upload_rules", "save_form", "save_rules"})
SLOTS = frozenset(
    {
        "condition",
        "script",
        "timer_duration",
        "timer_cycle",
        "timer_date",
        "cardinality",
        "mi_collection",
        "standard_loop",
        "diagram",
    }
)
APPROVE = {"decision": "approve"}
REDOS_TEXT = "a" * 40 + "!"


@dataclass(frozen=True)
class Case:
    """One hostile file, how it is applied and how it must be refused."""

    file: str
    what: str
    apply: str
    expect: tuple[str, ...]
    slot: str | None = None
    form: str = "approve_at_unit.json"
    data: dict[str, Any] = field(default_factory=lambda: dict(APPROVE))
    through: str = "approve_at_unit"

    @property
    def klass(self) -> str:
        """The class of the case: the folder its file is in."""
        return self.file.split("/", 1)[0]

    @property
    def name(self) -> str:
        """The case's id: class/file name without extension."""
        return self.file.removesuffix(".recipe.json").rsplit(".", 1)[0]

    @property
    def path(self) -> Path:
        """The data file."""
        return CORPUS / self.file


def _run(file: str, what: str, slot: str, **kwargs: Any) -> Case:
    """Content the check cannot judge (it depends on the dossier's data): refused at run time."""
    return Case(file, what, "upload", ("runtime",), slot=slot, **kwargs)


def _either(file: str, what: str, slot: str) -> Case:
    """Constant content: the check may see what it would do and refuse it, else the engine
    must refuse it at run time."""
    return Case(file, what, "upload", ("check", "runtime"), slot=slot)


def _check(file: str, what: str, slot: str) -> Case:
    return Case(file, what, "upload", ("check",), slot=slot)


def _form(file: str, what: str, expect: str = "check", **kwargs: Any) -> Case:
    return Case(file, what, "save_form", (expect,), **kwargs)


def _rules(file: str, what: str, expect: str = "check", **kwargs: Any) -> Case:
    return Case(file, what, "save_rules", (expect,), **kwargs)


CASES: list[Case] = [
    # --- cpu: one C call or a loop that would hold the worker ---------------------------------
    _either("cpu/pow_tower.expr", "gateway condition 9 ** 9 ** 9", "condition"),
    _either("cpu/pow_huge_exponent.expr", "gateway condition 2 ** 10 ** 8", "condition"),
    _either(
        "cpu/pow_largest_operands.expr",
        "gateway condition 4000000 ** 4000000 (both operands at simpleeval's own limit)",
        "condition",
    ),
    _either("cpu/busy_loop.script", "script task `while True: pass`", "script"),
    _run(
        "cpu/busy_loop_from_data.script",
        "script task counting up from len(decision) while the count is positive",
        "script",
    ),
    _run("cpu/pow_from_data.expr", "condition 9 ** 9 ** len(decision)", "condition"),
    _either("cpu/nested_loops.script", "script task counting to 10**10 in two loops", "script"),
    # A standard loop whose condition always holds and has no maximum: the engine would run the
    # script again and again within one turn. The check may refuse an unbounded loop, or the
    # turn's budget stops it.
    Case(
        "cpu/standard_loop_forever.script",
        "script task in a standard loop that never ends (loopCondition True, no maximum)",
        "upload",
        ("check", "runtime"),
        slot="standard_loop",
    ),
    Case(
        "cpu/dmn_output_pow_tower.dmn",
        "rule-table output cell 9 ** 9 ** 9, evaluated when the council's rules are read",
        "save_rules",
        ("check", "runtime"),
        through="check_dossier",
    ),
    _rules(
        "cpu/dmn_output_pow_from_data.dmn",
        "rule-table output cell 9 ** 9 ** len(award_form): only the dossier's data tells",
        "runtime",
        through="check_dossier",
    ),
    # --- memory: results of gigabytes from one operation, or data left by a turn --------------
    _either("memory/percent_format_width.expr", 'condition "%0999999999d" % 1', "condition"),
    _either("memory/fstring_width.expr", 'condition f"{1:>999999999}"', "condition"),
    _either(
        "memory/replace_blowup.expr",
        'condition ("x" * 99999).replace("x", "x" * 99999): 10 GB',
        "condition",
    ),
    _either(
        "memory/join_blowup.expr",
        'condition "-".join(["x" * 99999] * 99999): 10 GB',
        "condition",
    ),
    _either(
        "memory/nested_lists.expr",
        "condition [[0] * 99999 for i in range(99999)]: 80 GB of references",
        "condition",
    ),
    _either("memory/data_50mb.script", "script task leaving 50 MB of data", "script"),
    _either(
        "memory/script_replace_blowup.script",
        "script task s.replace('x', s) on a 99,999-character string: 10 GB",
        "script",
    ),
    _run(
        "memory/replace_from_data.expr",
        "condition (decision * 14285).replace(decision, decision * 14285): 1.4 GB",
        "condition",
    ),
    _run(
        "memory/format_width_from_data.expr",
        'condition ("%0" + str(len(decision)) + "00000000d") % 1: 700 MB',
        "condition",
    ),
    _run(
        "memory/data_50mb_from_data.script",
        "script task leaving 50 MB of data built from the decision",
        "script",
    ),
    _rules(
        "memory/dmn_billion_laughs.dmn",
        "rule table with nested entities (a billion laughs)",
    ),
    # --- recursion ------------------------------------------------------------------------------
    _either("recursion/recursive_function.script", "script task `def f(): return f()`", "script"),
    _either(
        "recursion/self_containing_list.script",
        "script task `a = []; a.append(a)` leaving a list that contains itself",
        "script",
    ),
    _either(
        "recursion/nested_data_from_script.script",
        "script task leaving a list nested 100,000 deep (saving or copying it would recurse)",
        "script",
    ),
    _check(
        "recursion/deep_parentheses.expr",
        "condition nested 10,000 parentheses deep",
        "condition",
    ),
    _check(
        "recursion/deep_not_chain.expr",
        "condition `not not not … False` 50,000 deep (the parser runs out of memory)",
        "condition",
    ),
    _check(
        "recursion/nested_500_subprocesses.recipe.json",
        "diagram with 500 subprocesses nested in each other",
        "diagram",
    ),
    _form(
        "recursion/schema_nested_10000.recipe.json",
        "form whose schema nests `items` 10,000 deep",
    ),
    _rules(
        "recursion/dmn_nested_10000_elements.dmn",
        "rule table whose description nests 10,000 elements",
    ),
    # --- timers ---------------------------------------------------------------------------------
    _check("timers/duration_99999999_years.timer", 'timer duration "P99999999Y"', "timer_duration"),
    _check("timers/cycle_billion_repeats.timer", 'timer cycle "R999999999/PT1S"', "timer_cycle"),
    _check(
        "timers/cycle_forever_zero_interval.timer",
        'timer cycle "R/PT0S": unbounded repeats, no interval',
        "timer_cycle",
    ),
    _check("timers/date_year_99999.timer", "timer date in the year 99999", "timer_date"),
    _run(
        "timers/duration_from_data.timer",
        'timer duration "P" + comment + "Y" with comment 99999999',
        "timer_duration",
        data={"decision": "approve", "comment": "99999999"},
    ),
    _run(
        "timers/date_from_data.timer",
        "timer date read from the data: 99999-12-31",
        "timer_date",
        data={"decision": "approve", "comment": "99999-12-31T00:00:00+07:00"},
    ),
    # --- cardinality ----------------------------------------------------------------------------
    _check(
        "cardinality/loop_cardinality_100000.expr",
        "multi-instance user task with loopCardinality 100000",
        "cardinality",
    ),
    _either(
        "cardinality/loop_cardinality_googol.expr",
        "multi-instance user task with loopCardinality 10 ** 100 (an expression)",
        "cardinality",
    ),
    _run(
        "cardinality/loop_cardinality_from_data.expr",
        "multi-instance cardinality int(comment) with comment 100000",
        "cardinality",
        data={"decision": "approve", "comment": "100000"},
    ),
    _either(
        "cardinality/collection_100000_from_script.script",
        "multi-instance user task over a collection of 100,000 items a script made",
        "mi_collection",
    ),
    # --- ref: forms that point outside themselves, or are no schema -----------------------------
    _form(
        "ref/ref_http_closed_port.json",
        "form with $ref to http://127.0.0.1:1 (a closed port)",
    ),
    _form("ref/ref_file_etc_passwd.json", "form with $ref to file:///etc/passwd"),
    # A loop of references under a field: statically visible, so the check must find it
    # (validating data that reaches the field would recurse until the stack runs out).
    _form("ref/ref_cycle.json", "form whose $ref points at itself (#/$defs/loop) under a field"),
    _form(
        "ref/ref_relative_to_remote_id.json",
        "form with $id http://127.0.0.1:1/forms/ and a relative $ref resolved against it",
    ),
    _form("ref/dynamic_ref_remote.json", "form with $dynamicRef to http://127.0.0.1:1"),
    _form(
        "ref/schema_remote_metaschema.json",
        "form whose $schema is http://127.0.0.1:1/metaschema.json",
    ),
    _form(
        "ref/not_a_json_schema.json",
        'form {"type": "object", "properties": 5}: JSON, but no JSON Schema',
    ),
    # --- regex ----------------------------------------------------------------------------------
    _form(
        "regex/pattern_nested_quantifier.json",
        'form pattern ^(a+)+$ with the comment "aaaa…!" (40 a)',
        "runtime",
        data={"decision": "approve", "comment": REDOS_TEXT},
    ),
    _form(
        "regex/pattern_alternation_star.json",
        'form pattern ^(a|a)*$ with the comment "aaaa…!" (40 a)',
        "runtime",
        data={"decision": "approve", "comment": REDOS_TEXT},
    ),
    _form(
        "regex/pattern_properties_nested_quantifier.json",
        'form patternProperties ^(a+)+$ with a field named "aaaa…!" (40 a)',
        "runtime",
        data={"decision": "approve", REDOS_TEXT: "x"},
    ),
    _form("regex/pattern_backreference.json", "form pattern with a backreference ^(a+)\\1$"),
    _form(
        "regex/pattern_huge_repeat.json",
        "form pattern ((a{1000}){1000}){1000}: a billion-state automaton",
    ),
    _form("regex/pattern_not_a_regex.json", "form pattern `(unclosed`: not a regular expression"),
    # --- numbers --------------------------------------------------------------------------------
    _either(
        "numbers/int_to_str_4000000_digits.expr",
        "condition len(str(3 ** 4000000)): a 1.9-million-digit number made text",
        "condition",
    ),
    _check(
        "numbers/literal_5000_digits.expr",
        "condition with a 5,000-digit integer literal",
        "condition",
    ),
    _check(
        "numbers/timer_500_digit_seconds.timer",
        "timer duration of a 500-digit number of seconds",
        "timer_duration",
    ),
    _rules("numbers/dmn_500_digit_output.dmn", "rule-table output cell with 500 digits"),
    _rules("numbers/dmn_500_digit_input.dmn", "rule-table input entry ? < (500 digits)"),
    _form("numbers/form_min_length_googol.json", "form minLength 10**100"),
    _form(
        "numbers/form_multiple_of_tiny.json",
        "form number field multipleOf 1e-320, given 1e308",
        "runtime",
        data={"decision": "approve", "score": 1e308},
    ),
    # --- sizes ----------------------------------------------------------------------------------
    _check("sizes/linear_3000_tasks.recipe.json", "diagram of 3,000 tasks in a row", "diagram"),
    _check(
        "sizes/diagram_6_mb.recipe.json",
        "the shipped diagram padded to 6 MB (over the 5 MB diagram limit, under the body limit)",
        "diagram",
    ),
    Case(
        "sizes/diagram_19_mb.recipe.json",
        "the shipped diagram padded to 19 MB (over the API's 8 MB body limit: refused unread)",
        "upload",
        ("too_large",),
        slot="diagram",
    ),
    _check("sizes/expression_1_mb.recipe.json", "condition of 1 MB", "condition"),
    _check("sizes/script_1_mb.recipe.json", "script task of 1 MB", "script"),
    Case(
        "sizes/form_5_mb.recipe.json",
        "form of 5 MB, uploaded with a version (a page's field may not be that large)",
        "upload_form",
        ("check",),
    ),
    _form("sizes/form_50_mb.recipe.json", "form of 50 MB (over the request limit)", "too_large"),
    Case(
        "sizes/dmn_10000_rules.recipe.json",
        "rule table with 10,000 rules, uploaded with a version",
        "upload_rules",
        ("check",),
    ),
]


def validate_manifest(cases: list[Case] = CASES) -> list[str]:
    """What is wrong with the manifest (empty when every case is well formed)."""
    errors = []
    names = [c.name for c in cases]
    errors += [f"{n}: listed twice" for n in sorted({n for n in names if names.count(n) > 1})]
    listed = {c.file for c in cases}
    on_disk = {str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*") if p.is_file()}
    errors += [f"{f}: data file not in the manifest" for f in sorted(on_disk - listed)]
    for case in cases:
        if not case.path.is_file():
            errors.append(f"{case.file}: no such data file")
        if case.klass not in CLASSES:
            errors.append(f"{case.file}: unknown class {case.klass}")
        if case.apply not in APPLY:
            errors.append(f"{case.file}: unknown way to apply {case.apply}")
        if not case.expect or not set(case.expect) <= ENDS:
            errors.append(f"{case.file}: unknown expected end {case.expect}")
        if case.apply == "upload" and case.slot not in SLOTS:
            errors.append(f"{case.file}: an upload needs a slot, not {case.slot}")
    return errors
