package siptest

import (
	"net"
	"os"
	"testing"
)

func TestOwnsPort(t *testing.T) {
	u, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	udp, tcp := u.LocalAddr().(*net.UDPAddr).Port, l.Addr().(*net.TCPAddr).Port
	me := os.Getpid()
	if !OwnsPort(me, udp) || !OwnsPort(me, tcp) {
		t.Errorf("OwnsPort(self, %d udp / %d tcp) = %v, %v, want both", udp, tcp, OwnsPort(me, udp), OwnsPort(me, tcp))
	}
	u.Close()
	l.Close()
	if OwnsPort(me, udp) || OwnsPort(me, tcp) {
		t.Errorf("ports %d and %d still owned after Close", udp, tcp)
	}
	if OwnsPort(1<<30, udp) {
		t.Error("a process that does not exist owns a port")
	}
}
