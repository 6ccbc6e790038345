"""Probing real MP3s made with lame, sox and ffmpeg (see tests/data/make-fixtures.sh)."""

from __future__ import annotations

import json

import pytest
from conftest import MEDIA

from podops.probe.audio import Mark, probe_alternate, probe_audio, write_chapters
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


# Chapter frames in a copy (ID3v2 Chapter Frame Addendum 1.0), read back by mutagen and by ffprobe
MARKS = [Mark(0, "Cold open"), Mark(1.25, "Ünïcode  title", "https://example.com/two"), Mark(2, "Art", toc=False),
         Mark(3, "Outro")]


def _pcm(path) -> bytes:
    import subprocess

    return subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "s16le", "-"], check=True,
                          capture_output=True).stdout


@pytest.mark.parametrize("name, version", [("cbr.mp3", 3), ("id3.mp3", 3), ("vbr.mp3", 3), ("v24.mp3", 4)])
def test_a_copy_carries_chap_and_ctoc_frames_and_the_source_stays_as_it_was(tmp_path, name: str,
                                                                            version: int) -> None:
    import hashlib
    import json
    import subprocess

    import mutagen.id3

    source = tmp_path / name
    if name == "v24.mp3":  # ffmpeg writes ID3v2.4 tags
        subprocess.run(["ffmpeg", "-v", "error", "-i", str(MEDIA / "cbr.mp3"), "-c", "copy", "-metadata",
                        "title=Kept", "-id3v2_version", "4", str(source)], check=True)
    else:
        source.write_bytes((MEDIA / name).read_bytes())
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    duration = probe_audio(source).duration
    target = tmp_path / "published.mp3"
    write_chapters(source, target, MARKS, duration)
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before  # only read
    tags = mutagen.id3.ID3(target)
    assert tags.version[1] == version  # the source's ID3 version, 2.3 when it had no tag
    chaps = {f.element_id: f for f in tags.getall("CHAP")}
    assert [(k, c.start_time, c.end_time, str(c.sub_frames["TIT2"])) for k, c in sorted(chaps.items())] == [
        ("chp0", 0, 1250, "Cold open"), ("chp1", 1250, 2000, "Ünïcode title"), ("chp2", 2000, 3000, "Art"),
        ("chp3", 3000, round(duration * 1000), "Outro")]  # each ends where the next starts, the last at the end
    assert chaps["chp1"].sub_frames["WXXX:"].url == "https://example.com/two"
    assert all(c.start_offset == c.end_offset == 0xFFFFFFFF for c in chaps.values())  # no byte offsets
    (toc,) = tags.getall("CTOC")
    assert toc.flags == mutagen.id3.CTOCFlags.TOP_LEVEL | mutagen.id3.CTOCFlags.ORDERED
    assert toc.child_element_ids == ["chp0", "chp1", "chp3"]  # toc: false is a chapter outside the table
    if name in ("id3.mp3", "v24.mp3"):
        assert "TIT2" in tags  # the source's own tags are kept
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(target)],
                           check=True, capture_output=True, text=True).stdout
    assert sorted((c["start"], c["tags"]["title"]) for c in json.loads(probe)["chapters"]) == [
        (0, "Cold open"), (1250, "Ünïcode title"), (2000, "Art"), (3000, "Outro")]
    assert _pcm(target) == _pcm(source)  # the audio is untouched
    assert probe_audio(target).duration == duration  # and still what the probe accepts


def test_chapter_frames_are_the_same_bytes_every_time_and_replace_earlier_ones(tmp_path) -> None:
    first, second, again = tmp_path / "a.mp3", tmp_path / "b.mp3", tmp_path / "c.mp3"
    write_chapters(MEDIA / "id3.mp3", first, MARKS, 3.1)
    write_chapters(MEDIA / "id3.mp3", second, MARKS, 3.1)
    assert first.read_bytes() == second.read_bytes()  # no clock, no randomness
    write_chapters(first, again, [Mark(0, "Only")], 3.1)  # a tagged file tagged again
    import mutagen.id3

    assert [f.element_id for f in mutagen.id3.ID3(again).getall("CHAP")] == ["chp0"]


def test_a_chapter_past_the_end_ends_where_it_starts(tmp_path) -> None:
    import mutagen.id3

    target = tmp_path / "a.mp3"
    write_chapters(MEDIA / "cbr.mp3", target, [Mark(0, "A"), Mark(9, "Past the end")], 4.0)
    frames = sorted((f.start_time, f.end_time) for f in mutagen.id3.ID3(target).getall("CHAP"))
    assert frames == [(0, 4000), (4000, 4000)]
