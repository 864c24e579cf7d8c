"""Signed PDFs: each embedded signature validated with pyHanko when the file is uploaded (the
signer, the time the signer's software reported, whether the file is intact and whether the
signer's certificate leads to a configured trusted root), the result stored with the file.

Bounded: uploads are at most MAX_FILE_BYTES, at most MAX_SIGNATURES are checked, the check
runs with a time limit, and revocation information is never fetched from the network."""

from __future__ import annotations

import io
import logging
import time
import warnings
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.db import utcnow
from webapp.models import Attachment, SignatureCheck
from webapp.services.settings import settings_of

with warnings.catch_warnings():
    # pyHanko imports cryptography's DSA module, which warns that DSA is deprecated.
    warnings.simplefilter("ignore")
    from asn1crypto import x509 as asn1_x509
    from pyhanko.keys import load_certs_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

NONE = "none"  # a PDF without signatures (a scan)
VALID_TRUSTED = "valid_trusted"  # intact, and the signer leads to a trusted root
INTACT_UNTRUSTED = "intact_untrusted"  # intact, but the signer is not known to be trusted
INVALID = "invalid"  # changed after signing, or the signature itself does not verify
UNREADABLE = "unreadable"  # the PDF or its signature could not be read
TIMED_OUT = "timed_out"  # the check did not finish in its time
# Worst first: a file's overall result is its worst signature's.
_ORDER = (INVALID, UNREADABLE, TIMED_OUT, INTACT_UNTRUSTED, VALID_TRUSTED, NONE)
MAX_SIGNATURES = 10
PDF_TYPE = "application/pdf"
_log = logging.getLogger(__name__)
# An untrusted or broken signature is a result stored with the file, not a logged traceback.
logging.getLogger("pyhanko.sign.validation.generic_cms").setLevel(logging.ERROR)


@dataclass(frozen=True)
class SignatureReport:
    """What a PDF's signatures were found to be: overall, and one entry per signature."""

    status: str
    signatures: list[dict[str, Any]] = field(default_factory=list)


def load_trust_roots(paths: Iterable[Path]) -> list[asn1_x509.Certificate]:
    """The certificates of the configured trust store files (PEM or DER); unreadable files
    are logged and skipped, never a reason to refuse an upload."""
    roots: list[asn1_x509.Certificate] = []
    for path in paths:
        try:
            roots.extend(load_certs_from_pemder([str(path)]))  # type: ignore[no-untyped-call]
        except (OSError, ValueError) as exc:
            _log.warning("trust root %s could not be read: %s", path, exc)
    return roots


def _one(embedded: Any, roots: Sequence[asn1_x509.Certificate]) -> dict[str, Any]:
    context = ValidationContext(
        trust_roots=list(roots), allow_fetching=False, revocation_mode="soft-fail"
    )
    status = validate_pdf_signature(embedded, context)
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE or (
        status.docmdp_ok is not False
        and status.modification_level is not None
        # Nothing added after signing, or only validation data (long-term validation).
        and status.modification_level <= ModificationLevel.LTA_UPDATES
    )
    if not (status.intact and status.valid and whole):
        result = INVALID
    elif status.trusted:
        result = VALID_TRUSTED
    else:
        result = INTACT_UNTRUSTED
    cert = status.signing_cert
    signed_at = status.signer_reported_dt
    return {
        "field": embedded.field_name,
        "status": result,
        "signer": cert.subject.native.get("common_name") or cert.subject.human_friendly,
        "organisation": cert.subject.native.get("organization_name"),
        "issuer": cert.issuer.native.get("common_name") or cert.issuer.human_friendly,
        "signed_at": signed_at.isoformat() if signed_at else None,
        "intact": bool(status.intact),
        "valid": bool(status.valid),
        "trusted": bool(status.trusted),
        "whole_file": status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
    }


def _validate(data: bytes, roots: Sequence[asn1_x509.Certificate]) -> SignatureReport:
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)[:MAX_SIGNATURES]
    except Exception:  # a damaged PDF is an answer, not an error
        return SignatureReport(UNREADABLE)
    if not embedded:
        return SignatureReport(NONE)
    found = []
    for signature in embedded:
        try:
            found.append(_one(signature, roots))
        except Exception as exc:  # one unreadable signature does not hide the others
            found.append({"field": signature.field_name, "status": UNREADABLE, "error": str(exc)})
    worst = min((s["status"] for s in found), key=_ORDER.index)
    return SignatureReport(worst, found)


def check_signatures(
    data: bytes, trust_roots: Sequence[asn1_x509.Certificate], seconds: float
) -> SignatureReport:
    """Validate every signature of a PDF within `seconds` (TIMED_OUT past that)."""
    deadline = time.monotonic() + seconds
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pdf-signatures")
    try:
        report = pool.submit(_validate, data, trust_roots).result(timeout=seconds)
    except FutureTimeout:
        return SignatureReport(TIMED_OUT)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    # A starved caller may only look after the check has finished late: late is still late.
    return SignatureReport(TIMED_OUT) if time.monotonic() > deadline else report


def record_signature_check(session: Session, attachment: Attachment, data: bytes) -> None:
    """Validate a stored PDF's signatures and keep the result with it (other types: nothing)."""
    if attachment.mime_type != PDF_TYPE:
        return
    settings = settings_of(session)
    report = check_signatures(
        data, load_trust_roots(settings.signature_trust_roots), settings.signature_check_seconds
    )
    session.merge(
        SignatureCheck(
            attachment_id=attachment.id,
            status=report.status,
            signatures=report.signatures,
            checked_at=utcnow(),
        )
    )


def signature_checks(session: Session, attachment_ids: Iterable[int]) -> dict[int, SignatureCheck]:
    """The stored results of these attachments, by attachment id."""
    ids = list(attachment_ids)
    if not ids:
        return {}
    rows = session.scalars(select(SignatureCheck).where(SignatureCheck.attachment_id.in_(ids)))
    return {row.attachment_id: row for row in rows}
