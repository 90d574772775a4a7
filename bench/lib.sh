# Shared by the SIP and H.323 benchmarks (source it).

# make_clip FILE makes the 10 s 1280x720 30 fps H.264 clip (Constrained Baseline,
# ~1.8 Mbit/s, an access unit delimiter before every access unit) that roomsim
# replays, unless FILE exists; installs ffmpeg (apt-get) when missing and root.
make_clip() {
  [ ! -s "$1" ] || return 0
  if ! command -v ffmpeg >/dev/null; then
    echo "ffmpeg is needed to make the H.264 clip: apt-get install -y ffmpeg" >&2
    [ "$(id -u)" = 0 ] || exit 1
    DEBIAN_FRONTEND=noninteractive apt-get install -y ffmpeg >/dev/null
  fi
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=1280x720:rate=30 -t 10 \
    -c:v libx264 -preset veryfast -tune zerolatency -profile:v baseline -level 3.1 \
    -x264-params aud=1:sliced-threads=0:keyint=60 -b:v 1800k -maxrate 2000k -bufsize 2000k \
    -pix_fmt yuv420p -bsf:v h264_mp4toannexb -f h264 "$1.tmp"
  mv "$1.tmp" "$1"
}

# enter_sim_netns SCRIPT ARGS...: outside the network namespace (IN_NETNS unset), makes
# the clip $CLIP and builds cmd/roomsim into a new directory, then re-executes SCRIPT
# in a new network namespace (loopback, and a veth address for the meeting core's ICE)
# with ROOMSIM_CLIP and BENCH_DIR set; inside it, returns. Needs $repo.
enter_sim_netns() {
  [ -z "${IN_NETNS:-}" ] || return 0
  make_clip "$CLIP"
  local d; d=$(mktemp -d)
  (cd "$repo" && go build -o "$d/roomsim" ./cmd/roomsim) || { rm -rf "$d"; exit 1; }
  exec unshare -n env IN_NETNS=1 ROOMSIM_CLIP="$CLIP" BENCH_DIR="$d" bash -c 'ip link set lo up && ip link add rgv0 type veth peer name rgv1 && ip addr add 10.203.0.1/32 dev rgv0 && ip link set rgv0 up && ip link set rgv1 up && exec "$0" "$@"' "$@"
}

# start_gateway HTTP_PORT CORE_PORT SIP_PORT MEDIA_MIN MEDIA_MAX [EXTRA_YAML] starts
# $BIN with SIP on, its files in $dir (the meeting core on CORE_PORT, RTC UDP/TCP on
# CORE_PORT+2/+1), waits until it is healthy and creates a meeting. Sets RG (pid),
# T (API token) and ID (meeting ID). EXTRA_YAML lines are appended to the config,
# SIP_YAML lines (indented by two) under sip:.
start_gateway() {
  local http=127.0.0.1:$1 core=$2 extra=${6:-} sipx=${7:-}
  cat >"$dir/rg.yaml" <<YAML
http: {listen: $http}
data_dir: data
meeting: {embedded: {port: $core, rtc_udp_port: $((core + 2)), rtc_tcp_port: $((core + 1))}}
sip:
  enabled: true
  listen: 127.0.0.1:$3
$sipx
media: {port_min: $4, port_max: $5, timeout: 10s}
$extra
YAML
  "$BIN" serve --config "$dir/rg.yaml" >"$dir/out" 2>"$dir/log" & RG=$!
  until curl -sf "http://$http/healthz" >/dev/null; do
    kill -0 $RG 2>/dev/null || { echo "roomgate did not start:"; tail -20 "$dir/log"; exit 1; }
    sleep 0.1
  done
  T=$(cat "$dir/data/api_token")
  ID=$(curl -s -H "Authorization: Bearer $T" -d '{"topic":"bench"}' "http://$http/api/v1/meetings" |
    python3 -c 'import json,sys;print(json.load(sys.stdin)["id"])')
}
