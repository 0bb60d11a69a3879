"""`salesagent export finetune` on conversations run through the engine on the demo shop:
demo customers check out giving their own data, staff correct the bot, others only ask."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import Chat
from fixtures.cli_process import cli_env, salesagent
from sqlalchemy import select

from agent.models import Conversation, Customer, Sale, SaleState, Staff, StaffRole
from exports.filters import ExportFilters
from exports.finetune.dataset import FinetuneOptions, export_finetune
from salesagent.runtime import Runtime

_TEXT = {"type": "string", "minLength": 1}
GEMINI_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["contents"],
    "properties": {
        "systemInstruction": {
            "type": "object",
            "additionalProperties": False,
            "required": ["parts"],
            "properties": {
                "role": {"const": "system"},
                "parts": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["text"],
                        "properties": {"text": _TEXT},
                    },
                },
            },
        },
        "contents": {
            "type": "array",
            "minItems": 2,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["role", "parts"],
                "properties": {
                    "role": {"enum": ["user", "model"]},
                    "parts": {"$ref": "#/properties/systemInstruction/properties/parts"},
                },
            },
        },
    },
}
"""Vertex AI's supervised tuning line for Gemini."""
OPENAI_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["messages"],
    "properties": {
        "messages": {
            "type": "array",
            "minItems": 2,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["role", "content"],
                "properties": {
                    "role": {"enum": ["system", "user", "assistant"]},
                    "content": _TEXT,
                },
            },
        }
    },
}
"""The chat fine-tuning line of OpenAI-compatible tuners."""


@dataclass(frozen=True)
class Example:
    """One line read back: who said what, in order (system first when there is one)."""

    system: str | None
    turns: list[tuple[str, str]]


def read_gemini(path: Path) -> list[Example]:
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        jsonschema.validate(data, GEMINI_SCHEMA)
        system = data.get("systemInstruction")
        turns = [(c["role"], "".join(p["text"] for p in c["parts"])) for c in data["contents"]]
        examples.append(Example(system["parts"][0]["text"] if system else None, turns))
    return examples


def read_openai(path: Path) -> list[Example]:
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        jsonschema.validate(data, OPENAI_SCHEMA)
        messages = data["messages"]
        system = messages[0]["content"] if messages[0]["role"] == "system" else None
        turns = [
            ("model" if m["role"] == "assistant" else "user", m["content"])
            for m in messages
            if m["role"] != "system"
        ]
        examples.append(Example(system, turns))
    return examples


def read_all(folder: Path) -> dict[str, list[Example]]:
    """Each split's examples; the two formats hold the same conversations in the same split."""
    splits = {}
    for split in ("train", "valid"):
        gemini = read_gemini(folder / "gemini" / f"{split}.jsonl")
        assert read_openai(folder / "openai" / f"{split}.jsonl") == gemini
        for example in gemini:
            roles = [role for role, _ in example.turns]
            assert roles[0] == "user" and roles[-1] == "model"
            assert all(a != b for a, b in itertools.pairwise(roles))
        splits[split] = gemini
    return splits


CHECKOUT_MARIA = [
    "[c1] necesito 4 pares de guantes de vaqueta tipo ingeniero",
    "eso es todo",
    "María Fernanda Ospina Giraldo, cc 1.088.245.671, cel 310 456 7821, "
    "Carrera 7 # 19-42, oficina 501, Centro, Pereira, maria.ospina@example.com",
    "si",
]
CHECKOUT_CARLOS = [
    "[c2] quiero 1 careta de esmerilar",
    "listo eso es todo",
    "me llamo Carlos Andrés Montoya Restrepo",
    "10138452",
    "Dosquebradas, Calle 50 # 16-22, Barrio La Pradera y mi cel es 3146650932",
    "si señor",
]
ONLY_ASKING = ["[q1] ¿tienen extintores?", "¿y botas de seguridad?"]
CORRECTED = ["[s1] ¿tienen botas de seguridad?", "gracias"]
STAFF_REPLY = "Sí, y esta semana las botas tienen 10% de descuento en tienda."


async def talk(chat: Chat, texts: list[str]) -> None:
    for text in texts:
        await chat.say(text)


@pytest.fixture
async def shop(runtime: Runtime) -> Runtime:
    """The demo shop after five conversations: two closed sales of demo customers (web and
    WhatsApp), two that only ask (web, telegram), one a staff member corrected (web)."""
    await talk(Chat(runtime, "web-maria"), CHECKOUT_MARIA)
    await talk(Chat(runtime, "whatsapp:+573146650932", channel="whatsapp"), CHECKOUT_CARLOS)
    await talk(Chat(runtime, "web-asks"), ONLY_ASKING)
    await talk(Chat(runtime, "tg-asks", channel="telegram"), ["[q2] precio del casco dieléctrico"])
    corrected = Chat(runtime, "web-corrected")
    await corrected.say(CORRECTED[0])
    assert runtime.console is not None
    async with runtime.sessions() as session, session.begin():
        staff = Staff(username="ana", name="Ana", role=StaffRole.AGENT, password_hash="-")
        session.add(staff)
    async with runtime.sessions() as session:
        conversation_id = await session.scalar(
            select(Conversation.id).where(Conversation.external_chat_id == "web-corrected")
        )
    assert conversation_id is not None
    await runtime.console.reply(staff, conversation_id, STAFF_REPLY)
    await corrected.say(CORRECTED[1])
    async with runtime.sessions() as session:
        closed = await session.scalars(select(Sale.state).where(Sale.state == SaleState.CLOSED))
        assert len(list(closed)) == 2, "both checkouts end in an order"
    return runtime


async def demo_customers(runtime: Runtime) -> list[Customer]:
    async with runtime.sessions() as session:
        return list(await session.scalars(select(Customer)))


def digits_joined(text: str) -> str:
    """`text` with spaces, dots and dashes between digits removed (310 456-7821 → 3104567821)."""
    return re.sub(r"(?<=\d)[\s.\-]+(?=\d)", "", text)


def assert_no_personal_data(folder: Path, customers: list[Customer]) -> None:
    files = sorted(folder.rglob("*.jsonl"))
    assert len(files) == 4
    text = "\n".join(
        json.dumps(json.loads(line), ensure_ascii=False)
        for f in files
        for line in f.read_text(encoding="utf-8").splitlines()
    )
    joined = digits_joined(text)
    lowered = text.lower()
    assert customers
    for customer in customers:
        assert customer.national_id not in joined, customer.national_id
        assert customer.phone is not None and customer.phone[-10:] not in joined, customer.phone
        assert customer.email is not None and customer.email.lower() not in lowered
        assert customer.address is not None
        street = customer.address.split(",")[0]
        assert re.sub(r"\s+", "", street.lower()) not in re.sub(r"\s+", "", lowered), street
        assert customer.name.lower() not in lowered, customer.name


def firsts(examples: list[Example]) -> set[str]:
    """Each example's tag: the "[c1]" its first customer message starts with."""
    return {example.turns[0][1].split("]")[0] + "]" for example in examples}


async def test_the_cli_writes_both_formats_split_by_conversation_without_personal_data(
    shop: Runtime, tmp_path: Path
) -> None:
    folder = tmp_path / "tuning"
    env = cli_env(shop.settings.database_url)

    done = await asyncio.to_thread(
        salesagent, env, "export", "finetune", "--out-dir", str(folder), "--valid-ratio", "0.4"
    )

    assert done.returncode == 0, done.stderr
    splits = read_all(folder)
    tags = [firsts(splits["train"]), firsts(splits["valid"])]
    assert not tags[0] & tags[1]
    assert tags[0] | tags[1] == {"[c1]", "[c2]", "[q1]", "[q2]", "[s1]"}
    assert len(splits["valid"]) == 2 and len(splits["train"]) == 3
    assert_no_personal_data(folder, await demo_customers(shop))
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert report["conversations_seen"] == 5
    assert report["conversations_written"] == {"train": 3, "valid": 2}
    assert report["left_out"]["conversations"] == {}
    assert report["personal_data_replaced"]["<CEDULA>"] >= 2
    assert report["personal_data_replaced"]["<PHONE>"] >= 2
    assert "3 conversations in train.jsonl, 2 in valid.jsonl" in done.stdout
    everything = [turn for split in splits.values() for e in split for turn in e.turns]
    assert any(role == "model" and STAFF_REPLY in text for role, text in everything), (
        "without the filter, staff replies are kept"
    )
    maria = next(e for split in splits.values() for e in split if "[c1]" in e.turns[0][1])
    data = next(text for role, text in maria.turns if "<EMAIL>" in text)
    for placeholder in ("<NAME>", "<CEDULA>", "<PHONE>", "<ADDRESS>", "<EMAIL>"):
        assert placeholder in data


async def test_the_same_seed_gives_the_same_split_and_another_seed_can_differ(
    shop: Runtime, tmp_path: Path
) -> None:
    async def split(seed: int, name: str) -> tuple[set[str], set[str]]:
        folder = tmp_path / name
        folder.mkdir()
        options = FinetuneOptions(valid_ratio=0.4, seed=seed)
        await export_finetune(shop.sessions, options, folder, timezone="America/Bogota")
        splits = read_all(folder)
        return firsts(splits["train"]), firsts(splits["valid"])

    first = await split(7, "a")
    assert await split(7, "b") == first
    others = [await split(seed, f"s{seed}") for seed in range(1, 6)]
    assert any(other != first for other in others)
    assert all(len(valid) == 2 and not train & valid for train, valid in [first, *others])


@pytest.mark.parametrize(
    ("options", "written", "left_out"),
    [
        (
            FinetuneOptions(closed_only=True),
            {"[c1]", "[c2]"},
            {"no_confirmed_order": 3},
        ),
        (
            FinetuneOptions(filters=ExportFilters(channel="web")),
            {"[c1]", "[q1]", "[s1]"},
            {"other_channel": 2},
        ),
        (
            FinetuneOptions(filters=ExportFilters(channel="web"), closed_only=True),
            {"[c1]"},
            {"other_channel": 2, "no_confirmed_order": 2},
        ),
        (
            FinetuneOptions(
                filters=ExportFilters(date_from=date(2001, 1, 1), date_to=date(2001, 1, 2))
            ),
            set(),
            {"outside_dates": 5},
        ),
        (
            FinetuneOptions(uncorrected_only=True),
            {"[c1]", "[c2]", "[q1]", "[q2]"},
            {"no_bot_reply_left": 1},
        ),
    ],
    ids=["closed-only", "channel", "channel-and-closed", "dates", "uncorrected-only"],
)
async def test_the_counts_follow_the_filters(
    shop: Runtime,
    tmp_path: Path,
    options: FinetuneOptions,
    written: set[str],
    left_out: dict[str, int],
) -> None:
    report = await export_finetune(shop.sessions, options, tmp_path, timezone="America/Bogota")

    splits = read_all(tmp_path)
    assert firsts(splits["train"]) | firsts(splits["valid"]) == written
    assert sum(report.written.values()) == len(written)
    assert dict(report.conversations_left_out) == left_out
    assert_no_personal_data(tmp_path, await demo_customers(shop))


async def test_a_reply_staff_corrected_and_what_follows_are_left_out_and_counted(
    shop: Runtime, tmp_path: Path
) -> None:
    report = await export_finetune(
        shop.sessions, FinetuneOptions(uncorrected_only=True), tmp_path, timezone="UTC"
    )

    text = json.dumps([read_all(tmp_path)[split] for split in ("train", "valid")], default=str)
    assert STAFF_REPLY not in text and "[s1]" not in text
    assert report.messages_left_out["corrected_by_staff"] == 1
    # The staff's reply and the customer's "gracias" (the bot does not answer a person's chat).
    assert report.messages_left_out["after_a_correction"] == 2
    saved = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert saved["left_out"]["messages"]["corrected_by_staff"] == 1
    assert saved["options"]["uncorrected_only"] is True


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["--valid-ratio", "1"], "--valid-ratio"),
        (["--state", "closed"], "state"),
        (["--out", "x.jsonl"], "--out"),
    ],
    ids=["ratio-1", "state", "out-file"],
)
def test_bad_options_exit_2_naming_the_option(
    demo_settings: Any, tmp_path: Path, args: list[str], names: str
) -> None:
    env = cli_env(demo_settings.database_url)
    done = salesagent(env, "export", "finetune", "--out-dir", str(tmp_path / "t"), *args)
    assert done.returncode == 2, done.stderr
    assert names in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "t").exists()


def test_finetune_options_are_refused_for_other_reports(demo_settings: Any) -> None:
    done = salesagent(cli_env(demo_settings.database_url), "export", "sales", "--closed-only")
    assert done.returncode == 2
    assert "--closed-only" in done.stderr
