package sdp

import (
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
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Negotiate(b, DefaultCapabilities(), testLocal)
		if err != nil {
			return
		}
		ans, err := Parse(r.SDP)
		if err != nil {
			t.Fatalf("answer does not parse: %v\noffer:\n%q\nanswer:\n%s", err, b, r.SDP)
		}
		if len(ans.Media) != len(r.Remote.Media) {
			t.Fatalf("answer has %d m-lines, offer %d", len(ans.Media), len(r.Remote.Media))
		}
		// Our own answer, taken as an answer to the offer, must be readable.
		if _, err := ParseAnswer(b, r.SDP); err != nil {
			if _, ok := err.(*NegotiationError); !ok {
				t.Fatalf("ParseAnswer on our answer: %v", err)
			}
		}
	})
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
