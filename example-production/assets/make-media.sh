#!/usr/bin/env bash
# Regenerates the media of the example production "The Static Signal":
#   cover.png, episode-02.jpg, audio/*.mp3, transcripts/episode-01.{vtt,srt}
# Output is byte-identical on every run with the same tool versions
# (tested: Debian 12, espeak-ng 1.51, LAME 3.100, ffmpeg 5.1, Pillow 13, DejaVu fonts 2.37).
# Needs: espeak-ng, lame, ffmpeg/ffprobe, python3 + Pillow, fonts-dejavu-core.
# espeak-ng and lame are deterministic as they are; no special flags are needed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

FONT_DIR=/usr/share/fonts/truetype/dejavu
for tool in espeak-ng lame ffmpeg ffprobe python3; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
done
[ -f "$FONT_DIR/DejaVuSans-Bold.ttf" ] || { echo "missing fonts: apt-get install fonts-dejavu-core" >&2; exit 1; }

mkdir -p "$HERE/audio" "$HERE/transcripts"

# ---------------------------------------------------------------- artwork
python3 - "$HERE" "$FONT_DIR" <<'EOF'
import math
import sys

from PIL import Image, ImageDraw, ImageFont

out_dir, font_dir = sys.argv[1], sys.argv[2]
S = 1400
NAVY = (11, 27, 54)
NAVY2 = (20, 42, 80)
AMBER = (255, 183, 3)
CORAL = (251, 86, 7)
TEAL = (58, 209, 196)
CREAM = (248, 241, 226)


def font(name, size):
    return ImageFont.truetype(f"{font_dir}/{name}", size)


def art(badge=None):
    im = Image.new("RGB", (S, S), NAVY)
    d = ImageDraw.Draw(im)
    # broadcast mast with concentric signal arcs
    cx, cy = S // 2, 560
    for r, col in [(130, AMBER), (215, CORAL), (300, TEAL), (385, AMBER), (470, CORAL)]:
        d.arc((cx - r, cy - r, cx + r, cy + r), start=205, end=335, fill=col, width=34)
    d.ellipse((cx - 52, cy - 52, cx + 52, cy + 52), fill=CREAM)
    d.polygon([(cx - 18, cy + 30), (cx + 18, cy + 30), (cx + 55, cy + 190), (cx - 55, cy + 190)], fill=CREAM)
    d.rounded_rectangle((cx - 110, cy + 182, cx + 110, cy + 206), radius=12, fill=CREAM)
    # waveform bars in a band along the bottom
    d.rectangle((0, 1165, S, S), fill=NAVY2)
    bars, bw, margin = 35, 24, 80
    gap = (S - 2 * margin - bars * bw) / (bars - 1)
    for i in range(bars):
        x = round(margin + i * (bw + gap))
        h = int(18 + 86 * abs(math.sin(i * 0.55)) * (0.55 + 0.45 * math.cos(i * 0.21)))
        yc = 1283
        d.rounded_rectangle((x, yc - h, x + bw, yc + h), radius=bw // 2, fill=(AMBER, CORAL, TEAL)[i % 3])
    # title and strapline
    f = font("DejaVuSans-Bold.ttf", 148)
    for text, y in (("The Static", 920), ("Signal", 1058)):
        d.text(((S - d.textlength(text, font=f)) / 2, y), text, font=f, fill=CREAM, anchor="ls")
    fs = font("DejaVuSans.ttf", 44)
    sub = "podcasts from a Git repository"
    d.text(((S - d.textlength(sub, font=fs)) / 2, 1130), sub, font=fs, fill=TEAL, anchor="ls")
    if badge:
        fb = font("DejaVuSans-Bold.ttf", 84)
        tw = d.textlength(badge, font=fb)
        pad, m = 34, 44
        d.rounded_rectangle((S - m - tw - 2 * pad, m, S - m, m + 128), radius=32, fill=AMBER)
        d.text((S - m - pad - tw, m + 96), badge, font=fb, fill=NAVY, anchor="ls")
    return im


art().save(f"{out_dir}/cover.png", optimize=True)
art("Ep. 2").save(f"{out_dir}/episode-02.jpg", quality=80, optimize=True)
EOF

# ---------------------------------------------------------------- audio
say() {  # say NAME "text"  -> $TMP/NAME.wav (22050 Hz mono, English voice, default speed)
    espeak-ng -v en -w "$TMP/$1.wav" "$2"
}

EP1_TEXT="Episode one. Why a build beats a server. Chapter one: the problem. Chapter two: the build. Thanks for listening."

say welcome-trailer "Welcome to The Static Signal, the show about publishing podcasts straight from a Git repository. New episodes every other week."
say episode-01 "$EP1_TEXT"
say episode-02 "Episode two. Feeds that every app accepts. We look at Apple, Spotify and Podcasting two point oh."
say episode-03 "Episode three is still being edited. This is a draft."
say episode-04 "Episode four. Scheduled episodes and continuous integration."

CBR=(--quiet -b 64 --cbr)
# CBR with a LAME "Info" header
lame "${CBR[@]}" "$TMP/welcome-trailer.wav" "$HERE/audio/welcome-trailer.mp3"
# CBR with ID3v2 tags
lame "${CBR[@]}" --id3v2-only \
    --tt "Why a build beats a server" --ta "The Static Signal" --tl "The Static Signal" \
    --ty 2025 --tn 1 \
    "$TMP/episode-01.wav" "$HERE/audio/episode-01.mp3"
# VBR with a Xing header
lame --quiet -V 5 "$TMP/episode-02.wav" "$HERE/audio/episode-02.mp3"
lame "${CBR[@]}" "$TMP/episode-03.wav" "$HERE/audio/episode-03.mp3"
lame "${CBR[@]}" "$TMP/episode-04.wav" "$HERE/audio/episode-04.mp3"

# ---------------------------------------------------------------- transcripts (episode 1)
# Cue times come from the pauses in the encoded MP3 (ffmpeg silencedetect); if the pauses
# do not line up with the sentences (another espeak-ng version), cues are spread over the
# duration in proportion to sentence length. The duration is the decoded length (samples
# from a full ffmpeg decode / sample rate from ffprobe): ffprobe's format duration is about
# 0.076 s longer because it does not subtract the encoder delay and padding that ffmpeg's
# decoder (and silencedetect) trim using the LAME tag.
EP1="$HERE/audio/episode-01.mp3"
RATE="$(ffprobe -v error -select_streams a:0 -show_entries stream=sample_rate -of default=nw=1:nk=1 "$EP1")"
BYTES="$(ffmpeg -v error -i "$EP1" -f s16le -ac 1 -ar "$RATE" - | wc -c)"
python3 -c "print(repr($BYTES / 2 / $RATE))" >"$TMP/ep1.duration"
ffmpeg -hide_banner -nostats -i "$EP1" -af silencedetect=n=-40dB:d=0.15 -f null - 2>"$TMP/ep1.silence"

python3 - "$TMP/ep1.duration" "$TMP/ep1.silence" "$HERE/transcripts" "$EP1_TEXT" <<'EOF'
import re
import sys

dur_file, sil_file, out_dir, text = sys.argv[1:5]
total = float(open(dur_file).read().strip())
log = open(sil_file).read()
starts = [float(x) for x in re.findall(r"silence_start: ([0-9.]+)", log)]
ends = [float(x) for x in re.findall(r"silence_end: ([0-9.]+)", log)]

sentences = [s.strip() + "." for s in text.split(".") if s.strip()]
# phrases espeak-ng pauses between: a colon is a pause too
phrase_counts = [s.count(":") + 1 for s in sentences]

# speech segments = complement of the detected silences
segs, t = [], 0.0
for s, e in zip(starts, ends + [total] * (len(starts) - len(ends))):
    if s - t > 0.15:
        segs.append((t, s))
    t = e
if total - t > 0.15:
    segs.append((t, total))

cues = []
if len(segs) == sum(phrase_counts):
    i = 0
    for sentence, n in zip(sentences, phrase_counts):
        cues.append([segs[i][0], segs[i + n - 1][1], sentence])
        i += n
    cues[0][0] = 0.0
    # contiguous cues: each one lasts until the next begins, the last until the end
    for a, b in zip(cues, cues[1:]):
        a[1] = b[0]
    cues[-1][1] = total
else:
    weights = [len(s) for s in sentences]
    t = 0.0
    for sentence, w in zip(sentences, weights):
        d = total * w / sum(weights)
        cues.append([t, t + d, sentence])
        t += d


def ts(sec, sep):
    ms = round(sec * 1000)
    h, ms = divmod(ms, 3600000)
    m, ms = divmod(ms, 60000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


vtt = ["WEBVTT", ""]
srt = []
for n, (a, b, sentence) in enumerate(cues, 1):
    vtt += [str(n), f"{ts(a, '.')} --> {ts(b, '.')}", f"<v Host>{sentence}", ""]
    srt += [str(n), f"{ts(a, ',')} --> {ts(b, ',')}", sentence, ""]
with open(f"{out_dir}/episode-01.vtt", "w", newline="\n") as f:
    f.write("\n".join(vtt))
with open(f"{out_dir}/episode-01.srt", "w", newline="\n") as f:
    f.write("\n".join(srt))
EOF

echo "media written under $HERE"
