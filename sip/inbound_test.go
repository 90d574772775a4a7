package sip

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/roomgate/roomgate/sip/sdp"
)

// ackFor builds the peer's ACK for a 2xx (new branch, To with our tag).
func ackFor(p *rawPeer, ok *sip.Response, callid, body string) {
	p.t.Helper()
	ct := ""
	if body != "" {
		ct = "Content-Type: application/sdp\n"
	}
	p.send(fmt.Sprintf(`ACK sip:x@127.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-ack-%s;rport
From: "Board Room" <sip:room@127.0.0.1>;tag=peer1
To: %s
Call-ID: %s
CSeq: %d ACK
Max-Forwards: 70
%s
%s`, callid, ok.To().Value(), callid, ok.CSeq().SeqNo, ct, body), nil)
}

func inDialog(p *rawPeer, method string, seq int, ok *sip.Response, callid, extra, body string) {
	p.t.Helper()
	p.send(fmt.Sprintf(`%s sip:x@127.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-%s-%d-%d;rport
From: "Board Room" <sip:room@127.0.0.1>;tag=peer1
To: %s
Call-ID: %s
CSeq: %d %s
Contact: <sip:room@127.0.0.1:{port}>
Max-Forwards: 70
%s
%s`, method, callid, seq, time.Now().UnixNano(), ok.To().Value(), callid, seq, method, extra, body), nil)
}

func TestInbound(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"invite->180->200->ack->remote_bye", func(t *testing.T) {
			calls := make(chan *InboundCall, 1)
			s := startService(t, Config{SessionExpires: -1}, answerHandler(t, calls, Events{}))
			p := newRawPeer(t, s.Addr())
			p.send(peerInvite, inviteVars("123456789", "c1", "127.0.0.1:{port}", "", peerOffer))
			ring := p.response(2*time.Second, 180)
			ok := p.response(2*time.Second, 200)
			tag, _ := ok.To().Params.Get("tag")
			if rtag, _ := ring.To().Params.Get("tag"); rtag != tag || tag == "" {
				t.Fatalf("To tags 180=%q 200=%q", rtag, tag)
			}
			ans, err := sdp.Parse(ok.Body())
			if err != nil || len(ans.Media) != 2 || ans.Media[0].Port == 0 || ans.Media[1].Port == 0 {
				t.Fatalf("answer: %v\n%s", err, ok.Body())
			}
			if ok.Contact() == nil || ok.GetHeaders("Allow") == nil {
				t.Errorf("2xx lacks Contact/Allow:\n%s", ok)
			}
			ackFor(p, ok, "c1", "")
			c := <-calls
			if c.RequestUser != "123456789" || c.DisplayName != "Board Room" || c.UserAgent != "TestRoom/1.0" || c.FromUser != "room" {
				t.Errorf("call identity = %q %q %q %q", c.RequestUser, c.DisplayName, c.UserAgent, c.FromUser)
			}
			if c.Source.Port() != uint16(p.port()) {
				t.Errorf("source = %v", c.Source)
			}
			inDialog(p, "BYE", 2, ok, "c1", "", "")
			p.response(2*time.Second, 200)
			waitDone(t, c.Done(), 2*time.Second, "call end")
			if c.EndReason() != EndRemoteBye {
				t.Errorf("end reason %q", c.EndReason())
			}
		}},
		{"reject_404_unknown_meeting", func(t *testing.T) {
			s := startService(t, Config{}, HandlerFunc(func(_ context.Context, c *InboundCall) { c.Reject(404, "Not Found") }))
			p := newRawPeer(t, s.Addr())
			p.send(peerInvite, inviteVars("999", "c2", "127.0.0.1:{port}", "", peerOffer))
			res := p.response(2*time.Second, 404)
			if tag, _ := res.To().Params.Get("tag"); tag == "" {
				t.Error("404 without To tag")
			}
		}},
		{"malformed_sdp->488_and_keeps_serving", func(t *testing.T) {
			s := startService(t, Config{}, answerHandler(t, nil, Events{}))
			p := newRawPeer(t, s.Addr())
			p.send(peerInvite, inviteVars("1", "c3", "127.0.0.1:{port}", "", "this is not sdp\n"))
			p.response(2*time.Second, 488)
			res, err := s.Options(context.Background(), fmt.Sprintf("sip:ping@%s", s.Addr()))
			if err != nil || res.Status != 200 || !strings.Contains(res.Allow, "INFO") {
				t.Fatalf("OPTIONS after 488: %+v %v", res, err)
			}
		}},
		{"session_expires_below_min_se->422", func(t *testing.T) {
			s := startService(t, Config{MinSE: 5 * time.Second, SessionExpires: 10 * time.Second}, answerHandler(t, nil, Events{}))
			p := newRawPeer(t, s.Addr())
			p.send(peerInvite, inviteVars("1", "c4", "127.0.0.1:{port}", "Supported: timer\nSession-Expires: 2\n", peerOffer))
			res := p.response(2*time.Second, 422)
			if h := res.GetHeaders("Min-SE"); len(h) == 0 || h[0].Value() != "5" {
				t.Errorf("422 Min-SE = %v", h)
			}
		}},
		{"private_contact->in_dialog_to_source", func(t *testing.T) {
			calls := make(chan *InboundCall, 1)
			s := startService(t, Config{SessionExpires: -1}, answerHandler(t, calls, Events{}))
			p := newRawPeer(t, s.Addr())
			// The endpoint sits behind NAT: its Contact is unreachable.
			p.send(peerInvite, inviteVars("1", "c5", "10.99.0.7:5060", "", peerOffer))
			ok := p.response(2*time.Second, 200)
			ackFor(p, ok, "c5", "")
			c := <-calls
			go c.Bye("meeting ended")
			bye := p.request(3*time.Second, sip.BYE)
			if bye.Recipient.Host != "10.99.0.7" {
				t.Errorf("BYE Request-URI %s, want the Contact", bye.Recipient.String())
			}
			if h := bye.GetHeaders("Reason"); len(h) == 0 || !strings.Contains(h[0].Value(), "meeting ended") {
				t.Errorf("BYE Reason = %v", h)
			}
			p.reply(bye, 200, "OK", "")
			waitDone(t, c.Done(), 2*time.Second, "call end")
			if c.EndReason() != EndLocalBye {
				t.Errorf("end reason %q", c.EndReason())
			}
		}},
		{"offerless_invite->offer_in_200->answer_in_ack", func(t *testing.T) {
			calls := make(chan *InboundCall, 1)
			s := startService(t, Config{SessionExpires: -1}, answerHandler(t, calls, Events{}))
			p := newRawPeer(t, s.Addr())
			p.send(strings.Replace(peerInvite, "Content-Type: application/sdp\n", "", 1), inviteVars("1", "c6", "127.0.0.1:{port}", "", ""))
			ok := p.response(2*time.Second, 200)
			if _, err := sdp.Parse(ok.Body()); err != nil || len(ok.Body()) == 0 {
				t.Fatalf("200 carries no offer: %v", err)
			}
			r, err := sdp.Negotiate(ok.Body(), sdp.Capabilities{Audio: []string{sdp.CodecPCMU}}, sdp.Local{AudioPort: 30000})
			if err != nil {
				t.Fatal(err)
			}
			ackFor(p, ok, "c6", string(r.SDP))
			c := <-calls
			if c.Offer != nil {
				t.Error("offer-less call has an offer")
			}
			if got, err := sdp.ParseAnswer(c.LocalSDP(), c.AckSDP()); err != nil || !got.Audio.Codec.Is("PCMU") {
				t.Errorf("ACK answer: %v", err)
			}
		}},
		{"info_dtmf_and_fast_update", func(t *testing.T) {
			calls := make(chan *InboundCall, 1)
			digits := make(chan rune, 4)
			kf := make(chan struct{}, 1)
			s := startService(t, Config{SessionExpires: -1}, answerHandler(t, calls, Events{
				OnDTMF:            func(d rune, _ time.Duration) { digits <- d },
				OnKeyframeRequest: func() { kf <- struct{}{} },
			}))
			p := newRawPeer(t, s.Addr())
			p.send(peerInvite, inviteVars("1", "c7", "127.0.0.1:{port}", "", peerOffer))
			ok := p.response(2*time.Second, 200)
			ackFor(p, ok, "c7", "")
			c := <-calls
			inDialog(p, "INFO", 2, ok, "c7", "Content-Type: application/dtmf-relay\n", "Signal=5\nDuration=160\n")
			p.response(2*time.Second, 200)
			inDialog(p, "INFO", 3, ok, "c7", "Content-Type: application/dtmf\n", "#")
			p.response(2*time.Second, 200)
			inDialog(p, "INFO", 4, ok, "c7", "Content-Type: application/media_control+xml\n", FastUpdateXML)
			p.response(2*time.Second, 200)
			inDialog(p, "INFO", 5, ok, "c7", "Content-Type: text/plain\n", "hello")
			p.response(2*time.Second, 415)
			inDialog(p, "INFO", 5, ok, "c7", "Content-Type: application/dtmf\n", "1")
			p.response(2*time.Second, 500) // CSeq not increasing
			if d1, d2 := <-digits, <-digits; d1 != '5' || d2 != '#' {
				t.Errorf("digits %q %q", d1, d2)
			}
			<-kf
			// And we ask the endpoint for a keyframe.
			go c.RequestKeyframe(context.Background())
			info := p.request(2*time.Second, sip.INFO)
			if !strings.Contains(string(info.Body()), "picture_fast_update") || info.ContentType().Value() != "application/media_control+xml" {
				t.Errorf("our INFO: %s", info)
			}
			p.reply(info, 200, "OK", "")
		}},
		{"peer_refresher_silent->bye_session_expired", func(t *testing.T) {
			calls := make(chan *InboundCall, 1)
			s := startService(t, Config{MinSE: time.Second, SessionExpires: 2 * time.Second}, answerHandler(t, calls, Events{}))
			p := newRawPeer(t, s.Addr())
			p.send(peerInvite, inviteVars("1", "c8", "127.0.0.1:{port}", "Supported: timer\nSession-Expires: 2;refresher=uac\n", peerOffer))
			ok := p.response(2*time.Second, 200)
			if h := ok.GetHeaders("Session-Expires"); len(h) == 0 || h[0].Value() != "2;refresher=uac" {
				t.Fatalf("Session-Expires in 200 = %v", h)
			}
			ackFor(p, ok, "c8", "")
			c := <-calls
			start := time.Now()
			bye := p.request(4*time.Second, sip.BYE)
			p.reply(bye, 200, "OK", "")
			waitDone(t, c.Done(), 2*time.Second, "call end")
			if c.EndReason() != EndSessionExpired {
				t.Errorf("end reason %q", c.EndReason())
			}
			// interval − min(32 s, interval/3) = 1.33 s (RFC 4028 §10).
			if el := time.Since(start); el < time.Second || el > 3*time.Second {
				t.Errorf("BYE after %v", el)
			}
		}},
		{"we_refresh->peer_481->bye_refresh_failed", func(t *testing.T) {
			calls := make(chan *InboundCall, 1)
			s := startService(t, Config{MinSE: time.Second, SessionExpires: 2 * time.Second}, answerHandler(t, calls, Events{}))
			p := newRawPeer(t, s.Addr())
			// No Supported: timer → we are the refresher (RFC 4028 §9).
			p.send(peerInvite, inviteVars("1", "c9", "127.0.0.1:{port}", "", peerOffer))
			ok := p.response(2*time.Second, 200)
			if h := ok.GetHeaders("Session-Expires"); len(h) == 0 || h[0].Value() != "2;refresher=uas" {
				t.Fatalf("Session-Expires in 200 = %v", h)
			}
			ackFor(p, ok, "c9", "")
			c := <-calls
			re := p.request(3*time.Second, sip.INVITE)
			if h := re.GetHeaders("Session-Expires"); len(h) == 0 || !strings.Contains(h[0].Value(), "refresher=uac") {
				t.Errorf("refresh Session-Expires = %v", h)
			}
			if string(re.Body()) != string(c.LocalSDP()) {
				t.Errorf("refresh offer differs from our SDP")
			}
			p.reply(re, 481, "Call Does Not Exist", "")
			bye := p.request(3*time.Second, sip.BYE)
			p.reply(bye, 200, "OK", "")
			waitDone(t, c.Done(), 2*time.Second, "call end")
			if c.EndReason() != EndRefreshFailed {
				t.Errorf("end reason %q", c.EndReason())
			}
		}},
		{"we_refresh_with_update->peer_200", func(t *testing.T) {
			calls := make(chan *InboundCall, 1)
			s := startService(t, Config{MinSE: time.Second, SessionExpires: 2 * time.Second, RefreshWithUpdate: true}, answerHandler(t, calls, Events{}))
			p := newRawPeer(t, s.Addr())
			p.send(peerInvite, inviteVars("1", "c14", "127.0.0.1:{port}", "Allow: INVITE, ACK, BYE, CANCEL, UPDATE\n", peerOffer))
			ok := p.response(2*time.Second, 200)
			ackFor(p, ok, "c14", "")
			c := <-calls
			for i := 0; i < 2; i++ {
				up := p.request(3*time.Second, sip.UPDATE)
				if len(up.Body()) != 0 {
					t.Errorf("refresh UPDATE carries a body")
				}
				if h := up.GetHeaders("Session-Expires"); len(h) == 0 || h[0].Value() != "2;refresher=uac" {
					t.Errorf("UPDATE Session-Expires = %v", h)
				}
				p.reply(up, 200, "OK", "Session-Expires: 2;refresher=uac\nRequire: timer\n")
			}
			if c.EndReason() != "" {
				t.Errorf("ended %q", c.EndReason())
			}
		}},
		{"lost_ack->2xx_retransmitted->late_ack", func(t *testing.T) {
			calls := make(chan *InboundCall, 1)
			s := startService(t, Config{SessionExpires: -1, T1: 20 * time.Millisecond}, answerHandler(t, calls, Events{}))
			p := newRawPeer(t, s.Addr())
			p.send(peerInvite, inviteVars("1", "c10", "127.0.0.1:{port}", "", peerOffer))
			first := p.response(2*time.Second, 200)
			again := p.response(2*time.Second, 200) // RFC 3261 §13.3.1.4
			if first.CSeq().SeqNo != again.CSeq().SeqNo || string(first.Body()) != string(again.Body()) {
				t.Errorf("retransmission differs")
			}
			ackFor(p, again, "c10", "")
			c := <-calls
			if c.EndReason() != "" {
				t.Errorf("call ended: %s", c.EndReason())
			}
		}},
		{"no_ack_udp->ended_without_bye", func(t *testing.T) {
			ended := make(chan *InboundCall, 1)
			s := startService(t, Config{SessionExpires: -1, T1: 20 * time.Millisecond}, HandlerFunc(func(_ context.Context, c *InboundCall) {
				r, _ := sdp.NegotiateSession(c.Offer, sdp.DefaultCapabilities(), sdp.Local{AudioPort: 1000})
				if err := c.Accept(r.SDP); err != ErrNoAck {
					t.Errorf("Accept = %v, want ErrNoAck", err)
				}
				ended <- c
			}))
			p := newRawPeer(t, s.Addr())
			p.send(peerInvite, inviteVars("1", "c11", "127.0.0.1:{port}", "", peerOffer))
			c := <-ended // no BYE over UDP toward an address that never acknowledged (TestNoAckEndsCall)
			waitDone(t, c.Done(), time.Second, "end")
			if c.EndReason() != EndNoAck {
				t.Errorf("end %q", c.EndReason())
			}
		}},
		{"shutdown_while_ringing->503", func(t *testing.T) {
			got := make(chan *InboundCall, 1)
			s := startService(t, Config{}, HandlerFunc(func(ctx context.Context, c *InboundCall) {
				c.Ringing()
				got <- c
				<-ctx.Done()
			}))
			p := newRawPeer(t, s.Addr())
			p.send(peerInvite, inviteVars("1", "c15", "127.0.0.1:{port}", "", peerOffer))
			p.response(2*time.Second, 180)
			c := <-got
			go s.Close()
			p.response(2*time.Second, 503)
			waitDone(t, c.Done(), time.Second, "end")
			if c.EndReason() != EndShutdown {
				t.Errorf("end %q", c.EndReason())
			}
		}},
		{"ring_timeout->480", func(t *testing.T) {
			got := make(chan *InboundCall, 1)
			s := startService(t, Config{RingTimeout: 200 * time.Millisecond}, HandlerFunc(func(ctx context.Context, c *InboundCall) {
				got <- c
				<-ctx.Done()
			}))
			p := newRawPeer(t, s.Addr())
			p.send(peerInvite, inviteVars("1", "c12", "127.0.0.1:{port}", "", peerOffer))
			p.response(2*time.Second, 480)
			c := <-got
			waitDone(t, c.Done(), time.Second, "end")
			if c.EndReason() != EndRingTimeout {
				t.Errorf("end %q", c.EndReason())
			}
		}},
		{"reinvite_glare_and_unknown_dialog", func(t *testing.T) {
			calls := make(chan *InboundCall, 1)
			s := startService(t, Config{SessionExpires: -1}, answerHandler(t, calls, Events{}))
			p := newRawPeer(t, s.Addr())
			p.send(peerInvite, inviteVars("1", "c13", "127.0.0.1:{port}", "", peerOffer))
			ok := p.response(2*time.Second, 200)
			ackFor(p, ok, "c13", "")
			c := <-calls
			// Our own re-INVITE is pending when the peer's arrives → 491.
			go c.Reinvite(context.Background(), c.LocalSDP())
			ours := p.request(2*time.Second, sip.INVITE)
			inDialog(p, "INVITE", 2, ok, "c13", "Content-Type: application/sdp\n", peerOffer)
			p.response(2*time.Second, 491)
			p.reply(ours, 200, "OK", "Content-Type: application/sdp\n\n"+peerOffer)
			// A BYE for a dialog we do not know → 481.
			p.send(`BYE sip:x@127.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-stray;rport
From: <sip:room@127.0.0.1>;tag=zzz
To: <sip:x@127.0.0.1>;tag=nope
Call-ID: stray
CSeq: 1 BYE
Max-Forwards: 70

`, nil)
			p.response(2*time.Second, 481)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.run)
	}
}
