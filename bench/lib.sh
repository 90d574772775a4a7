# Shared by the SIP benchmarks (source it).
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
