package bfcp

import (
	"encoding/binary"
	"io"
	"testing"
	"testing/synctest"
	"time"
)

func seedStreams(f *testing.F) {
	for _, m := range catalog(Version1) {
		m.ConferenceID = testConf
		b, _ := m.Marshal()
		f.Add(append(hello(1), b...))
	}
	f.Add([]byte{0x20, 0x03, 0x00, 0x01, 0, 0, 0, 1, 0, 2, 5, 4})
}

// FuzzServerStream feeds arbitrary bytes to a live server over a stream:
// no panic, and Close leaves no goroutine behind (synctest fails the test
// if one stays blocked in the bubble).
func FuzzServerStream(f *testing.F) {
	seedStreams(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		synctest.Test(t, func(t *testing.T) {
			cfg := baseConfig()
			cfg.Floors = newFloors(func(r Request) RequestStatus { return RequestStatus(r.ID%4 + 1) })
			srv, c := pipeServer(t, cfg)
			done := make(chan struct{})
			go func() {
				_, _ = io.Copy(io.Discard, c)
				close(done)
			}()
			_, _ = c.Write(data)
			time.Sleep(time.Second)
			_ = c.Close()
			<-done
			_ = srv.Close()
		})
	})
}

// FuzzServerDatagrams feeds arbitrary datagrams (2-octet length prefixed in
// the input) to a live UDP server from two addresses.
func FuzzServerDatagrams(f *testing.F) {
	for _, v := range []uint8{Version1, Version2} {
		var in []byte
		for _, m := range catalog(v) {
			m.ConferenceID = testConf
			b, _ := m.Marshal()
			in = binary.BigEndian.AppendUint16(in, uint16(len(b)))
			in = append(in, b...)
		}
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		synctest.Test(t, func(t *testing.T) {
			var mn memNet
			cfg := baseConfig()
			cfg.Floors = newFloors(func(r Request) RequestStatus { return RequestStatus(r.ID%4 + 1) })
			srv, err := NewServer(cfg)
			if err != nil {
				t.Fatal(err)
			}
			_ = srv.ServeUDP(mn.listen("server", ""))
			peers := []*memConn{mn.listen("a", "server"), mn.listen("b", "server")}
			for i := 0; len(data) >= 2; i++ {
				n := min(int(binary.BigEndian.Uint16(data)), len(data)-2)
				_, _ = peers[i%2].Write(data[2 : 2+n])
				data = data[2+n:]
			}
			time.Sleep(time.Minute) // retransmissions run out
			_ = srv.Close()
		})
	})
}
