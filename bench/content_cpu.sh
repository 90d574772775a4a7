#!/usr/bin/env bash
# Gateway CPU added by content (issue 13): per presenting room system and per room
# system receiving content, against calls without content, and what a camera costs for
# comparison (passthrough: content should cost about what a second camera does).
# One gateway, N SIP room systems (one cmd/roomsim per room, 200 ms apart, G.722 and the
# 10 s 1280x720 30 fps H.264 clip of bench/sip_video_sim.sh as camera). Per run, four
# configurations (order rotating between runs), each measured over HOLD_S s starting
# once all N joined and room 1 presents:
#   audio    N rooms, audio only, no content                     → G_audio
#   base     N rooms with camera, content offered, nobody presents → G_base
#   present  room 1 presents (the same clip as content, 30 fps, BFCP/UDP); rooms 2..N
#            without content                                     → G_present
#   receive  room 1 presents; rooms 2..N with content receive it  → G_receive
# camera = (G_base − G_audio) / N, presenting room = G_present − G_base,
# receiving room = (G_receive − G_present) / (N − 1); gateway CPU is utime+stime from
# /proc. No browser is in the meeting (the room's screen share is published with no
# subscriber). A configuration counts only when every call was established, and room 1
# sent content and (receive) every other room decoded it.
# Usage: bench/content_cpu.sh [N=4] [HOLD_S=15] [RUNS=3]   (after make build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/.." && pwd)
CLIP=${ROOMSIM_CLIP:-/tmp/roomsim-720p.h264}
. "$here/lib.sh"
enter_sim_netns "$0" "$@"
N=${1:-4}; HOLD=${2:-15}; RUNS=${3:-3}
[ "$N" -ge 2 ] || { echo "N must be at least 2"; exit 2; }
BIN=${ROOMGATE_BIN:-$repo/bin/roomgate}
dir=${BENCH_DIR:-$(mktemp -d)}; SIM=$dir/roomsim; RG=; SPS=
[ -x "$SIM" ] || (cd "$repo" && go build -o "$SIM" ./cmd/roomsim)
trap 'for p in $SPS; do kill $p 2>/dev/null; done; [ -z "$RG" ] || kill $RG 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
API=127.0.0.1:28695
start_gateway 28695 28795 25675 24000 24998 "log: {level: warn}"
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
pct() { python3 -c "print(($2 - $1) / $hz / $HOLD * 100)"; }
count() {
  curl -s -H "Authorization: Bearer $T" "http://$API/api/v1/meetings/$ID/participants" |
    python3 -c "import json,sys;print(sum(p.get('kind')=='sip' for p in json.load(sys.stdin)['participants']))"
}
PRESENT_AT=$((N * 200 / 1000 + 4)) # s after room 1's answer: every room joined by then

# run_config LABEL RUN: the N rooms of configuration LABEL; appends "LABEL gateway-%".
run_config() {
  local label=$1 out="$dir/sim-$1-$2" i args video
  local d=$((PRESENT_AT + HOLD + 6))
  for i in $(seq 1 "$N"); do
    video="-video $CLIP -fps 30"; args=""
    [ "$label" != audio ] || video=""
    [ "$label" != base ] && [ "$label" != receive ] || args="-content -bfcp udp"
    if [ "$i" = 1 ] && { [ "$label" = present ] || [ "$label" = receive ]; }; then
      args="-content -bfcp udp -content-video $CLIP -content-fps 30 -present-at ${PRESENT_AT}s -present-for $((HOLD + 4))s"
    fi
    # shellcheck disable=SC2086
    "$SIM" -gw 127.0.0.1:25675 -meeting "$ID" -n 1 -d "$((d * 1000 - (i - 1) * 200))ms" $video -bind 127.0.0.1 \
      -rtp-base "$((31000 + 8 * i))" -talkers "$([ "$i" = 1 ] && echo 1 || echo 0)" $args >"$out-$i.out" 2>"$out-$i.err" & SPS="$SPS $!"
    sleep 0.2
  done
  local waited=0
  until [ "$(count)" = "$N" ]; do
    sleep 0.2; waited=$((waited + 1))
    [ $waited -le 300 ] || { echo "$label: only $(count) of $N rooms joined"; tail -3 "$out"-*; exit 1; }
  done
  # measure from 2 s after room 1 presents (or would)
  sleep $((PRESENT_AT + 2 - N * 200 / 1000))
  local g0 g1; g0=$(ticks $RG); sleep "$HOLD"; g1=$(ticks $RG)
  local p rc=0; for p in $SPS; do wait "$p" || rc=$?; done; SPS=
  [ $rc = 0 ] || { echo "$label: a roomsim exited $rc"; tail -3 "$out"-*; exit 1; }
  python3 - "$label" "$N" "$(pct "$g0" "$g1")" "$out" >>"$dir/results" <<'PY'
import glob, json, sys
label, n, g, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
calls = [json.loads(open(f"{out}-{i}.out").read().strip().splitlines()[-1])["calls"][0] for i in range(1, n + 1)]
bad = [i + 1 for i, c in enumerate(calls) if not c["established"] or c["rx"]["audio_packets"] == 0]
if label in ("present", "receive") and calls[0]["content"]["tx_frames"] < 30:
    bad.append("room 1 sent no content")
if label == "receive":
    bad += [f"room {i + 1} decoded no content" for i, c in enumerate(calls[1:], 1) if c["content"]["rx_decodable_frames"] < 30]
if bad:
    sys.exit(f"{label}: {bad}")
print(f"{label} {g:.3f}")
PY
  sleep 3
}

echo "== gateway idle for ${HOLD}s"
t0=$(ticks $RG); sleep "$HOLD"; t1=$(ticks $RG)
printf 'idle: %.2f%% of one core\n' "$(pct "$t0" "$t1")"
: >"$dir/results"
configs=(audio base present receive)
for run in $(seq 1 "$RUNS"); do
  echo "== run $run of $RUNS: $N rooms, measured over ${HOLD}s"
  for k in 0 1 2 3; do run_config "${configs[$(((k + run - 1) % 4))]}" "$run"; done
done
python3 - "$dir/results" "$N" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
n = int(sys.argv[2])
g = {k: [float(r[1]) for r in rows if r[0] == k] for k in ("audio", "base", "present", "receive")}
runs = min(len(v) for v in g.values())
med = {k: statistics.median(v) for k, v in g.items()}
for k in ("audio", "base", "present", "receive"):
    print(f"{k:8}: gateway " + ", ".join(f"{v:.1f}%" for v in g[k]) + f" of one core; median {med[k]:.1f}%")
cam = [(g["base"][i] - g["audio"][i]) / n for i in range(runs)]
pres = [g["present"][i] - g["base"][i] for i in range(runs)]
recv = [(g["receive"][i] - g["present"][i]) / (n - 1) for i in range(runs)]
print(f"camera (720p30 passthrough, per room): median {statistics.median(cam):.2f}% (runs " + ", ".join(f"{v:.2f}" for v in cam) + ")")
print(f"presenting room (same clip as content): median {statistics.median(pres):.2f}% (runs " + ", ".join(f"{v:.2f}" for v in pres) + ")")
print(f"receiving room: median {statistics.median(recv):.2f}% (runs " + ", ".join(f"{v:.2f}" for v in recv) + ")")
PY
echo "($(nproc) CPUs; machine load: $(cut -d' ' -f1-3 /proc/loadavg))"
