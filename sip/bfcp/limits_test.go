package bfcp

import (
	"bytes"
	"io"
	"net"
	"testing"
	"testing/synctest"
	"time"
)

// pipeServer serves one end of a net.Pipe inside a synctest bubble.
func pipeServer(t *testing.T, cfg Config) (*Server, net.Conn) {
	t.Helper()
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a, b := net.Pipe()
	srv.ServeConn(a)
	return srv, b
}

func baseConfig() Config {
	return Config{ConferenceID: testConf, FloorIDs: []uint16{testFloor}}
}

func hello(tid uint16) []byte {
	m := Message{Header: Header{Version: Version1, Primitive: Hello, ConferenceID: testConf, TransactionID: tid, UserID: testUser}}
	b, _ := m.Marshal()
	return b
}

// readMsg reads one message from a stream, or reports the stream's end.
func readMsg(c net.Conn) (*Message, error) {
	hdr := make([]byte, HeaderSize)
	if _, err := io.ReadFull(c, hdr); err != nil {
		return nil, err
	}
	var h Header
	if _, err := h.Unmarshal(hdr); err != nil {
		return nil, err
	}
	buf := make([]byte, h.MessageSize())
	copy(buf, hdr)
	if _, err := io.ReadFull(c, buf[HeaderSize:]); err != nil {
		return nil, err
	}
	var m Message
	_, err := m.Unmarshal(buf)
	return &m, err
}

func TestLimits(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  func(*Config)
		run  func(t *testing.T, c net.Conn)
	}{
		{"connected->no message for HandshakeTimeout->closed", nil, func(t *testing.T, c net.Conn) {
			start := time.Now()
			if _, err := readMsg(c); err == nil {
				t.Fatal("message from server")
			}
			if d := time.Since(start); d != 10*time.Second {
				t.Fatalf("closed after %v, want the 10 s handshake timeout", d)
			}
		}},
		{"Hello->silent for IdleTimeout->closed", func(c *Config) { c.IdleTimeout = time.Minute }, func(t *testing.T, c net.Conn) {
			c.Write(hello(1))
			if m, err := readMsg(c); err != nil || m.Primitive != HelloAck {
				t.Fatalf("%v %v", m, err)
			}
			start := time.Now()
			if _, err := readMsg(c); err == nil {
				t.Fatal("message from server")
			}
			if d := time.Since(start); d != time.Minute {
				t.Fatalf("closed after %v, want IdleTimeout", d)
			}
		}},
		{"Hello->quiet without IdleTimeout->kept", nil, func(t *testing.T, c net.Conn) {
			c.Write(hello(1))
			readMsg(c)
			time.Sleep(time.Hour)
			c.Write(hello(2)) // Hello answered at any time: the keep-alive
			if m, err := readMsg(c); err != nil || m.Primitive != HelloAck || m.TransactionID != 2 {
				t.Fatalf("%v %v", m, err)
			}
		}},
		{"oversized message->Error 13->closed", func(c *Config) { c.MaxMessageSize = 64 }, func(t *testing.T, c net.Conn) {
			m := Message{Header: Header{Version: Version1, Primitive: FloorRequest, ConferenceID: testConf, TransactionID: 3, UserID: testUser},
				Attributes: []Attribute{NewText(ParticipantProvidedInfo, string(bytes.Repeat([]byte("x"), 200)))}}
			b, _ := m.Marshal()
			go c.Write(b)
			e, err := readMsg(c)
			if err != nil || e.Primitive != Error || e.TransactionID != 3 {
				t.Fatalf("%v %v", e, err)
			}
			if a, _ := e.Find(ErrorCodeAttr); a == nil || a.Value[0] != byte(ErrIncorrectLength) {
				t.Fatalf("%+v", e.Attributes)
			}
			if _, err := readMsg(c); err == nil {
				t.Fatal("connection not closed")
			}
		}},
		{"bad version->Error 12->closed", nil, func(t *testing.T, c net.Conn) {
			b := hello(4)
			b[0] = 5 << 5
			c.Write(b)
			e, err := readMsg(c)
			if err != nil || e.Primitive != Error {
				t.Fatalf("%v %v", e, err)
			}
			if a, _ := e.Find(ErrorCodeAttr); a.Value[0] != byte(ErrUnsupportedVersion) {
				t.Fatalf("%+v", e.Attributes)
			}
			if _, err := readMsg(c); err == nil {
				t.Fatal("connection not closed")
			}
		}},
		{"bad attribute->Error 13->next message served", nil, func(t *testing.T, c net.Conn) {
			b := (&Message{Header: Header{Version: 1, Primitive: FloorRelease, ConferenceID: testConf, TransactionID: 5, UserID: testUser},
				Attributes: []Attribute{NewUint16(FloorRequestID, 1)}})
			raw, _ := b.Marshal()
			raw[13] = 6 // FLOOR-REQUEST-ID of length 6
			c.Write(raw)
			if e, err := readMsg(c); err != nil || e.Primitive != Error || e.TransactionID != 5 {
				t.Fatalf("%v %v", e, err)
			}
			c.Write(hello(6))
			if m, err := readMsg(c); err != nil || m.Primitive != HelloAck {
				t.Fatalf("%v %v", m, err)
			}
		}},
		{"flood->beyond Burst dropped", func(c *Config) { c.Rate = 1; c.Burst = 5 }, func(t *testing.T, c net.Conn) {
			go func() {
				for i := range 50 {
					c.Write(hello(uint16(i + 1)))
				}
			}()
			answered := 0
			for {
				c.SetReadDeadline(time.Now().Add(time.Millisecond))
				if _, err := readMsg(c); err != nil {
					break
				}
				answered++
			}
			if answered != 5 {
				t.Fatalf("%d of 50 answered, want the burst of 5", answered)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cfg := baseConfig()
				if tc.cfg != nil {
					tc.cfg(&cfg)
				}
				srv, c := pipeServer(t, cfg)
				tc.run(t, c)
				c.Close()
				srv.Close()
			})
		})
	}
}

// TestMaxConns: connections beyond Config.MaxConns are closed at once.
func TestMaxConns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := baseConfig()
		cfg.MaxConns = 2
		srv, _ := NewServer(cfg)
		defer srv.Close()
		var conns []net.Conn
		for range 3 {
			a, b := net.Pipe()
			srv.ServeConn(a)
			conns = append(conns, b)
		}
		for i, c := range conns {
			go c.Write(hello(1))
			_, err := readMsg(c)
			if (err == nil) != (i < 2) {
				t.Fatalf("connection %d: %v", i, err)
			}
			c.Close()
		}
	})
}

// TestUDPPeerLimitAndGarbage: garbage from unknown addresses creates no
// peer and gets at most rate-limited Errors; MaxConns bounds UDP peers.
func TestUDPPeerLimitAndGarbage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := baseConfig()
		cfg.MaxConns = 1
		srv, mn, _ := memServer(t, cfg)
		junk := mn.listen("junk", "server")
		for range 100 {
			junk.Write([]byte{0x40, 1, 0, 9, 0, 0, 0, 77, 0, 1, 0, 5}) // payload promised, absent
		}
		synctest.Wait()
		if n := len(junk.in); n != 40 {
			t.Fatalf("%d Errors for 100 bad datagrams, want the burst of 40", n)
		}
		srv.mu.Lock()
		peers := len(srv.peers)
		srv.mu.Unlock()
		if peers != 0 {
			t.Fatalf("%d peers from garbage", peers)
		}
		a := mn.listen("a", "server")
		b := mn.listen("b", "server")
		ca := NewClient(a, ClientConfig{ConferenceID: testConf, UserID: 1})
		defer ca.Close()
		if _, _, err := ca.Hello(t.Context()); err != nil {
			t.Fatal(err)
		}
		cb := NewClient(b, ClientConfig{ConferenceID: testConf, UserID: 2, T1: time.Millisecond, MaxRetransmits: 1})
		defer cb.Close()
		if _, _, err := cb.Hello(t.Context()); err == nil {
			t.Fatal("second UDP peer served beyond MaxConns=1")
		}
	})
}
