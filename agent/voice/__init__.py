"""Voice notes: fetched with the channel's credentials, decoded, transcribed on the CPU."""

from agent.voice.notes import PendingNote, VoiceNotes, pending_notes, unheard, unheard_reply
from agent.voice.transcriber import Transcriber, Transcript, UnheardNote

__all__ = [
    "PendingNote",
    "Transcriber",
    "Transcript",
    "UnheardNote",
    "VoiceNotes",
    "pending_notes",
    "unheard",
    "unheard_reply",
]
