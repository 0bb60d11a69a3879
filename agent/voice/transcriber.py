"""Speech to text with faster-whisper on the CPU (int8), one note at a time in a worker process.

The worker is a separate process (spawned, not forked) holding the model, loaded once on the
first note from the folder agent/voice/model.py found (nothing is downloaded then). A thread
would share the service's GIL: faster-whisper's Python between CTranslate2 calls then slows the
event loop and is slowed by it (measured: text turns of other chats 3x slower at p50, the note
itself 2x slower). With `WHISPER_THREADS` (by default all cores but one) a core stays free for
the other conversations, and the worker runs at a lower priority (nice 10), so a busy machine
serves the chats' turns first and the notes with what is left.
"""

from __future__ import annotations

import asyncio
import io
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
from faster_whisper import WhisperModel

from agent.errors import SalesAgentError
from agent.voice.model import ModelStatus, locate

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
MIN_SECONDS = 0.3
WORKER_NICENESS = 10
"""How much lower the transcription worker's CPU priority is than the service's."""
CONFIDENT_SHARE = 0.8
"""Below this share of the detected languages' probability, the conversation's language wins."""
NO_MODEL = "no_model"
"""The reason of a note not heard because there is no usable speech model."""


class UnheardNote(SalesAgentError):
    """A voice note that could not be turned into text; `reason` says why, for the customer."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason

    def __reduce__(self) -> tuple[type[UnheardNote], tuple[str, str]]:
        # It crosses from the worker process: pickled with its reason.
        return (UnheardNote, (self.reason, str(self)))


@dataclass(frozen=True, slots=True)
class Transcript:
    """What a note said, in which language, how long it was and how long the work took."""

    text: str
    language: str
    seconds: float
    elapsed: float


_models: dict[tuple[str, int], WhisperModel] = {}
_models_lock = threading.Lock()


def load_model(name: str, threads: int) -> WhisperModel:
    """The process's model for `name` (a folder or a size name), loaded on first use."""
    key = (name, threads)
    with _models_lock:
        model = _models.get(key)
        if model is None:
            started = time.perf_counter()
            model = WhisperModel(
                str(Path(name).expanduser()) if Path(name).expanduser().is_dir() else name,
                device="cpu",
                compute_type="int8",
                cpu_threads=threads,
                num_workers=1,
            )
            log.info("whisper model %s loaded in %.1f s", name, time.perf_counter() - started)
            _models[key] = model
        return model


def default_threads() -> int:
    """All cores but one (at least one): the rest of the product keeps a core."""
    return max(1, (os.cpu_count() or 2) - 1)


def decode(data: bytes, *, max_seconds: float) -> np.ndarray[Any, np.dtype[np.float32]]:
    """The audio as 16 kHz mono float32; `UnheardNote` when unreadable or longer than allowed."""
    limit = int((max_seconds + 0.5) * SAMPLE_RATE)
    chunks: list[np.ndarray[Any, Any]] = []
    total = 0
    try:
        with av.open(io.BytesIO(data), mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise UnheardNote("unreadable", "the file has no audio")
            stated = container.duration
            if stated is not None and stated / av.time_base > max_seconds + 0.5:
                raise _too_long(stated / av.time_base, max_seconds)
            resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
            for frame in _frames(container):
                for out in resampler.resample(frame):
                    array = out.to_ndarray().reshape(-1)
                    chunks.append(array)
                    total += array.size
                if total > limit:
                    raise _too_long(total / SAMPLE_RATE, max_seconds)
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except UnheardNote:
        raise
    except (av.FFmpegError, ValueError, OSError) as err:
        raise UnheardNote("unreadable", f"the audio could not be decoded: {err}") from err
    if not chunks:
        raise UnheardNote("empty", "the audio is empty")
    samples = np.concatenate(chunks).astype(np.float32) / 32768.0
    return samples


def _frames(container: Any) -> Iterator[Any]:
    # A damaged frame in the middle of a note is skipped, not the whole note.
    frames = container.decode(audio=0)
    while True:
        try:
            yield next(frames)
        except StopIteration:
            return
        except av.InvalidDataError:
            continue


def _too_long(seconds: float, max_seconds: float) -> UnheardNote:
    return UnheardNote(
        "too_long", f"the note lasts {seconds:.0f} s; the limit is {max_seconds:.0f} s"
    )


_worker: Transcriber | None = None
"""The worker process's own transcriber (it transcribes in place)."""


def _start_worker(
    model: str, threads: int, beam_size: int, max_seconds: float, languages: tuple[str, ...]
) -> None:
    global _worker
    # Chats first: the scheduler gives the service's turns the CPU before the notes.
    os.nice(WORKER_NICENESS)
    _worker = Transcriber(
        model, threads=threads, beam_size=beam_size, max_seconds=max_seconds, languages=languages
    )


def _in_worker(audio: bytes | None, hint: str | None, language: str | None) -> Transcript | None:
    assert _worker is not None
    if audio is None:
        _worker._model()  # warming up
        return None
    return _worker.transcribe_now(audio, hint, language=language)


class Transcriber:
    """Transcribes notes one at a time in its worker process, with the model loaded once."""

    def __init__(
        self,
        model: str,
        *,
        threads: int = 0,
        beam_size: int = 1,
        max_seconds: float = 180.0,
        languages: Sequence[str] = ("es", "en"),
        download_root: Path | None = None,
    ) -> None:
        self.model_name = model
        self._download_root = download_root
        self.status: ModelStatus | None = None
        """Where the model is, or why it cannot be used; None until `check`."""
        self._threads = threads or default_threads()
        self._beam_size = beam_size
        self._max_seconds = max_seconds
        self._languages = tuple(languages)
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                # Spawned, not forked: the service's threads are not copied. As with any spawned
                # process, a script that starts the product needs `if __name__ == "__main__":`.
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(
                    str(self.status.path) if self.status and self.status.path else self.model_name,
                    self._threads,
                    self._beam_size,
                    self._max_seconds,
                    self._languages,
                ),
            )
        return self._pool

    def check(self) -> ModelStatus:
        """Find the model on this machine (nothing is downloaded) and check its files' SHA-256."""
        status = locate(self.model_name, download_root=self._download_root)
        if self.status is not None and status.path != self.status.path:
            self.close()  # the worker holds the old folder's model
        self.status = status
        return status

    async def _run(
        self, audio: bytes | None, hint: str | None, language: str | None = None
    ) -> Transcript | None:
        if self.status is None or not self.status.available:
            # Looked for again: a model fetched or copied meanwhile is used without a restart.
            status = await asyncio.to_thread(self.check)
            if not status.available:
                raise UnheardNote(NO_MODEL, status.reason or "no speech model")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor(), _in_worker, audio, hint, language)
        except BrokenProcessPool as err:  # the worker died (out of memory...): a new one next
            self._pool = None
            log.error("the transcription worker stopped: %s", err)
            raise UnheardNote("failed", f"the transcription worker stopped: {err}") from err
        except UnheardNote as err:
            if err.reason == NO_MODEL and self.status is not None:  # it would not load
                self.status = self.status.failed(str(err))
                await asyncio.to_thread(self.close)
            raise

    async def transcribe(
        self, audio: bytes, *, hint: str | None = None, language: str | None = None
    ) -> Transcript:
        """The note's text. `language`, when known, is used as it is (no detection, which costs
        a pass of the model); otherwise it is detected and `hint` wins when detection is unsure."""
        heard = await self._run(audio, hint, language)
        assert heard is not None
        return heard

    async def warm(self) -> None:
        """Start the worker and load the model now, so the first note does not wait for them."""
        await self._run(None, None)

    def transcribe_now(
        self, audio: bytes, hint: str | None = None, *, language: str | None = None
    ) -> Transcript:
        """The same work in this process (the worker itself, tests and benchmarks)."""
        started = time.perf_counter()
        samples = decode(audio, max_seconds=self._max_seconds)
        seconds = samples.size / SAMPLE_RATE
        if seconds < MIN_SECONDS:
            raise UnheardNote("empty", f"the note lasts {seconds:.1f} s")
        model = self._model()
        if language not in self._languages or not model.model.is_multilingual:
            language = self._language(model, samples, hint)
        segments, _info = model.transcribe(
            samples,
            language=language,
            beam_size=self._beam_size,
            temperature=0.0,
            condition_on_previous_text=False,
        )
        text = " ".join(segment.text.strip() for segment in segments).strip()
        if not text:
            raise UnheardNote("empty", "no speech was recognised in the note")
        return Transcript(text, language, seconds, time.perf_counter() - started)

    def _model(self) -> WhisperModel:
        try:
            return load_model(self.model_name, self._threads)
        except Exception as err:  # any loading failure: the customer is told, staff see why
            reason = f"the speech model {self.model_name!r} could not be loaded: {err}"
            log.error("%s", reason)
            raise UnheardNote(NO_MODEL, reason) from err

    def _language(
        self, model: WhisperModel, samples: np.ndarray[Any, Any], hint: str | None
    ) -> str:
        if not model.model.is_multilingual:
            return "en"
        _best, _probability, ranked = model.detect_language(audio=samples)
        scores: dict[str, float] = {lang: p for lang, p in ranked if lang in self._languages}
        total = sum(scores.values())
        if not scores or total <= 0:
            return hint if hint in self._languages else self._languages[0]
        best = max(scores, key=lambda lang: scores[lang])
        if hint in self._languages and scores[best] / total < CONFIDENT_SHARE:
            return hint  # unsure between our languages: the conversation's own wins
        return best

    def close(self) -> None:
        """Stop the worker process (a note being transcribed finishes first)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
