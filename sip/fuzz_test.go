package sip

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// sharedCaptures is the folder of real captures beside the repository.
var sharedCaptures = filepath.Join("..", "..", "shared", "captures")

// sipSeeds are the conformance messages and every SIP message of the shared
// captures (UDP and TCP payloads whose first line names SIP/2.0).
func sipSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	for _, dir := range []string{"rfc4475", "rfc5118"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.dat"))
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			seeds = append(seeds, b)
		}
	}
	if b, err := os.ReadFile(filepath.Join(sharedCaptures, "logstash-filter-sip__tandberg257_TE4.1.1_invite.sip")); err == nil {
		seeds = append(seeds, bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n")))
	}
	for _, name := range []string{"ndpi__sip.pcap", "ndpi__sip_hello.pcapng", "wireshark4017__sip.pcapng",
		"wswiki__SIP_CALL_RTP_G711.pcap", "ndpi__fuzz-2006-06-26-2594.pcap"} {
		seeds = append(seeds, capturedSIP(f, filepath.Join(sharedCaptures, name))...)
	}
	return seeds
}

func capturedSIP(f *testing.F, path string) [][]byte {
	file, err := os.Open(path)
	if err != nil {
		f.Logf("capture not available (%v): ../shared/captures is beside the repo in CI", err)
		return nil
	}
	defer file.Close()
	var src gopacket.PacketDataSource
	var link gopacket.Decoder
	if strings.HasSuffix(path, ".pcapng") {
		r, err := pcapgo.NewNgReader(file, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			f.Fatal(err)
		}
		src, link = r, r.LinkType()
	} else {
		r, err := pcapgo.NewReader(file)
		if err != nil {
			f.Fatal(err)
		}
		src, link = r, r.LinkType()
	}
	var out [][]byte
	for p := range gopacket.NewPacketSource(src, link).Packets() {
		var payload []byte
		if u, ok := p.Layer(layers.LayerTypeUDP).(*layers.UDP); ok {
			payload = u.Payload
		} else if t, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP); ok {
			payload = t.Payload
		}
		line, _, _ := bytes.Cut(payload, []byte("\n"))
		if bytes.Contains(line, []byte("SIP/2.0")) {
			out = append(out, bytes.Clone(payload))
		}
	}
	return out
}

// fuzzService starts a Service for a fuzz process: limits out of the way
// (the fuzzer is one fast source), calls refused at once, short timers.
func fuzzService(f *testing.F) (*Service, *rawPeer) {
	s, err := New(Config{Listen: "127.0.0.1:0", T1: 10 * time.Millisecond, RingTimeout: time.Second,
		Limits: Limits{RequestsPerSecond: 1e9, Burst: 1 << 30, TCPReadTimeout: 200 * time.Millisecond, TCPIdleTimeout: time.Second}},
		HandlerFunc(func(_ context.Context, c *InboundCall) { c.Reject(486, "Busy Here") }), testLogger(f))
	if err != nil {
		f.Fatal(err)
	}
	base := runtime.NumGoroutine()
	if err := s.Start(context.Background()); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		s.Close()
		// Every goroutine of the service ends with it.
		for range 100 {
			if runtime.NumGoroutine() <= base+2 {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		buf := make([]byte, 1<<20)
		f.Errorf("goroutines %d before the service, %d after Close:\n%s", base, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
	})
	return s, newRawPeer(f, s.Addr())
}

// check probes the service after an input: it answers, and no handler
// panicked.
func (p *rawPeer) check(t *testing.T, s *Service, n *int) {
	*n++
	id := fmt.Sprintf("fuzz-probe-%d", *n)
	p.t = t
	p.alive(id)
	if st := s.Stats(); st.Panics != 0 {
		t.Fatalf("a handler panicked: %+v", st)
	}
}

// FuzzServiceUDP sends arbitrary datagrams to a live service: it never
// crashes, never stops answering, and no handler panics.
func FuzzServiceUDP(f *testing.F) {
	for _, s := range sipSeeds(f) {
		f.Add(s)
	}
	s, p := fuzzService(f)
	var probes int
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 65000 {
			return
		}
		if _, err := p.conn.WriteToUDP(b, p.to); err != nil {
			t.Fatal(err)
		}
		p.check(t, s, &probes)
	})
}

// FuzzServiceTCP sends arbitrary bytes on a SIP/TCP connection, then closes
// its write side and reads until the service closes: the service must close
// (EOF, a framing error or the read timeout), keep answering, and no
// handler may panic.
func FuzzServiceTCP(f *testing.F) {
	for _, s := range sipSeeds(f) {
		f.Add(s)
	}
	s, p := fuzzService(f)
	var probes int
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		tc := c.(*net.TCPConn)
		defer func() {
			tc.SetLinger(0) // no TIME_WAIT: thousands of inputs
			tc.Close()
		}()
		_, _ = tc.Write(b)
		_ = tc.CloseWrite()
		tc.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.Copy(io.Discard, tc); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("the service kept the connection open after our FIN")
			}
		}
		p.check(t, s, &probes)
	})
}

// BenchmarkReadFilterInvite is the per-datagram cost added before sipgo's
// own parse: the rate limiter, sipgo's parser and checkRequest on a real
// room system's INVITE (TANDBERG, five m-lines).
func BenchmarkReadFilterInvite(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join(sharedCaptures, "logstash-filter-sip__tandberg257_TE4.1.1_invite.sip"))
	if err != nil {
		b.Skipf("capture not available: %v", err)
	}
	raw = bytes.ReplaceAll(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
	s, err := New(Config{Listen: "127.0.0.1:0", Limits: Limits{RequestsPerSecond: 1e12, Burst: 1 << 40}}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	props := sip.TransportReadProps{Transport: "UDP", RemoteAddr: &net.UDPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 5060}}
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if out, err := s.readFilter(props, raw); err != nil || out == nil {
			b.Fatalf("filtered out: %v", err)
		}
	}
}
