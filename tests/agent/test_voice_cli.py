"""`salesagent voice ...` run as a shop owner runs it, one real process per command: fetching the
model on a machine without internet fails in one sentence; copying a model folder (the
pip-shipped tiny.en) gives a folder the service uses, its SHA-256 checked."""

from __future__ import annotations

import json
from pathlib import Path

from fixtures.cli_process import cli_env, salesagent

from agent.settings import Settings


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
