package gateway

import (
	"errors"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/q931"
	"github.com/roomgate/roomgate/h323/tpkt"
)

// callerSetup is Callgen323's real Setup from the capture with what cannot stay as
// captured rewritten: the destination alias (Callgen323 dialled an address, no
// alias) becomes dest, the call signalling addresses loopback ones.
func callerSetup(t testing.TB, frames map[string][][]byte, dest string, gw, from netip.AddrPort) *q931.Message {
	t.Helper()
	m, ui := q931Frame(t, frames[capCallerSig][0])
	s := ui.H323UuPdu.H323MessageBody.Setup
	if m.Type != q931.Setup || s == nil {
		t.Fatalf("capture: first caller message %v", m.Type)
	}
	if dest != "" {
		a, err := h225.DialledDigitsAlias(dest)
		if err != nil {
			a, err = h225.H323IDAlias(dest)
		}
		if err != nil {
			t.Fatal(err)
		}
		s.DestinationAddress = []h225.AliasAddress{a}
	}
	dst, src := h225.MustTransportAddress(gw), h225.MustTransportAddress(from)
	s.DestCallSignalAddress, s.SourceCallSignalAddress = &dst, &src
	setUUIE(t, m, ui)
	return m
}

// h245Session is the peer's side of the H.245 exchange with the gateway, played
// with the capture's PDUs: what the gateway sent, and what the peer answered.
type h245Session struct {
	t    testing.TB
	p    *h245Peer
	caps []*h245.MultimediaSystemControlMessage // the capture side's PDUs the peer plays

	rtp, rtcp netip.AddrPort // the peer's media sockets

	gotTCS, gotMSD, gotTCSAck, gotMSDAck bool
	tcsSeq                               h245.SequenceNumber
	weAreSlave                           bool
	acked                                bool // our TCS/MSD acks went out
	gwOLC                                *h245.OpenLogicalChannel
	gwOLCAcked                           bool
	gwAck                                *h245.OpenLogicalChannelAck // the gateway's Ack of the peer's channel
	seen                                 []string
}

// step reads one PDU from the gateway and answers it the way the capture's side
// did, with the fields that name the other side rewritten (sequence numbers,
// channel numbers, addresses). false at EOF.
func (h *h245Session) step() bool {
	t := h.t
	m := h.p.next()
	if m == nil {
		return false
	}
	h.seen = append(h.seen, pduName(m))
	switch {
	case m.Request != nil && m.Request.TerminalCapabilitySet != nil:
		h.gotTCS, h.tcsSeq = true, m.Request.TerminalCapabilitySet.SequenceNumber
	case m.Request != nil && m.Request.MasterSlaveDetermination != nil:
		h.gotMSD = true
	case m.Response != nil && m.Response.TerminalCapabilitySetAck != nil:
		h.gotTCSAck = true
	case m.Response != nil && m.Response.MasterSlaveDeterminationAck != nil:
		h.gotMSDAck = true
		h.weAreSlave = m.Response.MasterSlaveDeterminationAck.Decision.Slave != nil
	case m.Request != nil && m.Request.OpenLogicalChannel != nil:
		h.gwOLC = m.Request.OpenLogicalChannel
		ack := findPDU(t, h.caps, "openLogicalChannelAck")
		a := *ack.Response.OpenLogicalChannelAck
		a.ForwardLogicalChannelNumber = h.gwOLC.ForwardLogicalChannelNumber
		p := *a.ForwardMultiplexAckParameters.H2250LogicalChannelAckParameters
		p.MediaChannel, p.MediaControlChannel = h245Addr(t, h.rtp), h245Addr(t, h.rtcp)
		no := false
		p.FlowControlToZero = &no // the 310i's Ack says true: the gateway would rightly stay silent
		fmp := *a.ForwardMultiplexAckParameters
		fmp.H2250LogicalChannelAckParameters = &p
		a.ForwardMultiplexAckParameters = &fmp
		h.p.send(&h245.MultimediaSystemControlMessage{Response: &h245.ResponseMessage{OpenLogicalChannelAck: &a}})
		h.gwOLCAcked = true
	case m.Response != nil && m.Response.OpenLogicalChannelAck != nil:
		h.gwAck = m.Response.OpenLogicalChannelAck
	case m.Request != nil && m.Request.RoundTripDelayRequest != nil:
		h.p.send(&h245.MultimediaSystemControlMessage{Response: &h245.ResponseMessage{
			RoundTripDelayResponse: &h245.RoundTripDelayResponse{SequenceNumber: m.Request.RoundTripDelayRequest.SequenceNumber}}})
	}
	if h.gotTCS && h.gotMSD && !h.acked {
		// The capture's Acks, renumbered to the gateway's TCS and with the decision
		// that matches the one the gateway told us.
		tcsAck := *findPDU(t, h.caps, "terminalCapabilitySetAck").Response.TerminalCapabilitySetAck
		tcsAck.SequenceNumber = h.tcsSeq
		h.p.send(&h245.MultimediaSystemControlMessage{Response: &h245.ResponseMessage{TerminalCapabilitySetAck: &tcsAck}})
		if h.gotMSDAck {
			msdAck := *findPDU(t, h.caps, "masterSlaveDeterminationAck").Response.MasterSlaveDeterminationAck
			msdAck.Decision = h245.MasterSlaveDeterminationAckDecision{}
			if h.weAreSlave {
				msdAck.Decision.Master = &struct{}{}
			} else {
				msdAck.Decision.Slave = &struct{}{}
			}
			h.p.send(&h245.MultimediaSystemControlMessage{Response: &h245.ResponseMessage{MasterSlaveDeterminationAck: &msdAck}})
			h.acked = true
		}
	}
	return true
}

// sendOLC sends the capture side's OpenLogicalChannel with its RTCP address
// rewritten to the peer's.
func (h *h245Session) sendOLC() h245.LogicalChannelNumber {
	o := *findPDU(h.t, h.caps, "openLogicalChannel").Request.OpenLogicalChannel
	f := o.ForwardLogicalChannelParameters
	mp := *f.MultiplexParameters.H2250LogicalChannelParameters
	mp.MediaControlChannel = h245Addr(h.t, h.rtcp)
	f.MultiplexParameters.H2250LogicalChannelParameters = &mp
	o.ForwardLogicalChannelParameters = f
	h.p.send(&h245.MultimediaSystemControlMessage{Request: &h245.RequestMessage{OpenLogicalChannel: &o}})
	return o.ForwardLogicalChannelNumber
}

// play sends the capture side's first two PDUs (its TCS and MSD) byte for byte,
// then answers the gateway (step) and opens the capture side's channel once the
// capability exchange and master/slave determination are through, until both
// audio channels are open. It returns the peer's channel number.
func (h *h245Session) play(raw [][]byte) h245.LogicalChannelNumber {
	t := h.t
	t.Helper()
	for i, want := range []string{"terminalCapabilitySet", "masterSlaveDetermination"} {
		if n := pduName(h.caps[i]); n != want {
			t.Fatalf("capture H.245 %d is %s, want %s", i, n, want)
		}
		if err := tpkt.WriteFrame(h.p.c, raw[i]); err != nil {
			t.Fatal(err)
		}
	}
	var ch h245.LogicalChannelNumber
	for h.gwAck == nil || !h.gwOLCAcked {
		if !h.step() {
			t.Fatalf("H.245 ended; the gateway sent %v", h.seen)
		}
		if h.acked && ch == 0 {
			ch = h.sendOLC()
		}
	}
	for _, want := range []string{"terminalCapabilitySet", "masterSlaveDetermination", "terminalCapabilitySetAck", "masterSlaveDeterminationAck", "openLogicalChannel", "openLogicalChannelAck"} {
		if !slices.Contains(h.seen, want) {
			t.Errorf("the gateway sent %v, lacks %s", h.seen, want)
		}
	}
	if dt := h.gwOLC.ForwardLogicalChannelParameters.DataType; dt.AudioData == nil || dt.AudioData.G711Alaw64k == nil {
		t.Errorf("the gateway's channel: %+v, want G.711 A-law (all the capture's sides offer)", dt)
	}
	if h.gwAck.ForwardLogicalChannelNumber != ch {
		t.Errorf("the gateway acked channel %d, want %d", h.gwAck.ForwardLogicalChannelNumber, ch)
	}
	return ch
}

// mediaAddr is the RTP address of an OLC Ack.
func mediaAddr(a *h245.OpenLogicalChannelAck) (netip.AddrPort, error) {
	if a.ForwardMultiplexAckParameters == nil || a.ForwardMultiplexAckParameters.H2250LogicalChannelAckParameters == nil ||
		a.ForwardMultiplexAckParameters.H2250LogicalChannelAckParameters.MediaChannel == nil {
		return netip.AddrPort{}, errors.New("no mediaChannel")
	}
	return a.ForwardMultiplexAckParameters.H2250LogicalChannelAckParameters.MediaChannel.AddrPort()
}

// exchangeRTP sends G.711 A-law RTP from the peer's socket to the gateway and
// returns the first n packets the gateway sends back, with where they came from.
func exchangeRTP(t testing.TB, c *net.UDPConn, to netip.AddrPort, n int) ([]rtp.Packet, netip.AddrPort) {
	t.Helper()
	var got []rtp.Packet
	var from netip.AddrPort
	buf := make([]byte, 1500)
	payload := make([]byte, 160)
	for i := range payload {
		payload[i] = 0xd5 // A-law silence
	}
	for seq := uint16(1); len(got) < n; seq++ {
		if seq > 500 {
			t.Fatalf("the gateway sent %d RTP packets in 500 exchanges, want %d", len(got), n)
		}
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 8, SequenceNumber: seq, Timestamp: uint32(seq) * 160, SSRC: 0x310}, Payload: payload}
		b, _ := p.Marshal()
		if _, err := c.WriteToUDPAddrPort(b, to); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		for {
			k, src, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				break
			}
			var q rtp.Packet
			if q.Unmarshal(buf[:k]) == nil {
				got, from = append(got, q), src
			}
		}
	}
	return got, from
}

// dialIn is a dial-in played with Callgen323's bytes up to running media.
type dialIn struct {
	g          *testGateway
	base       int // goroutines before the call
	frames     map[string][][]byte
	peer       *sigPeer
	h245To     netip.AddrPort // the h245Address of the gateway's Connect
	hc         net.Conn       // the separate H.245 connection
	hs         *h245Session
	rtpC       *net.UDPConn
	gwRTP      netip.AddrPort // where the gateway receives the peer's audio
	peerChan   h245.LogicalChannelNumber
	answers    []*h225.H323UserInformation // CallProceeding, Alerting, Connect
	answerRefs []q931.CallReference
}

// startDialIn starts a gateway and calls dest with Callgen323's Setup
// (answerCallgen).
func startDialIn(t testing.TB, dest string) *dialIn {
	t.Helper()
	frames := captureFrames(t, captureName)
	g := startH323Gateway(t, nil)
	base := runtime.NumGoroutine()
	d := answerCallgen(t, g, frames, dest)
	d.g, d.base, d.frames = g, base, frames
	return d
}

// answerCallgen sends Callgen323's Setup to dest and reads the gateway's
// CallProceeding, Alerting and Connect.
func answerCallgen(t testing.TB, g *testGateway, frames map[string][][]byte, dest string) *dialIn {
	t.Helper()
	d := &dialIn{peer: dialSig(t, g.addr())}
	d.peer.send(callerSetup(t, frames, dest, g.addr(), d.peer.c.LocalAddr().(*net.TCPAddr).AddrPort()))
	for _, want := range []q931.MessageType{q931.CallProceeding, q931.Alerting, q931.Connect} {
		m, ui := d.peer.expect(want)
		if ui == nil {
			t.Fatalf("%v without user information", want)
		}
		d.answers, d.answerRefs = append(d.answers, ui), append(d.answerRefs, m.CallRef)
		if c := ui.H323UuPdu.H323MessageBody.Connect; c != nil {
			if len(c.FastStart) != 0 || c.H245Address == nil {
				t.Fatalf("Connect: fastStart %d, h245Address %v", len(c.FastStart), c.H245Address)
			}
			var err error
			if d.h245To, err = c.H245Address.AddrPort(); err != nil || d.h245To.Addr() != g.addr().Addr() {
				t.Fatalf("Connect h245Address %v %v", d.h245To, err)
			}
		}
	}
	return d
}

// openMedia plays Callgen323's H.245 on the h245Address: its real TCS and MSD
// byte for byte, then Acks and its OLC rewritten, until both audio channels are
// open.
func (d *dialIn) openMedia(t testing.TB) {
	frames := d.frames
	t.Helper()
	hc, err := net.Dial("tcp", d.h245To.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hc.Close() })
	d.hc = hc
	d.rtpC = udpPeer(t)
	rtcpC := udpPeer(t)
	d.hs = &h245Session{t: t, p: &h245Peer{t: t, c: hc}, caps: h245Frames(t, frames[capCallerH245]), rtp: udpAddr(d.rtpC), rtcp: udpAddr(rtcpC)}
	d.peerChan = d.hs.play(frames[capCallerH245])
	if d.gwRTP, err = mediaAddr(d.hs.gwAck); err != nil {
		t.Fatalf("the gateway's OLC Ack: %v", err)
	}
}

// TestH323ReplayCallgen323DialIn replays the calling side of the capture's call
// (Callgen323/OpenH323: H.225.0 v4, no fastStart, no tunnelling, separate H.245)
// against the gateway: its real Setup, then its real TCS and MSD and its
// OpenLogicalChannel, with addresses and the dialled meeting rewritten.
func TestH323ReplayCallgen323DialIn(t *testing.T) {
	d := startDialIn(t, meetOpen)
	g := d.g
	for i, ui := range d.answers {
		if r := d.answerRefs[i]; !r.Flag || r.Value != 0x77f4 {
			t.Errorf("answer %d: call reference %+v, want 0x77f4 from the destination side", i, r)
		}
		if tun := ui.H323UuPdu.H245Tunnelling; tun != nil && *tun {
			t.Errorf("answer %d: h245Tunnelling true to a caller that does not tunnel", i)
		}
	}
	if j, n := g.meet.lastJoin(); n != 1 || j.MeetingID != meetOpen || j.Kind != "h323" || j.Product != "Callgen323 pogacsam" {
		t.Errorf("admission %d: %+v", n, j)
	}
	d.openMedia(t)
	if !d.hs.weAreSlave {
		t.Error("the gateway (an MCU) did not make Callgen323 (a terminal) slave")
	}
	gwRTP := d.gwRTP
	if gwRTP.Addr() != netip.MustParseAddr("127.0.0.1") || int(gwRTP.Port()) < h323PortBase || int(gwRTP.Port()) > h323PortBase+399 {
		t.Fatalf("the gateway's RTP address %v, want 127.0.0.1 in %d–%d", gwRTP, h323PortBase, h323PortBase+399)
	}
	if g.portsInUse() != 4 {
		t.Errorf("%d port pairs in use, want the call's four (audio, main video, content, BFCP)", g.portsInUse())
	}

	// The waiting-room prompt comes back as A-law from the port the gateway receives on.
	pkts, from := exchangeRTP(t, d.rtpC, gwRTP, 5)
	if from != gwRTP || pkts[0].PayloadType != 8 || len(pkts[0].Payload) == 0 {
		t.Errorf("gateway RTP from %v, PT %d, %d octets; want from %v, PT 8", from, pkts[0].PayloadType, len(pkts[0].Payload), gwRTP)
	}

	releaseFromPeer(t, d)
	g.settled(t, d.base)
}
