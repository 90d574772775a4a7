package sip

import (
	"os"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"

	"github.com/roomgate/roomgate/sip/sdp"
)

// invite parses a raw INVITE and its SDP offer.
func invite(t *testing.T, raw string) (*sip.Request, *sdp.Session) {
	t.Helper()
	m, err := sip.ParseMessage([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	req, ok := m.(*sip.Request)
	if !ok {
		t.Fatalf("%T is not a request", m)
	}
	var offer *sdp.Session
	if len(req.Body()) > 0 {
		if offer, err = sdp.Parse(req.Body()); err != nil {
			t.Fatal(err)
		}
	}
	return req, offer
}

func fieldsString(fs []SignalledAddr) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.Field + "=" + f.Addr.String() + " ")
	}
	return strings.TrimSpace(b.String())
}

// The INVITE of /work/shared/peers/nat_alg_sip.sh as it arrived through a router
// with the kernel's SIP ALG (nft ct helper "sip", masquerade 10.1.0.0/24 behind
// 203.0.113.1): Via, From, Contact, o= and c= rewritten, the Call-ID's host kept.
func TestSignalledAddrsKernelALG(t *testing.T) {
	raw, err := os.ReadFile("testdata/alg/nf_nat_sip.txt")
	if err != nil {
		t.Fatal(err)
	}
	req, offer := invite(t, string(raw))
	got := fieldsString(signalledAddrs(req, offer))
	want := "via=203.0.113.1:5060 contact=203.0.113.1:5060 from=203.0.113.1:5060 call-id=10.1.0.2:0 sdp o==203.0.113.1:0 sdp c==203.0.113.1:0"
	if got != want {
		t.Fatalf("signalled addresses\n got %s\nwant %s", got, want)
	}
}

func TestSignalledAddrsTolerant(t *testing.T) {
	for _, tc := range []struct{ name, raw, want string }{
		{"host names left out", "INVITE sip:1@gw SIP/2.0\r\nVia: SIP/2.0/UDP room.example.net;branch=z9hG4bK2\r\nFrom: <sip:r@room.example.net>;tag=1\r\nTo: <sip:1@gw>\r\nCall-ID: abc@room\r\nCSeq: 1 INVITE\r\nContact: <sip:r@room.example.net>\r\nContent-Length: 0\r\n\r\n", ""},
		{"ipv6 and odd call-id", "INVITE sip:1@gw SIP/2.0\r\nVia: SIP/2.0/UDP [2001:db8::7]:5070;branch=z9hG4bK3\r\nFrom: <sip:r@[2001:db8::7]>;tag=1\r\nTo: <sip:1@gw>\r\nCall-ID: q@[2001:db8::7]:99999\r\nCSeq: 1 INVITE\r\nContact: <sip:r@[2001:db8::7]:5070>\r\nContent-Length: 0\r\n\r\n",
			"via=[2001:db8::7]:5070 contact=[2001:db8::7]:5070 from=[2001:db8::7]:0 call-id=[2001:db8::7]:0"},
		{"no call-id host", "INVITE sip:1@gw SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.1.5:5060;branch=z9hG4bK4\r\nFrom: <sip:r@192.168.1.5>;tag=1\r\nTo: <sip:1@gw>\r\nCall-ID: 1234\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
			"via=192.168.1.5:5060 from=192.168.1.5:0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, offer := invite(t, tc.raw)
			if got := fieldsString(signalledAddrs(req, offer)); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}
