"""Small DOCX files for the tests of paper templates, and their text read back."""

from __future__ import annotations

import io

from docx import Document


def docx_of(*paragraphs: str) -> bytes:
    """A DOCX whose body is `paragraphs`, one paragraph each (Jinja tags stay as typed)."""
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_text(data: bytes) -> str:
    """The text of a DOCX's body paragraphs, one line each."""
    return "\n".join(paragraph.text for paragraph in Document(io.BytesIO(data)).paragraphs)
