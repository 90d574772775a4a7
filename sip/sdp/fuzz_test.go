package sdp

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzNegotiate: Negotiate never panics on arbitrary bytes, and every answer
// it produces parses back with the offer's m-line count (RFC 3264 §6).
func FuzzNegotiate(f *testing.F) {
	f.Add(sipBody(sharedCapture(f, "logstash-filter-sip__tandberg257_TE4.1.1_invite.sip")))
	f.Add(crlf(sippOffer))
	f.Add(crlf("v=0\no=x 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\nm=application 5000 UDP/BFCP *\nm=audio 5002 RTP/AVP 0\n"))
	f.Add(crlf("v=0\no=x 1 1 IN IP4 1.2.3.4\ns=-\nt=0 0\nm=audio 5000/2 RTP/AVP 0\na=rtpmap:0 PCMU\na=rtcp:x\n"))
	if offer, err := BuildOffer(DefaultCapabilities(), testLocal); err == nil {
		f.Add(offer)
	}
	if offer, err := BuildOffer(DefaultCapabilities(), corpusLocal); err == nil {
		f.Add(offer)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "offers", "*.sdp"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add(bfcpOffer("TCP/BFCP", "a=floorctrl:c-s\na=floorid:4 m-stream:12 13\na=setup:passive\na=bfcpver:1 2", slides12))
	f.Add(bfcpOffer("UDP/TLS/BFCP", "a=floorid:1 mstream:12\na=fingerprint:sha-256 AA", "a=label:12"))
	f.Add(crlf("v=0\nm=\nm=control * RTP/AVP\nm=video 1/x RTP/AVP 96\nc=IN IP4 1.2.3.4/127\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		negotiateChecked(t, b, testLocal)
		negotiateChecked(t, b, corpusLocal)
	})
}

// negotiateChecked: the properties every answer has, whatever the offer.
func negotiateChecked(t *testing.T, b []byte, local Local) {
	t.Helper()
	r, err := Negotiate(b, DefaultCapabilities(), local)
	if err != nil {
		return
	}
	if r.BFCP != nil && (r.Content == nil || r.BFCP.ContentLabel != r.Content.Label) {
		t.Fatalf("BFCP %+v without its content %+v", r.BFCP, r.Content)
	}
	ans, err := Parse(r.SDP)
	if err != nil {
		t.Fatalf("answer does not parse: %v\noffer:\n%q\nanswer:\n%s", err, b, r.SDP)
	}
	if len(ans.Media) != len(r.Remote.Media) {
		t.Fatalf("answer has %d m-lines, offer %d", len(ans.Media), len(r.Remote.Media))
	}
	for i, off := range r.Remote.Media {
		if m := ans.Media[i]; !off.Malformed && (m.Kind != off.Kind || m.Proto != off.Proto) {
			t.Fatalf("m-line %d answered %q %q, offered %q %q", i, m.Kind, m.Proto, off.Kind, off.Proto)
		}
	}
	// Our own answer, taken as an answer to the offer, must be readable.
	if _, err := ParseAnswer(b, r.SDP); err != nil {
		if _, ok := err.(*NegotiationError); !ok {
			t.Fatalf("ParseAnswer on our answer: %v", err)
		}
	}
}

func BenchmarkNegotiateTandberg(b *testing.B) {
	offer := sipBody(sharedCapture(b, "logstash-filter-sip__tandberg257_TE4.1.1_invite.sip"))
	caps := DefaultCapabilities()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Negotiate(offer, caps, testLocal); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNegotiateTandbergContent answers the same INVITE accepting its
// content line and UDP BFCP.
func BenchmarkNegotiateTandbergContent(b *testing.B) {
	offer := sipBody(sharedCapture(b, "logstash-filter-sip__tandberg257_TE4.1.1_invite.sip"))
	caps := DefaultCapabilities()
	b.ReportAllocs()
	for b.Loop() {
		r, err := Negotiate(offer, caps, corpusLocal)
		if err != nil || r.BFCP == nil {
			b.Fatal(err)
		}
	}
}
