#!/usr/bin/env bash
# Regenerates the test fixtures under tests/data/media and tests/data/images, and
# tests/data/media/truth.json (what an ffmpeg full decode, mutagen and mp3val say about
# each media file). See the research notes (shared/research/oracles.md) section 3 for the rationale.
#
# Deterministic: byte-identical output on every run with the same tool versions
# (tested: Debian 12, espeak-ng 1.51, SoX 14.4.2, LAME 3.100, ffmpeg 5.1.9, mp3val 0.1.8,
# Python 3.11, Pillow 13, mutagen 1.48.1). Every sox call needs -R ("repeatable"): not
# only the noise generator is random, sox also adds random dither whenever it resamples
# or changes the level of 16-bit audio. espeak-ng and lame need no extra flags; ffmpeg
# gets -fflags +bitexact so its version string is not written into the file.
# Needs: espeak-ng sox lame ffmpeg mp3val python3 (+ Pillow, mutagen).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MEDIA="$HERE/media"
IMAGES="$HERE/images"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

for tool in espeak-ng sox lame ffmpeg mp3val python3; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
done
python3 -c 'import PIL, mutagen' || { echo "needs Python packages Pillow and mutagen" >&2; exit 1; }

rm -rf "$MEDIA" "$IMAGES"
mkdir -p "$MEDIA" "$IMAGES"

# ---------------------------------------------------------------- sources (in $TMP)
cd "$TMP"
espeak-ng -v en -w speech.wav "Welcome to the test cast. This is episode one."  # 22050 Hz mono, 3.11 s
sox -R speech.wav -r 44100 sp44.wav                                                # 44.1 kHz mono
sox -R -n -r 44100 -c 1 tone44.wav synth 4 sine 440 gain -6                        # 4 s
sox -R -n -r 22050 -c 1 tone22.wav synth 3 sine 440 gain -6                        # 3 s
sox -R -n -r 44100 -c 1 silence.wav trim 0 2                                       # 2 s
sox -R -n -r 44100 -c 1 noise.wav synth 1 pinknoise gain -10                       # 1 s
# 2 s silence, speech, 1 s noise = 6.11 s; starts silent, so lame's first VBR frame is 32 kbps
sox -R silence.wav sp44.wav noise.wav mix.wav
sox -R speech.wav -r 8000 -b 16 -t wav short.wav trim 0 2.5                        # 40 KB WAV

# ---------------------------------------------------------------- media
cd "$MEDIA"
lame --quiet -b 64 --cbr "$TMP/tone44.wav" cbr.mp3            # MPEG-1 L3 44.1 kHz mono, LAME "Info" tag
lame --quiet -b 64 --cbr -t "$TMP/tone44.wav" cbr_noinfo.mp3  # -t: no Info/Xing frame
lame --quiet -V 4 "$TMP/mix.wav" vbr.mp3                      # VBR with Xing header
lame --quiet -V 4 -t "$TMP/mix.wav" vbr_noxing.mp3            # VBR, no Xing: header estimates ~2x too long
ffmpeg -v error -y -f lavfi -i "sine=frequency=300:duration=6" -ac 1 -ar 44100 \
    -c:a libmp3lame -q:a 6 -write_xing 0 -fflags +bitexact ffmpeg_vbr_noxing.mp3
lame --quiet -b 64 --cbr --id3v2-only --tt "Episode 1" --ta "Jane Host" --tl "Oracle Test Cast" \
    --ty 2024 --tn 1 --tg Podcast "$TMP/speech.wav" id3.mp3      # MPEG-2 (22.05 kHz), ID3v2.3
# MPEG-2 L3 22.05 kHz mono CBR, no ID3 and no Info tag: lame silently leaves out the Info
# tag when an MPEG-2 mono frame is too small to hold it (below 56 kbps)
lame --quiet -b 32 --cbr "$TMP/tone22.wav" mpeg2.mp3
# other versions of cbr.mp3 (podcast:alternateEnclosure): AAC in MP4, Opus in Ogg
ffmpeg -v error -y -i cbr.mp3 -c:a aac -b:a 64k -fflags +bitexact -map_metadata -1 alt.m4a
ffmpeg -v error -y -i cbr.mp3 -c:a libopus -b:a 32k -fflags +bitexact -map_metadata -1 alt.opus

head -c $(( $(stat -c %s cbr.mp3) / 2 )) cbr.mp3 >cbr_trunc_half.mp3
head -c $(( $(stat -c %s vbr.mp3) / 2 )) vbr.mp3 >vbr_trunc_half.mp3
cp cbr.mp3 cbr_midzeros.mp3
dd if=/dev/zero of=cbr_midzeros.mp3 bs=1 seek=$(( $(stat -c %s cbr.mp3) / 2 - 4096 )) count=8192 \
    conv=notrunc status=none
head -c 100 id3.mp3 >trunc_in_id3.mp3
cp "$TMP/short.wav" wav_renamed.mp3
python3 -c "import random; random.seed(42); open('random.mp3', 'wb').write(bytes(random.getrandbits(8) for _ in range(20000)))"
head -c 20000 /dev/zero >zeros.mp3
: >empty.mp3
printf 'This is a plain text file, not an MP3.\nIt only has an .mp3 name.\n' >text.mp3

# ---------------------------------------------------------------- truth.json
python3 - "$MEDIA" <<'EOF'
import json
import os
import re
import subprocess
import sys

import mutagen
from mutagen.mp3 import MP3

media = sys.argv[1]
truth = {}
for name in sorted(os.listdir(media)):
    if not name.endswith(".mp3"):
        continue
    path = os.path.join(media, name)
    dec = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "s16le", "-ac", "1", "-ar", "8000", "-"],
                         capture_output=True)
    samples = len(dec.stdout) // 2
    decoded = samples / 8000 if dec.returncode == 0 and samples else None
    try:
        mutagen_seconds, mutagen_error = round(MP3(path).info.length, 6), None
    except mutagen.MutagenError as e:
        mutagen_seconds, mutagen_error = None, f"{type(e).__module__}.{type(e).__qualname__}"
    out = subprocess.run(["mp3val", path], capture_output=True, text=True).stdout
    # drop the quoted path mp3val puts after the level: 'WARNING: "/x/f.mp3" (offset 0x2c): msg'
    mp3val = [re.sub(r'^(WARNING|ERROR): "[^"]*":? ?', r"\1: ", line)
              for line in out.splitlines() if line.startswith(("WARNING", "ERROR"))]
    truth[name] = {
        "bytes": os.path.getsize(path),
        "decoded_seconds": decoded,
        "mutagen_seconds": mutagen_seconds,
        "mutagen_error": mutagen_error,
        "ffmpeg_returncode": dec.returncode,
        "mp3val": mp3val,
    }
with open(os.path.join(media, "truth.json"), "w") as f:
    json.dump(truth, f, indent=2)
    f.write("\n")
EOF

# ---------------------------------------------------------------- images
python3 - "$IMAGES" <<'EOF'
import sys

from PIL import Image, ImageDraw

out = sys.argv[1]
NAVY, AMBER, TEAL = (11, 27, 54), (255, 183, 3), (58, 209, 196)


def flat(w, h, mode="RGB", bg=NAVY, fg=AMBER):
    """Flat background with a centred square: tiny once compressed."""
    im = Image.new(mode, (w, h), bg)
    s = min(w, h) // 3
    ImageDraw.Draw(im).rectangle(((w - s) // 2, (h - s) // 2, (w + s) // 2, (h + s) // 2), fill=fg)
    return im


flat(1400, 1400).save(f"{out}/ok.png", optimize=True)
flat(1400, 1400).save(f"{out}/ok.jpg", quality=80, optimize=True)
flat(600, 600).save(f"{out}/small.png", optimize=True)
flat(3100, 3100).save(f"{out}/huge.png", optimize=True)
flat(1600, 1400).save(f"{out}/wide.png", optimize=True)
flat(1400, 1400, "CMYK", (100, 60, 0, 180), (0, 80, 255, 0)).save(f"{out}/cmyk.jpg", quality=80, optimize=True)
flat(1400, 1400, "RGBA", (0, 0, 0, 0), AMBER + (255,)).save(f"{out}/rgba.png", optimize=True)
flat(1400, 1400, fg=TEAL).convert("P", palette=Image.Palette.ADAPTIVE, colors=4).save(f"{out}/cover.gif")
with open(f"{out}/not-image.png", "w") as f:
    f.write("This is a text file with a .png name, not an image.\n")
EOF

echo "fixtures written under $HERE"
