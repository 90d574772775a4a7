package main

import (
	"flag"
	"fmt"
	"strconv"
	"time"
)

// contentOptions are the SIP content (slides) flags: -content, -bfcp,
// -present-at, -present-for, -present-repeat, -present-gap, -content-dump.
type contentOptions struct {
	enabled    bool
	bfcp       string // "udp", "tcp" or "none"
	presentAt  time.Duration
	presentFor time.Duration
	repeat     int           // presentations in all (0: one)
	gap        time.Duration // from the end of one presentation to the next request
	dump       string        // file for the decodable content received (Annex B)
	video      string        // Annex B clip to present (x264 aud=1); "": generated slides
	fps        int           // content frame rate (0: contentFPS)
}

// rate is the content frame rate.
func (c contentOptions) rate() int {
	if c.fps <= 0 {
		return contentFPS
	}
	return c.fps
}

// moreFlags registers the content flags beyond the first four.
func (c *contentOptions) moreFlags() {
	flag.IntVar(&c.repeat, "present-repeat", 1, "with -content and -present-at (SIP or H.323): present this many times")
	flag.DurationVar(&c.gap, "present-gap", 5*time.Second, "with -present-repeat (SIP or H.323): wait this long after a presentation ends (released, revoked, denied) before asking again")
	flag.StringVar(&c.video, "content-video", "", "SIP with -content: present this Annex B H.264 clip (x264 aud=1) instead of the generated 320×240 slides")
	flag.IntVar(&c.fps, "content-fps", contentFPS, "SIP with -content: content frame rate")
	flag.StringVar(&c.dump, "content-dump", "", "SIP with -content: write the decodable content frames received to this file (Annex B H.264; call N>1 of -n appends .N)")
}

// dumpFile is call idx's -content-dump file ("" without).
func (c contentOptions) dumpFile(idx int) string {
	if c.dump == "" || idx <= 1 {
		return c.dump
	}
	return c.dump + "." + strconv.Itoa(idx)
}

// check reports flag combinations that cannot work.
func (c contentOptions) check() error {
	switch c.bfcp {
	case "udp", "tcp", "none":
	default:
		return fmt.Errorf("-bfcp %q: want udp, tcp or none", c.bfcp)
	}
	if !c.enabled && (c.presentAt > 0 || c.presentFor > 0) {
		return fmt.Errorf("-present-at and -present-for need -content")
	}
	if c.presentAt < 0 || c.presentFor < 0 || c.gap < 0 {
		return fmt.Errorf("-present-at, -present-for and -present-gap must not be negative")
	}
	if c.repeat < 0 {
		return fmt.Errorf("-present-repeat %d: want at least 1", c.repeat)
	}
	if !c.enabled && (c.dump != "" || c.video != "") {
		return fmt.Errorf("-content-dump and -content-video need -content")
	}
	if c.fps < 0 || c.fps > 120 {
		return fmt.Errorf("-content-fps %d: want 1–120", c.fps)
	}
	return nil
}

// contentLabel is the a=label of the content m-line, which the BFCP m-line's
// floorid refers to (RFC 8856 §5).
const contentLabel = 2

// contentSDP returns the content video m-line (H.264, a=content:slides) on
// port and, unless bfcp is "none", the BFCP m-line on bfcpPort with one floor
// for that stream. roomsim is the client (c-only); over TCP it opens the
// connection (a=setup:active, a=connection:new).
func contentSDP(port, bfcpPort int, proto, crypto, bfcp string) string {
	label := strconv.Itoa(contentLabel)
	s := "m=video " + strconv.Itoa(port) + " " + proto + " 97\r\nb=AS:2500\r\n" +
		"a=rtpmap:97 H264/90000\r\na=fmtp:97 profile-level-id=42e01f;packetization-mode=1\r\n" +
		"a=rtcp-fb:97 nack pli\r\na=rtcp-fb:97 ccm fir\r\n" + crypto +
		"a=content:slides\r\na=label:" + label + "\r\na=sendrecv\r\n"
	switch bfcp {
	case "udp":
		s += "m=application " + strconv.Itoa(bfcpPort) + " UDP/BFCP *\r\n"
	case "tcp":
		s += "m=application " + strconv.Itoa(bfcpPort) + " TCP/BFCP *\r\na=setup:active\r\na=connection:new\r\n"
	default:
		return s
	}
	return s + "a=floorctrl:c-only\r\na=bfcpver:1 2\r\na=floorid:1 mstrm:" + label + "\r\n"
}

// portsPerCall is the local port block of one SIP call: audio and video RTP
// and RTCP, then with -content the content RTP/RTCP pair and the BFCP port.
func (o options) portsPerCall() int {
	if o.content.enabled {
		return 8
	}
	return 4
}
