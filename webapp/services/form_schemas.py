"""A step's form is an administrator's upload: untrusted. Check it, then validate with it safely.

`check_form_schema` refuses, with a code and the place in the schema, anything that could make
the server fetch a URL, open a file, hang on a regular expression or exhaust the stack:

- bounded size and nesting (checked iteratively, before anything recursive runs);
- `$schema` only at the root and only JSON Schema 2020-12 (the validator's own draft);
- no `$id` anywhere, and every `$ref`/`$dynamicRef` a fragment of the same document that
  resolves in it (a `referencing.Registry` that retrieves nothing);
- every `pattern` and `patternProperties` key compiles with RE2 (no backreferences or
  look-arounds: those are what backtracking needs); `unevaluatedProperties` is refused beside
  `patternProperties` (jsonschema would evaluate those patterns with Python's `re`);
- valid against the 2020-12 meta-schema.

`form_validator` builds the validator that submitted data is checked with: `pattern`,
`patternProperties` (through `additionalProperties`) and `format: regex` run on RE2, and `$ref`
resolves only inside the document (the registry has no retrieval: no network, no file).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

import re2
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import extend
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

MAX_SCHEMA_CHARS = 200_000
MAX_DEPTH = 32
MAX_NODES = 20_000
MAX_PATTERN_CHARS = 1_000
# Any number in a form (a length, a bound, a default) stays within what a person could type.
MAX_NUMBER = 10**15
# RE2's memory budget for one compiled pattern (its default is 8 MiB).
PATTERN_MEMORY = 1 << 20
KNOWN_DRAFTS = frozenset(
    {
        "https://json-schema.org/draft/2020-12/schema",
        "https://json-schema.org/draft/2020-12/schema#",
    }
)
REF_KEYWORDS = ("$ref", "$dynamicRef")
# Keywords whose values are data, not schemas: never read as references or patterns.
DATA_KEYWORDS = frozenset({"const", "enum", "default", "examples"})


class UnsafeFormError(ValueError):
    """Why a form's schema is refused: a stable `code`, where (`location`, a JSON pointer
    into the schema) and the technical detail (English)."""

    def __init__(self, code: str, detail: str, location: str = "") -> None:
        super().__init__(f"{location}: {detail}" if location else detail)
        self.code = code
        self.detail = detail
        self.location = location


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False
    options.max_mem = PATTERN_MEMORY
    return options


_RE2_OPTIONS = _options()


# JSON Schema patterns are ECMA-262, where \s is any Unicode space; RE2's \s is ASCII only.
_SPACES = r"\s\p{Z}\x{85}\x{FEFF}"


def unicode_spaces(pattern: str) -> str:
    r"""`pattern` with \s and \S meaning every Unicode space, as JSON Schema (ECMA-262) reads
    them: otherwise a comment of non-breaking spaces would pass the shipped "\S" patterns."""
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            escape = pattern[index + 1]
            if escape == "s":
                out.append(_SPACES if in_class else f"[{_SPACES}]")
            elif escape == "S" and not in_class:
                out.append(f"[^{_SPACES}]")
            else:
                out.append(char + escape)
            index += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        index += 1
    return "".join(out)


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> Any:
    """`pattern` compiled by RE2 (linear time); re2.error when RE2 cannot compile it."""
    if len(pattern) > MAX_PATTERN_CHARS:
        raise re2.error(f"longer than {MAX_PATTERN_CHARS} characters")
    return re2.compile(unicode_spaces(pattern), options=_RE2_OPTIONS)


def _pointer(parts: tuple[str, ...]) -> str:
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts) if parts else ""


def _nodes(schema: Any) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    """Every object of the schema outside data keywords, with its path; refuses a schema that
    is too deep or too large before yielding anything past the bound (iterative, no recursion)."""
    stack: list[tuple[tuple[str, ...], Any]] = [((), schema)]
    count = 0
    while stack:
        path, node = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise UnsafeFormError("form_too_large", f"more than {MAX_NODES} values")
        if len(path) > MAX_DEPTH:
            raise UnsafeFormError(
                "too_deep", f"nested more than {MAX_DEPTH} levels", _pointer(path)
            )
        if isinstance(node, dict):
            yield path, node
            for key, value in node.items():
                if key not in DATA_KEYWORDS and isinstance(value, dict | list):
                    stack.append(((*path, str(key)), value))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, dict | list):
                    stack.append(((*path, str(index)), value))


def _check_pattern(pattern: Any, path: tuple[str, ...]) -> None:
    if not isinstance(pattern, str):
        return  # the meta-schema says why
    try:
        compile_pattern(pattern)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else exc
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        raise UnsafeFormError(
            "unsafe_pattern",
            f"the regular expression {pattern[:80]!r} is refused (only linear-time RE2 "
            f"syntax: no backreferences or look-arounds): {detail}",
            _pointer(path),
        ) from None


def _check_references(path: tuple[str, ...], node: dict[str, Any]) -> None:
    if "$id" in node:
        raise UnsafeFormError(
            "external_ref", "$id is not allowed: a form is one document", _pointer(path)
        )
    if "$schema" in node:
        if path:
            raise UnsafeFormError(
                "unsupported_draft", "$schema is only allowed at the root", _pointer(path)
            )
        if node["$schema"] not in KNOWN_DRAFTS:
            raise UnsafeFormError(
                "unsupported_draft",
                f"$schema must be JSON Schema 2020-12 ({sorted(KNOWN_DRAFTS)[0]})",
                "/$schema",
            )
    for keyword in REF_KEYWORDS:
        ref = node.get(keyword)
        if isinstance(ref, str) and not ref.startswith("#"):
            raise UnsafeFormError(
                "external_ref",
                f"{keyword} {ref[:200]!r} points outside the form; only references inside it "
                "(starting with #) are allowed",
                _pointer((*path, keyword)),
            )


def _check_numbers(schema: Any) -> None:
    """Every number of the schema, data keywords included, is finite and at most MAX_NUMBER."""
    stack: list[tuple[tuple[str, ...], Any]] = [((), schema)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, bool):
            continue
        if isinstance(node, int | float):
            if not (abs(node) <= MAX_NUMBER):  # also catches NaN
                raise UnsafeFormError(
                    "number_too_large", f"numbers are limited to {MAX_NUMBER:.0e}", _pointer(path)
                )
        elif isinstance(node, dict):
            stack.extend(((*path, str(k)), v) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend(((*path, str(i)), v) for i, v in enumerate(node))


def _target_path(ref: str) -> tuple[str, ...] | None:
    """The schema path a `#/a/b` reference points to (None for an anchor such as `#name`)."""
    fragment = unquote(ref[1:])
    if fragment == "":
        return ()
    if not fragment.startswith("/"):
        return None
    return tuple(p.replace("~1", "/").replace("~0", "~") for p in fragment[1:].split("/"))


def _check_ref_loops(refs: list[tuple[tuple[str, ...], str]]) -> None:
    """Refuse references that go round: a target containing a reference that leads back to it.

    Forms are finite; a recursive schema is never needed and, reached by data, recurses until
    the stack runs out. The graph is walked iteratively.
    """
    located: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    for location, ref in refs:
        target = _target_path(ref)
        if target is None:
            raise UnsafeFormError(
                "unresolvable_ref",
                f"{ref[:200]!r}: only JSON-pointer references (#/...) are allowed in a form",
                _pointer(location),
            )
        located.append((location[:-1], target))
    edges: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
    for _location, target in located:
        edges[target] = {t for loc, t in located if loc[: len(target)] == target}
    for start in edges:
        seen: set[tuple[str, ...]] = set()
        todo = list(edges[start])
        while todo:
            current = todo.pop()
            if current == start:
                raise UnsafeFormError(
                    "ref_loop", "the form's references go round in a loop", _pointer(start)
                )
            if current not in seen:
                seen.add(current)
                todo.extend(edges.get(current, ()))


def _check_resolvable(schema: dict[str, Any], refs: list[tuple[tuple[str, ...], str]]) -> None:
    resolver = Registry().resolver_with_root(DRAFT202012.create_resource(schema))
    for path, ref in refs:
        try:
            resolver.lookup(ref)
        except Unresolvable:
            raise UnsafeFormError(
                "unresolvable_ref",
                f"{ref[:200]!r} does not point to a part of this form",
                _pointer(path),
            ) from None


def check_form_schema(schema: Any) -> None:
    """Refuse a schema that is not a safe, self-contained JSON Schema 2020-12 object form."""
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise UnsafeFormError(
            "not_an_object_schema", 'a form must be a JSON Schema of "type": "object"'
        )
    refs: list[tuple[tuple[str, ...], str]] = []
    for path, node in _nodes(schema):
        _check_references(path, node)
        refs += [
            ((*path, keyword), node[keyword])
            for keyword in REF_KEYWORDS
            if isinstance(node.get(keyword), str)
        ]
        _check_pattern(node.get("pattern"), (*path, "pattern"))
        pattern_properties = node.get("patternProperties")
        if isinstance(pattern_properties, dict):
            for key in pattern_properties:
                _check_pattern(key, (*path, "patternProperties", key))
    if any("unevaluatedProperties" in node for _, node in _nodes(schema)) and any(
        "patternProperties" in node for _, node in _nodes(schema)
    ):
        raise UnsafeFormError(
            "unsafe_pattern",
            "unevaluatedProperties cannot be combined with patternProperties in a form",
        )
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = _pointer(tuple(map(str, exc.path)))
        raise UnsafeFormError("invalid_schema", exc.message, where) from None
    except RecursionError:
        raise UnsafeFormError("too_deep", "nested too deeply") from None
    _check_numbers(schema)
    _check_resolvable(schema, refs)
    _check_ref_loops(refs)
    try:
        # A reference loop that consumes no data ({"$ref": "#"}) recurses forever on any value.
        next(form_validator(schema).iter_errors({}), None)
    except RecursionError:
        raise UnsafeFormError("ref_loop", "the form's references go round in a loop") from None


@lru_cache(maxsize=256)
def _verdict(canonical: str) -> UnsafeFormError | None:
    try:
        check_form_schema(json.loads(canonical))
    except UnsafeFormError as problem:
        return problem
    return None


def stored_schema_problem(schema: dict[str, Any]) -> UnsafeFormError | None:
    """The check's verdict on a schema already stored (a legacy form may predate the check),
    remembered per schema text so that each step completion does not check it again."""
    try:
        canonical = json.dumps(schema, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return UnsafeFormError("invalid_schema", "the form is not plain JSON")
    return _verdict(canonical)


def _regex_format(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    compile_pattern(instance)
    return True


FORMATS = FormatChecker(["date", "email"])
FORMATS.checks("regex", raises=re2.error)(_regex_format)


def _pattern(
    validator: Validator, pattern: str, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not compile_pattern(pattern).search(instance):
        yield ValidationError(f"{instance[:80]!r} does not match {pattern[:80]!r}")


def _pattern_properties(
    validator: Validator, patterns: dict[str, Any], instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        compiled = compile_pattern(pattern)
        for key, value in instance.items():
            if compiled.search(key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


_BASE_ADDITIONAL = Draft202012Validator.VALIDATORS["additionalProperties"]


def _additional_properties(
    validator: Validator, additional: Any, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if "patternProperties" not in schema:
        yield from _BASE_ADDITIONAL(validator, additional, instance, schema)
        return
    if not validator.is_type(instance, "object"):
        return
    properties = schema.get("properties", {})
    compiled = [compile_pattern(p) for p in schema["patternProperties"]]
    extras = [
        key
        for key in instance
        if key not in properties and not any(c.search(key) for c in compiled)
    ]
    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif additional is False and extras:
        names = ", ".join(repr(e) for e in sorted(extras))
        yield ValidationError(f"Additional properties are not allowed ({names} unexpected)")


FormValidator = extend(
    Draft202012Validator,
    {
        "pattern": _pattern,
        "patternProperties": _pattern_properties,
        "additionalProperties": _additional_properties,
    },
)


def form_validator(schema: dict[str, Any]) -> Validator:
    """The validator for data sent to `schema`: RE2 patterns, references only inside it."""
    return FormValidator(
        schema,
        registry=Registry(),
        format_checker=FORMATS,
    )
