"""Transcripts as a page shows them: cues without timing lines, speakers kept, paragraphs merged."""

from __future__ import annotations

import json

from podops.render.transcript import TRANSCRIPT_PARAGRAPH, Cue, merge_cues, read_cues, read_json_cues


def test_a_webvtt_transcript_shows_the_words_and_speakers_without_timings() -> None:
    vtt = ("WEBVTT\n\nNOTE a comment\n\n1\n00:00:00.000 --> 00:00:01.500\n<v Ada>Hello &amp; welcome.\n\n"
           "2\n00:00:01.500 --> 00:00:03.000\n<v Ada>Second line.</v>\n\n"
           "00:01:02.250 --> 00:01:04.000 align:start\n<v.loud Grace Okafor><i>Thanks</i> Ada.\n")
    cues = read_cues(vtt)
    assert [(c.start, c.speaker, c.text) for c in cues] == [
        (0.0, "Ada", "Hello & welcome. Second line."), (62.25, "Grace Okafor", "Thanks Ada.")]


def test_a_subrip_transcript_drops_numbers_and_timings() -> None:
    srt = "1\r\n00:00:00,000 --> 00:00:01,065\r\nOne.\r\n\r\n2\r\n00:00:01,065 --> 00:00:02,814\r\n<i>Two</i>"
    assert [(c.start, c.text) for c in read_cues(srt)] == [(0.0, "One. Two")]


def test_a_podcasting_json_transcript_keeps_speakers_and_start_times() -> None:
    data = {"segments": [{"speaker": "Ada", "startTime": 1.5, "body": "Hi."},
                         {"speaker": "Ravi", "startTime": 2, "body": "Hello."}]}
    assert [(c.start, c.speaker, c.text) for c in read_json_cues(json.dumps(data))] == [
        (1.5, "Ada", "Hi."), (2.0, "Ravi", "Hello.")]
    assert read_json_cues("not json") == []


def test_a_speakers_cues_merge_into_paragraphs_of_bounded_length() -> None:
    cues = [Cue(float(n), "Ada", "word " * 50) for n in range(20)] + [Cue(30.0, "Ravi", "Hi.")]
    merged = merge_cues(cues)
    assert [c.speaker for c in merged][-1] == "Ravi"
    assert all(len(c.text) < TRANSCRIPT_PARAGRAPH + 260 for c in merged)
    assert len(merged) > 2 and merged[1].start is not None and merged[1].start > 0
