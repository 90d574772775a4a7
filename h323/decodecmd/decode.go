package decodecmd

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/roomgate/roomgate/h323/q931"
)

// Well-known H.323 ports (H.225.0 §7.1 / Annex, IANA): RAS discovery and
// RAS on UDP, call signalling on TCP.
const (
	portRASDiscovery = 1718
	portRAS          = 1719
	portCallSignal   = 1720
)

// decoder walks a capture and prints every H.323 message in it.
type decoder struct {
	dec     Decoders
	out     *writer
	streams map[flowKey]*halfStream
}

func newDecoder(d Decoders, out *writer) *decoder {
	return &decoder{dec: d, out: out, streams: make(map[flowKey]*halfStream)}
}

// run reads all packets of src; frame numbers count from 1 like tshark.
func (d *decoder) run(src packetSource) error {
	for frame := 1; ; frame++ {
		data, lt, err := src.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("frame %d: %w", frame, err)
		}
		if err := d.packet(frame, data, lt); err != nil {
			return err
		}
	}
}

// packet decodes the link, network and transport layers of one frame.
// Frames that are not IPv4/IPv6 TCP or UDP are skipped, as are IP
// fragments (H.323 signalling is not normally fragmented).
func (d *decoder) packet(frame int, data []byte, lt layers.LinkType) error {
	first, err := firstDecoder(lt, data)
	if err != nil {
		return err
	}
	pkt := gopacket.NewPacket(data, first, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
	var src, dst netip.Addr
	switch ip := pkt.NetworkLayer().(type) {
	case *layers.IPv4:
		if ip.Flags&layers.IPv4MoreFragments != 0 || ip.FragOffset != 0 {
			return nil
		}
		src, _ = netip.AddrFromSlice(ip.SrcIP)
		dst, _ = netip.AddrFromSlice(ip.DstIP)
	case *layers.IPv6:
		src, _ = netip.AddrFromSlice(ip.SrcIP)
		dst, _ = netip.AddrFromSlice(ip.DstIP)
	default:
		return nil
	}
	switch tl := pkt.TransportLayer().(type) {
	case *layers.TCP:
		key := flowKey{netip.AddrPortFrom(src, uint16(tl.SrcPort)), netip.AddrPortFrom(dst, uint16(tl.DstPort))}
		return d.tcp(frame, key, tl)
	case *layers.UDP:
		key := flowKey{netip.AddrPortFrom(src, uint16(tl.SrcPort)), netip.AddrPortFrom(dst, uint16(tl.DstPort))}
		return d.udp(frame, key, tl.Payload)
	}
	return nil
}

func isRASPort(p uint16) bool { return p == portRASDiscovery || p == portRAS }

func (d *decoder) udp(frame int, key flowKey, payload []byte) error {
	if len(payload) == 0 || !(isRASPort(key.src.Port()) || isRASPort(key.dst.Port())) {
		return nil
	}
	r := record{Frame: frame, Protocol: protoRAS, Src: key.src.String(), Dst: key.dst.String()}
	checked, ok := decodePDU(&r, d.dec.RAS, payload)
	return d.out.emit(r, checked, ok)
}

func (d *decoder) tcp(frame int, key flowKey, tl *layers.TCP) error {
	h := d.streams[key]
	if h == nil {
		h = &halfStream{}
		d.streams[key] = h
	}
	seq := tl.Seq
	if tl.SYN {
		h.syn(tl.Seq)
		seq++
	}
	if !h.add(seq, tl.Payload) {
		return nil
	}
	payloads, ferr := h.frames()
	for _, p := range payloads {
		if len(p) == 0 {
			continue // empty TPKT: H.323 keep-alive, nothing to print
		}
		if h.kind == "" {
			h.kind = classify(key, p)
		}
		var err error
		if h.kind == protoQ931 {
			err = d.q931(frame, key, p)
		} else {
			r := record{Frame: frame, Protocol: protoH245, Src: key.src.String(), Dst: key.dst.String()}
			checked, ok := decodePDU(&r, d.dec.H245, p)
			err = d.out.emit(r, checked, ok)
		}
		if err != nil {
			return err
		}
	}
	if ferr != nil {
		r := record{Frame: frame, Protocol: protoTPKT, Src: key.src.String(), Dst: key.dst.String(),
			Error: fmt.Sprintf("stream lost TPKT framing: %v", ferr)}
		return d.out.emit(r, true, false)
	}
	return nil
}

// classify decides from the first TPKT payload of a direction whether it
// is a call signalling channel (Q.931) or an H.245 channel: port 1720, or
// a payload that parses as a Q.931 message of a known type. H.245 uses
// dynamic ports, so everything else TPKT-framed is taken as H.245.
func classify(key flowKey, p []byte) string {
	if key.src.Port() == portCallSignal || key.dst.Port() == portCallSignal {
		return protoQ931
	}
	var m q931.Message
	if _, err := m.Unmarshal(p); err == nil && m.Type.Known() {
		return protoQ931
	}
	return protoH245
}

// q931 prints one call signalling message and what it carries.
func (d *decoder) q931(frame int, key flowKey, p []byte) error {
	r := record{Frame: frame, Protocol: protoQ931, Src: key.src.String(), Dst: key.dst.String()}
	var m q931.Message
	if _, err := m.Unmarshal(p); err != nil {
		r.Error = err.Error()
		r.Body = hexBody{hex.EncodeToString(p)}
		return d.out.emit(r, true, false)
	}
	r.Message = lowerFirst(m.Type.String())
	body, elemErr := viewQ931(&m)
	r.Body = &body
	out, err := m.Marshal()
	ok := err == nil && bytes.Equal(out, p)
	if elemErr != nil {
		r.Error = elemErr.Error()
	}
	var embedded []Embedded
	if uu, err := m.UserUser(); err == nil && uu.Protocol == q931.UserUserProtocolX208 && d.dec.UserInfo != nil {
		name, ui, reencode, err := d.dec.UserInfo(uu.Data)
		switch {
		case err != nil:
			r.Error = fmt.Sprintf("h323UserInformation: %v", err)
		default:
			if name != "" {
				r.Message = name
			}
			body.UserInformation = ui
			ok = sameEncoding(reencode, uu.Data, &r) && ok
			if d.dec.Embedded != nil {
				embedded = d.dec.Embedded(ui)
			}
		}
	}
	if err := d.out.emit(r, true, ok); err != nil {
		return err
	}
	for _, e := range embedded {
		er := record{Frame: frame, Protocol: e.Protocol, Via: e.Via, Src: r.Src, Dst: r.Dst, Message: e.Name, Body: e.Body}
		if er.Protocol == "" {
			er.Protocol = protoH245
		}
		eok := false
		if e.Err != nil {
			er.Error = e.Err.Error()
			er.Body = hexBody{hex.EncodeToString(e.Raw)}
		} else {
			eok = sameEncoding(e.Reencode, e.Raw, &er)
		}
		if err := d.out.emit(er, true, eok); err != nil {
			return err
		}
	}
	return nil
}
