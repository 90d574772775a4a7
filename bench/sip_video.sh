#!/usr/bin/env bash
# Gateway CPU per SIP call with real room-system stand-ins: N baresip callers in one
# meeting, each sending G.722 audio and H.264 video (fakevideo, libx264) of SIZE at FPS,
# compared with the same N calls audio-only. Runs in a private network namespace.
# Usage: bench/sip_video.sh [N=3] [HOLD_S=20] [SIZE=1280x720] [FPS=30]   (after make build)
set -euo pipefail
if [ -z "${IN_NETNS:-}" ]; then
  exec unshare -n env IN_NETNS=1 bash -c 'ip link set lo up && ip link add rgv0 type veth peer name rgv1 && ip addr add 10.203.0.1/32 dev rgv0 && ip link set rgv0 up && ip link set rgv1 up && exec "$0" "$@"' "$0" "$@"
fi
N=${1:-3}; HOLD=${2:-20}; SIZE=${3:-1280x720}; FPS=${4:-30}
here=$(cd "$(dirname "$0")" && pwd); repo=$here/..; BIN=${ROOMGATE_BIN:-$repo/bin/roomgate}
dir=$(mktemp -d); trap 'pkill -P $$ baresip 2>/dev/null; kill $RG 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
. "$here/lib.sh"
start_gateway 28180 27980 25160 22000 22998 'log: {level: warn}'
sox -n -r 16000 -c 1 -b 16 "$dir/tone.wav" synth 120 sine 500 vol 0.3
hz=$(getconf CLK_TCK); cpu() { awk '{print $14+$15}' /proc/$RG/stat; }

# run_calls VIDEO(yes|no): starts N baresip callers, measures, hangs up.
run_calls() {
  local video=$1 pids=()
  for i in $(seq "$N"); do
    d="$dir/b$i-$video"; mkdir -p "$d/rec"
    sed -e "s/@SIP_PORT@/$((25200 + 10*i))/; s/@CTRL_PORT@/$((25400 + 10*i))/; s/@RTP_MIN@/$((26000 + 100*i))/; s/@RTP_MAX@/$((26099 + 100*i))/" \
        -e "s|@AUDIO_WAV@|$dir/tone.wav|; s|@REC_DIR@|$d/rec|; s/^video_size.*/video_size $SIZE/; s/^video_fps.*/video_fps $FPS/; s/^video_bitrate.*/video_bitrate 2000000/" \
        -e "s/^module\t\t\tg711.so/module\t\t\tg711.so\nmodule\t\t\tg722.so/" \
        "$repo/testdata/sip/baresip/config.tmpl" > "$d/config"
    [ "$video" = no ] && sed -i 's/^module\t\t\tfakevideo.so/#&/; s/^module\t\t\tavcodec.so/#&/' "$d/config"
    echo "<sip:room$i@127.0.0.1:$((25200 + 10*i))>;regint=0;audio_codecs=g722" > "$d/accounts"; : > "$d/contacts"
    (cd "$d" && exec baresip -f "$d" -e "/dial sip:$ID@127.0.0.1:25160" >"$d/log" 2>&1) & pids+=($!)
  done
  sleep 6
  local n; n=$(curl -s -H "Authorization: Bearer $T" http://127.0.0.1:28180/api/v1/meetings/$ID/participants | python3 -c 'import json,sys;print(len(json.load(sys.stdin)["participants"]))')
  local a b; a=$(cpu); sleep "$HOLD"; b=$(cpu)
  kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null || true
  sleep 3
  python3 -c "print(f'{\"video\" if \"$video\"==\"yes\" else \"audio only\"}: {$n} of $N calls in the meeting, gateway {($b-$a)/$hz/$HOLD*100:.1f}% of one core, {($b-$a)/$hz/$HOLD*100/$N:.2f}% per call')"
}
a=$(cpu); sleep 5; b=$(cpu); python3 -c "print(f'idle: {($b-$a)/$hz/5*100:.2f}% of one core')"
run_calls no
run_calls yes
echo "(G.722 ⇄ Opus audio; video $SIZE@$FPS H.264 from baresip passed through; machine load: $(cut -d' ' -f1-3 /proc/loadavg))"
