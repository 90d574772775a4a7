package h323

import (
	"context"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/internal/asn1gen/pdutest"
	"github.com/roomgate/roomgate/h323/q931"
)

// recorder keeps what goes through a Service's connections, in order.
type recorder struct {
	mu    sync.Mutex
	conns []recInfo
	segs  []recSeg
}

type recInfo struct {
	accepted bool
	local    netip.AddrPort
	remote   netip.AddrPort
}

type recSeg struct {
	conn   int
	fromUs bool
	b      []byte
}

type recConn struct {
	net.Conn
	r  *recorder
	id int
}

func (r *recorder) wrap(c net.Conn, accepted bool) net.Conn {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.conns = append(r.conns, recInfo{accepted, addrOf(c.LocalAddr()), addrOf(c.RemoteAddr())})
	return &recConn{Conn: c, r: r, id: len(r.conns) - 1}
}

func (c *recConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.r.mu.Lock()
		c.r.segs = append(c.r.segs, recSeg{c.id, false, append([]byte(nil), b[:n]...)})
		c.r.mu.Unlock()
	}
	return n, err
}

func (c *recConn) Write(b []byte) (int, error) {
	c.r.mu.Lock()
	c.r.segs = append(c.r.segs, recSeg{c.id, true, append([]byte(nil), b...)})
	c.r.mu.Unlock()
	return c.Conn.Write(b)
}

// pcap writes the recorded connections of the calling side as a capture
// between 192.0.2.10 (us) and 192.0.2.20 (the callee), with the callee's
// call signalling on port 1720; it returns the H.245 listener's port (0
// without a separate H.245 connection).
func (r *recorder) pcap(t *testing.T, sigPort uint16) (string, uint16) {
	t.Helper()
	us, them := netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("192.0.2.20")
	capt := pdutest.NewCapture()
	var h245Port uint16
	r.mu.Lock()
	defer r.mu.Unlock()
	opened := map[int]bool{}
	for _, s := range r.segs {
		ci := r.conns[s.conn]
		local, remote := netip.AddrPortFrom(us, 40000+uint16(s.conn)), netip.AddrPortFrom(them, 41000+uint16(s.conn))
		switch {
		case ci.remote.Port() == sigPort && !ci.accepted:
			remote = netip.AddrPortFrom(them, 1720)
		case ci.accepted:
			local, h245Port = netip.AddrPortFrom(us, ci.local.Port()), ci.local.Port()
		default:
			remote, h245Port = netip.AddrPortFrom(them, ci.remote.Port()), ci.remote.Port()
		}
		if !opened[s.conn] && s.fromUs == ci.accepted {
			// The handshake goes from the side that connected.
			if ci.accepted {
				capt.TCP(t, remote, local, nil)
			} else {
				capt.TCP(t, local, remote, nil)
			}
		}
		opened[s.conn] = true
		if s.fromUs {
			capt.TCP(t, local, remote, s.b)
		} else {
			capt.TCP(t, remote, local, s.b)
		}
	}
	path := filepath.Join(t.TempDir(), "call.pcap")
	if d := os.Getenv("H323_KEEP_PCAP"); d != "" {
		path = d
	}
	capt.Write(t, path)
	return path, h245Port
}

// tsharkCall is what tshark read in a capture.
type tsharkCall struct {
	q931  []string // message types in order
	h245  []string // H.245 request/response/command/indication choice indexes, in order
	dials bool     // the dialled digits 654321 seen
	raw   string
}

// dissect runs tshark on path (H.245 decoded on h245Port if any) and
// fails on malformed packets and expert warnings or errors. Port 1720 is
// TPKT/Q.931 to tshark by default ("-d tcp.port==1720,tpkt" would hand the
// TPKT payload to COTP, and does so for H.245 too: the H.245 port is
// decoded as h245, which reads the TPKTs itself).
func dissect(t *testing.T, path string, h245Port uint16) tsharkCall {
	t.Helper()
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Fatal("tshark is needed (apt-get install tshark)")
	}
	args := []string{"-r", path}
	if h245Port != 0 {
		args = append(args, "-d", "tcp.port=="+strconv.Itoa(int(h245Port))+",h245")
	}
	args = append(args, "-T", "fields", "-E", "separator=|", "-E", "aggregator=,",
		"-e", "frame.number", "-e", "_ws.malformed", "-e", "_ws.expert.severity", "-e", "q931.message_type",
		"-e", "h245.request", "-e", "h245.response", "-e", "h225.dialledDigits")
	out, err := exec.Command(tshark, args...).Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	tc := tsharkCall{raw: string(out)}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "|")
		if len(f) != 7 {
			t.Fatalf("tshark line %q", line)
		}
		if f[1] != "" {
			t.Errorf("malformed: %s", line)
		}
		for _, sev := range strings.Split(f[2], ",") {
			if sev == "6291456" || sev == "8388608" { // PI_WARN, PI_ERROR
				t.Errorf("expert warning or error: %s", line)
			}
		}
		if f[3] != "" {
			tc.q931 = append(tc.q931, strings.Split(f[3], ",")...)
		}
		for _, col := range f[4:6] {
			if col != "" {
				tc.h245 = append(tc.h245, strings.Split(col, ",")...)
			}
		}
		tc.dials = tc.dials || f[6] == "654321"
	}
	return tc
}

// TestTsharkDissectsCall records whole calls between two Services and has
// tshark dissect them: no malformed packets, no expert warnings or errors,
// the message sequence we sent, and the H.245 PDUs tunnelled or on the
// separate connection.
func TestTsharkDissectsCall(t *testing.T) {
	tests := []struct {
		name string
		dial DialParams
		plan answerPlan
		q931 []string
	}{
		{name: "fastStart and tunnelling", dial: DialParams{Tunnelling: true}, plan: answerPlan{acceptFastStart: true},
			// Setup, CallProceeding, Alerting, Connect, Facility, Facility, StatusInquiry, Status, ReleaseComplete
			q931: []string{"0x05", "0x02", "0x01", "0x07", "0x62", "0x62", "0x75", "0x7d", "0x5a"}},
		{name: "separate H.245 from Setup", dial: DialParams{H245Early: true},
			// Setup, CallProceeding, Alerting, Connect, StatusInquiry, Status, ReleaseComplete
			q931: []string{"0x05", "0x02", "0x01", "0x07", "0x75", "0x7d", "0x5a"}},
		{name: "fastStart then Facility startH245", dial: DialParams{}, plan: answerPlan{acceptFastStart: true},
			// ... Connect, Facility (startH245), StatusInquiry, Status, ReleaseComplete
			q931: []string{"0x05", "0x02", "0x01", "0x07", "0x62", "0x75", "0x7d", "0x5a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := startCallee(t, Config{}, tt.plan)
			a := startDialer(t, Config{Aliases: []string{"roomgate"}})
			var rec recorder
			a.svc.tap = rec.wrap
			p := tt.dial
			p.DestAliases, p.Display, p.CallingNumber = []Alias{ParseAlias("654321")}, "Room", "100"
			p.FastStart = [][]byte{olc(t, 1, false), olc(t, 2, true)}
			oc := a.dial(t, b, p)
			status := make(chan q931.CauseValue, 1)
			oc.SetEvents(Events{OnH245: func(m *h245.MultimediaSystemControlMessage) { a.h245 <- m },
				OnStatus: func(c q931.CauseValue, _ uint8) { status <- c }})
			ic := recv(t, b.calls, "Setup")
			if err := oc.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			oc.SendH245(tcs(1))
			recv(t, b.h245, "TCS")
			ic.SendH245(h245.NewTerminalCapabilitySetAck(1))
			recv(t, a.h245, "TCS Ack")
			oc.StatusInquiry()
			recv(t, status, "Status")
			oc.Release(q931.CauseNormalClearing)
			waitDone(t, ic.Done(), "callee")

			path, h245Port := rec.pcap(t, b.svc.Addr().Port())
			tc := dissect(t, path, h245Port)
			if !slices.Equal(tc.q931, tt.q931) {
				t.Errorf("Q.931 messages %v, want %v\n%s", tc.q931, tt.q931, tc.raw)
			}
			// fastStart OLCs are not H.245 requests to tshark: the TCS (request 2) and its Ack (response 3).
			if !slices.Equal(tc.h245, []string{"2", "3"}) || !tc.dials {
				t.Errorf("tshark saw H.245 %v (want TCS, TCS Ack) and dialled digits %v\n%s", tc.h245, tc.dials, tc.raw)
			}
		})
	}
}
