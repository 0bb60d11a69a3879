"""The history reads as a history: every commit since the rule was adopted has a subject of 72
characters or fewer, and any detail in a body after one blank line (`git log --oneline`)."""

from __future__ import annotations

import subprocess
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
RULE_SINCE = "2026-12-07T01:59:48Z"
"""When the first commit under the rule (97aeaf2) was made; older subjects are left as they were.
A date, not a revision range, so that a shallow clone checks the commits it has."""
LIMIT = 72


def messages() -> list[tuple[str, str]]:
    """(short hash, message) of each commit made since RULE_SINCE."""
    log = subprocess.run(
        ["git", "log", "--format=%h%x00%B%x01", f"--since={RULE_SINCE}", "HEAD"],
        cwd=CHECKOUT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = [entry.strip("\n").split("\x00", 1) for entry in log.split("\x01") if entry.strip()]
    return [(sha, message) for sha, message in found]


def problems(message: str) -> list[str]:
    """What is wrong with one commit message under the rule (nothing: an empty list)."""
    lines = message.rstrip("\n").split("\n")
    found = []
    if not lines[0].strip():
        found.append("empty subject")
    if len(lines[0]) > LIMIT:
        found.append(f"subject of {len(lines[0])} characters (at most {LIMIT})")
    if len(lines) > 1 and lines[1].strip():
        found.append("no blank line between the subject and the body")
    return found


def test_the_rule_refuses_a_long_subject_and_a_body_glued_to_it() -> None:
    assert problems("Pin the calendar of date-bound tests\n\nWhy it failed.") == []
    assert problems("x" * 73) == ["subject of 73 characters (at most 72)"]
    assert problems("Subject\nbody right under it") == [
        "no blank line between the subject and the body"
    ]


def test_every_commit_since_the_rule_follows_it() -> None:
    history = messages()
    assert history, f"no commits found since {RULE_SINCE} (is this a git checkout?)"
    wrong = {sha: problems(message) for sha, message in history if problems(message)}
    assert wrong == {}
