"""The electronic dossier for the level above: a round's or a dossier's files as one ZIP whose
manifest lists every file with its hash, byte-identical for the same content, bounded in size,
and downloaded only by the Office, the Director or the Ministry's officer."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

import pytest

from tests.conftest import actor_named
from tests.services.rounds_support import join, open_round
from tests.web.pages import login
from webapp.services import submission_package
from webapp.services.attachments import Upload, store_attachments
from webapp.services.documents import papers
from webapp.services.errors import InvalidDataError, NotFoundError, PermissionDeniedError
from webapp.services.submission_package import Wording

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
WORDING = Wording(
    attachment_kinds={"achievement_report": "Báo cáo thành tích", "other": "Khác"},
    paper_kinds={"minutes": "Biên bản họp Hội đồng"},
    csv_headers=("Đường dẫn", "Dung lượng", "SHA-256", "Loại", "Nguồn", "Mã nguồn", "Phiên bản"),
    source_kinds={"attachment": "Tệp đính kèm", "generated_document": "Giấy tờ"},
)


def _paper(kind: str, fmt: str, data: bytes, data_hash: str = "d" * 64) -> papers.Paper:
    mime = papers.FORMATS[fmt]
    return papers.Paper(kind, "", fmt, f"bien-ban.{fmt}", data, mime, data_hash, "t" * 64, None)


def _round_with_files(db):
    """A round with two units' dossiers (one file each, the same name twice in one of them)
    and its minutes kept as DOCX and PDF."""
    round_ = open_round(db, forms=("bk_btc",))
    ns = join(db, round_, "canbo_ns", ("Nguyễn Thị Hằng",))
    dn = join(db, round_, "canbo_dn", ("Phạm Quốc Huy",))
    store_attachments(
        db,
        actor_named(db, "canbo_ns"),
        ns,
        [
            Upload("Báo cáo thành tích.pdf", PDF, "achievement_report"),
            Upload("Báo cáo thành tích.pdf", PDF + b"% v2\n", "achievement_report"),
        ],
    )
    store_attachments(db, actor_named(db, "canbo_dn"), dn, [Upload("ảnh.png", PNG)])
    office = actor_named(db, "vanphong")
    papers.store_paper(db, office, "round", round_.id, _paper("minutes", "docx", b"PK docx"))
    papers.store_paper(db, office, "round", round_.id, _paper("minutes", "pdf", PDF + b"%m\n"))
    papers.store_paper(db, office, "dossier", ns.id, _paper("notice", "docx", b"PK notice"))
    db.commit()
    return round_, ns, dn


def _read(package) -> tuple[zipfile.ZipFile, bytes]:
    data = package.handle.read()
    package.handle.close()
    assert len(data) == package.size
    assert hashlib.sha256(data).hexdigest() == package.sha256
    return zipfile.ZipFile(io.BytesIO(data)), data


def test_round_package_lists_every_file_with_its_hash(db):
    round_, ns, dn = _round_with_files(db)
    office = actor_named(db, "vanphong")
    archive, _data = _read(submission_package.round_package(db, office, round_.id, WORDING))

    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["subject"] == {"kind": "round", "id": round_.id, "name": round_.name}
    listed = {e["path"]: e for e in manifest["files"]}
    in_zip = set(archive.namelist()) - {"manifest.json", "manifest.csv"}
    assert set(listed) == in_zip
    for path, entry in listed.items():
        content = archive.read(path)
        assert entry["sha256"] == hashlib.sha256(content).hexdigest()
        assert entry["size"] == len(content)
    # Both units' files, each in its dossier's folder (the same name twice stays two files);
    # the minutes once, as the PDF of the newest DOCX.
    folders = sorted({p.split("/")[0] for p in in_zip})
    assert folders == sorted([ns.code, dn.code, "giay-to"])
    assert len([p for p in in_zip if p.startswith(f"{ns.code}/") and "giay-to" not in p]) == 2
    papers_in = [e for e in listed.values() if e["source"]["type"] == "generated_document"]
    assert sorted(e["path"].split("/", 1)[0] + ":" + e["path"][-4:] for e in papers_in) == [
        f"{ns.code}:docx",
        "giay-to:.pdf",
    ]
    minutes = next(e for e in papers_in if e["kind"] == "minutes")
    assert minutes["label"] == "Biên bản họp Hội đồng"
    report = next(e for e in listed.values() if e["kind"] == "achievement_report")
    assert report["label"] == "Báo cáo thành tích"
    assert report["source"]["dossier_code"] == ns.code
    assert report["source"]["process_version_id"] is not None

    rows = list(csv.reader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
    assert rows[0] == list(WORDING.csv_headers)
    assert {(r[0], r[2]) for r in rows[1:]} == {(p, e["sha256"]) for p, e in listed.items()}
    assert {r[4] for r in rows[1:]} == {"Tệp đính kèm", "Giấy tờ"}


def test_same_content_gives_the_same_zip_bytes(db):
    round_, _ns, _dn = _round_with_files(db)
    office = actor_named(db, "vanphong")
    _archive, first = _read(submission_package.round_package(db, office, round_.id, WORDING))
    _archive, again = _read(submission_package.round_package(db, office, round_.id, WORDING))
    assert first == again
    director = actor_named(db, "giamdoc")
    _archive, by_other = _read(submission_package.round_package(db, director, round_.id, WORDING))
    assert by_other == first


def test_signed_copy_is_the_paper_sent(db):
    round_, _ns, _dn = _round_with_files(db)
    office = actor_named(db, "vanphong")
    kept = papers.stored_papers(db, office, round_.id)
    docx = next(d for d in kept if d.file_format == "docx")
    papers.mark_signed(db, office, docx.id)
    db.commit()
    archive, _data = _read(submission_package.round_package(db, office, round_.id, WORDING))
    manifest = json.loads(archive.read("manifest.json"))
    sent = [e for e in manifest["files"] if e["kind"] == "minutes"]
    assert [(e["source"]["id"], e["source"]["status"]) for e in sent] == [(docx.id, "signed")]


def test_dossier_package_holds_its_own_files_only(db):
    _round, ns, _dn = _round_with_files(db)
    archive, _data = _read(
        submission_package.dossier_package(db, actor_named(db, "vanphong"), ns.id, WORDING)
    )
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["subject"]["code"] == ns.code
    assert [e["path"].split("/")[0] for e in manifest["files"]] == [ns.code, ns.code, "giay-to"]
    assert manifest["files"][2]["kind"] == "notice"


def test_size_bound_refuses_before_writing(db):
    round_, _ns, _dn = _round_with_files(db)
    office = actor_named(db, "vanphong")
    with pytest.raises(InvalidDataError) as refused:
        submission_package.round_package(db, office, round_.id, WORDING, max_bytes=100)
    assert refused.value.code == "package_too_large"


def test_only_office_director_ministry_download(db):
    round_, ns, _dn = _round_with_files(db)
    for name in ("canbo_ns", "truongphong_ns", "hoidong1"):
        with pytest.raises(PermissionDeniedError):
            submission_package.round_package(db, actor_named(db, name), round_.id, WORDING)
        with pytest.raises(PermissionDeniedError):
            submission_package.dossier_package(db, actor_named(db, name), ns.id, WORDING)
    ministry = actor_named(db, "chuyenvien_bo")
    archive, _data = _read(submission_package.round_package(db, ministry, round_.id, WORDING))
    assert "manifest.json" in archive.namelist()
    with pytest.raises(NotFoundError):
        submission_package.round_package(db, actor_named(db, "vanphong_hn"), round_.id, WORDING)


def test_pages_offer_and_serve_the_package(db, client, app):
    round_, ns, _dn = _round_with_files(db)
    officer = app.test_client()
    login(officer, "canbo_ns")
    assert officer.get(f"/rounds/{round_.id}/package.zip").status_code == 403
    assert officer.get(f"/dossiers/{ns.id}/package.zip").status_code == 403
    page = officer.get(f"/dossiers/{ns.id}").get_data(as_text=True)
    assert "dossier-package" not in page
    login(client, "vanphong")
    page = client.get(f"/dossiers/{ns.id}").get_data(as_text=True)
    assert f"/dossiers/{ns.id}/package.zip" in page
    assert "Tải gói hồ sơ (ZIP)" in page
    page = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert f"/rounds/{round_.id}/package.zip" in page
    answer = client.get(f"/rounds/{round_.id}/package.zip")
    assert answer.status_code == 200
    assert answer.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.data))
    rows = next(csv.reader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
    assert rows[0] == "Đường dẫn trong gói"
    sources = {
        r[4] for r in csv.reader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig")))
    }
    assert "Giấy tờ do hệ thống lập" in sources
    answer.close()


def test_page_past_the_bound_is_413_with_a_message(db, client, app, monkeypatch):
    round_, ns, _dn = _round_with_files(db)
    monkeypatch.setitem(app.config, "PACKAGE_MAX_BYTES", 2 * 1024 * 1024)
    big = b"%PDF-1.4\n" + b"0" * (3 * 1024 * 1024)
    store_attachments(db, actor_named(db, "canbo_ns"), ns, [Upload("lon.pdf", big)])
    db.commit()
    login(client, "vanphong")
    for url in (f"/rounds/{round_.id}/package.zip", f"/dossiers/{ns.id}/package.zip"):
        answer = client.get(url)
        assert answer.status_code == 413
        assert "lớn hơn 2 MB" in answer.get_data(as_text=True)
