//go:build e2e

package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestE2EOperator: the operator surface of issue 15. /metrics (metrics.listen) is
// scraped around a SIP dial-in (roomsim), a dial-in with a wrong meeting ID (the IVR
// takes it), a refused dial-in (locked meeting), a dial-out (baresip answering) and a failed dial-out (a closed TCP port): the live
// call shows as connected with growing media counters, and the ended and refused
// counters move. Then GET /api/v1/cdrs has one record per call, as JSON and as CSV.
func TestE2EOperator(t *testing.T) {
	g, dir := sipGatewayConfig(t, "", "")
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp"))
	f, err := os.OpenFile(filepath.Join(dir, "roomgate.yaml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fmt.Fprintf(f, "metrics:\n  listen: %s\ncdr:\n  retention: 24h\n  max_rows: 1000\n", metricsAddr); err != nil {
		t.Fatal(err)
	}
	f.Close()
	g.proc = start(t, dir)
	id, _, hostKey := g.meeting(t, map[string]any{"topic": "Operator"})
	gw := fmt.Sprintf("127.0.0.1:%d", g.SIPPort)

	before := scrapeMetrics(t, metricsAddr)
	for _, name := range []string{"roomgate_calls_active", "roomgate_media_port_pairs", "roomgate_meetings_active",
		"roomgate_participants", "roomgate_cpu_per_active_call", "roomgate_process_cpu_seconds_total"} {
		if !strings.Contains(before.text, "\n"+name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if v := before.value(fmt.Sprintf(`roomgate_media_port_pairs{range="%d-%d",state="total"}`, g.MediaMin, g.MediaMax)); v != float64((g.MediaMax-g.MediaMin+1)/2) {
		t.Errorf("port pairs of the media range = %v, want %d", v, (g.MediaMax-g.MediaMin+1)/2)
	}

	// A dial-in: while it lasts it is an active connected call whose media counters grow.
	in := startSim(t, "room-in", "-gw", gw, "-meeting", id, "-n", "1", "-d", "12s", "-rtp-base", "33000")
	in.waitLine("started: 1 established: 1", 20*time.Second)
	g.waitSIPParticipant(t, id, 15*time.Second)
	during := eventuallyMetrics(t, metricsAddr, "an active connected SIP dial-in with audio received", func(m metricsText) bool {
		return m.value(`roomgate_calls_active{direction="in",protocol="sip",state="connected"}`) == 1 &&
			m.sum(`roomgate_call_media_packets_total{`, `direction="rx"`, `stream="audio"`) > 0 &&
			m.value("roomgate_participants") >= 1 && m.value("roomgate_meetings_active") >= 1
	})
	first := during.sum(`roomgate_call_media_packets_total{`, `direction="rx"`, `stream="audio"`)
	eventuallyMetrics(t, metricsAddr, fmt.Sprintf("received audio packets growing past %v", first), func(m metricsText) bool {
		return m.sum(`roomgate_call_media_packets_total{`, `direction="rx"`, `stream="audio"`) > first
	})
	if c := in.call(30 * time.Second); !c.Established {
		t.Fatalf("dial-in: %+v\n%s", c, in.logs())
	}

	// A dial-in to a meeting that does not exist: unknown IDs answer like protected
	// meetings (no enumeration), so the IVR takes it and it ends when the caller
	// hangs up, with the ID it dialled on its record.
	wrong := startSim(t, "room-wrong-id", "-gw", gw, "-meeting", "99999999999", "-n", "1", "-d", "3s", "-rtp-base", "33100")
	wrong.call(30 * time.Second)
	// A dial-in to a locked meeting is refused before it is answered.
	locked, _, lockedKey := g.meeting(t, map[string]any{"topic": "Locked"})
	if st, body := g.do("PATCH", "/api/v1/meetings/"+locked, lockedKey, map[string]any{"settings": map[string]any{"locked": true}}); st != 200 {
		t.Fatalf("lock: %d %v", st, body)
	}
	refused := startSim(t, "room-refused", "-gw", gw, "-meeting", locked, "-n", "1", "-d", "2s", "-rtp-base", "33200")
	if c := refused.call(30 * time.Second); c.Established {
		t.Fatalf("a dial-in to a locked meeting was established: %+v", c)
	}

	// A dial-out that connects, then is hung up by the host.
	room := startBaresip(t, baresipOpts{User: "room", AnswerMode: "auto", ToneHz: 1000, RTPMin: 12600})
	st, c := g.do("POST", "/api/v1/meetings/"+id+"/dialout", hostKey, map[string]any{"protocol": "sip",
		"address": fmt.Sprintf("sip:room@127.0.0.1:%d;transport=udp", room.SIPPort), "display_name": "Board Room"})
	if st != 202 {
		t.Fatalf("dialout: %d %v", st, c)
	}
	outID, _ := c["id"].(string)
	if final := g.waitCallState(t, hostKey, outID, 20*time.Second, "connected", "busy", "declined", "no_answer", "failed", "ended"); final["state"] != "connected" {
		t.Fatalf("dial-out: %v", final)
	}
	if st, body := g.do("DELETE", "/api/v1/calls/"+outID, hostKey, nil); st != 204 {
		t.Fatalf("DELETE call: %d %v", st, body)
	}
	g.waitCallState(t, hostKey, outID, 10*time.Second, "ended")

	// A dial-out to a closed TCP port fails.
	closed := freePort(t, "tcp")
	st, c = g.do("POST", "/api/v1/meetings/"+id+"/dialout", hostKey, map[string]any{"protocol": "sip",
		"address": fmt.Sprintf("sip:nobody@127.0.0.1:%d;transport=tcp", closed)})
	failedID, _ := c["id"].(string)
	if st == 202 && failedID != "" {
		g.waitCallState(t, hostKey, failedID, 60*time.Second, "failed", "no_answer", "declined", "busy", "ended", "connected")
	}
	t.Logf("dial-out to closed port %d: %d %v", closed, st, c)

	after := eventuallyMetrics(t, metricsAddr, "the ended and refused calls counted", func(m metricsText) bool {
		return m.value(`roomgate_calls_ended_total{direction="in",protocol="sip",state="ended"}`) >= 2 &&
			m.value(`roomgate_call_refusals_total{protocol="sip",reason="meeting locked"}`) >= 1 &&
			m.value(`roomgate_calls_ended_total{direction="out",protocol="sip",state="ended"}`) >= 1 &&
			m.sum(`roomgate_calls_ended_total{`, `direction="out"`, `protocol="sip"`) >= 2
	})
	for series, want := range map[string]float64{
		`roomgate_calls_ended_total{direction="in",protocol="sip",state="ended"}`:                                2,
		`roomgate_calls_ended_total{direction="in",protocol="sip",state="declined"}`:                             1,
		`roomgate_call_refusals_total{protocol="sip",reason="meeting locked"}`:                                   1,
		`roomgate_calls_ended_total{direction="out",protocol="sip",state="ended"}`:                               1,
		`roomgate_calls_active{direction="in",protocol="sip",state="connected"}`:                                 0,
		`roomgate_calls_active{direction="out",protocol="sip",state="connected"}`:                                0,
		`roomgate_media_port_pairs{range="` + fmt.Sprintf("%d-%d", g.MediaMin, g.MediaMax) + `",state="in_use"}`: 0,
	} {
		if got := after.value(series) - before.value(series); got != want {
			t.Errorf("%s changed by %v, want %v", series, got, want)
		}
	}
	if v := after.value(`roomgate_ended_calls_media_packets_total{direction="rx"}`); v <= 0 {
		t.Errorf("media packets of ended calls = %v", v)
	}

	// The call detail records: one per call, newest first, as JSON…
	st, body := g.do("GET", "/api/v1/cdrs", g.Token, nil)
	if st != 200 {
		t.Fatalf("GET /cdrs: %d %v", st, body)
	}
	if st, _ := g.do("GET", "/api/v1/cdrs", hostKey, nil); st != http.StatusUnauthorized {
		t.Errorf("GET /cdrs with a host key: %d, want 401", st)
	}
	cdrs, _ := body["cdrs"].([]any)
	byKind := map[string]map[string]any{}
	for _, x := range cdrs {
		r := x.(map[string]any)
		for _, k := range []string{"call_id", "meeting_id", "protocol", "direction", "started_at", "ended_at", "end_reason"} {
			if _, ok := r[k]; !ok {
				t.Errorf("record lacks %s: %v", k, r)
			}
		}
		byKind[fmt.Sprint(r["direction"], "/", r["state"], "/", r["meeting_id"])] = r
	}
	t.Logf("CDRs: %v", cdrs)
	if len(cdrs) != 5 {
		t.Errorf("%d call detail records, want 5 (dial-in, wrong meeting ID, locked, dial-out, failed dial-out)", len(cdrs))
	}
	if r := byKind["in/ended/"+id]; r == nil || r["protocol"] != "sip" || r["answered_at"] == nil ||
		num(r, "rx_packets") == 0 || num(r, "tx_packets") == 0 || len(r["codecs"].([]any)) == 0 {
		t.Errorf("dial-in record: %v", r)
	}
	if r := byKind["in/ended/99999999999"]; r == nil || r["end_reason"] == "" || r["answered_at"] == nil {
		t.Errorf("record of the dial-in with a wrong meeting ID: %v", r)
	}
	if r := byKind["in/declined/"+locked]; r == nil || r["end_reason"] != "meeting locked" || r["answered_at"] != nil {
		t.Errorf("refused dial-in record: %v", r)
	}
	if r := byKind["out/ended/"+id]; r == nil || r["call_id"] != outID || r["display_name"] != "Board Room" || r["answered_at"] == nil {
		t.Errorf("dial-out record: %v", r)
	}
	var failed map[string]any
	for _, state := range []string{"failed", "no_answer"} {
		if r := byKind["out/"+state+"/"+id]; r != nil {
			failed = r
		}
	}
	if failed == nil || failed["answered_at"] != nil || failed["end_reason"] == "" {
		t.Errorf("failed dial-out record: %v (records: %v)", failed, byKind)
	}
	if st, body := g.do("GET", "/api/v1/cdrs?meeting_id="+locked+"&limit=10", g.Token, nil); st != 200 || len(body["cdrs"].([]any)) != 1 {
		t.Errorf("CDRs of the locked meeting: %d %v", st, body)
	}

	// … and as CSV, the same records.
	req, _ := http.NewRequest("GET", g.URL+"/api/v1/cdrs?format=csv", nil)
	req.Header.Set("Authorization", "Bearer "+g.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil || res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: %d %s %v\n%s", res.StatusCode, res.Header.Get("Content-Type"), err, raw)
	}
	if len(rows) != len(cdrs)+1 || rows[0][0] != "call_id" {
		t.Fatalf("CSV has %d rows for %d records:\n%s", len(rows), len(cdrs), raw)
	}
	for i, x := range cdrs {
		if r := x.(map[string]any); rows[i+1][0] != r["call_id"] || rows[i+1][9] != r["end_reason"] {
			t.Errorf("CSV row %d = %q, JSON record %v", i+1, rows[i+1], r)
		}
	}

	// The records survive a restart.
	g.proc.stop()
	p2 := start(t, dir)
	st, again := p2.do("GET", "/api/v1/cdrs", p2.Token, nil)
	if list, _ := again["cdrs"].([]any); st != 200 || len(list) != len(cdrs) {
		t.Errorf("after a restart: %d, %d records (want %d)", st, len(list), len(cdrs))
	}
}

// metricsText is one scrape of /metrics.
type metricsText struct{ text string }

func scrapeMetrics(t *testing.T, addr string) metricsText {
	t.Helper()
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("scrape: %d %v", res.StatusCode, err)
	}
	return metricsText{"\n" + string(b)}
}

// value is the sample of one series, written as in the exposition (labels sorted); 0
// when absent.
func (m metricsText) value(series string) float64 {
	for _, line := range strings.Split(m.text, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, _ := strconv.ParseFloat(strings.Fields(rest)[0], 64)
			return v
		}
	}
	return 0
}

// sum adds the samples of the series that start with prefix and contain every label.
func (m metricsText) sum(prefix string, labels ...string) float64 {
	total := 0.0
next:
	for _, line := range strings.Split(m.text, "\n") {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		for _, l := range labels {
			if !strings.Contains(line, l) {
				continue next
			}
		}
		f := strings.Fields(line)
		v, _ := strconv.ParseFloat(f[len(f)-1], 64)
		total += v
	}
	return total
}

// eventuallyMetrics scrapes until ok holds (a scrape a second, for 20 s).
func eventuallyMetrics(t *testing.T, addr, what string, ok func(metricsText) bool) metricsText {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		m := scrapeMetrics(t, addr)
		if ok(m) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics never showed %s:\n%s", what, lastN(m.text, 6000))
		}
		time.Sleep(time.Second)
	}
}
