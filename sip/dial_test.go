package sip

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// A request over TCP whose connection is gone by the time it is answered must not make
// the gateway connect to the host its Via names (anybody could name any host): the
// answer is dropped, nothing connects to that address, and the refusal is counted.
func TestNoConnectionToViaHost(t *testing.T) {
	victim, err := net.Listen("tcp", "127.0.0.77:0")
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close()
	connected := make(chan struct{}, 1)
	go func() {
		if c, err := victim.Accept(); err == nil {
			c.Close()
			connected <- struct{}{}
		}
	}()
	s := startService(t, Config{}, HandlerFunc(func(_ context.Context, c *InboundCall) {
		time.Sleep(300 * time.Millisecond) // the caller has gone by then
		_ = c.Reject(486, "Busy Here")
	}))
	conn, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	msg := strings.ReplaceAll(fmt.Sprintf(`INVITE sip:123456789@127.0.0.1 SIP/2.0
Via: SIP/2.0/TCP %s;branch=z9hG4bK-via-dial
From: <sip:room@127.0.0.1>;tag=vd
To: <sip:123456789@127.0.0.1>
Call-ID: via-dial
CSeq: 1 INVITE
Max-Forwards: 70
Contact: <sip:room@%s;transport=tcp>
Content-Length: 0

`, victim.Addr(), victim.Addr()), "\n", "\r\n")
	if _, err := conn.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	select {
	case <-connected:
		t.Fatal("the gateway connected to the address a request's Via named")
	case <-time.After(2 * time.Second):
	}
	t.Logf("connections refused: %d", s.Stats().DialsRefused)
}
