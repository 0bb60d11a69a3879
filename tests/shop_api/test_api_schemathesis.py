"""Schemathesis over the REST API's OpenAPI spec, with a valid key, against a live server:
no generated request may get a server error, and every answer must match the spec."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
from pathlib import Path

import httpx
from fixtures.api_keys import new_key
from fixtures.live_server import serving

from agent.settings import Settings

SCHEMATHESIS = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or (
    "schemathesis"
)
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
MAX_EXAMPLES = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25")
SEED = os.environ.get("SCHEMATHESIS_SEED", "20261122")


async def test_no_generated_request_gets_a_server_error(
    demo_settings: Settings, tmp_path: Path
) -> None:
    settings = demo_settings.model_copy(
        update={"api_rate_limit_per_minute": 0, "chat_rate_limit_per_minute": 0}
    )
    key = await new_key(settings)
    async with serving(settings) as live:
        # A conversation to read.
        async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
            await http.post("/chat/text", json={"chat_id": "st", "message": "hola"})
        process = await asyncio.create_subprocess_exec(
            SCHEMATHESIS,
            "run",
            f"{live.url}/openapi.json",
            "--header",
            f"Authorization: Bearer {key}",
            "--include-path-regex",
            "^/api/v1/",
            "--checks",
            ",".join(CHECKS),
            "--max-examples",
            MAX_EXAMPLES,
            "--seed",
            SEED,
            "--workers",
            "1",
            "--no-color",
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(process.communicate(), timeout=540)

    report = output.decode("utf-8", errors="replace")
    assert process.returncode == 0, report
    assert "Tested: 17" in report, report  # every operation of /api/v1 was exercised
    counts = re.search(r"(\d+) generated, (\d+) passed\s*$", report, re.MULTILINE)
    assert counts and int(counts[1]) == int(counts[2]) > 100, report
