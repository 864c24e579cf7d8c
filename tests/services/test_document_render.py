"""Rendering a paper: a template's parts are cleaned and compiled once and kept, yet each render
fills in its own data within its own bounds; the shipped templates carry only the styles they
use."""

from __future__ import annotations

import io
import time
from types import SimpleNamespace

import pytest
from docx import Document
from docx.oxml.ns import qn

from tests.docx_support import docx_of, docx_text
from webapp.services.documents import render, template_builder
from webapp.services.errors import InvalidDataError


def _style_ids(document) -> set[str]:
    return {style.get(qn("w:styleId")) for style in document.styles.element.findall(qn("w:style"))}


def _has_styles_with_effects(document) -> bool:
    return any(
        rel.reltype == template_builder.STYLES_WITH_EFFECTS for rel in document.part.rels.values()
    )


def test_a_kept_template_fills_each_render_with_its_own_data():
    data = docx_of("Kính gửi: {{ name }}", "Số người: {{ rows | length }}")
    hang = {"name": "Nguyễn Thị Hằng", "rows": [1]}
    tam = {"name": "<Lê Văn Tám>", "rows": []}
    first = docx_text(render.render_docx("submission", hang, data))
    second = docx_text(render.render_docx("submission", tam, data))

    assert "Kính gửi: Nguyễn Thị Hằng" in first
    assert "Số người: 1" in first
    assert "Kính gửi: <Lê Văn Tám>" in second
    assert "Số người: 0" in second
    assert "Hằng" not in second


def test_kept_code_runs_with_each_renders_own_deadline_and_bounds(monkeypatch):
    counted = docx_of("{% for i in range(3) %}{{ i }}{% endfor %}")
    assert "012" in docx_text(render.render_docx("submission", {}, counted))
    # Long after the first render's deadline: the kept code takes the new render's.
    later = time.monotonic() + 10 * render.RENDER_SECONDS
    monkeypatch.setattr(render, "time", SimpleNamespace(monotonic=lambda: later))
    assert "012" in docx_text(render.render_docx("submission", {}, counted))

    endless = docx_of("{% for i in range(10000000) %}x{% endfor %}")
    for _ in range(2):  # compiled, then kept: bounded both times
        with pytest.raises(InvalidDataError):
            render.render_docx("submission", {}, endless)


def test_a_template_kept_from_a_lenient_render_is_strict_in_the_upload_check():
    data = docx_of("Kính gửi: {{ no_such_field }}")
    assert "Kính gửi: " in docx_text(render.render_docx("submission", {}, data))
    with pytest.raises(InvalidDataError) as refused:
        render.render_docx("submission", {}, data, strict=True)
    assert refused.value.code == "template_failed"
    assert "no_such_field" in refused.value.message


def test_the_builder_keeps_the_styles_a_paper_names_and_drops_the_rest():
    document = template_builder.submission()
    assert {"TableGrid", "Heading1"} <= _style_ids(document)
    assert _has_styles_with_effects(document)

    slim = template_builder.slimmed(document)

    kept = _style_ids(slim)
    assert {"Normal", "TableGrid"} <= kept
    assert "Heading1" not in kept  # no part names it
    assert template_builder.styles_in_use(slim) <= kept
    assert not _has_styles_with_effects(slim)


@pytest.mark.parametrize("kind", sorted(template_builder.BUILDERS))
def test_each_shipped_template_is_its_slimmed_build(kind):
    shipped = Document(io.BytesIO(render.template_bytes(kind)))
    built = template_builder.slimmed(template_builder.BUILDERS[kind]())

    assert _style_ids(shipped) == _style_ids(built)
    assert template_builder.styles_in_use(shipped) <= _style_ids(shipped)
    assert not _has_styles_with_effects(shipped)
    assert shipped.element.body.xml == built.element.body.xml
