package bfcp

import (
	"net"
	"testing"
	"time"
)

// A response with the client's transaction ID but another conference or user is
// not the client's answer (RFC 8855 §8): the client waits for its own.
func TestClientMatchesConferenceAndUser(t *testing.T) {
	srv, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := net.Dial("udp", srv.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	cl := NewClient(c, ClientConfig{ConferenceID: testConf, UserID: testUser, T1: time.Second})
	defer cl.Close()
	done := make(chan error, 1)
	go func() { _, _, err := cl.Hello(guard(t)); done <- err }()

	buf := make([]byte, 1500)
	n, from, err := srv.ReadFromUDP(buf)
	if err != nil {
		t.Fatal(err)
	}
	var hello Message
	if _, err := hello.Unmarshal(buf[:n]); err != nil || hello.Primitive != Hello {
		t.Fatalf("client sent %v %v, want Hello", hello.Primitive, err)
	}
	answer := func(conf uint32, user uint16) {
		m := Message{Header: Header{Version: hello.Version, Responder: true, Primitive: HelloAck, ConferenceID: conf,
			TransactionID: hello.TransactionID, UserID: user},
			Attributes: []Attribute{NewSupportedPrimitives(supportedPrimitives()), NewSupportedAttributes(supportedAttributes())}}
		b, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := srv.WriteToUDP(b, from); err != nil {
			t.Fatal(err)
		}
	}
	answer(testConf+1, testUser) // another conference
	answer(testConf, testUser+1) // another user
	select {
	case err := <-done:
		t.Fatalf("Hello ended (%v) on another conference's or user's HelloAck", err)
	case <-time.After(100 * time.Millisecond):
	}
	answer(testConf, testUser)
	if err := <-done; err != nil {
		t.Fatalf("Hello: %v", err)
	}
}
