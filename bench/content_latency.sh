#!/usr/bin/env bash
# Content start latency (issue 13), p50/p99 over TRIALS presentations each way:
#  (a) a room system's floor request (SIP: BFCP FloorRequest sent; H.323: H.239
#      presentationTokenRequest asked for; roomsim -content -present-repeat) → the first screen-share frame the Chromium participant decodes
#      from it (rooms/web/e2e/content_peer.mjs: framesDecoded of the new track polled
#      every 20 ms in the page; its first_frame time);
#  (b) the browser's share start (just before the click on "Share screen") → the first
#      decodable content frame at the room system (an IDR with its SPS and PPS, complete;
#      roomsim's "first frame" event of each presentation received).
# Both clocks are this machine's wall clock. Each presentation lasts PRESENT_S s, GAP_S s
# apart (the room's idle detection needs 2 s without content between (b)'s shares). One
# more presentation each way comes first as a warm-up and is not counted (Chromium's
# first screen capture takes seconds).
# The gateway, roomsim and Chromium run in a network namespace (loopback + a veth
# address for the meeting core's ICE, as bench/sip_video.sh).
# A trial whose first frame did not come within its presentation counts as longer than
# PRESENT_S (the percentiles then say ">").
# Usage: bench/content_latency.sh [TRIALS=50] [PRESENT_S=5] [GAP_S=3] [BFCP=udp|tcp|h323]   (after make build)
# (h323: the room is roomsim over H.323 with H.239 instead of SIP with BFCP)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/.." && pwd)
if [ -z "${IN_NETNS:-}" ]; then
  exec unshare -n env IN_NETNS=1 bash -c 'ip link set lo up && ip link add rgv0 type veth peer name rgv1 && ip addr add 10.203.0.1/32 dev rgv0 && ip link set rgv0 up && ip link set rgv1 up && exec "$0" "$@"' "$0" "$@"
fi
TRIALS=${1:-50}; PRESENT=${2:-5}; GAP=${3:-3}; BFCP=${4:-udp}
BIN=${ROOMGATE_BIN:-$repo/bin/roomgate}; SIM=${ROOMSIM_BIN:-$repo/bin/roomsim}
dir=$(mktemp -d); RG=; SP=; PEER=
cleanup() {
  exec 3>&- 2>/dev/null || true
  [ -z "$SP" ] || kill "$SP" 2>/dev/null || true
  [ -z "$PEER" ] || { sleep 2; kill "$PEER" 2>/dev/null || true; }
  [ -z "$RG" ] || kill "$RG" 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT
. "$here/lib.sh"
API=127.0.0.1:28690
start_gateway 28690 28790 25670 24000 24998 "log: {level: warn}
h323: {enabled: true, listen: \"127.0.0.1:25720\", ras_listen: \"\"}"
# The room system: roomsim -content over SIP with BFCP/$BFCP, or over H.323 with H.239
# (an array, not a function: $! must be roomsim's own PID for the kill -INT below).
if [ "$BFCP" = h323 ]; then
  room=("$SIM" -h323 127.0.0.1:25720 -alias "$ID" -bind 127.0.0.1 -video gen -fps 10 -content)
else
  room=("$SIM" -gw 127.0.0.1:25670 -meeting "$ID" -n 1 -video gen -fps 10 -bind 127.0.0.1 -content -bfcp "$BFCP")
fi
T_HOLD=$(((TRIALS + 1) * (PRESENT + GAP) + 40))

# The browser: commands on a fifo, JSON lines out.
mkfifo "$dir/peer.in"
(cd "$repo/rooms/web" && ROOMGATE_URL="http://$API" ROOMGATE_TOKEN="$T" MEETING_ID="$ID" PEER_NAME="Bench Browser" \
  PEER_SECONDS=$((5 * T_HOLD + 120)) ARTIFACTS_DIR="$dir" exec node e2e/content_peer.mjs <"$dir/peer.in" >"$dir/peer.out" 2>"$dir/peer.err") & PEER=$!
exec 3>"$dir/peer.in"
wait_line() { # wait_line FILE PATTERN SECONDS
  local i; for i in $(seq 1 $(($3 * 10))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "no $2 in $1 within $3 s:"; tail -5 "$1"; tail -20 "$dir/peer.err" 2>/dev/null; exit 1
}
wait_line "$dir/peer.out" '"event":"joined"' 60

echo "== (a) room floor request → first frame decoded in the browser: $TRIALS presentations of ${PRESENT}s, ${GAP}s apart (room: $BFCP)"
"${room[@]}" -d "${T_HOLD}s" -rtp-base 31000 -present-at 3s -present-for "${PRESENT}s" -present-repeat $((TRIALS + 1)) -present-gap "${GAP}s" \
  >"$dir/sim-a.out" 2>"$dir/sim-a.err" & SP=$!
wait "$SP" || { echo "roomsim (a) exited $?"; tail -n 5 "$dir/sim-a.out" "$dir/sim-a.err"; exit 1; }
SP=

echo "== (b) browser share start → first decodable frame at the room: $TRIALS shares of ${PRESENT}s, ${GAP}s apart"
# held until interrupted after the last share (the shares' pace is the browser's)
"${room[@]}" -d "$((3 * T_HOLD))s" -rtp-base 31100 >"$dir/sim-b.out" 2>"$dir/sim-b.err" & SP=$!
if [ "$BFCP" = h323 ]; then # no hello over H.239: the room is in once the API lists it
  for i in $(seq 1 300); do
    curl -s -H "Authorization: Bearer $T" "http://$API/api/v1/meetings/$ID/participants" | grep -q '"h323"' && break; sleep 0.1
  done
else
  wait_line "$dir/sim-b.out" "content: hello" 30
fi
sleep 3
wait_count() { # wait_count PATTERN N: until peer.out has N lines matching PATTERN
  local i; for i in $(seq 1 600); do [ "$(grep -c "$1" "$dir/peer.out")" -ge "$2" ] && return 0; sleep 0.1; done
  echo "peer: no $2× $1 within 60 s"; tail -n 3 "$dir/peer.out" "$dir/peer.err"; exit 1
}
for i in $(seq 0 "$TRIALS"); do # share 0 warms Chromium's capture up, not counted
  echo share >&3; wait_count '"event":"sharing","on":true' $((i + 1)); sleep "$PRESENT"
  echo unshare >&3; wait_count '"event":"sharing","on":false' $((i + 1)); sleep "$GAP"
done
kill -INT "$SP" 2>/dev/null || true
wait "$SP" || true # interrupted: hangs up and reports
SP=
exec 3>&- # the peer leaves on end of input; closing Chromium can hang on a loaded machine
for i in $(seq 1 300); do kill -0 "$PEER" 2>/dev/null || break; sleep 0.1; done
kill "$PEER" 2>/dev/null || true
wait "$PEER" || true
PEER=

python3 - "$dir" "$TRIALS" "$PRESENT" <<'PY'
import json, sys
d, trials, present = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) * 1000
def report(name):
    lines = [l for l in open(f"{d}/{name}").read().splitlines() if l.startswith("{")]
    if not lines:
        sys.exit(f"{name}: no report")
    return json.loads(lines[-1])["calls"][0]
peer = [json.loads(l) for l in open(f"{d}/peer.out") if l.startswith("{")]
def pct(v, p):
    s = sorted(v); i = (p * len(s) + 99) // 100
    x = s[max(i - 1, 0)]
    return f"> {present:.0f}" if x == float("inf") else f"{x:.0f}"
def show(label, lat, want):
    late = [x for x in lat if x == float("inf")]
    ok = [x for x in lat if x != float("inf")]
    if len(lat) != want:
        print(f"{label}: {len(lat)} trials, want {want}")
    if ok:
        print(f"{label}: n={len(lat)} p50 {pct(lat, 50)} ms, p99 {pct(lat, 99)} ms (min {min(ok):.0f}, max {max(ok):.0f}; "
              f"{len(late)} with no first frame within the {present:.0f} ms presentation)")

def latencies(starts, ends):
    """Per start but the first (the warm-up): the first end after it, before the next start."""
    lat = []
    for i, st in enumerate(starts[1:], 1):
        nxt = starts[i + 1] if i + 1 < len(starts) else float("inf")
        f = [t for t in ends if st <= t < min(nxt, st + present)]
        lat.append(f[0] - st if f else float("inf"))
    return lat

# (a): each FloorRequest → the browser's first frame of a screen_share track.
a = report("sim-a.out")["content"]
reqs = [e["unix_ms"] for e in a.get("events", []) if e["event"] == "requested"]
firsts = sorted(e["t"] for e in peer if e.get("event") == "first_frame" and e.get("source") == "screen_share")
show("(a) floor request → browser first frame", latencies(reqs, firsts), trials)
# (b): each share click → the room's first decodable frame.
b = report("sim-b.out")["content"]
clicks = [e["t"] for e in peer if e.get("event") == "share" and e.get("on")]
rx = [e["unix_ms"] for e in b.get("events", []) if e["event"] == "first frame"]
show("(b) browser share start → room first decodable frame", latencies(clicks, rx), trials)
print(f"room (b): {b['rx_decodable_frames']} decodable of {b['rx_frames']} frames in {b['rx_sessions']} presentations, "
      f"{b.get('rx_width', 0)}×{b.get('rx_height', 0)}, {b.get('keyframe_requests_sent', 0)} PLIs sent")
PY
echo "($(nproc) CPUs; machine load: $(cut -d' ' -f1-3 /proc/loadavg))"
