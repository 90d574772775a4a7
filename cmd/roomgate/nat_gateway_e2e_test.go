//go:build e2e

package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The gateway behind a one-to-one NAT: it listens on 10.2.0.10, its router
// publishes it as 203.0.113.20 (DNAT in, SNAT out); an internet room system sits
// behind a masquerading router of its own (203.0.113.1); a LAN room system
// (10.3.0.2) reaches the gateway's private address directly, through the gateway's
// host, which does not forward: it cannot hairpin through the public address.
const (
	gwPrivate   = "10.2.0.10"
	gwPublic    = "203.0.113.20"
	inetPublic  = "203.0.113.1"
	inetRoomIP  = "10.60.0.2"
	lanRoomIP   = "10.3.0.2"
	natTimeout  = "  timeout: 5s\n"
	publicIPNAT = "nat:\n  public_ip: " + gwPublic + "\n"
)

// oneToOne is that network.
type oneToOne struct {
	lab      *natLab
	inetRoom string // namespace of the internet room system
	lanRoom  string // namespace of the LAN room system
	gwIf     string // the host's end of the link to the gateway's router
	lanIf    string // the host's end of the link to the LAN room
}

func newOneToOne(t *testing.T) *oneToOne {
	t.Helper()
	lab := newNATLab(t)
	n := &oneToOne{lab: lab}
	gwr := lab.host("gwr")
	_, n.gwIf = lab.link(gwr, "10.2.0.1/24", hostNS, gwPrivate+"/24")
	lab.route(hostNS, "203.0.113.0/24", "via", "10.2.0.1")
	lab.router(gwr)
	lab.nft(gwr, fmt.Sprintf(`table ip nat {
  chain pre {
    type nat hook prerouting priority -100;
    ip daddr %[1]s dnat to %[2]s
  }
  chain post {
    type nat hook postrouting priority 100;
    ip saddr %[2]s snat to %[1]s
  }
}
`, gwPublic, gwPrivate))
	n.inetRoom, _, _ = lab.masqRouter(gwr, gwPublic, "10.60.0.0/24", inetPublic, "", "")
	n.lanRoom = lab.host("lan")
	_, n.lanIf = lab.link(n.lanRoom, lanRoomIP+"/24", hostNS, "10.3.0.1/24")
	lab.route(n.lanRoom, "default", "via", "10.3.0.1")
	// The gateway's host is no router: a LAN room's packets to the public address die here.
	lab.run(hostNS, "sysctl", "-qw", "net.ipv4.ip_forward=0")
	return n
}

// TestE2ENATGatewayOneToOne: the gateway on a private address behind a one-to-one
// NAT with nat.public_ip; a SIP and then an H.323 room system on the internet, each
// behind a masquerading router of its own, call its public address. Media flows
// both ways with the browser, and everything the gateway signals (SDP c=, H.245
// media addresses) names the public address, never the private one.
func TestE2ENATGatewayOneToOne(t *testing.T) {
	n := newOneToOne(t)
	g := startNATGateway(t, gwPrivate, publicIPNAT, "")
	id, _, _ := g.meeting(t, map[string]any{"topic": "one-to-one NAT"})
	br := joinNATBrowser(t, g.sipGW, id)

	t.Run("sip", func(t *testing.T) {
		c := natCapture(t, g, n.gwIf)
		s := simSIPRoom(t, n.lab, n.inetRoom, "internet", inetRoomIP, fmt.Sprintf("%s:%d", gwPublic, g.SIPPort), id, 18*time.Second)
		br.roomCall(t, g, id, s, "sip", 0)
		wantOnly(t, "c= of the gateway's SDP", sdpAddrs(t, c, gwPrivate), gwPublic)
	})
	t.Run("h323", func(t *testing.T) {
		c := natCapture(t, g, n.gwIf)
		var s *sim
		n.lab.in(n.inetRoom, func() {
			s = startSim(t, "internet-h323", "-h323", gwPublic+":1720", "-alias", id, "-bind", inetRoomIP, "-tone", "1000",
				"-video", "gen", "-fps", "10", "-d", "18s", "-display", "Internet Room")
		})
		br.roomCall(t, g, id, s, "h323", 0)
		// The gateway's fastStart answer echoes the room's own (private) addresses
		// for the channels toward it; its own are all public.
		for _, a := range h245Addrs(t, c, gwPrivate) {
			if a != gwPublic && a != inetRoomIP {
				t.Errorf("the gateway's H.245 carries %s: want its public %s (and the room's own %s)", a, gwPublic, inetRoomIP)
			}
		}
		if got := h245Addrs(t, c, gwPrivate); len(got) == 0 || !strings.Contains(strings.Join(got, ","), gwPublic) {
			t.Errorf("the gateway's H.245 addresses %v do not name its public %s", got, gwPublic)
		}
	})
}
