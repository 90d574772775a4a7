#!/usr/bin/env bash
# SIP benchmark inside a private network namespace (loopback + a veth that leads nowhere):
#   1. INVITE → 200 OK time of dial-in calls (p50/p99 over CALLS sequential calls, SIPp -trace_rtt)
#   2. gateway CPU per concurrent audio-only call (PCMU → Opus, N calls held HOLD_S seconds);
#      TALKERS of them (default all) send a 440 Hz tone, the others room noise at about
#      −65 dBov (a meeting where one room talks: TALKERS=1)
# Usage: [TALKERS=k] bench/sip_calls.sh [CALLS=100] [N=10] [HOLD_S=20]   (after `make build`; needs sipp, sox, python3)
set -euo pipefail
if [ -z "${IN_NETNS:-}" ]; then
  exec unshare -n env IN_NETNS=1 bash -c 'ip link set lo up && ip link add rgv0 type veth peer name rgv1 && ip addr add 10.203.0.1/32 dev rgv0 && ip link set rgv0 up && ip link set rgv1 up && exec "$0" "$@"' "$0" "$@"
fi
CALLS=${1:-100}; N=${2:-10}; HOLD=${3:-20}; TALKERS=${TALKERS:-$N}
here=$(cd "$(dirname "$0")" && pwd); BIN=${ROOMGATE_BIN:-$here/../bin/roomgate}
dir=$(mktemp -d); trap 'kill $RG 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
. "$here/lib.sh"
start_gateway 28080 27880 25060 42000 43998 'log: {level: info, format: json}
debug: {pprof_listen: "127.0.0.1:26060"}'
cp "$here/sipp/uac_audio.xml" "$dir/"
sox -n -r 8000 -c 1 -t ul "$dir/sine.ulaw" synth 30 sine 440 vol 0.5
sox -n -r 8000 -c 1 -t ul "$dir/noise.ulaw" synth 30 whitenoise vol 0.001
sed 's/sine\.ulaw/noise.ulaw/' "$dir/uac_audio.xml" >"$dir/uac_quiet.xml"
cd "$dir"

echo "== INVITE→200 over $CALLS sequential calls (1 s each)"
sipp -sf uac_audio.xml -s "$ID" 127.0.0.1:25060 -i 127.0.0.1 -p 25080 -mi 127.0.0.1 -m "$CALLS" -l 1 -d 1000 \
  -nostdin -timeout 300 -trace_rtt -rtt_freq 1 -trace_err >sipp1.out 2>&1 || echo "sipp reported failures (see $dir)"
python3 - <<'PY'
import csv,glob,statistics
rows=[]
for f in glob.glob('*rtt*.csv'):
    for r in csv.reader(open(f), delimiter=';'):
        try: rows.append(float(r[1]))
        except (ValueError, IndexError): pass
rows.sort()
if rows:
    p=lambda q: rows[min(len(rows)-1,int(q*len(rows)))]
    print(f"calls measured: {len(rows)}  p50: {p(0.5):.1f} ms  p99: {p(0.99):.1f} ms  max: {rows[-1]:.1f} ms")
else:
    print("no RTT samples")
PY

cpu() { awk '{print $14+$15}' /proc/$RG/stat; }
ticks() { awk '{print $14, $15}' /proc/$RG/stat; }
hz=$(getconf CLK_TCK)
echo "== CPU: idle vs $N concurrent PCMU calls ($TALKERS talking) for ${HOLD}s"
a=$(cpu); sleep "$HOLD"; b=$(cpu); idle=$(python3 -c "print(($b-$a)/$hz/$HOLD*100)")
sipp -sf uac_audio.xml -s "$ID" 127.0.0.1:25060 -i 127.0.0.1 -p 25082 -mi 127.0.0.1 -m "$TALKERS" -l "$TALKERS" -r "$N" -d $(( (HOLD + 5) * 1000 )) \
  -nostdin -timeout 300 >/dev/null 2>&1 & SP=$!
QUIET=$((N - TALKERS)); SQ=
if [ "$QUIET" -gt 0 ]; then
  sipp -sf uac_quiet.xml -s "$ID" 127.0.0.1:25060 -i 127.0.0.1 -p 25084 -mi 127.0.0.1 -mp 44000 \
    -m "$QUIET" -l "$QUIET" -r "$N" -d $(( (HOLD + 5) * 1000 )) -nostdin -timeout 300 >/dev/null 2>&1 & SQ=$!
fi
sleep 4; a=$(cpu); t0=$(ticks); [ -n "${PROFILE:-}" ] && curl -s -o "$PROFILE" "http://127.0.0.1:26060/debug/pprof/profile?seconds=$((HOLD-2))" & sleep "$HOLD"; b=$(cpu); t1=$(ticks)
wait $SP || echo "sipp reported failures"
[ -z "$SQ" ] || wait $SQ || echo "sipp (quiet rooms) reported failures"
load=$(python3 -c "print(($b-$a)/$hz/$HOLD*100)")
python3 -c "i=$idle;l=$load;n=$N;print(f'idle: {i:.2f}% of one core; with {n} calls: {l:.2f}%; per call: {(l-i)/n:.2f}% of one core')"
python3 -c "u0,s0='$t0'.split();u1,s1='$t1'.split();print(f'  of which user {(int(u1)-int(u0))/$hz/$HOLD*100:.2f}%, system (kernel: sockets, loopback) {(int(s1)-int(s0))/$hz/$HOLD*100:.2f}%')"
sleep 2
echo "== audio latency room system → meeting (RTP in → Opus out, jitter buffer included), per call"
python3 - "$dir/log" <<'PY'
import json,sys,statistics
p50=[];p99=[]
for line in open(sys.argv[1]):
    if not line.startswith('{'): continue
    try: d=json.loads(line)
    except ValueError: continue
    if d.get('msg','').startswith('audio latency'):
        p50.append(d['p50_ms']); p99.append(d['p99_ms'])
if p50:
    print(f"calls: {len(p50)}  median of per-call p50: {statistics.median(p50):.1f} ms  median of per-call p99: {statistics.median(p99):.1f} ms  worst p99: {max(p99):.1f} ms")
else:
    print("no latency lines")
PY
