"""The scripted conversations of tests/eval/conversations, each played on the real product."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from agent.messages import TurnResult
from salesagent.eval_conversations import Script, Turn, check_turn, load_scripts, run_script
from salesagent.runtime import Runtime

CONVERSATIONS = Path(__file__).resolve().parents[1] / "eval" / "conversations"
SCRIPTS = load_scripts(CONVERSATIONS)
PASS_LINE = re.compile(r"^conversations passed: (\d+)/(\d+) \((\d+\.\d)%\)$", re.MULTILINE)


def test_the_set_is_large_and_every_name_is_unique() -> None:
    names = [script.name for script in SCRIPTS]

    assert len(names) >= 30
    assert len(set(names)) == len(names), "two conversations share a name"


def test_reply_contains_any_passes_on_one_fragment_and_names_them_all_when_none() -> None:
    turn = Turn(say="¿lo tienen en verde?", reply_contains_any=["agotado", "no hay"])
    result = TurnResult(
        chat_id="c",
        reply="Ese color no hay por ahora.",
        intent="inventory.stock",
        confidence=0.9,
        sale_state=None,
    )

    assert check_turn(turn, result) == []
    result.reply = "Sí, tenemos 4."
    assert check_turn(turn, result) == ["reply has none of ['agotado', 'no hay']"]


@pytest.mark.parametrize("script", SCRIPTS, ids=[script.name for script in SCRIPTS])
async def test_conversation(runtime: Runtime, script: Script) -> None:
    result = await run_script(runtime, script)

    assert result.passed, f"{script.name} failed:\n" + "\n".join(result.failures)


def test_eval_command_prints_the_pass_line_and_exits_by_it() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "AUTO_SEED"))}
    done = subprocess.run(
        [sys.executable, "-m", "agent", "eval", str(CONVERSATIONS)],
        env={**env, "LOG_LEVEL": "WARNING", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    match = PASS_LINE.search(done.stdout)
    assert match is not None, done.stdout + done.stderr
    passed, total = int(match[1]), int(match[2])
    assert total == len(SCRIPTS)
    for script in SCRIPTS:
        assert re.search(rf"^(PASS|FAIL)  {re.escape(script.name)} \(", done.stdout, re.MULTILINE)
    failed = re.findall(r"^FAIL  (\S+)", done.stdout, re.MULTILINE)
    assert len(failed) == total - passed
    assert done.returncode == (0 if passed == total else 1), done.stderr
    assert passed == total, "failing conversations: " + ", ".join(failed)
