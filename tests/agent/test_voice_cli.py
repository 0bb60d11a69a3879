"""`salesagent voice ...` run as a shop owner runs it, one real process per command: fetching the
model on a machine without internet fails in one sentence; copying a model folder (the
pip-shipped tiny.en) gives a folder the service uses, its SHA-256 checked."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fixtures.cli_process import cli_env, salesagent
from fixtures.hf_hub_server import HubServer, hub_serving

from agent.settings import Settings
from agent.voice.model import model_files


def env_for(settings: Settings, tmp_path: Path, **more: str) -> dict[str, str]:
    # A Hugging Face cache of the test's own: nothing fetched by anyone else is found.
    return cli_env(settings.database_url, HF_HOME=str(tmp_path / "hf"), **more)


def test_fetching_without_internet_fails_in_one_sentence(
    demo_settings: Settings, tmp_path: Path
) -> None:
    done = salesagent(
        env_for(demo_settings, tmp_path, WHISPER_MODEL="base"), "voice", "fetch-model"
    )

    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(
        "error: the speech model 'base' could not be downloaded from the Hugging Face hub "
        "(Systran/faster-whisper-base): it cannot be reached ("
    )
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_model_folder_is_copied_checked_and_used(
    demo_settings: Settings, tiny_en_model: str, tmp_path: Path
) -> None:
    target = tmp_path / "models" / "tiny.en"
    env = env_for(demo_settings, tmp_path)

    fetched = salesagent(
        env, "voice", "fetch-model", "--model", tiny_en_model, "--into", str(target)
    )
    status = salesagent({**env, "WHISPER_MODEL": str(target)}, "voice", "status", "--json")

    assert fetched.returncode == 0, fetched.stderr
    assert f"set WHISPER_MODEL={target}" in fetched.stdout
    assert (target / "SHA256SUMS").read_text().count("\n") == 4
    assert status.returncode == 0
    assert json.loads(status.stdout) == {
        "status": "available",
        "model": str(target),
        "path": str(target),
        "verified": True,
    }


def test_status_says_why_voice_notes_cannot_be_heard(
    demo_settings: Settings, tmp_path: Path
) -> None:
    done = salesagent(env_for(demo_settings, tmp_path, WHISPER_MODEL="base"), "voice", "status")

    assert done.returncode == 1
    assert done.stderr.strip() == (
        "voice notes: unavailable · the speech model 'base' is not downloaded: run "
        "`salesagent voice fetch-model`, or set WHISPER_MODEL to a folder holding it"
    )


async def run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """`salesagent ARGS` in its own process, without blocking the loop the fake hub runs on."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "agent",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode or 0, out.decode(), err.decode()


@pytest.fixture
async def hub(tiny_en_model: str) -> AsyncIterator[HubServer]:
    """The hub's Systran/faster-whisper-tiny.en, made of the pip-shipped (checked) files."""
    folder = Path(tiny_en_model)
    files = {name: folder / name for name in model_files(folder)}
    async with hub_serving({"Systran/faster-whisper-tiny.en": files}) as served:
        yield served


@pytest.mark.parametrize("into", [True, False], ids=["into-a-folder", "into-the-cache"])
async def test_a_size_is_fetched_from_the_hub_with_a_progress_bar(
    demo_settings: Settings, hub: HubServer, tmp_path: Path, into: bool
) -> None:
    env = env_for(
        demo_settings,
        tmp_path,
        HF_ENDPOINT=hub.url,
        WHISPER_MODEL="tiny.en",
        WHISPER_DOWNLOAD_ROOT=str(tmp_path / "cache"),
    )
    target = tmp_path / "tiny.en"

    code, out, err = await run(
        env, "voice", "fetch-model", *(["--into", str(target)] if into else [])
    )
    status_code, status, _ = await run(
        {**env, "WHISPER_MODEL": str(target)} if into else env, "voice", "status", "--json"
    )

    assert code == 0, err
    # The hub client's progress bar (on a terminal, the bytes' bars as well).
    assert "Fetching 4 files: 100%" in err
    assert sorted(hub.downloads) == ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]
    assert status_code == 0
    report = json.loads(status)
    assert report["status"] == "available" and report["verified"] is True
    if into:
        assert f"set WHISPER_MODEL={target}" in out
        assert (
            "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a  model.bin"
            in (target / "SHA256SUMS").read_text()
        )
    else:
        assert report["path"].startswith(str(tmp_path / "cache"))
