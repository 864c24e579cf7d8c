"""The check an uploaded DOCX template passes before a process version keeps it.

A template is untrusted: the file is bounded (2 MB, its parts and their total unpacked size, the
packing ratio: no zip bomb), it must be a Word document without DTDs, its Jinja must parse, use
only the fields of its kind (fields.py) and no private or unsafe attribute, include nothing, and
it must render in the same sandbox as the papers (render.py) with every field filled. Each
refusal is a TemplateRefusedError whose `code` says why and whose `name`/`detail` name the
problem; nothing is stored by the caller then.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator

from docx import Document
from docxtpl import DocxTemplate  # type: ignore[import-untyped]
from jinja2 import meta, nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import (
    UNSAFE_ASYNC_GENERATOR_ATTRIBUTES,
    UNSAFE_COROUTINE_ATTRIBUTES,
    UNSAFE_FUNCTION_ATTRIBUTES,
    UNSAFE_GENERATOR_ATTRIBUTES,
    UNSAFE_METHOD_ATTRIBUTES,
)

from webapp.services.documents import render
from webapp.services.documents.fields import FIELDS, Field, sample_context
from webapp.services.errors import InvalidDataError

MAX_TEMPLATE_BYTES = 2 * 1024 * 1024
MAX_PARTS = 300
MAX_PART_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 30 * 1024 * 1024
# A part may unpack to at most this many times its packed size (beyond 1 MB: small parts of
# repeated XML legitimately pack well).
MAX_RATIO = 100
RATIO_FROM_BYTES = 1024 * 1024
UNSAFE_ATTRIBUTES = (
    UNSAFE_FUNCTION_ATTRIBUTES
    | UNSAFE_METHOD_ATTRIBUTES
    | UNSAFE_GENERATOR_ATTRIBUTES
    | UNSAFE_COROUTINE_ATTRIBUTES
    | UNSAFE_ASYNC_GENERATOR_ATTRIBUTES
    | {"mro", "format_map"}
)
DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
OPENER = re.compile(r"\{[{%#]")
CLOSERS = {"{{": "}}", "{%": "%}", "{#": "#}"}
MAX_TAGS = 1_000
XML_TAG = re.compile(r"<[^>]+>")


class TemplateRefusedError(InvalidDataError):
    """Why an uploaded template was refused. `code`: too_large, not_zip, zip_bomb, not_docx,
    too_many_tags, unclosed_tag, syntax_error, unknown_field, forbidden_attribute, forbidden_tag,
    template_failed; `name` the field, attribute or tag at fault, `detail` the parser's or
    sandbox's own words,
    `excerpt` the document's text around a syntax error."""

    def __init__(self, code: str, detail: str = "", *, name: str = "", excerpt: str = ""):
        super().__init__(
            f"{code}: {name or detail}".strip(": "), {"template": detail or name or code}, code=code
        )
        self.detail = detail
        self.name = name
        self.excerpt = excerpt


def _check_zip(data: bytes) -> None:
    if len(data) > MAX_TEMPLATE_BYTES:
        raise TemplateRefusedError("too_large", f"{len(data)} bytes")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise TemplateRefusedError("not_zip", str(exc)) from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_PARTS:
            raise TemplateRefusedError("zip_bomb", f"{len(infos)} parts")
        names = [info.filename for info in infos]
        if len(set(names)) != len(names):
            raise TemplateRefusedError("not_docx", "a part is named twice")
        declared = 0
        for info in infos:
            declared += info.file_size
            if info.flag_bits & 0x1:
                raise TemplateRefusedError("not_docx", f"{info.filename} is encrypted")
            if info.file_size > MAX_PART_BYTES or declared > MAX_UNPACKED_BYTES:
                raise TemplateRefusedError("zip_bomb", f"{info.filename}: {info.file_size} bytes")
            if info.file_size > RATIO_FROM_BYTES and info.file_size > MAX_RATIO * max(
                info.compress_size, 1
            ):
                raise TemplateRefusedError(
                    "zip_bomb",
                    f"{info.filename} unpacks {info.file_size} from {info.compress_size}",
                )
        if "[Content_Types].xml" not in names or "word/document.xml" not in names:
            raise TemplateRefusedError("not_docx", "no word/document.xml")
        for info in infos:
            # zipfile stops a part at its declared size and checks its CRC: read it all,
            # bounded, so a lying header cannot pass.
            try:
                with archive.open(info) as part:
                    content = part.read(MAX_PART_BYTES + 1)
            except (zipfile.BadZipFile, NotImplementedError, zlib.error, EOFError) as exc:
                raise TemplateRefusedError("not_docx", f"{info.filename}: {exc}") from exc
            if len(content) > MAX_PART_BYTES:
                raise TemplateRefusedError("zip_bomb", info.filename)
            if info.filename.endswith((".xml", ".rels")) and DOCTYPE.search(content):
                raise TemplateRefusedError("not_docx", f"{info.filename} declares a DTD")


def _raw_sources(template: DocxTemplate) -> Iterator[tuple[str, bool]]:
    """Every text docxtpl renders, before its clean-up: (text, is XML) of the body, headers,
    footers, footnotes, then the document's properties."""
    yield template.get_xml(), True
    for uri in (template.HEADER_URI, template.FOOTER_URI):
        for _key, part in template.get_headers_footers(uri):
            yield template.get_part_xml(part), True
    for part in template.docx.part.package.parts:
        if part.content_type.endswith("wordprocessingml.footnotes+xml"):
            blob = part.blob
            yield (blob.decode("utf-8") if isinstance(blob, bytes) else blob), True
    properties = template.docx.core_properties
    for name in ("author", "comments", "identifier", "language", "subject", "title"):
        yield getattr(properties, name) or "", False


def _check_delimiters(source: str, is_xml: bool) -> None:
    """Every {{, {% and {# closes before another opens, and there are at most MAX_TAGS of them.

    docxtpl's clean-up (patch_xml) scans from each opener to its closer with regular
    expressions: openers without closers make it quadratic (50 KB of "{{ a" took 80 s). This
    linear scan refuses such a text before docxtpl sees it. Jinja parses and compiles about a
    millisecond per tag, so MAX_TAGS keeps the whole check near a second (the shipped
    templates have under a hundred tags each)."""
    text = XML_TAG.sub("", source) if is_xml else source
    position, count = 0, 0
    while (found := OPENER.search(text, position)) is not None:
        count += 1
        if count > MAX_TAGS:
            raise TemplateRefusedError("too_many_tags", f"more than {MAX_TAGS} tags")
        start = found.start()
        close = text.find(CLOSERS[found.group()], start + 2)
        inner = OPENER.search(text, start + 2, close if close >= 0 else len(text))
        if close < 0 or inner is not None:
            raise TemplateRefusedError(
                "unclosed_tag",
                f"the tag opened with {found.group()} is not closed",
                name=found.group(),
                excerpt=" ".join(text[max(start - 40, 0) : start + 80].split()),
            )
        position = close + 2


def _excerpt(source: str, lineno: int | None) -> str:
    if not lineno:
        return ""
    lines = source.splitlines()[max(lineno - 2, 0) : lineno + 1]
    text = " ".join(" ".join(XML_TAG.sub("", line) for line in lines).split())
    return text[:200]


def _attribute(node: nodes.Node) -> tuple[nodes.Node, str] | None:
    """(object, attribute name) of `x.name` and `x['name']`."""
    if isinstance(node, nodes.Getattr):
        return node.node, node.attr
    if (
        isinstance(node, nodes.Getitem)
        and isinstance(node.arg, nodes.Const)
        and isinstance(node.arg.value, str)
    ):
        return node.node, node.arg.value
    return None


def _check_ast(kind: str, tree: nodes.Template) -> None:
    fields: dict[str, Field] = {f.name: f for f in FIELDS[kind]}
    for tag in (nodes.Include, nodes.Extends, nodes.Import, nodes.FromImport):
        found = tree.find(tag)
        if found is not None:
            raise TemplateRefusedError("forbidden_tag", name=tag.__name__.lower())
    forbidden = [
        pair[1]
        for pair in map(_attribute, tree.find_all((nodes.Getattr, nodes.Getitem)))
        if pair and (pair[1].startswith("_") or pair[1] in UNSAFE_ATTRIBUTES)
    ]
    if forbidden:
        # find_all walks a chain outside in; the text reads it inside out (x.__class__.__mro__).
        raise TemplateRefusedError(
            "forbidden_attribute", name=", ".join(dict.fromkeys(forbidden[::-1]))
        )
    allowed = set(fields) | set(render.environment().globals)
    unknown = sorted(meta.find_undeclared_variables(tree) - allowed)
    if unknown:
        raise TemplateRefusedError("unknown_field", name=unknown[0], detail=", ".join(unknown))
    # `row.x` inside `for row in rows`: x must be a field of the rows.
    for loop in tree.find_all(nodes.For):
        if not (isinstance(loop.iter, nodes.Name) and isinstance(loop.target, nodes.Name)):
            continue
        listed = fields.get(loop.iter.name)
        if listed is None or listed.kind != "rows":
            continue
        items = {item.name for item in listed.items}
        for body in loop.body:
            for node in body.find_all((nodes.Getattr, nodes.Getitem)):
                pair = _attribute(node)
                if (
                    pair
                    and isinstance(pair[0], nodes.Name)
                    and pair[0].name == loop.target.name
                    and pair[1] not in items
                ):
                    raise TemplateRefusedError("unknown_field", name=f"{loop.iter.name}.{pair[1]}")


def check_template(kind: str, data: bytes) -> None:
    """Refuse (TemplateRefusedError) a DOCX that is not a safe, working template of `kind`."""
    if kind not in FIELDS:
        raise InvalidDataError("unknown document kind", {"kind": "is not a document kind"})
    _check_zip(data)
    template = DocxTemplate(io.BytesIO(data))
    try:
        template.init_docx()
        raw = list(_raw_sources(template))
    except Exception as exc:  # python-docx raises many kinds on a bad package
        raise TemplateRefusedError("not_docx", str(exc)[:300]) from exc
    for text, is_xml in raw:
        _check_delimiters(text, is_xml)
    sources = [template.patch_xml(text) if is_xml else text for text, is_xml in raw]
    environment = render.environment()
    for source in sources:
        # docxtpl puts each paragraph on a line of its own before rendering: the same here, so
        # an error's line is a paragraph.
        source = re.sub(r"<w:p([ >])", r"\n<w:p\1", source)
        try:
            tree = environment.parse(source)
        except TemplateSyntaxError as exc:
            raise TemplateRefusedError(
                "syntax_error", exc.message or str(exc), excerpt=_excerpt(source, exc.lineno)
            ) from exc
        _check_ast(kind, tree)
    _trial_render(kind, data)


def _trial_render(kind: str, data: bytes) -> None:
    try:
        output = render.render_docx(kind, sample_context(kind), data, strict=True)
    except SecurityError as exc:
        raise TemplateRefusedError("forbidden_attribute", str(exc)) from exc
    except InvalidDataError as exc:
        if isinstance(exc.__cause__, UndefinedError):
            raise TemplateRefusedError(
                "unknown_field", str(exc.__cause__), name=_undefined_name(str(exc.__cause__))
            ) from exc
        raise TemplateRefusedError("template_failed", str(exc.__cause__ or exc)) from exc
    except Exception as exc:  # whatever else an untrusted template breaks
        raise TemplateRefusedError("template_failed", str(exc)[:300]) from exc
    try:  # the rendered XML must still be a Word document
        Document(io.BytesIO(output))
    except Exception as exc:  # python-docx raises many kinds on a bad package
        raise TemplateRefusedError("template_failed", str(exc)[:300]) from exc


def _undefined_name(message: str) -> str:
    """The name in Jinja's "'x' is undefined" / "... has no attribute 'x'"."""
    found = re.findall(r"'([^']+)'", message)
    return found[-1] if found else ""
