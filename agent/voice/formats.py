"""An audio file's type told by its first bytes, for a note sent without one (`curl -F audio=@f`
sends application/octet-stream)."""

from __future__ import annotations


def sniff_audio(data: bytes) -> str | None:
    """The audio type the bytes begin with (OGG, WebM, MP3, WAV, M4A/MP4, AAC, FLAC, AMR), or
    None when they are not one of those."""
    head = data[:16]
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: WebM (and Matroska)
        return "audio/webm"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[4:8] == b"ftyp":  # the ISO base media file: M4A, MP4, 3GP
        return "audio/mp4"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head.startswith(b"#!AMR"):
        return "audio/amr"
    if head.startswith(b"ID3"):  # an MP3's tags come first
        return "audio/mpeg"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:  # a frame's sync word
        layer = head[1] & 0x06
        if layer == 0:  # ADTS: AAC
            return "audio/aac"
        return "audio/mpeg"
    return None
