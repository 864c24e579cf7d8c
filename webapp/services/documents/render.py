"""DOCX from a template and a context: docxtpl in a sandboxed Jinja environment, output bounded.

Templates are editable by the administrator (a process version may carry its own), so a
template is untrusted: Jinja's ImmutableSandboxedEnvironment refuses attribute tricks (no
`__class__`, no callables of our objects, no changing the context's lists), every value is
XML-escaped, and a result larger than MAX_OUTPUT_BYTES is refused. The upload check
(template_check.py) renders a new template here too, with undefined names made errors.
"""

from __future__ import annotations

import hashlib
import io
import time
from functools import lru_cache
from pathlib import Path
from types import CodeType
from typing import Any

from docxtpl import DocxTemplate  # type: ignore[import-untyped]
from jinja2 import StrictUndefined, Template
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment

from webapp.services.errors import InvalidDataError

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "data" / "document_templates"
MAX_OUTPUT_BYTES = 20 * 1024 * 1024
# A template's loops are bounded too: `range` in the sandbox stops at this many items.
MAX_RANGE = 10_000
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# What one document part (its XML) may grow to, and how long rendering may take: both are
# checked while the template streams its output, so a runaway loop stops early.
MAX_XML_CHARS = 40_000_000
RENDER_SECONDS = 10.0
# A template's parts are prepared once per process and kept (most recently used first): the
# same tờ trình template gives the same XML to clean and compile for every dossier, a third of
# a render's time. Parts longer than this are prepared each time, so that what is kept stays
# small whatever an administrator uploads.
KEPT_PARTS = 64
KEPT_PART_CHARS = 200_000


class _BoundedTemplate(Template):
    """A template whose rendering stops past MAX_XML_CHARS characters or its deadline."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        """The output, streamed and counted (OverflowError once a bound is passed)."""
        deadline = getattr(self.environment, "deadline", None)
        parts, size = [], 0
        for chunk in self.generate(*args, **kwargs):
            size += len(chunk)
            if size > MAX_XML_CHARS or (deadline is not None and time.monotonic() > deadline):
                raise OverflowError("the template produced too much")
            parts.append(chunk)
        return "".join(parts)


class _Sandbox(ImmutableSandboxedEnvironment):
    """The sandbox, with bounded output, a deadline and a smaller `range` than Jinja's; the
    code of a part it compiled before is taken from the kept ones."""

    template_class = _BoundedTemplate
    deadline: float | None = None

    def compile(
        self,
        source: Any,
        name: str | None = None,
        filename: str | None = None,
        raw: bool = False,
        defer_init: bool = False,
    ) -> Any:
        """The compiled code of `source` (docxtpl's from_string comes here). Kept only for the
        sandboxes `environment()` makes: escaping on (the code escapes where it was compiled to)."""
        plain = name is None and filename is None and not (raw or defer_init)
        short = isinstance(source, str) and len(source) <= KEPT_PART_CHARS
        if plain and short and self.autoescape is True:
            return _compiled(self.undefined is StrictUndefined, source)
        return super().compile(source, name, filename, raw, defer_init)  # type: ignore[call-overload]


@lru_cache(maxsize=KEPT_PARTS)
def _compiled(strict: bool, source: str) -> CodeType:
    """The code of a template part as the sandbox of that strictness compiles it. Code does
    not hold the environment: each render still runs it with its own deadline and `range`."""
    return ImmutableSandboxedEnvironment.compile(environment(strict=strict), source)


class _Template(DocxTemplate):  # type: ignore[misc]
    """docxtpl's template, whose cleaning of a part's XML for Jinja is kept per XML."""

    def patch_xml(self, src_xml: str) -> str:
        """docxtpl's cleaning of `src_xml`, done once per distinct XML."""
        if len(src_xml) > KEPT_PART_CHARS:
            return str(super().patch_xml(src_xml))
        return _patched(src_xml)


# docxtpl's patch_xml is a pure function of its argument (it reads nothing of its template):
# one template that is never opened does the cleaning for every kept XML.
_CLEANER = DocxTemplate(io.BytesIO())


@lru_cache(maxsize=KEPT_PARTS)
def _patched(src_xml: str) -> str:
    return str(_CLEANER.patch_xml(src_xml))


def environment(*, strict: bool = False) -> SandboxedEnvironment:
    """The sandbox a template renders in (a fresh deadline each time); `strict` makes an
    undefined name or attribute an error instead of an empty text (the upload check)."""
    environment = (
        _Sandbox(autoescape=True, undefined=StrictUndefined)
        if strict
        else _Sandbox(autoescape=True)
    )
    environment.deadline = time.monotonic() + RENDER_SECONDS
    environment.globals["range"] = _bounded_range(environment)
    return environment


def _bounded_range(environment: _Sandbox) -> Any:
    def bounded(*args: int) -> range:
        values = range(*args)
        too_late = environment.deadline is not None and time.monotonic() > environment.deadline
        if len(values) > MAX_RANGE or too_late:
            raise OverflowError("range too large for a document template")
        return values

    return bounded


@lru_cache(maxsize=16)
def template_bytes(kind: str) -> bytes:
    """The stored template of a document kind (the project's own DOCX files)."""
    path = TEMPLATE_DIR / f"{kind}.docx"
    if not path.is_file():
        raise InvalidDataError("unknown document kind", {"kind": "is not a document kind"})
    return path.read_bytes()


def template_hash(kind: str) -> str:
    """SHA-256 of the template a document kind is made from (kept with each document)."""
    return hashlib.sha256(template_bytes(kind)).hexdigest()


def render_docx(
    kind: str,
    context: dict[str, Any],
    template: bytes | None = None,
    *,
    strict: bool = False,
) -> bytes:
    """The DOCX of `kind` filled with `context`, from `template` (a version's own DOCX) or the
    shipped one; InvalidDataError when the template fails on this data or the result is too
    large. A SecurityError of the sandbox goes up as it is."""
    document = _Template(io.BytesIO(template if template is not None else template_bytes(kind)))
    try:
        document.render(context, jinja_env=environment(strict=strict), autoescape=True)
    except OverflowError as exc:
        raise InvalidDataError(
            "the template produced too much", {"template": "loops too far"}, code="too_much"
        ) from exc
    except SecurityError:
        raise
    except (TemplateError, ArithmeticError, LookupError, TypeError, ValueError) as exc:
        # An uploaded template may fail on some data only (a division by zero, a bad filter).
        raise InvalidDataError(
            f"the template failed: {exc}", {"template": str(exc)}, code="template_failed"
        ) from exc
    out = io.BytesIO()
    document.save(out)
    data = out.getvalue()
    if len(data) > MAX_OUTPUT_BYTES:
        raise InvalidDataError(
            "the document is too large",
            {"template": f"produced more than {MAX_OUTPUT_BYTES // (1024 * 1024)} MB"},
        )
    return data
