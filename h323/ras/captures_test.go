package ras

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/internal/asn1gen/pdutest"
)

// capturesDir is ../shared/captures beside the repository root. The
// captures are present in CI: their absence is a failure, not a skip.
func capturesDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("repository root not found")
		}
		dir = parent
	}
	d := filepath.Join(filepath.Dir(dir), "shared", "captures")
	if _, err := os.Stat(d); err != nil {
		t.Fatalf("captures missing: %v", err)
	}
	return d
}

type rasDatagram struct {
	frame    int
	src, dst netip.AddrPort
	payload  []byte
}

// rasDatagrams reads the UDP 1718/1719 datagrams of a capture.
func rasDatagrams(t testing.TB, path string) []rasDatagram {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []rasDatagram
	for n := 1; ; n++ {
		data, _, err := r.ReadPacketData()
		if err != nil {
			break
		}
		p := gopacket.NewPacket(data, r.LinkType(), gopacket.Default)
		ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		udp, _ := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
		if ip == nil || udp == nil {
			continue
		}
		ras := func(port layers.UDPPort) bool { return port == 1719 || port == 1718 }
		if !ras(udp.SrcPort) && !ras(udp.DstPort) {
			continue
		}
		src, _ := netip.AddrFromSlice(ip.SrcIP)
		dst, _ := netip.AddrFromSlice(ip.DstIP)
		out = append(out, rasDatagram{frame: n,
			src: netip.AddrPortFrom(src.Unmap(), uint16(udp.SrcPort)), dst: netip.AddrPortFrom(dst.Unmap(), uint16(udp.DstPort)),
			payload: udp.Payload})
	}
	return out
}

// TestCaptures feeds every RAS datagram of the real captures (requests of
// OpenH323, SJphone, a TANDBERG endpoint, and their gatekeepers' messages)
// to the gatekeeper, from the addresses they were sent from, and checks
// each answer.
func TestCaptures(t *testing.T) {
	dir := capturesDir(t)
	for _, c := range []struct {
		file, gatekeeperID string
		want               []string
	}{
		// OpenH323: GRQ (59, malformed: tshark agrees), RRQ with a mobileUIM
		// alias (61), ARQ by address (63), its gatekeeper's IRQ and DRQ (not
		// registered here); TANDBERG: keepalive RRQs of a registration made
		// before the capture started (71–75).
		{"ndpi__h323.pcap", "OpenH323 Gatekeeper on mfottekin", []string{
			"59:none", "60:none", "61:registrationConfirm", "62:none", "63:admissionConfirm", "64:none",
			"67:unknownMessageResponse", "68:unknownMessageResponse",
			"69:disengageReject/notRegistered", "70:disengageReject/notRegistered",
			"71:registrationReject/fullRegistrationRequired", "72:none",
			"73:registrationReject/fullRegistrationRequired", "74:none",
			"75:registrationReject/fullRegistrationRequired"}},
		// SJphone: a keepalive before any registration (refused, as the
		// real gatekeeper did), then full RRQs and keepalives; a GRQ for
		// gatekeeper "c5cm" (269) is not ours to answer.
		{"wswiki__SIP_CALL_RTP_G711.pcap", "2", []string{
			"135:registrationReject/fullRegistrationRequired", "136:none", "137:registrationConfirm", "140:none",
			"269:none", "270:none", "273:registrationConfirm", "279:none",
			"390:registrationReject/fullRegistrationRequired", "391:none", "392:registrationConfirm", "395:none",
			"1990:registrationConfirm", "1991:none", "1992:registrationConfirm", "1995:none",
			"2445:registrationConfirm", "2446:none", "2447:registrationConfirm", "2452:none",
			"4054:registrationConfirm", "4059:none", "4062:registrationConfirm", "4067:none"}},
	} {
		t.Run(c.file, func(t *testing.T) {
			tg := newTestGK(t, func(cfg *Config) { cfg.GatekeeperID = c.gatekeeperID })
			ours := map[netip.Addr]h225.EndpointIdentifier{} // what we assigned, per endpoint
			var got []string
			for _, d := range rasDatagrams(t, filepath.Join(dir, c.file)) {
				payload := d.payload
				var m h225.RasMessage
				if m.Unmarshal(payload) == nil {
					if id := endpointIDField(&m); id != nil && ours[d.src.Addr()] != "" {
						// The endpoint uses the identifier its gatekeeper
						// gave; we gave another one.
						*id = ours[d.src.Addr()]
						payload = pdutest.Encode(t, &m)
					}
				}
				reply := tg.datagram(payload, d.src)
				tg.flush()
				desc := "none"
				if reply != nil {
					if len(reply) > len(payload)+MaxReplyGrowth {
						t.Errorf("frame %d: answer of %d octets to %d", d.frame, len(reply), len(payload))
					}
					ans := decode(t, reply)
					if rcf := ans.RegistrationConfirm; rcf != nil {
						ours[d.src.Addr()] = rcf.EndpointIdentifier
					}
					desc = describe(ans)
				}
				got = append(got, fmt.Sprintf("%d:%s", d.frame, desc))
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

// endpointIDField returns the endpointIdentifier of the requests that
// carry one.
func endpointIDField(m *h225.RasMessage) *h225.EndpointIdentifier {
	switch {
	case m.RegistrationRequest != nil:
		return m.RegistrationRequest.EndpointIdentifier
	case m.AdmissionRequest != nil:
		return &m.AdmissionRequest.EndpointIdentifier
	case m.DisengageRequest != nil:
		return &m.DisengageRequest.EndpointIdentifier
	case m.UnregistrationRequest != nil:
		return m.UnregistrationRequest.EndpointIdentifier
	}
	return nil
}
