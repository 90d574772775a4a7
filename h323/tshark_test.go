package h323

import (
	"context"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/internal/asn1gen/pdutest"
	"github.com/roomgate/roomgate/h323/q931"
)

// tap is a TCP proxy that records both directions of one connection.
type tap struct {
	ln   net.Listener
	mu   sync.Mutex
	segs []tapSeg
	wg   sync.WaitGroup
}

type tapSeg struct {
	fromCaller bool
	b          []byte
}

func startTap(t *testing.T, to netip.AddrPort) *tap {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tp := &tap{ln: ln}
	tp.wg.Add(1)
	go func() {
		defer tp.wg.Done()
		a, err := ln.Accept()
		if err != nil {
			return
		}
		defer a.Close()
		b, err := net.Dial("tcp", to.String())
		if err != nil {
			return
		}
		defer b.Close()
		var inner sync.WaitGroup
		inner.Add(2)
		go func() { defer inner.Done(); tp.copy(b, a, true) }()
		go func() { defer inner.Done(); tp.copy(a, b, false) }()
		inner.Wait()
	}()
	t.Cleanup(func() { ln.Close(); tp.wg.Wait() })
	return tp
}

func (tp *tap) copy(dst, src net.Conn, fromCaller bool) {
	buf := make([]byte, 65536)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			tp.mu.Lock()
			tp.segs = append(tp.segs, tapSeg{fromCaller, append([]byte(nil), buf[:n]...)})
			dst.Write(buf[:n])
			tp.mu.Unlock()
		}
		if err != nil {
			if tc, ok := dst.(*net.TCPConn); ok && err == io.EOF {
				tc.CloseWrite()
			} else {
				dst.Close()
			}
			return
		}
	}
}

func (tp *tap) addr() netip.AddrPort { return addrOf(tp.ln.Addr()) }

// TestTsharkDissectsCall records a whole call between two Services
// (fastStart, tunnelled H.245 both ways, StatusInquiry, ReleaseComplete),
// writes it as a pcap and has tshark dissect it: no malformed packets, no
// expert warnings or errors, and the message sequence we sent. (Port 1720
// is TPKT/Q.931 to tshark by default; "-d tcp.port==1720,tpkt" would hand
// the TPKT payload to COTP instead.)
func TestTsharkDissectsCall(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Fatal("tshark is needed (apt-get install tshark)")
	}
	b := startCallee(t, Config{}, answerPlan{acceptFastStart: true})
	tp := startTap(t, b.svc.Addr())
	a := startDialer(t, Config{Aliases: []string{"roomgate"}})
	oc, err := a.svc.Dial(context.Background(), DialParams{Address: tp.addr(), Tunnelling: true,
		DestAliases: []Alias{ParseAlias("654321")}, Display: "Room", CallingNumber: "100",
		FastStart: [][]byte{olc(t, 1, false), olc(t, 2, true)}})
	if err != nil {
		t.Fatal(err)
	}
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

	caller, callee := netip.MustParseAddrPort("192.0.2.10:40000"), netip.MustParseAddrPort("192.0.2.20:1720")
	capt := pdutest.NewCapture()
	tp.mu.Lock()
	for _, s := range tp.segs {
		if s.fromCaller {
			capt.TCP(t, caller, callee, s.b)
		} else {
			capt.TCP(t, callee, caller, s.b)
		}
	}
	tp.mu.Unlock()
	path := filepath.Join(t.TempDir(), "call.pcap")
	if d := os.Getenv("H323_KEEP_PCAP"); d != "" {
		path = d
	}
	capt.Write(t, path)
	out, err := exec.Command(tshark, "-r", path, "-T", "fields", "-E", "separator=|", "-E", "aggregator=,",
		"-e", "frame.number", "-e", "_ws.malformed", "-e", "_ws.expert.severity", "-e", "q931.message_type",
		"-e", "h225.h323_message_body", "-e", "h245.request", "-e", "h245.response", "-e", "h225.dialledDigits").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	var types []string
	var h245Req, h245Resp, digits bool
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "|")
		if len(f) != 8 {
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
			types = append(types, strings.Split(f[3], ",")...)
		}
		h245Req = h245Req || f[5] != ""
		h245Resp = h245Resp || f[6] != ""
		digits = digits || f[7] == "654321"
	}
	want := []string{"0x05", "0x02", "0x01", "0x07", "0x62", "0x62", "0x75", "0x7d", "0x5a"}
	if !slices.Equal(types, want) {
		t.Errorf("Q.931 messages %v, want %v (Setup, CallProceeding, Alerting, Connect, Facility, Facility, StatusInquiry, Status, ReleaseComplete)\n%s", types, want, out)
	}
	if !h245Req || !h245Resp || !digits {
		t.Errorf("tshark did not see the tunnelled TCS (%v) and Ack (%v), or the dialled digits (%v)\n%s", h245Req, h245Resp, digits, out)
	}
}
