"""Probing real MP3s made with lame, sox and ffmpeg (see tests/data/make-fixtures.sh)."""

from __future__ import annotations

import json

import pytest
from conftest import MEDIA

from podops.probe.audio import probe_alternate, probe_audio
from podops.probe.media import ProbeError

TRUTH = json.loads((MEDIA / "truth.json").read_text())
GOOD = ["cbr.mp3", "cbr_noinfo.mp3", "vbr.mp3", "vbr_noxing.mp3", "ffmpeg_vbr_noxing.mp3", "id3.mp3", "mpeg2.mp3"]
BAD = {
    "cbr_trunc_half.mp3": "truncated",
    "vbr_trunc_half.mp3": "truncated",
    "cbr_midzeros.mp3": "corrupt MPEG frames",
    "trunc_in_id3.mp3": "not a readable MP3",
    "wav_renamed.mp3": r"this is a WAV \(RIFF\) file",
    "random.mp3": "not a readable MP3",
    "zeros.mp3": "not a readable MP3",
    "empty.mp3": "empty file",
    "text.mp3": "not a readable MP3",
}


@pytest.mark.parametrize("name", GOOD)
def test_duration_matches_a_full_decode_even_without_a_vbr_header(name: str) -> None:
    info = probe_audio(MEDIA / name)
    assert abs(info.duration - TRUTH[name]["decoded_seconds"]) <= 0.1
    assert info.size == TRUTH[name]["bytes"] == (MEDIA / name).stat().st_size
    assert info.mime == "audio/mpeg"
    assert info.sample_rate in (22050, 44100, 16000, 24000) and info.channels in (1, 2)


def test_header_based_tools_are_wrong_where_podops_is_right() -> None:
    truth = TRUTH["vbr_noxing.mp3"]
    assert abs(truth["mutagen_seconds"] - truth["decoded_seconds"]) > 1  # why podops walks the frames
    assert probe_audio(MEDIA / "vbr_noxing.mp3").vbr is True


@pytest.mark.parametrize("name, words", BAD.items())
def test_damaged_or_foreign_files_get_a_named_error(name: str, words: str) -> None:
    with pytest.raises(ProbeError, match=words):
        probe_audio(MEDIA / name)


def test_oversized_audio_is_refused_before_reading(tmp_path, monkeypatch) -> None:
    import podops.probe.audio as media

    monkeypatch.setattr(media, "MAX_AUDIO_BYTES", 1000)
    with pytest.raises(ProbeError, match="the limit is 1000"):
        probe_audio(MEDIA / "cbr.mp3")


@pytest.mark.parametrize("name", ["cbr.mp3", "vbr.mp3", "id3.mp3", "cbr_trunc_half.mp3", "vbr_trunc_half.mp3",
                                  "cbr_midzeros.mp3"])
def test_large_files_with_a_header_are_checked_by_sampling_with_the_same_verdicts(name: str, monkeypatch) -> None:
    import podops.probe.audio as media

    try:
        full = ("ok", probe_audio(MEDIA / name).duration)
    except ProbeError as exc:
        full = ("error", str(exc).split(":")[0])
    monkeypatch.setattr(media, "FULL_WALK_BYTES", 1000)  # every fixture now counts as large
    try:
        sampled = ("ok", probe_audio(MEDIA / name).duration)
    except ProbeError as exc:
        sampled = ("error", str(exc).split(":")[0])
    assert sampled == full


def test_an_hour_long_probe_reads_headers_and_samples_not_every_frame(tmp_path, monkeypatch) -> None:
    import podops.probe.audio as media

    calls: list[int] = []
    real_walk = media._walk
    monkeypatch.setattr(media, "_walk", lambda data, start: calls.append(start) or real_walk(data, start))
    monkeypatch.setattr(media, "FULL_WALK_BYTES", 1000)
    probe_audio(MEDIA / "cbr.mp3")
    assert calls == []  # header + samples only
    probe_audio(MEDIA / "vbr_noxing.mp3")
    assert len(calls) == 1  # no Xing header: only a full walk knows the duration


# Other versions of an episode (podcast:alternateEnclosure) and trailers: read by mutagen, hashed for SRI
@pytest.mark.parametrize("name, mime, codecs", [("alt.m4a", "audio/mp4", "mp4a.40.2"),
                                                ("alt.opus", "audio/opus", "opus"), ("cbr.mp3", "audio/mpeg", "mp3")])
def test_alternates_are_measured_from_their_content(name: str, mime: str, codecs: str) -> None:
    import base64
    import hashlib
    import subprocess

    info = probe_alternate(MEDIA / name)
    data = (MEDIA / name).read_bytes()
    pcm = subprocess.run(["ffmpeg", "-v", "error", "-i", str(MEDIA / name), "-f", "s16le", "-ac", "1", "-ar", "8000",
                          "-"], check=True, capture_output=True).stdout
    assert (info.mime, info.codecs, info.size) == (mime, codecs, len(data))
    assert abs(info.duration - len(pcm) / 2 / 8000) < 0.1  # an ffmpeg full decode is the truth
    assert 16_000 < info.bitrate < 100_000
    assert info.sri == "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()  # W3C SRI


@pytest.mark.parametrize("content, words", [
    (b"", "empty file"),
    (b"<html><script>alert(1)</script></html>", "not a media file"),
    (b"OggS" + bytes(60), "not a readable"),
    (b"\x00\x00\x00\x1cftypM4A " + bytes(100), "not a readable"),
])
def test_a_damaged_or_foreign_alternate_is_a_named_error(tmp_path, content: bytes, words: str) -> None:
    path = tmp_path / "alt.m4a"
    path.write_bytes(content)
    with pytest.raises(ProbeError, match=words):
        probe_alternate(path)
