package h323

import (
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/roomgate/roomgate/h323/capture"
	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/q931"
	"github.com/roomgate/roomgate/h323/tpkt"
)

// rawPeer is a hand-driven TCP peer for hostile and replay tests.
type rawPeer struct {
	t testing.TB
	c net.Conn
}

func dialRaw(t testing.TB, addr netip.AddrPort) *rawPeer {
	t.Helper()
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawPeer{t: t, c: c}
}

func (p *rawPeer) write(b []byte) {
	p.t.Helper()
	if _, err := p.c.Write(b); err != nil {
		p.t.Fatal(err)
	}
}

func (p *rawPeer) send(m *q931.Message) {
	p.t.Helper()
	b, err := m.Marshal()
	if err != nil {
		p.t.Fatal(err)
	}
	if err := tpkt.WriteFrame(p.c, b); err != nil {
		p.t.Fatal(err)
	}
}

// next reads the next Q.931 message (nil at EOF or after a long wait).
func (p *rawPeer) next() (*q931.Message, *h225.H323UserInformation) {
	p.t.Helper()
	p.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		b, err := tpkt.ReadFrame(p.c, 0)
		if err != nil {
			return nil, nil
		}
		if len(b) == 0 {
			continue
		}
		var m q931.Message
		if _, err := m.Unmarshal(b); err != nil {
			p.t.Fatalf("our message does not decode: %v", err)
		}
		uu, err := m.UserUser()
		if err != nil {
			return &m, nil
		}
		var ui h225.H323UserInformation
		if err := ui.Unmarshal(uu.Data); err != nil {
			p.t.Fatalf("our user-user information does not decode: %v", err)
		}
		return &m, &ui
	}
}

// closedByPeer reports whether the service closed the connection (EOF or
// reset), waiting a long while at most.
func (p *rawPeer) closedByPeer() bool {
	p.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := io.Copy(io.Discard, p.c)
	return err == nil || !isTimeout(err)
}

// setupMessage is a Setup as a version-v peer sends it.
func setupMessage(t testing.TB, crv uint16, version uint32, tunnelling bool, fastStart [][]byte) *q931.Message {
	t.Helper()
	id, _ := h225.NewGUID()
	b := h225.Call{CallID: id, ConferenceID: id, Tunnelling: tunnelling,
		Endpoint: h225.EndpointType{Vendor: Vendor{CountryCode: 181, Manufacturer: 1, Product: "Raw", Version: "9"}.h225(), Terminal: &h225.TerminalInfo{}}}
	dst, _ := h225.DialledDigitsAlias("1234")
	ui := b.Setup(nil, []h225.AliasAddress{dst}, nil, nil, fastStart)
	ui.H323UuPdu.H323MessageBody.Setup.ProtocolIdentifier[5] = version
	uu, err := ui.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	m, err := q931.NewSetup(q931.NewCallReference(crv, false), uu, q931.Display{Text: "Raw peer"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// captureStreams returns the TCP payload octets of each direction of the flows
// in a capture, keyed "src>dst" (h323/capture).
func captureStreams(t testing.TB, path string) map[string][]byte {
	t.Helper()
	s, err := capture.Streams(path)
	if err != nil {
		t.Fatalf("%v (the shared captures are next to the repository)", err)
	}
	return s
}

// sharedCapture is the path of a capture in ../shared/captures (present in CI:
// the test fails without it).
func sharedCapture(t testing.TB, name string) string {
	t.Helper()
	p, err := capture.Shared(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
