"""Reproducible builds: the same sources give the same bytes, wherever and whenever they are built."""

from __future__ import annotations

import hashlib
import io
import re
import uuid

import pikepdf
import pytest

from publication.commands.build import BuildFailed, BuildOptions, build
from publication.editions.press import PRINT, _identifier


def dist_files(result) -> dict[str, bytes]:
    """Every file in dist/, by its path there (dist/web/ has folders)."""
    dist = result.project.dist_dir
    return {path.relative_to(dist).as_posix(): path.read_bytes() for path in sorted(dist.rglob("*"))
            if path.is_file() and not path.name.startswith(".")}


def test_rebuilding_the_sample_elsewhere_gives_identical_files(sample_build, sample_rebuild):
    first = dist_files(sample_build)
    again = dist_files(sample_rebuild)
    assert sorted(again) == sorted(first)
    assert {name for name in first if name.endswith(".pdf")} >= {
        f"{sample_build.project.slug}.pdf", f"{sample_build.project.slug}-screen.pdf",
        f"{sample_build.project.slug}-booklet.pdf"}
    for name, data in first.items():
        assert again[name] == data, f"{name} differs between two builds"


def _with_back_cover(project) -> None:
    project.edit("publication.yml", "articles:", "back_cover:\n  photo: photos/cover.jpg\n  photo_alt: Achterkant\n"
                 "articles:")


def xmp_document_ids(pdf: bytes) -> list[str]:
    """The xmp.did values in the PDF's XMP metadata (PDF/X-4 has one); [] without metadata."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        metadata = document.Root.get("/Metadata")
        xml = metadata.read_bytes() if metadata is not None else b""
    return [found.decode() for found in re.findall(rb"xmp\.did:([^<\"'\s]*)", xml)]


def test_pdfs_do_not_depend_on_the_folder_the_project_is_in(project, tmp_path):
    """WeasyPrint names images after their absolute URL; the PDFs must not show that."""
    _with_back_cover(project)
    here = dist_files(build(project.root, BuildOptions()))
    elsewhere = tmp_path / "some" / "deeper" / "folder"
    elsewhere.parent.mkdir(parents=True)
    project.root.rename(elsewhere)
    there = dist_files(build(elsewhere, BuildOptions()))
    pdfs = [name for name in here if name.endswith(".pdf")]
    assert len(pdfs) >= 3
    for name in pdfs:
        assert there[name] == here[name], f"{name} depends on the project's folder"

    # The print PDF's XMP document id is the same in both folders, and another text gives another one.
    printed = PRINT.output_name("testbrochure")
    [document_id] = xmp_document_ids(here[printed])
    assert xmp_document_ids(there[printed]) == [document_id]
    article = elsewhere / "content" / "01-artikel.md"
    article.write_text(article.read_text(encoding="utf-8").replace("Tweede alinea.", "Tweede, andere alinea."),
                       encoding="utf-8")
    changed = dist_files(build(elsewhere, BuildOptions(targets=(PRINT.name,))))
    [other_id] = xmp_document_ids(changed[printed])
    assert other_id != document_id


def test_identifiers_are_hashed_from_the_content(sample_build):
    identifiers = set()
    for path in sample_build.project.dist_dir.glob("*.pdf"):
        with pikepdf.open(path) as pdf:
            if "/ID" in pdf.trailer:
                identifiers.add(bytes(pdf.trailer.ID[0]))
            xmp = pdf.Root.get("/Metadata")
            assert xmp is None or b"uuid:" not in xmp.read_bytes(), path.name
    assert len(identifiers) >= 2  # different files, different identifiers

    # PDF/X-4's XMP document id, random in WeasyPrint's file, is the one derived from the print layout.
    [printed] = [rendition for rendition in sample_build.renditions if rendition.rgb_view is None]
    content = _identifier(sample_build.project, printed)
    expected = str(uuid.UUID(bytes=hashlib.sha256(content).digest()[:16]))
    path = sample_build.project.dist_dir / PRINT.output_name(sample_build.project.slug)
    assert xmp_document_ids(path.read_bytes()) == [expected]


def test_dates_come_from_the_content_or_source_date_epoch(project, monkeypatch):
    _with_back_cover(project)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1600000000")  # 2020-09-13 12:26:40 UTC
    dist = build(project.root, BuildOptions(targets=("standard", "screen"))).project.dist_dir
    for name in ("testbrochure.pdf", "testbrochure-screen.pdf"):
        with pikepdf.open(dist / name) as pdf:
            assert str(pdf.docinfo.CreationDate).startswith("D:20200501"), name
            assert str(pdf.docinfo.ModDate).startswith("D:20200913122640"), name
    with pikepdf.open(dist / "testbrochure-screen.pdf") as pdf:
        xmp = pdf.open_metadata()
        assert xmp["xmp:CreateDate"] == "2020-05-01"
        assert xmp["xmp:ModifyDate"] == "2020-09-13T12:26:40Z"


def test_a_malformed_source_date_epoch_is_reported(project, monkeypatch):
    _with_back_cover(project)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(BuildFailed) as failed:
        build(project.root, BuildOptions(targets=("screen",)))
    assert "SOURCE_DATE_EPOCH is 'yesterday'" in str(failed.value)
    assert not project.root.joinpath("dist", "testbrochure-screen.pdf").exists()


def test_manifest_names_every_file_with_its_purpose_checksum_and_preflight(sample_build):
    dist = sample_build.project.dist_dir
    manifest = (dist / "MANIFEST.txt").read_text(encoding="utf-8")
    entries = dict(re.findall(r"^(\S+)\n((?:  .*\n)+)", manifest, flags=re.M))
    files = {path.relative_to(dist).as_posix() for path in dist.rglob("*")
             if path.is_file() and not path.name.startswith(".")} - {"MANIFEST.txt"}
    assert set(entries) == files
    for name, block in entries.items():
        fields = dict(re.findall(r"^  (\w+)\s+(.*)$", block, flags=re.M))
        assert fields["sha256"] == hashlib.sha256((dist / name).read_bytes()).hexdigest(), name
        assert fields["purpose"], name
        if name == f"{sample_build.project.slug}-print.pdf":  # the one file the preflight checks
            assert fields["preflight"].startswith("passed: 0 errors"), name
        else:
            assert fields["preflight"] == ("not run" if name.endswith(".pdf") else "not applicable"), name
    assert "accessible" in entries[f"{sample_build.project.slug}-screen.pdf"]
