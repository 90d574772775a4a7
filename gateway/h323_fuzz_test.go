package gateway

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"reflect"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomgate/roomgate/configs"
	"github.com/roomgate/roomgate/h323/control"
	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/q931"
	"github.com/roomgate/roomgate/h323/tpkt"
	"github.com/roomgate/roomgate/transcode/media"
)

// FuzzH323Call feeds arbitrary Q.931 and H.245 sequences into a live dial-in: a
// valid Setup to a meeting (the input's first octet picks Callgen323's Setup with
// separate H.245, a tunnelling Setup, or a tunnelling Setup with fastStart), then
// chunks, each one octet of kind and a two-octet length:
//
//	kind%4 == 0  a Q.931 message, TPKT-framed, on the call signalling connection
//	kind%4 == 1  an H.245 PDU tunnelled in a Facility
//	kind%4 == 2  an H.245 PDU on the separate H.245 connection
//	kind%4 == 3  raw octets on the call signalling connection
//
// After each input the call is released; the gateway must not panic, and its
// goroutines, calls and media ports return to what they were.
//
// Every address in what the fuzzer sends is confined to sinks on 127.0.0.1
// (confine) so that the gateway, which sends media where H.245 says, reaches
// nothing else.
func FuzzH323Call(f *testing.F) {
	frames := captureFrames(f, captureName)
	chunk := func(kind byte, b []byte) []byte {
		return append([]byte{kind, byte(len(b) >> 8), byte(len(b))}, b...)
	}
	seq := func(variant byte, kind byte, pdus [][]byte) []byte {
		in := []byte{variant}
		for _, p := range pdus {
			in = append(in, chunk(kind, p)...)
		}
		return in
	}
	caller, callee := frames[capCallerH245], frames[capCalleeH245]
	f.Add(seq(0, 2, caller))
	f.Add(seq(0, 2, callee))
	f.Add(seq(1, 1, caller))
	f.Add(seq(2, 1, callee))
	f.Add(seq(2, 2, caller)) // separate H.245 nobody opened
	// The capture's other Q.931: the 310i's answers (the wrong direction), the
	// second call's Setup and the third's malformed one, mid-call.
	var q [][]byte
	for k, fr := range frames {
		if strings.HasSuffix(k, ":1720") || strings.Contains(k, ":1720>") {
			q = append(q, fr...)
		}
	}
	f.Add(seq(0, 0, q))
	f.Add(seq(1, 3, q))
	si, _ := q931.NewStatusInquiry(q931.NewCallReference(0x77f4, false))
	sib, _ := si.Marshal()
	info, _ := q931.NewInformation(q931.NewCallReference(0x77f4, false), nil, q931.Keypad{Digits: "123#"})
	infob, _ := info.Marshal()
	f.Add(seq(1, 0, [][]byte{sib, infob}))

	g := startH323Gateway(f, func(c *configs.Config) {
		c.H323.Limits.MessagesPerSecond, c.H323.Limits.Burst = 1e6, 1e6
	})
	sinks := newFuzzSinks(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		base := runtime.NumGoroutine()
		playFuzzCall(t, g, frames, sinks, in)
		g.settled(t, base)
	})
}

// fuzzSinks are where confined addresses point: a TCP listener and a UDP socket
// that read and discard.
type fuzzSinks struct {
	tcp, udp netip.AddrPort
}

func newFuzzSinks(t testing.TB) *fuzzSinks {
	ln := listenTCP(t)
	u := udpPeer(t)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { _, _ = io.Copy(io.Discard, c); c.Close() })
		}
	})
	wg.Go(func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := u.ReadFromUDPAddrPort(buf); err != nil {
				return
			}
		}
	})
	t.Cleanup(func() { ln.Close(); u.Close(); wg.Wait() })
	return &fuzzSinks{tcp: ln.Addr().(*net.TCPAddr).AddrPort(), udp: udpAddr(u)}
}

// playFuzzCall runs one input: Setup, the gateway's answers up to Connect, the
// chunks, then ReleaseComplete and both connections closed.
func playFuzzCall(t *testing.T, g *testGateway, frames map[string][][]byte, sinks *fuzzSinks, in []byte) {
	conn, err := net.Dial("tcp", g.addr().String())
	if err != nil {
		t.Fatal(err)
	}
	var readers sync.WaitGroup
	var hc net.Conn
	defer func() {
		conn.Close()
		if hc != nil {
			hc.Close()
		}
		readers.Wait()
	}()
	peer := &sigPeer{t: t, c: conn}
	from := conn.LocalAddr().(*net.TCPAddr).AddrPort()
	variant := in[0] % 3
	crv := uint16(0x77f4)
	call := h225.Call{CallID: make(h225.GloballyUniqueID, 16), ConferenceID: make(h225.GloballyUniqueID, 16), Tunnelling: true}
	call.CallID[0], call.ConferenceID[0] = 1, 1
	var setup *q931.Message
	switch variant {
	case 0:
		setup = callerSetup(t, frames, meetOpen, g.addr(), from)
	default:
		var fs [][]byte
		if variant == 2 {
			fs, err = control.ProposeFastStart(control.DefaultCaps(), media.Local{Addr: sinks.udp.Addr(),
				Ports: map[media.Role]int{media.RoleAudio: int(sinks.udp.Port()), media.RoleMain: int(sinks.udp.Port())}})
			if err != nil {
				t.Fatal(err)
			}
		}
		dst, _ := h225.DialledDigitsAlias(meetOpen)
		ui := call.Setup(nil, []h225.AliasAddress{dst}, nil, nil, fs)
		uu, err := ui.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if setup, err = q931.NewSetup(q931.NewCallReference(crv, false), uu); err != nil {
			t.Fatal(err)
		}
	}
	peer.send(setup)
	// The answers up to Connect (the call is admitted into the waiting room).
	var h245To netip.AddrPort
	for {
		m, ui := peer.next()
		if m == nil {
			t.Fatal("no Connect")
		}
		if m.Type == q931.ReleaseComplete {
			cause, _ := m.Cause()
			t.Fatalf("valid Setup refused, cause %d", cause.Value)
		}
		if m.Type != q931.Connect {
			continue
		}
		if ui != nil && ui.H323UuPdu.H323MessageBody.Connect.H245Address != nil {
			h245To, _ = ui.H323UuPdu.H323MessageBody.Connect.H245Address.AddrPort()
		}
		break
	}
	readers.Go(func() { _, _ = io.Copy(io.Discard, conn) })
	// The gateway may have hung up (a write error is no failure), but it must go on
	// reading while the call lasts: a write that blocks for 10 s is.
	write := func(c net.Conn, b []byte) {
		_ = c.SetWriteDeadline(time.Now().Add(10 * time.Second))
		_, err := c.Write(b)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			var dump strings.Builder
			_ = pprof.Lookup("goroutine").WriteTo(&dump, 1)
			t.Fatalf("the gateway stopped reading %v\n%s", c.RemoteAddr(), dump.String())
		}
	}
	frame := func(b []byte) []byte {
		out := make([]byte, 4, 4+len(b))
		out[0], out[3] = 3, 0
		binary.BigEndian.PutUint16(out[2:], uint16(min(len(b)+4, 0xffff)))
		return append(out, b...)
	}
	rest := in[1:]
	for n := 0; len(rest) >= 3 && n < 32; n++ {
		kind, l := rest[0]%4, int(binary.BigEndian.Uint16(rest[1:3]))
		rest = rest[3:]
		l = min(l, len(rest), 0xffff-4)
		p := rest[:l]
		rest = rest[l:]
		switch kind {
		case 0:
			write(conn, frame(confineQ931(p, sinks)))
		case 1:
			ui := call.Facility(h225.FacilityReason{UndefinedReason: &struct{}{}})
			ui.H323UuPdu.H245Control = [][]byte{confineH245(p, sinks)}
			uu, err := ui.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			fac, err := q931.NewFacility(q931.NewCallReference(crv, false), uu)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := fac.Marshal()
			write(conn, frame(b))
		case 2:
			if hc == nil && h245To.IsValid() {
				if hc, err = net.DialTimeout("tcp", h245To.String(), time.Second); err == nil {
					c := hc
					readers.Go(func() { _, _ = io.Copy(io.Discard, c) })
				} else {
					hc = nil
				}
			}
			if hc != nil {
				write(hc, frame(confineH245(p, sinks)))
			}
		case 3:
			write(conn, p)
		}
	}
	rc, _ := q931.NewReleaseComplete(q931.NewCallReference(crv, false), q931.CauseNormalClearing, nil)
	b, _ := rc.Marshal()
	_ = tpkt.WriteFrame(conn, b)
}

// confineQ931 rewrites the addresses in a Q.931 message's H.225.0 user
// information (and the H.245 in its fastStart and h245Control) to the sinks;
// what does not decode goes as it is (the gateway cannot read it either).
func confineQ931(b []byte, sinks *fuzzSinks) []byte {
	var m q931.Message
	if _, err := m.Unmarshal(b); err != nil {
		return b
	}
	uu, err := m.UserUser()
	if err != nil {
		return b
	}
	var ui h225.H323UserInformation
	if ui.Unmarshal(uu.Data) != nil {
		return b
	}
	confine(reflect.ValueOf(&ui), sinks)
	for _, lists := range []*[][]byte{&ui.H323UuPdu.H245Control, fastStartOf(&ui)} {
		if lists == nil {
			continue
		}
		for i, p := range *lists {
			if lists == &ui.H323UuPdu.H245Control {
				(*lists)[i] = confineH245(p, sinks)
				continue
			}
			var olc h245.OpenLogicalChannel
			if olc.Unmarshal(p) == nil {
				confine(reflect.ValueOf(&olc), sinks)
				if nb, err := olc.Marshal(); err == nil {
					(*lists)[i] = nb
				}
			}
		}
	}
	nb, err := ui.Marshal()
	if err != nil {
		return b
	}
	if m.Set(q931.UserUser{Protocol: uu.Protocol, Data: nb}) != nil {
		return b
	}
	out, err := m.Marshal()
	if err != nil {
		return b
	}
	return out
}

// fastStartOf is the fastStart list of whichever message carries one.
func fastStartOf(ui *h225.H323UserInformation) *[][]byte {
	body := &ui.H323UuPdu.H323MessageBody
	switch {
	case body.Setup != nil:
		return &body.Setup.FastStart
	case body.CallProceeding != nil:
		return &body.CallProceeding.FastStart
	case body.Alerting != nil:
		return &body.Alerting.FastStart
	case body.Connect != nil:
		return &body.Connect.FastStart
	case body.Facility != nil:
		return &body.Facility.FastStart
	case body.Progress != nil:
		return &body.Progress.FastStart
	}
	return nil
}

func confineH245(b []byte, sinks *fuzzSinks) []byte {
	var m h245.MultimediaSystemControlMessage
	if m.Unmarshal(b) != nil {
		return b
	}
	confine(reflect.ValueOf(&m), sinks)
	nb, err := m.Marshal()
	if err != nil {
		return b
	}
	return nb
}

// addrTypes are the generated address structs: network and port field names.
var addrTypes = map[string][2]string{
	"TransportAddressIpAddress":          {"Ip", "Port"},
	"TransportAddressIp6Address":         {"Ip", "Port"},
	"TransportAddressIpSourceRoute":      {"Ip", "Port"},
	"UnicastAddressIPAddress":            {"Network", "TsapIdentifier"},
	"UnicastAddressIP6Address":           {"Network", "TsapIdentifier"},
	"UnicastAddressIPSourceRouteAddress": {"Network", "TsapIdentifier"},
	"MulticastAddressIPAddress":          {"Network", "TsapIdentifier"},
	"MulticastAddressIP6Address":         {"Network", "TsapIdentifier"},
}

// confine points every IP address in v at a sink: H.225.0 ones (call
// signalling, H.245) at the TCP sink, H.245 ones (media) at the UDP sink.
func confine(v reflect.Value, sinks *fuzzSinks) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			confine(v.Elem(), sinks)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return
		}
		for i := range v.Len() {
			confine(v.Index(i), sinks)
		}
	case reflect.Struct:
		if f, ok := addrTypes[v.Type().Name()]; ok && v.CanSet() {
			sink := sinks.udp
			if strings.HasSuffix(v.Type().PkgPath(), "h225") {
				sink = sinks.tcp
			}
			ip := sink.Addr().AsSlice()
			if v.FieldByName(f[0]).Len() == 16 {
				a := netip.AddrFrom16(netip.AddrFrom4(sink.Addr().As4()).As16())
				ip = a.AsSlice()
			}
			v.FieldByName(f[0]).SetBytes(ip)
			v.FieldByName(f[1]).SetInt(int64(sink.Port()))
			if r := v.FieldByName("Route"); r.IsValid() {
				r.Set(reflect.Zero(r.Type()))
			}
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				confine(v.Field(i), sinks)
			}
		}
	}
}
