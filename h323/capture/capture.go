// Package capture reads the call signalling of H.323 captures (pcap/pcapng) as the
// tests and the replaying peers need it: each direction of each TCP flow as one
// byte stream (retransmissions dropped), or split into TPKT frames (RFC 1006). The
// captures of other stacks live beside the repository in ../shared/captures; Shared
// finds them from a test's working directory.
package capture

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/roomgate/roomgate/h323/tpkt"
)

// Shared is the path of a capture in ../shared/captures, next to the repository
// whose go.mod is at or above the working directory.
func Shared(name string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "..", "shared", "captures", name), nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("capture: no go.mod at or above " + dir)
		}
	}
}

// Streams returns the TCP payload octets of each direction of the flows in the
// capture at path, keyed "srcIP:port>dstIP:port", in capture order; a segment seen
// twice (same sequence number) counts once.
func Streams(path string) (map[string][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("capture %s: %w", path, err)
	}
	out := map[string][]byte{}
	seen := map[string]map[uint32]bool{}
	for {
		data, _, err := r.ReadPacketData()
		if err != nil {
			break
		}
		pkt := gopacket.NewPacket(data, r.LinkType(), gopacket.Default)
		ipl, _ := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		tcp, _ := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if ipl == nil || tcp == nil || len(tcp.Payload) == 0 {
			continue
		}
		key := net.JoinHostPort(ipl.SrcIP.String(), strconv.Itoa(int(tcp.SrcPort))) + ">" +
			net.JoinHostPort(ipl.DstIP.String(), strconv.Itoa(int(tcp.DstPort)))
		if seen[key] == nil {
			seen[key] = map[uint32]bool{}
		}
		if seen[key][tcp.Seq] {
			continue
		}
		seen[key][tcp.Seq] = true
		out[key] = append(out[key], tcp.Payload...)
	}
	return out, nil
}

// Frames is Streams split into TPKT payloads; a flow the capture cut short ends at
// its last whole frame.
func Frames(path string) (map[string][][]byte, error) {
	streams, err := Streams(path)
	if err != nil {
		return nil, err
	}
	out := map[string][][]byte{}
	for k, s := range streams {
		for rd := bytes.NewReader(s); rd.Len() > 0; {
			p, err := tpkt.ReadFrame(rd, 0)
			if err != nil {
				break
			}
			out[k] = append(out[k], p)
		}
	}
	return out, nil
}
