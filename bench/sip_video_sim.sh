#!/usr/bin/env bash
# Gateway CPU per SIP call with N light simulated room systems (cmd/roomsim): each
# sends G.722 audio (pre-encoded tone) and 1280x720 30 fps H.264 (~1.8 Mbit/s,
# Constrained Baseline) replayed from a pre-encoded clip, compared with the same N
# calls audio-only. Unlike bench/sip_video.sh (baresip encoding x264 itself) the
# callers cost little CPU, so N=10 fits on a small machine. Runs in a private
# network namespace; the clip (ffmpeg) and roomsim (go build) are made before.
# TALKERS=k: the first k calls send the tone, the others room noise at about −65 dBov
# (a meeting where one room talks: TALKERS=1; default all).
# Usage: [TALKERS=k] bench/sip_video_sim.sh [N=10] [HOLD_S=20]   (after make build; ROOMGATE_BIN overrides)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/.." && pwd)
CLIP=${ROOMSIM_CLIP:-/tmp/roomsim-720p.h264}
if [ -z "${IN_NETNS:-}" ]; then
  . "$here/lib.sh"
  make_clip "$CLIP"
  dir=$(mktemp -d)
  (cd "$repo" && go build -o "$dir/roomsim" ./cmd/roomsim) || { rm -rf "$dir"; exit 1; }
  exec unshare -n env IN_NETNS=1 ROOMSIM_CLIP="$CLIP" BENCH_DIR="$dir" bash -c 'ip link set lo up && ip link add rgv0 type veth peer name rgv1 && ip addr add 10.203.0.1/32 dev rgv0 && ip link set rgv0 up && ip link set rgv1 up && exec "$0" "$@"' "$0" "$@"
fi
N=${1:-10}; HOLD=${2:-20}; STAGGER_MS=200; TALKERS=${TALKERS:--1}
BIN=${ROOMGATE_BIN:-$repo/bin/roomgate}
dir=${BENCH_DIR:-$(mktemp -d)}; SIM=$dir/roomsim; RG=; SP=
[ -x "$SIM" ] || (cd "$repo" && go build -o "$SIM" ./cmd/roomsim)
trap '[ -z "$SP" ] || kill $SP 2>/dev/null; [ -z "$RG" ] || kill $RG 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
. "$here/lib.sh"
start_gateway 28280 28380 25260 23000 23998 'log: {level: warn}'
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }   # utime stime of a pid

echo "== gateway idle for ${HOLD}s"
t0=$(ticks $RG); sleep "$HOLD"; t1=$(ticks $RG)
IDLE=$(python3 -c "u0,s0='$t0'.split();u1,s1='$t1'.split();print((int(u1)+int(s1)-int(u0)-int(s0))/$hz/$HOLD*100)")
printf 'idle: %.2f%% of one core\n' "$IDLE"

# run_calls LABEL VIDEO_FILE: N roomsim calls; measures gateway and roomsim CPU over HOLD s
# starting 4 s after the last call was established; prints the per-call lines.
run_calls() {
  local label=$1 video=$2 out="$dir/sim-$1.out"
  "$SIM" -gw 127.0.0.1:25260 -meeting "$ID" -n "$N" -d "$((HOLD + 8))s" -video "$video" -fps 30 \
    -bind 127.0.0.1 -rtp-base 31000 -talkers "$TALKERS" -stagger "${STAGGER_MS}ms" >"$out" 2>"$dir/sim-$label.err" & SP=$!
  local waited=0
  until grep -q '^started:' "$out"; do
    sleep 0.1; waited=$((waited + 1))
    if ! kill -0 $SP 2>/dev/null || [ $waited -gt 600 ]; then echo "roomsim did not start its calls:"; cat "$out" "$dir/sim-$label.err"; exit 1; fi
  done
  sleep 4
  local n; n=$(curl -s -H "Authorization: Bearer $T" http://127.0.0.1:28280/api/v1/meetings/$ID/participants | python3 -c 'import json,sys;print(len(json.load(sys.stdin)["participants"]))')
  local g0 s0 g1 s1; g0=$(ticks $RG); s0=$(ticks $SP); sleep "$HOLD"; g1=$(ticks $RG); s1=$(ticks $SP)
  local rc=0; wait $SP || rc=$?; SP=
  sed 's/^/  /' "$out"
  [ $rc = 0 ] || { echo "  roomsim exited $rc:"; sed 's/^/  /' "$dir/sim-$label.err" | tail -5; }
  python3 - "$label" "$n" "$N" "$HOLD" "$hz" "$IDLE" "$g0" "$g1" "$s0" "$s1" <<'PY'
import sys
label, n, N, hold, hz, idle = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
g0, g1, s0, s1 = ([int(x) for x in a.split()] for a in sys.argv[7:11])
pct = lambda t: t / hz / hold * 100
gu, gs = pct(g1[0] - g0[0]), pct(g1[1] - g0[1])
su, ss = pct(s1[0] - s0[0]), pct(s1[1] - s0[1])
print(f"{label}: {n} of {N} calls in the meeting, gateway {gu+gs:.1f}% of one core, "
      f"{(gu+gs-idle)/N:.2f}% per call (idle subtracted), {(gu+gs)/N:.2f}% per call (raw)")
print(f"  gateway user {gu:.1f}%, system (kernel: sockets, loopback) {gs:.1f}%")
print(f"  roomsim itself: {su+ss:.1f}% of one core (user {su:.1f}%, system {ss:.1f}%)")
PY
  sleep 3
}
echo "== $N calls G.722 + H.264 1280x720@30 (roomsim), measured over ${HOLD}s"
run_calls video "$CLIP"
echo "== $N calls G.722 audio only (roomsim), measured over ${HOLD}s"
run_calls audio ""
echo "(G.722 ⇄ Opus audio; H.264 from roomsim passed through; $(nproc) CPUs; machine load: $(cut -d' ' -f1-3 /proc/loadavg))"
