package decodecmd

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/gopacket/layers"

	"github.com/roomgate/roomgate/h323/q931"
)

// callPackets is a small H.323 call: TCP handshake to 1720, SETUP, two
// messages in one segment, CONNECT split across two segments then
// retransmitted, a RAS PDU, an H.245 TPKT on a dynamic port picked up
// mid-stream, an empty TPKT keep-alive and RELEASE COMPLETE.
func callPackets(t *testing.T, a, b, gk netip.Addr) []synthPacket {
	cr := q931.NewCallReference(0x1234, false)
	crr := q931.NewCallReference(0x1234, true)
	setup := frameBytes(t, enc{t}.q931(q931.NewSetup(cr, []byte{0x20, 0xa8, 0x06},
		q931.CalledPartyNumber{PartyNumber: q931.PartyNumber{NumberingPlan: q931.PlanE164, Digits: "123456789"}},
		q931.CallingPartyNumber{PartyNumber: q931.PartyNumber{NumberingPlan: q931.PlanE164, Digits: "4321"}})))
	proc := frameBytes(t, enc{t}.q931(q931.NewCallProceeding(crr, []byte{0x21, 0x80})))
	alert := frameBytes(t, enc{t}.q931(q931.NewAlerting(crr, []byte{0x23, 0x80})))
	conn := frameBytes(t, enc{t}.q931(q931.NewConnect(crr, []byte{0x22, 0xc0, 0x06, 0x00, 0x08}, q931.Display{Text: "room"})))
	rel := frameBytes(t, enc{t}.q931(q931.NewReleaseComplete(crr, q931.CauseNormalClearing, []byte{0x25, 0x80})))
	keepAlive := frameBytes(t, nil)
	h245 := frameBytes(t, []byte{0x02, 0x70, 0x01, 0x06, 0x00})
	caller := netip.AddrPortFrom(a, 40000)
	callee := netip.AddrPortFrom(b, 1720)
	bSeq := uint32(5001)
	return []synthPacket{
		{src: caller, dst: callee, seq: 1000, syn: true},                                            // 1
		{src: callee, dst: caller, seq: 5000, syn: true},                                            // 2
		{src: caller, dst: callee, seq: 1001, payload: setup},                                       // 3
		{src: callee, dst: caller, seq: bSeq, payload: append(append([]byte{}, proc...), alert...)}, // 4
		{src: callee, dst: caller, seq: bSeq + uint32(len(proc)+len(alert)), payload: conn[:7]},     // 5
		{src: callee, dst: caller, seq: bSeq + uint32(len(proc)+len(alert)+7), payload: conn[7:]},   // 6
		{src: callee, dst: caller, seq: bSeq + uint32(len(proc)+len(alert)+7), payload: conn[7:]},   // 7 retransmission
		{src: netip.AddrPortFrom(a, 1719), dst: netip.AddrPortFrom(gk, 1719), udp: true,
			payload: []byte{0x0e, 0x80, 0x46, 0x92}}, // 8
		{src: netip.AddrPortFrom(a, 40001), dst: netip.AddrPortFrom(b, 30000), seq: 77, payload: h245},              // 9
		{src: caller, dst: callee, seq: 1001 + uint32(len(setup)), payload: keepAlive},                              // 10
		{src: callee, dst: caller, seq: bSeq + uint32(len(proc)+len(alert)+len(conn)), payload: rel},                // 11
		{src: netip.AddrPortFrom(a, 5060), dst: netip.AddrPortFrom(b, 5060), udp: true, payload: []byte("OPTIONS")}, // 12 ignored
	}
}

var callWant = []string{
	"3 q931 setup", "4 q931 callProceeding", "4 q931 alerting", "6 q931 connect",
	"8 h225ras undecoded", "9 h245 undecoded", "11 q931 releaseComplete",
}

func summarize(recs []outRecord) []string {
	var out []string
	for _, r := range recs {
		out = append(out, fmt.Sprintf("%d %s %s", r.Frame, r.Protocol, r.Message))
	}
	return out
}

// TestSyntheticCall runs the same call through every supported link type
// and file format, over IPv4 and IPv6, and cross-checks with tshark.
func TestSyntheticCall(t *testing.T) {
	v4 := [3]netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("192.0.2.3")}
	v6 := [3]netip.Addr{netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2"), netip.MustParseAddr("2001:db8::3")}
	cases := []struct {
		name   string
		lt     layers.LinkType
		ng, gz bool
		addrs  [3]netip.Addr
	}{
		{"ethernet-ipv4-pcap", layers.LinkTypeEthernet, false, false, v4},
		{"ethernet-ipv6-pcapng", layers.LinkTypeEthernet, true, false, v6},
		{"linux-sll-ipv4-pcap-gzip", layers.LinkTypeLinuxSLL, false, true, v4},
		{"raw-ipv4-pcapng-gzip", layers.LinkTypeRaw, true, true, v4},
		{"raw-ipv6-pcap", layers.LinkTypeRaw, false, false, v6},
		{"null-loopback-ipv4-pcap", layers.LinkTypeNull, false, false, v4},
		{"loop-ipv6-pcap", layers.LinkTypeLoop, false, false, v6},
	}
	_, tsharkErr := exec.LookPath("tshark")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeCapture(t, c.lt, c.ng, c.gz, callPackets(t, c.addrs[0], c.addrs[1], c.addrs[2]))
			rc, recs, stderr := run(t, Decoders{}, "--roundtrip", path)
			if rc != 0 {
				t.Fatalf("exit %d: %s", rc, stderr)
			}
			if got := summarize(recs); !reflect.DeepEqual(got, callWant) {
				t.Fatalf("got  %q\nwant %q", got, callWant)
			}
			for _, r := range recs {
				if r.Protocol == protoQ931 && (r.Roundtrip == nil || !*r.Roundtrip || r.Error != "") {
					t.Errorf("frame %d: roundtrip %v error %q", r.Frame, r.Roundtrip, r.Error)
				}
				if r.Protocol != protoQ931 && r.Roundtrip != nil {
					t.Errorf("frame %d: undecoded %s carries a verdict", r.Frame, r.Protocol)
				}
			}
			if tsharkErr != nil {
				t.Log("tshark not installed: cross-check skipped")
				return
			}
			// tshark must dissect the synthetic capture the same way.
			want := tsharkQ931Rows(t, path)
			got := q931Rows(t, recs)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("tshark disagrees\n got %q\nwant %q", got, want)
			}
		})
	}
}

// TestOutOfOrderMatchesTshark delivers two messages in three segments,
// the middle one last: both complete in the last frame, as tshark says
// with out-of-order reassembly on.
func TestOutOfOrderMatchesTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed: cannot compare with an independent decoder")
	}
	a, b := netip.MustParseAddrPort("192.0.2.1:40000"), netip.MustParseAddrPort("192.0.2.2:1720")
	cr := q931.NewCallReference(1, false)
	s := append(frameBytes(t, enc{t}.q931(q931.NewSetup(cr, make([]byte, 40)))),
		frameBytes(t, enc{t}.q931(q931.NewConnect(cr, make([]byte, 40))))...)
	path := writeCapture(t, layers.LinkTypeEthernet, false, false, []synthPacket{
		{src: a, dst: b, seq: 100, syn: true},
		{src: a, dst: b, seq: 101, payload: s[:10]},
		{src: a, dst: b, seq: 131, payload: s[30:]},
		{src: a, dst: b, seq: 111, payload: s[10:30]},
	})
	rc, recs, stderr := run(t, Decoders{}, "--roundtrip", path)
	if rc != 0 {
		t.Fatalf("exit %d: %s", rc, stderr)
	}
	want := []string{"4 0x05,0x07   "}
	if got := q931Rows(t, recs); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := tsharkQ931Rows(t, path); !reflect.DeepEqual(got, want) {
		t.Fatalf("tshark says %q, want %q", got, want)
	}
}

func TestClassification(t *testing.T) {
	a, b := netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("198.51.100.2")
	setup := frameBytes(t, enc{t}.q931(q931.NewSetup(q931.NewCallReference(1, false), []byte{0x20})))
	cases := []struct {
		name   string
		pkts   []synthPacket
		want   []string
		rc     int // with --roundtrip
		errSub string
	}{
		{"q931-on-unusual-port-by-payload", []synthPacket{
			{src: netip.AddrPortFrom(a, 40000), dst: netip.AddrPortFrom(b, 11720), seq: 9, payload: setup},
		}, []string{"1 q931 setup"}, 0, ""},
		{"h245-on-dynamic-port", []synthPacket{
			{src: netip.AddrPortFrom(a, 40000), dst: netip.AddrPortFrom(b, 30000), seq: 9, payload: frameBytes(t, []byte{0x20, 0x80})},
		}, []string{"1 h245 undecoded"}, 0, ""},
		{"sip-over-tcp-ignored", []synthPacket{
			{src: netip.AddrPortFrom(a, 40000), dst: netip.AddrPortFrom(b, 5060), seq: 9, payload: []byte("INVITE sip:1@x SIP/2.0\r\n")},
		}, nil, 0, ""},
		{"ras-discovery-port-1718", []synthPacket{
			{src: netip.AddrPortFrom(a, 40000), dst: netip.AddrPortFrom(b, 1718), udp: true, payload: []byte{0x00, 0x01}},
		}, []string{"1 h225ras undecoded"}, 0, ""},
		{"bare-header-length-4", []synthPacket{
			{src: netip.AddrPortFrom(a, 31337), dst: netip.AddrPortFrom(b, 80), seq: 9, payload: []byte{3, 0, 0, 4}},
		}, nil, 0, ""},
		{"tpkt-sync-lost", []synthPacket{
			{src: netip.AddrPortFrom(a, 40000), dst: netip.AddrPortFrom(b, 1720), seq: 9, payload: setup},
			{src: netip.AddrPortFrom(a, 40000), dst: netip.AddrPortFrom(b, 1720), seq: 9 + uint32(len(setup)), payload: []byte{4, 1, 0, 9, 0}},
		}, []string{"1 q931 setup", "2 tpkt "}, 1, "lost TPKT framing"},
		{"q931-garbage-on-1720", []synthPacket{
			{src: netip.AddrPortFrom(a, 40000), dst: netip.AddrPortFrom(b, 1720), seq: 9, payload: frameBytes(t, []byte{0x08, 0x02, 0x00})},
		}, []string{"1 q931 "}, 1, "syntax error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeCapture(t, layers.LinkTypeEthernet, false, false, c.pkts)
			rc, recs, _ := run(t, Decoders{}, "--roundtrip", path)
			if got := summarize(recs); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got  %q\nwant %q", got, c.want)
			}
			if rc != c.rc {
				t.Fatalf("exit %d, want %d", rc, c.rc)
			}
			if c.errSub != "" && !strings.Contains(recs[len(recs)-1].Error, c.errSub) {
				t.Fatalf("error %q does not mention %q", recs[len(recs)-1].Error, c.errSub)
			}
			// Without --roundtrip the same input exits 0.
			if rc, _, _ := run(t, Decoders{}, path); rc != 0 {
				t.Fatalf("exit %d without --roundtrip", rc)
			}
		})
	}
}

func TestUsageAndFileErrors(t *testing.T) {
	dir := t.TempDir()
	notCapture := filepath.Join(dir, "x.txt")
	if err := os.WriteFile(notCapture, []byte("hello, world"), 0o644); err != nil {
		t.Fatal(err)
	}
	truncated := writeCapture(t, layers.LinkTypeEthernet, false, false, []synthPacket{
		{src: netip.MustParseAddrPort("192.0.2.1:1"), dst: netip.MustParseAddrPort("192.0.2.2:1720"), seq: 1, payload: []byte{3, 0, 0, 4}},
	})
	raw, _ := os.ReadFile(truncated)
	if err := os.WriteFile(truncated, raw[:len(raw)-5], 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		args   []string
		rc     int
		stderr string
	}{
		{"no-args", nil, 2, "usage"},
		{"help", []string{"-h"}, 0, "usage"},
		{"flag-after-file", []string{filepath.Join(dir, "absent.pcap"), "--roundtrip"}, 1, "no such file"},
		{"dash-dash-file", []string{"--roundtrip", "--", filepath.Join(dir, "-x.pcap")}, 1, "no such file"},
		{"two-files", []string{"a", "b"}, 2, "usage"},
		{"unknown-flag", []string{"--bogus", "a"}, 2, "usage"},
		{"missing-file", []string{filepath.Join(dir, "absent.pcap")}, 1, "no such file"},
		{"not-a-capture", []string{notCapture}, 1, "not a pcap"},
		{"truncated-capture", []string{truncated}, 1, "frame 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rc, _, stderr := run(t, Decoders{}, c.args...)
			if rc != c.rc || !strings.Contains(stderr, c.stderr) {
				t.Fatalf("exit %d stderr %q; want %d and %q", rc, stderr, c.rc, c.stderr)
			}
		})
	}
}
