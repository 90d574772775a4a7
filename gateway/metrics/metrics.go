// Package metrics exposes the gateway to Prometheus (text exposition format, metric
// names prefixed roomgate_): room-system calls by protocol, direction and state, ended
// calls and refusals, media packets, losses and jitter per live call and stream, the
// media port ranges, meetings and participants, and the process's CPU per active call.
//
// Everything is registered on a registry the Metrics value owns (never the client
// library's global default). Live values are read at scrape time from a Source;
// ended and refused calls are counted as the call registry reports them (CallEnded).
package metrics

import (
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/roomgate/roomgate/rooms/api"
)

// PortRange is one media port range's use.
type PortRange struct {
	Name                         string // "3000-10000"
	Total, InUse, Quarantined    int    // port pairs
	BindFailures, ExhaustedCalls uint64
}

// Source is what a scrape reads; nil functions are skipped.
type Source struct {
	// Calls lists the live room-system calls with their network diagnostics.
	Calls func() []api.ActiveCall
	// Ports lists the media port ranges.
	Ports func() []PortRange
	// Meetings counts the meetings with participants and their participants.
	Meetings func() (meetings, participants int)
	// CPU is the process's CPU time so far (nil: getrusage).
	CPU func() time.Duration
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Metrics is the gateway's metrics registry.
type Metrics struct {
	reg     *prometheus.Registry
	ended   *prometheus.CounterVec
	refused *prometheus.CounterVec
	media   *prometheus.CounterVec
	lost    *prometheus.CounterVec
}

// New registers the gateway's metrics on a registry of its own.
func New(src Source) *Metrics {
	if src.CPU == nil {
		src.CPU = processCPU
	}
	if src.Now == nil {
		src.Now = time.Now
	}
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.ended = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "roomgate_calls_ended_total",
		Help: "Room-system calls that ended, by protocol, direction and final state (ended, declined, failed, busy, no_answer)."},
		[]string{"protocol", "direction", "state"})
	m.refused = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "roomgate_call_refusals_total",
		Help: "Room-system calls the gateway refused before answering, by protocol and reason."},
		[]string{"protocol", "reason"})
	m.media = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "roomgate_ended_calls_media_packets_total",
		Help: "Media packets of ended calls, by direction (rx: from room systems, tx: to them)."},
		[]string{"direction"})
	m.lost = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "roomgate_ended_calls_media_lost_packets_total",
		Help: "Media packets of ended calls reported lost (RTCP), by direction."},
		[]string{"direction"})
	m.reg.MustRegister(m.ended, m.refused, m.media, m.lost, &live{src: src, start: src.Now(), cpu0: src.CPU()},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{Namespace: "roomgate"}))
	return m
}

// Registry is the registry the metrics are on (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	return mux
}

// CallEnded counts an ended or refused call (the call registry's OnEnd).
func (m *Metrics) CallEnded(c api.EndedCall) {
	proto := label(c.Protocol)
	if c.Refusal != "" {
		m.refused.WithLabelValues(proto, c.Refusal).Inc()
	}
	m.ended.WithLabelValues(proto, label(c.Direction), string(c.State)).Inc()
	if n := c.Network; n != nil {
		m.media.WithLabelValues("rx").Add(float64(n.RX.Packets))
		m.media.WithLabelValues("tx").Add(float64(n.TX.Packets))
		m.lost.WithLabelValues("rx").Add(float64(max(n.RX.Lost, 0)))
		m.lost.WithLabelValues("tx").Add(float64(max(n.TX.Lost, 0)))
	}
}

// label keeps label values to the ones the gateway uses (a protocol or direction is
// never taken from a peer, but a bound costs nothing).
func label(s string) string {
	switch s {
	case "sip", "h323", "in", "out":
		return s
	}
	return "other"
}

// processCPU is the process's user and system CPU time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// live collects the values read at scrape time.
type live struct {
	src Source

	mu    sync.Mutex
	start time.Time     // of the CPU measurement window
	cpu0  time.Duration // CPU time at start
}

var (
	descActive = prometheus.NewDesc("roomgate_calls_active",
		"Live room-system calls by protocol, direction and state (calling, ringing, connected).",
		[]string{"protocol", "direction", "state"}, nil)
	descPackets = prometheus.NewDesc("roomgate_call_media_packets_total",
		"Media packets of a live call, by stream (audio, video, content) and direction (rx: from the room system).",
		[]string{"call_id", "protocol", "stream", "direction"}, nil)
	descLost = prometheus.NewDesc("roomgate_call_media_lost_packets_total",
		"Media packets of a live call reported lost (RTCP reception statistics), by stream and direction.",
		[]string{"call_id", "protocol", "stream", "direction"}, nil)
	descJitter = prometheus.NewDesc("roomgate_call_media_jitter_seconds",
		"Interarrival jitter of a live call's stream, by direction.",
		[]string{"call_id", "protocol", "stream", "direction"}, nil)
	descPorts = prometheus.NewDesc("roomgate_media_port_pairs",
		"Media RTP/RTCP port pairs by range and state (total, in_use, quarantined).",
		[]string{"range", "state"}, nil)
	descPortExhausted = prometheus.NewDesc("roomgate_media_port_exhausted_total",
		"Calls that found their port range exhausted.", []string{"range"}, nil)
	descPortBind = prometheus.NewDesc("roomgate_media_port_bind_failures_total",
		"Ports skipped because binding them failed (used by another process).", []string{"range"}, nil)
	descMeetings = prometheus.NewDesc("roomgate_meetings_active",
		"Meetings with participants.", nil, nil)
	descParticipants = prometheus.NewDesc("roomgate_participants",
		"Participants in meetings (browsers and room systems).", nil, nil)
	descCPUPerCall = prometheus.NewDesc("roomgate_cpu_per_active_call",
		"CPU used by the gateway process since the previous scrape, in cores, divided by the active calls at this scrape (the whole use when none).",
		nil, nil)
)

func (l *live) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descActive, descPackets, descLost, descJitter, descPorts, descPortExhausted,
		descPortBind, descMeetings, descParticipants, descCPUPerCall} {
		ch <- d
	}
}

func (l *live) Collect(ch chan<- prometheus.Metric) {
	var calls []api.ActiveCall
	if l.src.Calls != nil {
		calls = l.src.Calls()
	}
	type key struct{ protocol, direction, state string }
	active := map[key]int{}
	for _, c := range calls {
		active[key{label(c.Protocol), label(c.Direction), string(c.State)}]++
		if c.Network == nil {
			continue
		}
		for stream, mn := range c.Network.Media {
			for _, d := range []struct {
				dir string
				t   api.Traffic
			}{{"rx", mn.RX}, {"tx", mn.TX}} {
				lv := []string{c.ID, label(c.Protocol), stream, d.dir}
				ch <- prometheus.MustNewConstMetric(descPackets, prometheus.CounterValue, float64(d.t.Packets), lv...)
				ch <- prometheus.MustNewConstMetric(descLost, prometheus.CounterValue, float64(max(d.t.Lost, 0)), lv...)
				ch <- prometheus.MustNewConstMetric(descJitter, prometheus.GaugeValue, d.t.JitterMs/1000, lv...)
			}
		}
	}
	// The usual series exist from the start, at 0, so that rates work from the first call.
	for _, p := range []string{"sip", "h323"} {
		for _, d := range []string{"in", "out"} {
			for _, s := range []api.CallState{api.CallCalling, api.CallRinging, api.CallConnected} {
				if d == "in" && s == api.CallCalling {
					continue
				}
				active[key{p, d, string(s)}] += 0
			}
		}
	}
	for k, n := range active {
		ch <- prometheus.MustNewConstMetric(descActive, prometheus.GaugeValue, float64(n), k.protocol, k.direction, k.state)
	}
	if l.src.Ports != nil {
		for _, r := range l.src.Ports() {
			ch <- prometheus.MustNewConstMetric(descPorts, prometheus.GaugeValue, float64(r.Total), r.Name, "total")
			ch <- prometheus.MustNewConstMetric(descPorts, prometheus.GaugeValue, float64(r.InUse), r.Name, "in_use")
			ch <- prometheus.MustNewConstMetric(descPorts, prometheus.GaugeValue, float64(r.Quarantined), r.Name, "quarantined")
			ch <- prometheus.MustNewConstMetric(descPortExhausted, prometheus.CounterValue, float64(r.ExhaustedCalls), r.Name)
			ch <- prometheus.MustNewConstMetric(descPortBind, prometheus.CounterValue, float64(r.BindFailures), r.Name)
		}
	}
	if l.src.Meetings != nil {
		meetings, participants := l.src.Meetings()
		ch <- prometheus.MustNewConstMetric(descMeetings, prometheus.GaugeValue, float64(meetings))
		ch <- prometheus.MustNewConstMetric(descParticipants, prometheus.GaugeValue, float64(participants))
	}
	ch <- prometheus.MustNewConstMetric(descCPUPerCall, prometheus.GaugeValue, l.cpuPerCall(len(calls)))
}

// cpuPerCall is the CPU used since the previous scrape, in cores, per active call.
func (l *live) cpuPerCall(calls int) float64 {
	now, cpu := l.src.Now(), l.src.CPU()
	l.mu.Lock()
	wall, used := now.Sub(l.start), cpu-l.cpu0
	l.start, l.cpu0 = now, cpu
	l.mu.Unlock()
	if wall <= 0 {
		return 0
	}
	return used.Seconds() / wall.Seconds() / float64(max(calls, 1))
}
