"""`salesagent eval --provider`: accuracy and model calls, as a real process against a local
Ollama protocol server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from fixtures.llm_servers import ScriptedServer

EVAL = Path(__file__).resolve().parents[2] / "eval"


def run_eval(server: ScriptedServer, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "LLM_"))}
    return subprocess.run(
        [sys.executable, "-m", "agent", "eval", *args],
        env={
            **clean,
            "LOG_LEVEL": "ERROR",
            "COLUMNS": "200",
            "OLLAMA_HOST": server.url,
            "LLM_MODEL": ScriptedServer.model,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_utterances_with_a_model_report_its_calls(server: ScriptedServer, tmp_path: Path) -> None:
    lines = (EVAL / "utterances.jsonl").read_text(encoding="utf-8").splitlines()[:40]
    sample = tmp_path / "sample.jsonl"
    sample.write_text("\n".join(lines) + "\n", encoding="utf-8")

    done = run_eval(server, str(sample), "--provider", "ollama", LLM_MODE="always")

    assert "macro-F1 (top level)" in done.stdout, done.stdout + done.stderr
    assert "model: ollama scripted-model" in done.stdout
    assert re.search(r"^model calls per utterance: 1\.000 \(40 calls", done.stdout, re.M)
    assert len(server.calls("chat")) == 40


def test_conversations_with_a_model_pass_and_report_calls_per_turn(
    server: ScriptedServer,
) -> None:
    done = run_eval(server, str(EVAL / "conversations" / "smalltalk.yaml"), "--provider", "ollama")

    assert done.returncode == 0, done.stdout + done.stderr
    match = re.search(r"^model calls per turn: ([0-9.]+)", done.stdout, re.M)
    assert match is not None and float(match[1]) <= 1.0


def test_the_offline_provider_reports_as_before(server: ScriptedServer) -> None:
    done = run_eval(server, str(EVAL / "conversations" / "smalltalk.yaml"), "--provider", "offline")

    assert done.returncode == 0 and "model calls" not in done.stdout
    assert server.requests == []
