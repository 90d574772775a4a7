package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/roomgate/roomgate/rooms/api"
)

// fakeGateway is the live side a scrape reads: calls, port ranges, meetings, CPU.
type fakeGateway struct {
	calls []api.ActiveCall
	now   time.Time
	cpu   time.Duration
}

func (g *fakeGateway) source() Source {
	return Source{
		Calls: func() []api.ActiveCall { return g.calls },
		Ports: func() []PortRange {
			return []PortRange{{Name: "3000-10000", Total: 3500, InUse: 6, Quarantined: 2, ExhaustedCalls: 1}}
		},
		Meetings: func() (int, int) { return 2, 7 },
		CPU:      func() time.Duration { return g.cpu },
		Now:      func() time.Time { return g.now },
	}
}

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d %v", res.StatusCode, err)
	}
	return string(b)
}

// After fake calls, the registry holds the live calls by state, their per-stream
// media, the ended and refused counts, ports, meetings and CPU per call.
func TestMetricsAfterFakeCalls(t *testing.T) {
	g := &fakeGateway{now: time.Unix(1000, 0)}
	m := New(g.source())
	net := &api.Network{Media: map[string]api.MediaNetwork{
		"audio": {RX: api.Traffic{Packets: 500, Lost: 3, JitterMs: 12}, TX: api.Traffic{Packets: 490}},
	}}
	g.calls = []api.ActiveCall{
		{CallInfo: api.CallInfo{ID: "c-1", Protocol: "sip", Direction: "in", State: api.CallConnected}, Network: net},
		{CallInfo: api.CallInfo{ID: "c-2", Protocol: "h323", Direction: "out", State: api.CallRinging}},
	}
	m.CallEnded(api.EndedCall{CallInfo: api.CallInfo{Protocol: "sip", Direction: "in", State: api.CallEnded},
		Network: &api.Network{RX: api.Traffic{Packets: 1000, Lost: 5}, TX: api.Traffic{Packets: 900}}})
	m.CallEnded(api.EndedCall{CallInfo: api.CallInfo{Protocol: "sip", Direction: "in", State: api.CallDeclined},
		Refusal: "meeting not found"})
	m.CallEnded(api.EndedCall{CallInfo: api.CallInfo{Protocol: "h323", Direction: "out", State: api.CallFailed}})
	g.now, g.cpu = g.now.Add(10*time.Second), 4*time.Second // 0.4 cores over 2 calls

	text := scrape(t, m)
	for _, want := range []string{
		`roomgate_calls_active{direction="in",protocol="sip",state="connected"} 1`,
		`roomgate_calls_active{direction="out",protocol="h323",state="ringing"} 1`,
		`roomgate_calls_active{direction="out",protocol="sip",state="calling"} 0`,
		`roomgate_calls_ended_total{direction="in",protocol="sip",state="ended"} 1`,
		`roomgate_calls_ended_total{direction="in",protocol="sip",state="declined"} 1`,
		`roomgate_calls_ended_total{direction="out",protocol="h323",state="failed"} 1`,
		`roomgate_call_refusals_total{protocol="sip",reason="meeting not found"} 1`,
		`roomgate_call_media_packets_total{call_id="c-1",direction="rx",protocol="sip",stream="audio"} 500`,
		`roomgate_call_media_lost_packets_total{call_id="c-1",direction="rx",protocol="sip",stream="audio"} 3`,
		`roomgate_call_media_jitter_seconds{call_id="c-1",direction="rx",protocol="sip",stream="audio"} 0.012`,
		`roomgate_ended_calls_media_packets_total{direction="rx"} 1000`,
		`roomgate_ended_calls_media_lost_packets_total{direction="rx"} 5`,
		`roomgate_media_port_pairs{range="3000-10000",state="in_use"} 6`,
		`roomgate_media_port_exhausted_total{range="3000-10000"} 1`,
		`roomgate_meetings_active 2`,
		`roomgate_participants 7`,
		`roomgate_cpu_per_active_call 0.2`,
		`roomgate_process_cpu_seconds_total`,
	} {
		if !strings.Contains(text, want+"\n") && !strings.Contains(text, want+" ") {
			t.Errorf("scrape lacks %s", want)
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if line != "" && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "roomgate_") && !strings.HasPrefix(line, "go_") {
			t.Errorf("metric without the roomgate_ prefix: %s", line)
		}
	}
	if n := testutil.CollectAndCount(m.reg, "roomgate_call_media_packets_total"); n != 2 {
		t.Errorf("%d per-leg packet series, want 2 (one call with one stream, rx and tx)", n)
	}

	// The call ends: its per-leg series go, the ended count grows.
	g.calls = nil
	m.CallEnded(api.EndedCall{CallInfo: api.CallInfo{Protocol: "sip", Direction: "in", State: api.CallEnded}, Network: net})
	if n := testutil.CollectAndCount(m.reg, "roomgate_call_media_packets_total"); n != 0 {
		t.Errorf("%d per-leg series after the call ended", n)
	}
	if v := testutil.ToFloat64(m.ended.WithLabelValues("sip", "in", "ended")); v != 2 {
		t.Errorf("ended sip calls = %v, want 2", v)
	}
}

// Two Metrics do not share state (no package-global registry).
func TestMetricsRegistriesAreIndependent(t *testing.T) {
	a, b := New(Source{}), New(Source{})
	a.CallEnded(api.EndedCall{CallInfo: api.CallInfo{Protocol: "sip", Direction: "in", State: api.CallEnded}})
	if v := testutil.ToFloat64(b.ended.WithLabelValues("sip", "in", "ended")); v != 0 {
		t.Errorf("second registry counts the first's call: %v", v)
	}
	if got := label("evil\"label"); got != "other" {
		t.Errorf("label of an unknown protocol = %q", got)
	}
}
