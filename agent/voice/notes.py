"""The media step of a turn: a conversation's voice notes become text before it is understood.

It runs after the inbox stored the messages and before the turn reads them, under the
conversation's lock and outside any database transaction: the download and the transcription
(seconds) hold no write lock. The transcript is written into the inbox row's text (after any
caption) and into the note's media entry (`transcript`, `language`, `seconds`), so the stored
message keeps it for the staff; a note that cannot be understood gets an `error` instead, and
the customer is told.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.db import transaction
from agent.models import Conversation, Direction, InboxItem, Message
from agent.settings import Settings
from agent.voice.fetch import LocalFiles, MediaFetcher
from agent.voice.model import ModelStatus
from agent.voice.transcriber import NO_MODEL, Transcriber, UnheardNote
from agent.words import t

log = logging.getLogger(__name__)

VOICE = "voice"
"""The media kind of a voice note (or any audio a customer sends)."""


@dataclass(frozen=True, slots=True)
class PendingNote:
    """A voice note of an inbox row that has neither a transcript nor an error yet."""

    inbox_id: int
    index: int
    channel: str
    chat_id: str
    url: str


def pending_notes(rows: Iterable[InboxItem]) -> list[PendingNote]:
    """The notes of these inbox rows still to be transcribed."""
    return [
        PendingNote(row.id, index, row.channel, row.external_chat_id, str(media.get("url", "")))
        for row in rows
        for index, media in enumerate(row.media)
        if media.get("kind") == VOICE and "transcript" not in media and "error" not in media
    ]


def unheard(rows: Iterable[InboxItem], text: str) -> str | None:
    """Why the batch's voice note could not be understood, when the batch has nothing else."""
    if text.strip():
        return None
    for row in rows:
        for media in row.media:
            if media.get("kind") == VOICE and media.get("error"):
                return str(media["error"])
    return None


def unheard_reply(reason: str, language: str, *, max_seconds: float | None = None) -> str:
    """What the customer is told about a note that could not be understood."""
    if reason == NO_MODEL:
        return t(language, "voice.unheard.no_model")
    if reason == "too_long":
        limit = f" ({max_seconds:.0f} s)" if max_seconds else ""
        return t(language, "voice.unheard.too_long", limit=limit)
    if reason == "too_large":
        return t(language, "voice.unheard.too_large")
    return t(language, "voice.unheard")


class VoiceNotes:
    """Fetches each channel's notes with its own fetcher and transcribes them."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        transcriber: Transcriber,
        *,
        max_bytes: int,
        fetchers: Mapping[str, MediaFetcher] | None = None,
    ) -> None:
        self._sessions = sessions
        self.transcriber = transcriber
        self._max_bytes = max_bytes
        self._fetchers: dict[str, MediaFetcher] = dict(fetchers or {})

    @classmethod
    def from_settings(
        cls, settings: Settings, sessions: async_sessionmaker[AsyncSession]
    ) -> VoiceNotes:
        """The step as configured (`WHISPER_*`, `VOICE_*`), reading web notes from AUDIO_DIR;
        the model is looked for now (nothing is downloaded), and its absence said in one line."""
        transcriber = Transcriber(
            settings.whisper_model,
            threads=settings.whisper_threads,
            beam_size=settings.whisper_beam_size,
            max_seconds=settings.voice_max_seconds,
            download_root=settings.whisper_download_root,
        )
        status = transcriber.check()
        if not status.available:
            log.warning("voice notes cannot be heard: %s", status.reason)
        notes = cls(sessions, transcriber, max_bytes=settings.voice_max_bytes)
        notes.add_fetcher("web", LocalFiles(settings.audio_dir))
        return notes

    def status(self) -> ModelStatus | None:
        """The speech model's state as last seen: available, or why not (`/health`)."""
        return self.transcriber.status

    def add_fetcher(self, channel: str, fetcher: MediaFetcher) -> None:
        """Fetch `channel`'s notes with `fetcher` (a channel adapter's, with its credentials)."""
        self._fetchers[channel] = fetcher

    async def transcribe(self, notes: list[PendingNote], *, hint: str | None) -> None:
        """Transcribe the notes (no transaction open meanwhile), then store what each said."""
        known = await self._known_language(notes[0]) if notes else None
        outcomes: dict[tuple[int, int], dict[str, Any]] = {}
        for note in notes:
            outcomes[(note.inbox_id, note.index)] = await self._hear(note, hint, known)
        async with transaction(self._sessions) as session:
            rows = (
                await session.execute(
                    select(InboxItem).where(InboxItem.id.in_({n.inbox_id for n in notes}))
                )
            ).scalars()
            for row in rows:
                media = [dict(m) for m in row.media]
                said = [row.text.strip()] if row.text.strip() else []
                for index, entry in enumerate(media):
                    outcome = outcomes.get((row.id, index))
                    if outcome is None:
                        continue
                    entry.update(outcome)
                    if outcome.get("transcript"):
                        said.append(outcome["transcript"])
                row.media = media
                row.text = "\n".join(said)

    async def _known_language(self, note: PendingNote) -> str | None:
        """The conversation's language once the customer has written before; a first note's
        language is detected."""
        async with self._sessions() as session:
            statement = (
                select(Conversation.language)
                .join(Message, Message.conversation_id == Conversation.id)
                .where(
                    Conversation.channel == note.channel,
                    Conversation.external_chat_id == note.chat_id,
                    Message.direction == Direction.INBOUND,
                )
                .limit(1)
            )
            return (await session.execute(statement)).scalar_one_or_none()

    async def _hear(
        self, note: PendingNote, hint: str | None, language: str | None
    ) -> dict[str, Any]:
        try:
            status = self.transcriber.status
            if status is not None and not status.available:
                # Not fetched for nothing; the transcriber looks for the model again first.
                await self.transcriber.warm()
            fetcher = self._fetchers.get(note.channel)
            if fetcher is None:
                raise UnheardNote("unavailable", f"no way to fetch {note.channel} media")
            data = await fetcher(note.url, max_bytes=self._max_bytes)
            heard = await self.transcriber.transcribe(data, hint=hint, language=language)
        except UnheardNote as err:
            level = logging.WARNING if err.reason == NO_MODEL else logging.INFO
            log.log(level, "voice note %s/%s not heard: %s", note.inbox_id, note.index, err)
            return {"error": err.reason, "detail": str(err)}
        except Exception as err:  # the step's edge: the customer is told, the log keeps the trace
            log.exception("voice note %s/%s failed", note.inbox_id, note.index)
            return {"error": "failed", "detail": f"{type(err).__name__}: {err}"}
        log.info(
            "voice note %s/%s: %.1f s of %s audio in %.2f s",
            note.inbox_id,
            note.index,
            heard.seconds,
            heard.language,
            heard.elapsed,
        )
        return {
            "transcript": heard.text,
            "language": heard.language,
            "seconds": round(heard.seconds, 2),
        }

    def close(self) -> None:
        """Stop the transcription worker."""
        self.transcriber.close()
