"""Probe audio from its bytes, and write chapter frames into a copy (the only module that imports mutagen).

Header-based durations are wrong for VBR files without a Xing/VBRI header and for truncated
files (``oracles.md`` §3), so the frame headers are walked (ISO/IEC 11172-3 §2.4.2.3,
ISO/IEC 13818-3 for MPEG-2/2.5): every frame of a file without such a header or under
``FULL_WALK_BYTES``, and for a larger file whose header agrees with its size, ``SAMPLES``
evenly spaced places, each of which must hold a chain of valid frames. Probing an hour-long
episode then costs about what a one-minute one does. Results are cached by content.
"""

from __future__ import annotations

import base64
import hashlib
import mmap
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

import mutagen
import mutagen.flac
import mutagen.id3
import mutagen.mp3
import mutagen.mp4
import mutagen.oggopus
import mutagen.oggvorbis
from mutagen.mp3 import _util as mp3util

from podops.probe.media import AUDIO_MIME, ProbeError

MAX_AUDIO_BYTES = 200 * 1024 * 1024
FULL_WALK_BYTES = 4 * 1024 * 1024
SAMPLES = 256
WINDOW = 8192  # bytes searched for a frame at each sample: several of the longest frames
_SIGNATURES = (  # what a non-MP3 file usually is, to say so plainly
    (b"RIFF", "a WAV (RIFF) file"),
    (b"fLaC", "a FLAC file"),
    (b"OggS", "an Ogg file"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
)


@dataclass(frozen=True)
class AudioInfo:
    """What a feed needs to know about an MP3."""

    size: int
    duration: float
    bitrate: int
    sample_rate: int
    channels: int
    mime: str
    vbr: bool

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the probe cache."""
        return asdict(self)


def _frame_table() -> dict[int, tuple[int, int, int, int]]:
    """Map header bytes 1–2 (padding and private bits cleared) to (length, samples, rate, slot)."""
    kbps = {
        (1, 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
        (1, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
        (1, 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
        (2, 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
        (2, 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    }
    rates = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
    table = {}
    for version_bits, rate_row in rates.items():
        mpeg1 = version_bits == 3
        for layer_bits, layer in ((3, 1), (2, 2), (1, 3)):
            row = kbps[(1 if mpeg1 else 2, layer if mpeg1 or layer == 1 else 2)]
            samples = 384 if layer == 1 else (1152 if mpeg1 or layer == 2 else 576)
            slot = 4 if layer == 1 else 1
            for protection in (0, 1):
                byte1 = 0xE0 | version_bits << 3 | layer_bits << 1 | protection
                for index, rate_kbps in enumerate(row, start=1):
                    for rate_index, rate in enumerate(rate_row):
                        length = (samples // 8 * rate_kbps * 1000 // rate) * slot
                        byte2 = index << 4 | rate_index << 2
                        table[byte1 << 8 | byte2] = (length, samples, rate, slot)
    return table


_FRAMES = _frame_table()


def _audio_end(data: mmap.mmap) -> int:
    """Where the MPEG stream stops: before an ID3v1 tag and an APEv2 tag, if any."""
    end = len(data)
    if end >= 128 and data[end - 128 : end - 125] == b"TAG":
        end -= 128
    if end >= 32 and data[end - 32 : end - 24] == b"APETAGEX":
        size = int.from_bytes(data[end - 20 : end - 16], "little")
        flags = int.from_bytes(data[end - 12 : end - 8], "little")
        end -= size + (32 if flags & 0x80000000 else 0)
    return max(end, 0)


def _walk(data: mmap.mmap, start: int) -> tuple[int, int, int, list[tuple[int, int]]]:
    """Walk frame headers from ``start``: frames, samples, audio bytes, gaps."""
    end = _audio_end(data)
    first = data[start + 1]
    rate_bits = data[start + 2] & 0x0C
    frames = samples = audio = 0
    gaps: list[tuple[int, int]] = []
    pos = start
    while pos + 4 <= end:
        entry = None
        if data[pos] == 0xFF and data[pos + 1] == first and data[pos + 2] & 0x0C == rate_bits:
            entry = _FRAMES.get(first << 8 | (data[pos + 2] & 0xFC))
        if entry is not None:
            length = entry[0] + ((data[pos + 2] >> 1) & 1) * entry[3]
            if pos + length > end:
                break  # a short final frame is tolerated by every decoder; the duration excludes it
            frames += 1
            samples += entry[1]
            audio += length
            pos += length
            continue
        resync = data.find(bytes((0xFF, first)), pos + 1, end)
        if resync < 0:
            if any(data[pos:end]):  # trailing zero padding is harmless, anything else is not
                gaps.append((pos, end - pos))
            break
        gaps.append((pos, resync - pos))
        pos = resync
    return frames, samples, audio, gaps


def _chain(data: mmap.mmap, pos: int, end: int, first: int, rate_bits: int, count: int = 3) -> bool:
    """True when ``count`` valid frames follow each other from ``pos`` (or run to the end)."""
    for _ in range(count):
        if pos == end:
            return True
        if pos + 4 > end or data[pos] != 0xFF or data[pos + 1] != first or data[pos + 2] & 0x0C != rate_bits:
            return False
        entry = _FRAMES.get(first << 8 | (data[pos + 2] & 0xFC))
        if entry is None:
            return False
        pos += entry[0] + ((data[pos + 2] >> 1) & 1) * entry[3]
        if pos > end:
            return False
    return True


def _sample(data: mmap.mmap, start: int) -> list[tuple[int, int]]:
    """Check ``SAMPLES`` evenly spaced places for a chain of frames; return the first damaged one."""
    end = _audio_end(data)
    first, rate_bits = data[start + 1], data[start + 2] & 0x0C
    sync = bytes((0xFF, first))
    step = max((end - start) // SAMPLES, 1)
    for pos in range(start + step, end - WINDOW, step):  # the tail is the header's byte count's job
        found = data.find(sync, pos, pos + WINDOW)
        while found >= 0 and not _chain(data, found, end, first, rate_bits):
            found = data.find(sync, found + 1, pos + WINDOW)
        if found < 0:
            return [(pos, WINDOW)]
    return []


def _header(handle: BinaryIO, info: Any) -> tuple[int, int] | None:
    """Frame and byte counts from a Xing/Info or VBRI header, or None when there is none."""
    for kind in (mp3util.XingHeader, mp3util.VBRIHeader):
        handle.seek(info.frame_offset + kind.get_offset(info))
        try:
            header = kind(handle)
        except (mp3util.XingHeaderError, mp3util.VBRIHeaderError):
            continue
        return header.frames, header.bytes
    return None


def _id3_end(data: mmap.mmap) -> int:
    """Where the ID3v2 tags at the start of a file end (0 when there are none; ID3v2.4 §3.1)."""
    pos = 0
    while data[pos:pos + 3] == b"ID3" and len(data) >= pos + 10:
        raw = data[pos + 6:pos + 10]
        if any(b & 0x80 for b in raw):
            break  # not a syncsafe size: mutagen will have refused the tag
        size = raw[0] << 21 | raw[1] << 14 | raw[2] << 7 | raw[3]
        pos += 10 + size + (10 if data[pos + 5] & 0x10 else 0)
    return pos


def _check_lead(data: mmap.mmap, first_frame: int) -> None:
    """Refuse bytes before the first MPEG frame that are not an ID3v2 tag (or its zero padding).

    Decoders skip them, but a browser sniffing the file sees them first: ``<svg><script>…`` in
    front of real frames passes as audio yet runs as a page where a host serves it by content.
    """
    start = min(_id3_end(data), first_frame)
    junk = data[start:first_frame]
    if junk.strip(b"\0"):
        head = bytes(junk[:16]).decode("latin-1")
        raise ProbeError(f"{first_frame - start} bytes before the first MPEG frame are not an ID3v2 tag "
                         f"(they start {head!r}): refused, another program could read them as a "
                         "different type")


def _sniff(head: bytes) -> None:
    for magic, what in _SIGNATURES:
        if head.startswith(magic):
            raise ProbeError(f"not MPEG audio: this is {what}")
    if head[4:8] == b"ftyp":
        raise ProbeError("not MPEG audio: this is an MP4/M4A file; podops publishes MP3")


def _size(path: Path) -> int:
    """The file's size, refused when empty or past the limit before a byte is read."""
    size = path.stat().st_size
    if size == 0:
        raise ProbeError("empty file")
    if size > MAX_AUDIO_BYTES:
        raise ProbeError(f"file is {size} bytes; the limit is {MAX_AUDIO_BYTES} (200 MB)")
    return size


def probe_audio(path: Path) -> AudioInfo:
    """Measure an MP3: exact size, true duration, bitrate, rate, channels; refuse damaged files."""
    size = _size(path)
    with path.open("rb") as handle:  # one open for the sniff, mutagen, the Xing header and the frame walk
        _sniff(handle.read(16))
        try:
            handle.seek(0)
            info: Any = mutagen.mp3.MP3(handle).info  # MPEGInfo; mutagen ships no type hints
            header = _header(handle, info)
            sampled = header is not None and header[0] > 0 and header[1] > 0 and size > FULL_WALK_BYTES
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                _check_lead(data, info.frame_offset)
                if sampled:
                    assert header is not None
                    frames, samples, audio = header[0] + 1, 0, header[1]
                    gaps = _sample(data, info.frame_offset)
                else:
                    frames, samples, audio, gaps = _walk(data, info.frame_offset)
        except ProbeError:
            raise
        except Exception as exc:  # mutagen raises many types on damaged input (security.md §7)
            reason = str(exc).strip() or str(exc.__cause__ or exc.__context__ or "").strip() or "damaged file"
            if isinstance(exc, mutagen.id3.ID3NoHeaderError | mutagen.id3.error) and not str(exc).strip():
                reason = "damaged ID3 tag"
            raise ProbeError(f"not a readable MP3 ({reason})") from None
    if gaps:
        at, length = gaps[0]
        raise ProbeError(
            f"corrupt MPEG frames: {length} bytes of non-audio data at byte {at}"
            + (f" (and {len(gaps) - 1} more damaged places)" if len(gaps) > 1 else "")
        )
    if header is not None:
        frames -= 1  # the Xing/Info/VBRI frame carries no audio
        expected_frames, expected_bytes = header
        if expected_frames > 0 and abs(expected_frames - frames) > 1:
            state = "truncated" if frames < expected_frames else "longer than its header says"
            raise ProbeError(
                f"file is {state}: its header counts {expected_frames} frames, the file holds {frames}"
            )
        if expected_bytes > 0 and data_short(expected_bytes, size, info.frame_offset):
            raise ProbeError(f"file is truncated: its header counts {expected_bytes} bytes of audio")
    if frames < 1:
        raise ProbeError("no MPEG audio frames")
    exact = header is not None and header[0] > 0 and info.length > 0
    duration = float(info.length) if exact else samples / info.sample_rate
    vbr = info.bitrate_mode in (mutagen.mp3.BitrateMode.VBR, mutagen.mp3.BitrateMode.ABR) or (
        header is None and info.bitrate and abs(audio * 8 / max(duration, 1e-9) - info.bitrate) > 8000
    )
    bitrate = int(round(info.bitrate, -3)) if not vbr else int(round(audio * 8 / max(duration, 1e-9)))
    return AudioInfo(size, round(duration, 3), bitrate, int(info.sample_rate), int(info.channels),
                     AUDIO_MIME, bool(vbr))


def data_short(expected_bytes: int, size: int, offset: int) -> bool:
    """True when the file ends well before the header's byte count (a cut-off upload)."""
    return offset + expected_bytes > size + 1024


@dataclass(frozen=True)
class AlternateInfo:
    """What podcast:alternateEnclosure (and podcast:trailer) need to know about a local media file."""

    size: int
    duration: float
    bitrate: int
    mime: str
    codecs: str
    sri: str  # W3C Subresource Integrity of the whole file, for podcast:integrity (docs/tags/integrity.md)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the probe cache."""
        return asdict(self)


def _container(path: Path) -> tuple[str, Any]:
    """The MIME type and mutagen reader of a file, from its first bytes (never its name)."""
    with path.open("rb") as handle:
        head = handle.read(64)
    if head[4:8] == b"ftyp":  # ISO BMFF; the major brand says audio (M4A/M4B) or not
        return ("audio/mp4" if head[8:12] in (b"M4A ", b"M4B ") else "video/mp4"), mutagen.mp4.MP4
    if head.startswith(b"OggS"):
        return ("audio/opus", mutagen.oggopus.OggOpus) if b"OpusHead" in head else (
            "audio/ogg", mutagen.oggvorbis.OggVorbis)
    if head.startswith(b"fLaC"):
        return "audio/flac", mutagen.flac.FLAC
    raise ProbeError("not a media file podops publishes as another version: use AAC (.m4a), Opus (.opus), "
                     "Ogg Vorbis (.ogg), FLAC (.flac), MP3 (.mp3) or MP4 video (.mp4)")


def probe_alternate(path: Path) -> AlternateInfo:
    """Measure another version of an episode's audio (or a trailer): size, duration, bitrate, type, SRI hash."""
    size = _size(path)
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        mp3 = probe_audio(path)
        mime, codecs, duration, bitrate = AUDIO_MIME, "mp3", mp3.duration, mp3.bitrate
    else:
        mime, reader = _container(path)
        try:
            info: Any = reader(path).info  # mutagen ships no type hints
            duration = float(info.length)
            bitrate = int(getattr(info, "bitrate", 0) or 0)
        except Exception as exc:  # mutagen raises many types on damaged input (security.md §7)
            raise ProbeError(f"not a readable {mime.split('/')[1].upper()} file "
                             f"({str(exc).strip() or 'damaged file'})") from None
        codecs = {"audio/opus": "opus", "audio/ogg": "vorbis", "audio/flac": "flac"}.get(
            mime, str(getattr(info, "codec", "") or ""))
    if not duration > 0 or duration > 100 * 3600:
        raise ProbeError("no audio (a duration of 0) or longer than 100 hours" if duration == duration
                         else "no measurable duration")
    bitrate = bitrate or int(round(size * 8 / duration))
    digest = hashlib.sha384()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    sri = "sha384-" + base64.b64encode(digest.digest()).decode()
    return AlternateInfo(size, round(duration, 3), bitrate, mime, codecs, sri)


# ID3v2 Chapter Frame Addendum 1.0 (id3.org/id3v2-chapters-1.0): a CHAP frame per chapter, times in
# ms and byte offsets unused (0xFFFFFFFF), and one top-level, ordered CTOC listing the chapters a
# table of contents shows. Bump FRAMES_VERSION when the bytes written for the same input change.
FRAMES_VERSION = "1"
NO_OFFSET = 0xFFFFFFFF


@dataclass(frozen=True)
class Mark:
    """A chapter as the frames carry it: start in seconds, title, link, listed in the table of contents."""

    start: float
    title: str
    url: str | None = None
    toc: bool = True


def write_chapters(source: Path, target: Path, marks: list[Mark], duration: float) -> None:
    """Write a copy of ``source`` to ``target`` whose ID3v2 tag carries ``marks`` as CHAP/CTOC frames.

    The copy keeps the source's tag (its CHAP/CTOC frames replaced) and its ID3 version, 2.3 when
    it has none (the one every player reads); nothing depends on the clock, so the same input
    gives the same bytes. The source is only read; mutagen rewrites the copy in place, moving the
    audio in blocks, so an hour-long file is never held in memory.
    """
    shutil.copyfile(source, target)
    try:
        tags = mutagen.id3.ID3(target)
    except mutagen.id3.ID3NoHeaderError:
        tags = mutagen.id3.ID3()
    except Exception as exc:  # the probe accepted the file, so this is a tag mutagen cannot rewrite
        raise ProbeError(f"cannot add chapter frames ({str(exc).strip() or 'damaged ID3 tag'})") from None
    version = 4 if tags.version >= (2, 4, 0) and tags.keys() else 3
    tags.delall("CHAP")
    tags.delall("CTOC")
    end_ms = max(int(round(duration * 1000)), 0)
    starts = [min(max(int(round(mark.start * 1000)), 0), end_ms) for mark in marks]
    ids = [f"chp{i}" for i in range(len(marks))]
    for i, mark in enumerate(marks):
        sub: list[Any] = [mutagen.id3.TIT2(encoding=mutagen.id3.Encoding.UTF8, text=[" ".join(mark.title.split())])]
        if mark.url:
            sub.append(mutagen.id3.WXXX(encoding=mutagen.id3.Encoding.UTF8, desc="", url=mark.url))
        end = starts[i + 1] if i + 1 < len(marks) else end_ms
        tags.add(mutagen.id3.CHAP(element_id=ids[i], start_time=starts[i], end_time=max(end, starts[i]),
                                  start_offset=NO_OFFSET, end_offset=NO_OFFSET, sub_frames=sub))
    listed = [ids[i] for i, mark in enumerate(marks) if mark.toc]
    if listed:
        flags = mutagen.id3.CTOCFlags.TOP_LEVEL | mutagen.id3.CTOCFlags.ORDERED
        tags.add(mutagen.id3.CTOC(element_id="toc", flags=flags, child_element_ids=listed, sub_frames=[]))
    if version == 3:
        tags.update_to_v23()
    tags.save(target, v2_version=version, padding=lambda info: 0)
