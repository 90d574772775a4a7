package bfcp

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// writePcap writes each payload as one IPv4 packet (LINKTYPE_RAW) between
// 127.0.0.1 and 127.0.0.2 on port 5070, over UDP where udp[i], else as a
// segment of one TCP stream.
func writePcap(t *testing.T, path string, msgs [][]byte, udp []bool) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeRaw); err != nil {
		t.Fatal(err)
	}
	seq := uint32(1000)
	ts := time.Unix(1700000000, 0)
	for i, b := range msgs {
		ip := &layers.IPv4{Version: 4, TTL: 64, SrcIP: net.IPv4(127, 0, 0, 1), DstIP: net.IPv4(127, 0, 0, 2)}
		var l4 gopacket.SerializableLayer
		if udp[i] {
			ip.Protocol = layers.IPProtocolUDP
			u := &layers.UDP{SrcPort: 40000, DstPort: 5070}
			_ = u.SetNetworkLayerForChecksum(ip)
			l4 = u
		} else {
			ip.Protocol = layers.IPProtocolTCP
			tc := &layers.TCP{SrcPort: 40001, DstPort: 5070, Seq: seq, Ack: 1, ACK: true, PSH: true, Window: 65535}
			_ = tc.SetNetworkLayerForChecksum(ip)
			seq += uint32(len(b))
			l4 = tc
		}
		buf := gopacket.NewSerializeBuffer()
		opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
		if err := gopacket.SerializeLayers(buf, opts, ip, l4, gopacket.Payload(b)); err != nil {
			t.Fatal(err)
		}
		ts = ts.Add(time.Millisecond)
		ci := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(buf.Bytes()), Length: len(buf.Bytes())}
		if err := w.WritePacket(ci, buf.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTshark has tshark dissect every message of the catalog: every one must
// be BFCP with the right primitive, no malformed packet and no expert
// warning or error. Version 1 goes over TCP and over UDP (RFC 4582
// deployments run version 1 over UDP too). The tshark of Debian 12 (4.0)
// takes a packet as BFCP only if its first octet is 0x20 or 0x30 (version 1,
// see wireshark issue 18717), so version 2 messages, whose attributes are
// laid out exactly like version 1's, are dissected with the version bits
// patched to 1; the fragment fields (wireshark 4.2+) cannot be checked here.
func TestTshark(t *testing.T) {
	var msgs [][]byte
	var overUDP []bool
	var prims []string
	for _, c := range []struct {
		v   uint8
		udp bool
	}{{Version1, false}, {Version1, true}, {Version2, true}} {
		for _, m := range catalog(c.v) {
			b, err := m.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if c.v == Version2 {
				b[0] = Version1<<5 | b[0]&0x1f
			}
			msgs, overUDP = append(msgs, b), append(overUDP, c.udp)
			prims = append(prims, fmt.Sprintf("v%d %s", c.v, m.Primitive))
		}
	}
	tsharkCheck(t, msgs, overUDP, prims)
}

// tsharkCheck writes msgs to a pcap and has tshark dissect it: every packet
// must be BFCP with the primitive its label ends with, not malformed, with
// no expert warning or error.
func tsharkCheck(t *testing.T, msgs [][]byte, overUDP []bool, prims []string) {
	t.Helper()
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed (make test installs it)")
	}
	path := filepath.Join(t.TempDir(), "bfcp.pcap")
	writePcap(t, path, msgs, overUDP)
	out, err := exec.Command(tshark, "-n", "-r", path, "-d", "udp.port==5070,bfcp", "-d", "tcp.port==5070,bfcp",
		"-T", "fields", "-e", "bfcp.primitive", "-e", "_ws.malformed", "-e", "_ws.expert.severity").CombinedOutput()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var got []string
	for _, l := range lines {
		if strings.HasPrefix(l, "Running as user") {
			continue
		}
		got = append(got, l)
	}
	if len(got) != len(msgs) {
		t.Fatalf("tshark printed %d lines for %d packets:\n%s", len(got), len(msgs), out)
	}
	for i, l := range got {
		f := strings.Split(l, "\t")
		if f[0] == "" || !strings.HasSuffix(prims[i], " "+Primitive(atoi(f[0])).String()) {
			t.Errorf("packet %d (%s): not dissected as BFCP: %q", i+1, prims[i], l)
			continue
		}
		// _ws.expert.severity: 2097152 chat, 4194304 note, 6291456 warn, 8388608 error.
		if len(f) > 1 && f[1] != "" {
			t.Errorf("packet %d (%s): malformed", i+1, prims[i])
		}
		if len(f) > 2 {
			for _, s := range strings.Split(f[2], ",") {
				if s == "6291456" || s == "8388608" {
					t.Errorf("packet %d (%s): expert severity %s", i+1, prims[i], s)
				}
			}
		}
	}
	if t.Failed() {
		v, _ := exec.Command(tshark, "-n", "-r", path, "-d", "udp.port==5070,bfcp", "-d", "tcp.port==5070,bfcp", "-V", "-O", "bfcp").CombinedOutput()
		t.Logf("tshark -V:\n%s", v)
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// TestTsharkServerSession has tshark dissect every datagram of a session
// between the Server and a Client, both directions, in versions 1 and 2:
// the messages the server builds itself (HelloAck's lists, FloorStatus,
// FloorRequestStatus notifications, UserStatus, Errors) and the Acks.
func TestTsharkServerSession(t *testing.T) {
	var msgs [][]byte
	var overUDP []bool
	var prims []string
	for _, v := range []uint8{Version1, Version2} {
		var mu sync.Mutex
		record := func(b []byte) bool {
			mu.Lock()
			defer mu.Unlock()
			b = append([]byte(nil), b...)
			ver := b[0] >> 5
			b[0] = Version1<<5 | b[0]&0x1f // tshark 4.0 knows version 1 only
			msgs, overUDP = append(msgs, b), append(overUDP, true)
			prims = append(prims, fmt.Sprintf("v%d %s", ver, Primitive(b[1])))
			return false
		}
		synctest.Test(t, func(t *testing.T) {
			srv, mn, spc := memServer(t, Config{ConferenceID: testConf, FloorIDs: []uint16{testFloor, 2}, Floors: newFloors(pending)})
			spc.drop = record
			cc := mn.listen("client", "server")
			cc.drop = record
			cl := NewClient(cc, ClientConfig{ConferenceID: testConf, UserID: testUser, Version: v})
			defer cl.Close()
			ctx := t.Context()
			cl.Hello(ctx)
			cl.QueryFloors(ctx, testFloor, 2)
			r, _ := cl.RequestFloor(ctx, testFloor, 2)
			srv.Grant(r.ID)
			cl.QueryRequest(ctx, r.ID)
			cl.Do(ctx, UserQuery)
			cl.Release(ctx, r.ID)
			cl.RequestFloor(ctx, 99)
			cl.Do(ctx, ChairAction)
			cl.Do(ctx, FloorRequest, NewUint16(FloorID, testFloor), Attribute{Type: 99, Mandatory: true})
			time.Sleep(time.Second) // notifications and Acks
			cl.Goodbye(ctx)
		})
	}
	seen := map[Primitive]bool{}
	for _, b := range msgs {
		seen[Primitive(b[1])] = true
	}
	for _, p := range []Primitive{Hello, HelloAck, FloorQuery, FloorStatus, FloorRequest, FloorRequestStatus,
		FloorRequestStatusAck, FloorStatusAck, FloorRequestQuery, UserQuery, UserStatus, FloorRelease, Error,
		ChairAction, Goodbye, GoodbyeAck} {
		if !seen[p] {
			t.Errorf("session sent no %s", p)
		}
	}
	t.Logf("%d datagrams", len(msgs))
	tsharkCheck(t, msgs, overUDP, prims)
}
