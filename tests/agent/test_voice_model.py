"""Finding the speech model without downloading it, and checking its files' SHA-256: real model
folders (the pip-shipped tiny.en), real copies and real damage."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.voice_setup import Speaker

from agent.voice.download import copy_folder
from agent.voice.formats import sniff_audio
from agent.voice.model import MANIFEST, locate


def test_the_pip_shipped_folder_is_found_as_it_is(tiny_en_model: str) -> None:
    found = locate(tiny_en_model)

    assert found.available and found.path == Path(tiny_en_model).resolve()
    assert not found.verified  # no SHA256SUMS in it
    assert found.report() == {
        "status": "available",
        "model": tiny_en_model,
        "path": str(Path(tiny_en_model).resolve()),
        "verified": False,
    }


def test_a_copied_folder_carries_its_manifest_and_is_verified(
    tiny_en_model: str, tmp_path: Path
) -> None:
    copied = copy_folder(Path(tiny_en_model), tmp_path / "tiny")
    lines = (tmp_path / "tiny" / MANIFEST).read_text().splitlines()

    assert copied.available and copied.verified
    assert "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a  model.bin" in lines
    assert locate(str(tmp_path / "tiny")).verified


def test_a_damaged_file_is_refused_with_its_name(tiny_en_model: str, tmp_path: Path) -> None:
    copy_folder(Path(tiny_en_model), tmp_path / "tiny")
    config = tmp_path / "tiny" / "config.json"
    config.write_bytes(config.read_bytes().replace(b"{", b"{ ", 1))

    found = locate(str(tmp_path / "tiny"))

    assert not found.available
    assert found.reason is not None and "config.json does not match its SHA-256" in found.reason
    assert found.report()["status"] == "unavailable"


@pytest.mark.parametrize(
    ("model", "says"),
    [
        ("{tmp}/empty", "holds no whole speech model (missing: model.bin, config.json"),
        ("base", "'base' is not downloaded in {tmp}/cache: run `salesagent voice fetch-model`"),
        ("tiny-ish", "'tiny-ish' is neither a folder here nor a model size"),
    ],
    ids=["empty-folder", "size-not-fetched", "nonsense"],
)
def test_a_model_that_is_not_here_says_why(tmp_path: Path, model: str, says: str) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "cache").mkdir()

    found = locate(model.format(tmp=tmp_path), download_root=tmp_path / "cache")

    assert not found.available and found.path is None
    assert found.reason is not None and says.format(tmp=tmp_path) in found.reason


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("ogg", "audio/ogg"),
        ("webm", "audio/webm"),
        ("mp3", "audio/mpeg"),
        ("wav", "audio/wav"),
        ("m4a", "audio/mp4"),
        ("flac", "audio/flac"),
    ],
)
def test_an_encoded_note_is_known_by_its_first_bytes(
    speaker: Speaker, fmt: str, content_type: str
) -> None:
    assert sniff_audio(speaker.note("hola", voice="es", fmt=fmt)) == content_type


@pytest.mark.parametrize(
    "data", [b"%PDF-1.7 a document", b"\x89PNG\r\n\x1a\n....", b"hola", b""], ids=repr
)
def test_other_files_are_not_taken_for_audio(data: bytes) -> None:
    assert sniff_audio(data) is None
