"""The Dockerfile and docker-compose.yml, checked without a Docker engine: hadolint and Compose's
own `config` (both real binaries from the test extras), the image's health check run against a
served app, and the project's rules (pinned base, not root, volumes, documented variables)."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path, PurePosixPath
from typing import Any

import httpx
from fixtures.cli_process import cli_env
from fixtures.live_server import free_port

from agent.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def instructions(dockerfile: Path = ROOT / "Dockerfile") -> list[tuple[str, str]]:
    """The Dockerfile's instructions in order: (KEYWORD, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, args = line.partition(" ")
            found.append((keyword.upper(), args.strip()))
    return found


def only(keyword: str) -> str:
    """The arguments of the one instruction `keyword` (the last one, where it repeats)."""
    matching = [args for found, args in instructions() if found == keyword]
    assert matching, f"the Dockerfile has no {keyword}"
    return matching[-1]


def image_env() -> dict[str, str]:
    """The variables the Dockerfile's ENV sets (KEY=VALUE form)."""
    pairs = " ".join(args for keyword, args in instructions() if keyword == "ENV")
    return dict(pair.split("=", 1) for pair in pairs.split())


def tool(name: str) -> str:
    path = BIN / name
    assert path.exists(), f"{name} is missing: pip install -e '.[test]' installs it"
    return str(path)


def compose_config(tmp_path: Path, **env: str) -> dict[str, Any]:
    """docker-compose.yml as Compose reads it (validated against the Compose spec), with `env`
    and none of the developer's .env or shell variables."""
    empty = tmp_path / "empty.env"
    empty.touch()
    clean = {k: v for k, v in os.environ.items() if k not in {"PORT", "AUTO_SEED_DEMO"}}
    result = subprocess.run(
        [tool("docker-compose"), "--env-file", str(empty), "config", "--format", "json"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = json.loads(result.stdout)
    return config


def test_hadolint_finds_nothing() -> None:
    result = subprocess.run(
        [tool("hadolint"), "--no-color", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_base_image_is_pinned_to_a_release() -> None:
    image = only("FROM").split()[0]
    name, _, tag = image.partition(":")
    assert name == "python"
    assert re.fullmatch(r"\d+\.\d+\.\d+-slim-\w+", tag), f"{image}: pin Python's x.y.z and Debian"


def test_the_service_does_not_run_as_root() -> None:
    user = only("USER").split(":")[0]
    assert user not in {"root", "0"}


def test_copied_paths_exist_and_reach_the_build() -> None:
    ignored = [p.strip() for p in (ROOT / ".dockerignore").read_text().splitlines() if p.strip()]
    copies = [args.split()[:-1] for keyword, args in instructions() if keyword == "COPY"]
    assert copies
    for sources in copies:
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: no such path"
            dropped = any(fnmatch.fnmatch(source, pattern) for pattern in ignored)
            assert not dropped, f".dockerignore drops {source}"


def test_what_the_service_writes_is_kept_in_volumes(tmp_path: Path) -> None:
    """Report files and the links' key, customers' media and the speech model outlive the
    container: each is under a volume of the app."""
    workdir = PurePosixPath(only("WORKDIR"))
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    written = {
        "report files": workdir / settings.storage_local_dir,
        "photos": workdir / settings.image_dir,
        "voice notes": workdir / settings.audio_dir,
        "speech model": PurePosixPath(image_env()["HF_HOME"]),
    }
    app = compose_config(tmp_path)["services"]["app"]
    targets = [PurePosixPath(v["target"]) for v in app["volumes"] if v["type"] == "volume"]
    for what, path in written.items():
        assert any(path.is_relative_to(t) for t in targets), f"{what} ({path}) is in no volume"


def test_production_has_no_demo_shop_unless_asked(tmp_path: Path) -> None:
    app = compose_config(tmp_path)["services"]["app"]
    assert app["environment"]["ENVIRONMENT"] == "production"
    assert app["environment"]["AUTO_SEED_DEMO"] == "false"
    asked = compose_config(tmp_path, AUTO_SEED_DEMO="true")["services"]["app"]
    assert asked["environment"]["AUTO_SEED_DEMO"] == "true"


def test_the_published_port_follows_port(tmp_path: Path) -> None:
    app = compose_config(tmp_path, PORT="9123")["services"]["app"]
    assert app["environment"]["PORT"] == "9123"
    assert app["environment"]["HOST"] == "0.0.0.0"
    assert [(p["published"], p["target"]) for p in app["ports"]] == [("9123", 9123)]


def test_every_variable_is_documented_in_env_example(tmp_path: Path) -> None:
    example = (ROOT / "env.example").read_text()
    documented = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", example, re.M))
    settings = {name.upper() for name in Settings.model_fields}
    container = set(image_env()) | set(compose_config(tmp_path)["services"]["app"]["environment"])
    python_own = {v for v in container if v.startswith(("PYTHON", "PIP_"))}
    assert settings - documented == set()
    assert container - python_own - documented == set()


def test_the_health_check_asks_the_port_the_service_listens_on(tmp_path: Path) -> None:
    """The image's HEALTHCHECK, run as Docker runs it, passes against `salesagent serve` on PORT
    and fails where nothing listens."""
    command = json.loads(only("HEALTHCHECK").split(" CMD ", 1)[1])
    assert command[0] == "python"
    port = free_port()
    env = cli_env(f"sqlite+aiosqlite:///{tmp_path}/shop.db", HOST="127.0.0.1", PORT=str(port))
    server = subprocess.Popen([sys.executable, "-m", "agent", "serve"], env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, "salesagent serve stopped"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "salesagent serve did not answer in 60 s"
            time.sleep(0.2)

        def check(on: int) -> int:
            healthcheck = [sys.executable, *command[1:]]
            return subprocess.run(healthcheck, env={**env, "PORT": str(on)}, timeout=30).returncode

        assert check(port) == 0
        assert check(free_port()) != 0
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_build_context_leaves_out_secrets_and_local_state() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".venv", ".git", "data", "media", "*.db"} <= ignored
