package netprofile

import (
	"net/netip"
	"strings"
	"testing"
)

func fields(kv ...string) []Field {
	var out []Field
	for i := 0; i+1 < len(kv); i += 2 {
		ap, err := netip.ParseAddrPort(kv[i+1])
		if err != nil {
			ap = netip.AddrPortFrom(netip.MustParseAddr(kv[i+1]), 0)
		}
		out = append(out, Field{Name: kv[i], Addr: ap})
	}
	return out
}

func TestDetectALG(t *testing.T) {
	const pub = "203.0.113.1"
	for _, tc := range []struct {
		name      string
		source    string
		fields    []Field
		suspected bool
		nat       bool
		reason    []string // substrings of Reason (suspected) or Note (behind NAT)
	}{
		// The fields of sip/testdata/alg/nf_nat_sip.txt (the kernel's SIP ALG) and the
		// media address of its m= line.
		{name: "kernel nf_nat_sip: all rewritten but the call-id", source: pub,
			fields:    fields("via", "203.0.113.1:5060", "contact", "203.0.113.1:5060", "from", "203.0.113.1:5060", "call-id", "10.1.0.2", "sdp o=", pub, "sdp c=", pub, "audio rtp", "203.0.113.1:4000"),
			suspected: true, reason: []string{"via, contact, from, sdp o=, sdp c=, audio rtp carry the signalling source 203.0.113.1", "call-id 10.1.0.2"}},
		{name: "c= rewritten, o= kept", source: pub,
			fields:    fields("via", "10.1.0.2:5060", "contact", "10.1.0.2:5060", "sdp o=", "10.1.0.2", "sdp c=", pub, "audio rtp", "203.0.113.1:4000"),
			suspected: true, reason: []string{"sdp c=, audio rtp carry", "sdp o= 10.1.0.2"}},
		{name: "contact rewritten, sdp not", source: pub,
			fields:    fields("via", "203.0.113.1:5060", "contact", "203.0.113.1:5060", "sdp o=", "10.1.0.2", "sdp c=", "10.1.0.2", "audio rtp", "10.1.0.2:4000"),
			suspected: true, reason: []string{"via, contact carry", "sdp c= 10.1.0.2", "audio rtp 10.1.0.2"}},
		{name: "h323: h245Address rewritten, fastStart media private", source: pub,
			fields:    fields("h245Address", "203.0.113.1:1800", "audio rtp", "192.168.5.9:5004", "audio rtcp", "192.168.5.9:5005"),
			suspected: true, reason: []string{"h245Address carry", "audio rtp 192.168.5.9"}},
		{name: "plain NAT: everything private", source: pub,
			fields: fields("via", "10.1.0.2:5060", "contact", "10.1.0.2:5060", "call-id", "10.1.0.2", "sdp o=", "10.1.0.2", "audio rtp", "10.1.0.2:4000"),
			nat:    true, reason: []string{"signals via 10.1.0.2", "comes from 203.0.113.1"}},
		{name: "endpoint's own NAT setting: public contact and sdp, private via", source: pub,
			fields: fields("via", "10.1.0.2:5060", "contact", "203.0.113.1:5060", "call-id", "10.1.0.2", "sdp o=", pub, "audio rtp", "203.0.113.1:4000")},
		{name: "no NAT: everything is the source", source: pub,
			fields: fields("via", "203.0.113.1:5060", "contact", "203.0.113.1:5060", "audio rtp", "203.0.113.1:4000")},
		{name: "LAN endpoint", source: "192.168.1.20",
			fields: fields("via", "192.168.1.20:5060", "contact", "192.168.1.20:5060", "call-id", "192.168.1.20", "audio rtp", "192.168.1.20:4000")},
		{name: "media relay on another public address is not an ALG", source: pub,
			fields: fields("contact", "203.0.113.1:5060", "audio rtp", "198.51.100.9:40000")},
		{name: "hold (0.0.0.0) and host names say nothing", source: pub,
			fields: append(fields("contact", "203.0.113.1:5060", "sdp c=", "0.0.0.0"), Field{Name: "via"})},
		{name: "ipv4-mapped source", source: "::ffff:203.0.113.1",
			fields:    fields("contact", "203.0.113.1:5060", "sdp c=", "10.0.0.3"),
			suspected: true, reason: []string{"sdp c= 10.0.0.3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := DetectALG(netip.MustParseAddr(tc.source), tc.fields)
			if got.Suspected != tc.suspected || got.BehindNAT != tc.nat {
				t.Fatalf("DetectALG = %+v, want suspected %v behind NAT %v", got, tc.suspected, tc.nat)
			}
			text := got.Reason + got.Note
			for _, want := range tc.reason {
				if !strings.Contains(text, want) {
					t.Errorf("reason %q lacks %q", text, want)
				}
			}
			if !tc.suspected && !tc.nat && text != "" {
				t.Errorf("nothing suspected but reason %q", text)
			}
		})
	}
}
