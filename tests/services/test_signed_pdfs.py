"""Signed PDFs: a PDF signed in the test with pyHanko and a throw-away certificate reads as
intact with an untrusted signer, as valid and trusted once its root is in the trust store, and
as invalid with one byte changed; the result is stored with the file at upload and shown beside
it on the dossier page, also when the Director attaches it at the signing step."""

from __future__ import annotations

import dataclasses
import io
import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from tests.conftest import actor_named
from tests.web.pages import csrf_token, login
from tests.web.test_api_paths import MEMBERS, submit_to_council, vote
from webapp.models import Dossier, SignatureCheck
from webapp.request_db import database
from webapp.services import signed_pdfs
from webapp.services.attachments import Upload, store_attachments
from webapp.services.settings import settings_of

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # pyHanko imports cryptography's deprecated DSA module
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigFieldSpec

SIGNER = "Nguyễn Văn Thử (Giám đốc)"
TEXT = b"To trinh so 58/TTr-STC"


@dataclasses.dataclass(frozen=True)
class ThrowAway:
    pem: bytes
    certificate: asn1_x509.Certificate
    key: asn1_keys.PrivateKeyInfo


@pytest.fixture(scope="module")
def throw_away() -> ThrowAway:
    return make_throw_away()


def make_throw_away() -> ThrowAway:
    """A self-signed certificate made for this test only."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, SIGNER),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Sở Tài chính (thử)"),
        ]
    )
    now = datetime.now(UTC)
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return ThrowAway(
        cert.public_bytes(serialization.Encoding.PEM),
        asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        asn1_keys.PrivateKeyInfo.load(der),
    )


def unsigned_pdf() -> bytes:
    writer = PdfFileWriter(stream_xrefs=False)
    content = generic.StreamObject(stream_data=b"BT /F1 12 Tf 72 720 Td (" + TEXT + b") Tj ET")
    box = generic.ArrayObject([generic.NumberObject(n) for n in (0, 0, 595, 842)])
    writer.insert_page(PageObject(contents=writer.add_object(content), media_box=box))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def signed_pdf(who: ThrowAway) -> bytes:
    # pyHanko signs through asyncio.run, which refuses to run where an event loop already runs
    # (Playwright's, once the browser tests have run in this process): sign on a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_sign, who).result()


def _sign(who: ThrowAway) -> bytes:
    signer = signers.SimpleSigner(
        signing_cert=who.certificate, signing_key=who.key, cert_registry=None
    )
    out = signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(unsigned_pdf())),
        signers.PdfSignatureMetadata(field_name="ChuKy"),
        signer=signer,
        new_field_spec=SigFieldSpec("ChuKy"),
    )
    return out.getvalue()


def one_byte_changed(data: bytes) -> bytes:
    at = data.index(TEXT) + len(b"To trinh so 5")
    return data[:at] + b"9" + data[at + 1 :]  # 58/TTr-STC -> 59/TTr-STC


@pytest.fixture
def trust_store(tmp_path: Path, throw_away: ThrowAway) -> Path:
    path = tmp_path / "roots.pem"
    path.write_bytes(throw_away.pem)
    return path


def test_intact_untrusted_then_trusted_then_invalid(throw_away, trust_store):
    data = signed_pdf(throw_away)
    untrusted = signed_pdfs.check_signatures(data, [], 10)
    assert untrusted.status == signed_pdfs.INTACT_UNTRUSTED
    [sig] = untrusted.signatures
    assert sig["signer"] == SIGNER
    assert sig["organisation"] == "Sở Tài chính (thử)"
    assert (sig["intact"], sig["valid"], sig["trusted"], sig["whole_file"]) == (
        True,
        True,
        False,
        True,
    )
    signed_at = datetime.fromisoformat(sig["signed_at"])
    assert abs(datetime.now(UTC) - signed_at) < timedelta(minutes=5)

    roots = signed_pdfs.load_trust_roots([trust_store])
    assert signed_pdfs.check_signatures(data, roots, 10).status == signed_pdfs.VALID_TRUSTED

    changed = one_byte_changed(data)
    assert len(changed) == len(data)
    assert changed != data
    broken = signed_pdfs.check_signatures(changed, roots, 10)
    assert broken.status == signed_pdfs.INVALID
    assert broken.signatures[0]["intact"] is False


def test_unsigned_damaged_and_slow_files(throw_away):
    assert signed_pdfs.check_signatures(unsigned_pdf(), [], 10).status == signed_pdfs.NONE
    assert signed_pdfs.check_signatures(b"%PDF-1.7\nnot a pdf", [], 10).status in {
        signed_pdfs.UNREADABLE,
        signed_pdfs.NONE,
    }
    # The time bound holds: a check that cannot finish in its time says so.
    assert (
        signed_pdfs.check_signatures(signed_pdf(throw_away), [], 0.000001).status
        == signed_pdfs.TIMED_OUT
    )


def test_unreadable_trust_store_files_are_skipped(tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    assert signed_pdfs.load_trust_roots([bad, tmp_path / "missing.pem"]) == []


def test_the_result_is_stored_with_the_attachment(api, app, throw_away, trust_store):
    dossier_id = api.start()["id"]
    data = signed_pdf(throw_away)
    with database(app).transaction() as session:
        session.info["settings"] = dataclasses.replace(
            settings_of(session), signature_trust_roots=(trust_store,)
        )
        stored = store_attachments(
            session,
            actor_named(session, "canbo_ns"),
            session.get_one(Dossier, dossier_id),
            [
                Upload("da-ky.pdf", data, kind="submission"),
                Upload("da-sua.pdf", one_byte_changed(data), kind="submission"),
                Upload("ban-quet.pdf", unsigned_pdf(), kind="submission"),
            ],
        )
        ids = [a.id for a in stored]
    with database(app).transaction() as session:
        checks = {c.attachment_id: c for c in session.scalars(select(SignatureCheck)).all()}
    assert [checks[i].status for i in ids] == ["valid_trusted", "invalid", "none"]
    assert checks[ids[0]].signatures[0]["signer"] == SIGNER


def test_the_director_attaches_the_signed_pdf_and_the_page_shows_it(api, app, client, throw_away):
    dossier = api.start()
    did = dossier["id"]
    first, second = (str(n["id"]) for n in dossier["nominees"])
    submit_to_council(api, did)
    vote(api, did, {m: {first: "agree", second: "agree"} for m in MEMBERS})
    api.do("giamdoc", did, "conclude_council", {"decision": "confirm"})
    [item] = api.items("giamdoc", did, "sign_submission")
    data = signed_pdf(throw_away)

    login(client, "giamdoc")
    page = client.get(f"/work/{item['id']}")
    assert page.status_code == 200
    done = client.post(
        f"/work/{item['id']}",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "decision": "approve",
            "submission_number": "58/TTr-STC",
            "submission_date": "06/12/2026",
            "attachments": [
                (io.BytesIO(data), "to-trinh-da-ky.pdf"),
                (io.BytesIO(one_byte_changed(data)), "to-trinh-da-sua.pdf"),
            ],
        },
        content_type="multipart/form-data",
    )
    assert done.status_code == 302

    shown = client.get(f"/dossiers/{did}").get_data(as_text=True)
    assert 'data-signature="intact_untrusted"' in shown
    assert "Chữ ký còn nguyên vẹn, người ký chưa được tin cậy" in shown
    assert f"Người ký: {SIGNER}" in shown
    assert 'data-signature="invalid"' in shown
    assert "Chữ ký không hợp lệ: tệp đã bị thay đổi sau khi ký" in shown
