#!/usr/bin/env bash
# Encodes compressed copies of the bundled WAV fixtures into fixtures_media/ (run once by hand;
# the outputs are committed, so neither CI nor the tests need ffmpeg).
#
#   scripts/encode_fixtures.sh        # needs ffmpeg with libmp3lame, libvorbis, libx264
#
# The files live outside fixtures/ on purpose: fixtures/ is regenerated and compared byte for
# byte by tests/synth_fixtures.rs, and `autotrigger eval fixtures` walks it; these copies would
# double its audio rows.
set -euo pipefail
cd "$(dirname "$0")/.."
src=fixtures
out=fixtures_media
mkdir -p "$out/tracks"
ff() { ffmpeg -hide_banner -loglevel error -y -fflags +bitexact "$@"; }
aud=(-map_metadata -1 -flags:a +bitexact)

# The same audio in each container (lossy at modest bitrates, FLAC lossless).
for name in gunshots_16k gunshots_44k; do
  # FLAC is lossless and large: one file is enough to show it.
  in="$src/$name.wav"
  ff -i "$in" "${aud[@]}" -c:a aac -b:a 48k "$out/$name.mp4"
  ff -i "$in" "${aud[@]}" -c:a libmp3lame -b:a 48k "$out/$name.mp3"
  if [ "$name" = gunshots_16k ]; then ff -i "$in" "${aud[@]}" -c:a flac "$out/$name.flac"; fi
  ff -i "$in" "${aud[@]}" -c:a libvorbis -q:a 3 "$out/$name.ogg"
  cp "$src/$name.labels.csv" "$out/$name.labels.csv"
done

# Body-camera style: H.264 video (tiny, 64x48 at 5 fps) with stereo AAC audio (the fixture in
# both channels).
ff -f lavfi -i "color=c=gray:s=64x48:r=5:d=8" -i "$src/gunshots_16k.wav" \
  "${aud[@]}" -map 0:v -map 1:a -c:v libx264 -preset veryslow -crf 40 -pix_fmt yuv420p \
  -c:a aac -b:a 64k -ac 2 -shortest "$out/tracks/bodycam_16k.mp4"
# Two audio tracks: 0 = the 8 kHz distractors, 1 = the 8 kHz gunshots (after a video track).
ff -f lavfi -i "color=c=gray:s=64x48:r=5:d=6" -i "$src/distractors_8k.wav" \
  -i "$src/gunshots_8k.wav" "${aud[@]}" -map 0:v -map 1:a -map 2:a -c:v libx264 -preset veryslow \
  -crf 40 -pix_fmt yuv420p -c:a aac -b:a 32k "$out/tracks/two_tracks_8k.mov"
# A video with no audio track.
ff -f lavfi -i "color=c=gray:s=64x48:r=5:d=1" -map_metadata -1 -c:v libx264 -preset veryslow \
  -crf 40 -pix_fmt yuv420p "$out/tracks/video_only.mp4"
# Label side-cars, so `autotrigger eval fixtures_media` scores them (track 0 of the .mov is the
# distractors: no events).
cp "$src/gunshots_16k.labels.csv" "$out/tracks/bodycam_16k.labels.csv"
cp "$src/distractors_8k.labels.csv" "$out/tracks/two_tracks_8k.labels.csv"
du -ch "$out"/* "$out"/tracks/* | tail -1
