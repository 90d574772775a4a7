package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/roomgate/roomgate/configs"
	"github.com/roomgate/roomgate/configs/hostnet"
)

// doctor runs `roomgate doctor [FILE]`: it checks a configuration on the machine it
// runs on (issue 14 item 3) and prints what to open on the firewall. Exit 1 when a
// check fails, 2 on bad usage.
func doctor(args []string, stdout, stderr io.Writer) int {
	path, ok := configArg("doctor", args, stderr)
	if !ok {
		return 2
	}
	cfg, host, err := loadConfig(path)
	if err != nil {
		fmt.Fprintf(stdout, "FAIL  %v\n", err)
		return 1
	}
	d := &checkup{cfg: cfg, host: host, bind: bindAndRelease, ephemeral: ephemeralPorts()}
	d.run()
	fmt.Fprintf(stdout, "roomgate doctor: %s on this machine (a running roomgate holds its own ports: stop it first)\n", path)
	d.print(stdout)
	if d.failed() {
		return 1
	}
	return 0
}

// Severity of a finding.
const (
	sevOK   = "ok"
	sevNote = "note"
	sevWarn = "WARN"
	sevFail = "FAIL"
)

type finding struct{ sev, msg string }

// checkup is one doctor run: a resolved configuration, the machine's network and a
// way to try a bind (injected by tests).
type checkup struct {
	cfg      *configs.Config
	host     hostnet.Host
	bind     func(network, addr string) error
	findings []finding
	firewall []string
	// ephemeral is the kernel's ephemeral port range ("32768-60999"; "" unknown):
	// separate H.245 connections and BFCP listen there.
	ephemeral string
}

func (d *checkup) add(sev, format string, args ...any) {
	d.findings = append(d.findings, finding{sev, fmt.Sprintf(format, args...)})
}

func (d *checkup) failed() bool {
	for _, f := range d.findings {
		if f.sev == sevFail {
			return true
		}
	}
	return false
}

func (d *checkup) print(w io.Writer) {
	for _, f := range d.findings {
		fmt.Fprintf(w, "%-5s %s\n", f.sev, f.msg)
	}
	if len(d.firewall) == 0 {
		fmt.Fprintln(w, "\nfirewall: nothing listens beyond this machine (every listener is on loopback)")
		return
	}
	fmt.Fprintln(w, "\nfirewall: allow these to this machine from where room systems and browsers are")
	if d.cfg.NAT.PublicIP != "" {
		fmt.Fprintf(w, "(and forward them on the one-to-one NAT from %s to this machine)\n", d.cfg.NAT.PublicIP)
	}
	for _, l := range d.firewall {
		fmt.Fprintln(w, "  "+l)
	}
}

func (d *checkup) run() {
	d.interfaces()
	for _, l := range listeners(d.cfg) {
		d.listener(l)
	}
	d.advertised()
	if d.cfg.SIP.Enabled || d.cfg.H323.Enabled {
		d.mediaPorts()
	}
}

// interfaces reports the machine's addresses and its primary interface.
func (d *checkup) interfaces() {
	var parts []string
	for _, ifc := range d.host.Interfaces {
		if !ifc.Up {
			continue
		}
		var as []string
		for _, a := range ifc.Addrs {
			as = append(as, a.String())
		}
		parts = append(parts, ifc.Name+" "+strings.Join(as, " "))
	}
	d.add(sevOK, "interfaces up: %s", strings.Join(parts, "; "))
	if a, iface, ok := d.host.Primary(); ok {
		d.add(sevOK, "primary interface (default route): %s, %s", iface, a)
	} else {
		d.add(sevNote, "no default route: legs listening on every interface advertise 127.0.0.1 unless public_host or nat.public_ip is set")
	}
	if !d.cfg.External() && !d.hasNonLoopback() {
		d.add(sevWarn, "only loopback is up: the gateway's own meeting clients gather no ICE candidate on loopback, so room-system calls would be answered and then dropped; bring up any other interface")
	}
}

func (d *checkup) hasNonLoopback() bool {
	for _, ifc := range d.host.Interfaces {
		if ifc.Up && !ifc.Loopback && len(ifc.Addrs) > 0 {
			return true
		}
	}
	return false
}

// listener is one socket the configuration opens.
type listener struct {
	key, addr string
	nets      []string // "tcp", "udp"
	what      string
}

func listeners(cfg *configs.Config) []listener {
	ls := []listener{{"http.listen", cfg.HTTP.Listen, []string{"tcp"}, "web UI and API"}}
	if cfg.SIP.Enabled {
		ls = append(ls, listener{"sip.listen", cfg.SIP.Listen, []string{"udp", "tcp"}, "SIP"})
		if cfg.SIP.TLSListen != "" {
			ls = append(ls, listener{"sip.tls_listen", cfg.SIP.TLSListen, []string{"tcp"}, "SIP over TLS"})
		}
	}
	if cfg.H323.Enabled {
		ls = append(ls, listener{"h323.listen", cfg.H323.Listen, []string{"tcp"}, "H.323 call signalling, H.225.0"})
		if cfg.H323.RASListen != "" {
			ls = append(ls, listener{"h323.ras_listen", cfg.H323.RASListen, []string{"udp"}, "H.323 gatekeeper, RAS"})
		}
	}
	if !cfg.External() {
		e := cfg.Meeting.Embedded
		binds := e.BindAddresses
		if len(binds) == 0 {
			binds = []string{""}
		}
		for _, b := range binds {
			ls = append(ls,
				listener{"meeting.embedded.port", net.JoinHostPort(b, strconv.Itoa(e.Port)), []string{"tcp"}, "meeting core signalling"},
				listener{"meeting.embedded.rtc_udp_port", net.JoinHostPort(b, strconv.Itoa(e.RTCUDPPort)), []string{"udp"}, "browsers' WebRTC media"},
				listener{"meeting.embedded.rtc_tcp_port", net.JoinHostPort(b, strconv.Itoa(e.RTCTCPPort)), []string{"tcp"}, "browsers' WebRTC media over TCP"})
		}
	}
	if cfg.Debug.PprofListen != "" {
		ls = append(ls, listener{"debug.pprof_listen", cfg.Debug.PprofListen, []string{"tcp"}, "profiler"})
	}
	return ls
}

// listener checks that the address belongs to this machine and that each socket
// can bind, and notes what the firewall must let through.
func (d *checkup) listener(l listener) {
	host, port, err := net.SplitHostPort(l.addr)
	if err != nil {
		d.add(sevFail, "%s %q is not host:port", l.key, l.addr)
		return
	}
	a, err := netip.ParseAddr(host)
	specific := err == nil && !a.IsUnspecified()
	if host != "" && err != nil {
		d.add(sevFail, "%s %s: %q is not an IP address (listeners bind to addresses, not names)", l.key, l.addr, host)
		return
	}
	if specific && !d.host.Owns(a) {
		d.add(sevFail, "%s %s: %s is not an address of this machine (see the interfaces above)", l.key, l.addr, a)
		return
	}
	var bad []string
	for _, n := range l.nets {
		if err := d.bind(n, l.addr); err != nil {
			bad = append(bad, fmt.Sprintf("%s: %s", strings.ToUpper(n), bindHint(err)))
		}
	}
	protos := strings.ToUpper(strings.Join(l.nets, "+"))
	if len(bad) > 0 {
		d.add(sevFail, "%s %s (%s) cannot listen: %s", l.key, l.addr, l.what, strings.Join(bad, "; "))
	} else {
		d.add(sevOK, "%s %s (%s): %s free", l.key, l.addr, l.what, protos)
	}
	if !specific || !a.IsLoopback() {
		for _, n := range l.nets {
			d.firewall = append(d.firewall, fmt.Sprintf("%-4s %-11s %s (%s)", strings.ToUpper(n), port, l.what, l.key))
		}
	}
}

// bindHint says why a bind failed in words an operator can act on.
func bindHint(err error) string {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return "in use by another program (is roomgate already running?)"
	case errors.Is(err, syscall.EACCES):
		return "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "the address is not on this machine"
	}
	return err.Error()
}

// advertised checks the address room systems are given, public_host and nat.public_ip
// against the machine's interfaces.
func (d *checkup) advertised() {
	c := d.cfg
	legs := c.SIP.Enabled || c.H323.Enabled
	if legs {
		d.add(sevOK, "room systems are given %s for media and signalling (%s)", c.Advertise, c.AdvertiseFrom)
		if c.Advertise.IsLoopback() {
			d.add(sevWarn, "%s is loopback: only room systems on this machine can call; set public_host or nat.public_ip, or give the machine a default route", c.Advertise)
		}
	}
	if pub := c.NAT.PublicIP; pub != "" {
		a, _ := netip.ParseAddr(pub)
		priv := d.host.Private()
		switch {
		case d.host.Owns(a):
			d.add(sevNote, "nat.public_ip %s is on interface %s: there is no NAT in front of it and nat.public_ip is not needed", a, d.host.Interface(a))
		case a.IsPrivate():
			d.add(sevWarn, "nat.public_ip %s is a private address not on this machine: room systems beyond that private network cannot reach it", a)
		case len(priv) > 0:
			d.add(sevOK, "nat.public_ip %s is not on this machine while private %s is (%s): looks like a one-to-one NAT of %s", a, priv[0], d.host.Interface(priv[0]), priv[0])
		default:
			d.add(sevWarn, "nat.public_ip %s is not on this machine and the machine has no private address: check that the NAT forwards to one of the interfaces above", a)
		}
	}
	if !legs && c.PublicURL == "" {
		return
	}
	if a, err := netip.ParseAddr(c.PublicHost); err == nil {
		switch {
		case a == c.Advertise || d.host.Owns(a):
		case c.NAT.PublicIP != "" && a.String() == c.NAT.PublicIP:
		default:
			d.add(sevWarn, "public_host %s is neither an address of this machine nor nat.public_ip: invitations send room systems there", a)
		}
	} else {
		d.add(sevNote, "public_host %s is a name: it must resolve to %s for room systems (not looked up here)", c.PublicHost, c.Advertise)
	}
}

// mediaPorts tries every port of the media range on the media bind address.
func (d *checkup) mediaPorts() {
	c := d.cfg
	_, host := c.MediaHost()
	if a, err := netip.ParseAddr(host); err == nil && !a.IsUnspecified() && !d.host.Owns(a) {
		d.add(sevFail, "media address %s is not an address of this machine", a)
		return
	}
	var busy []int
	pairs := 0
	for p := c.Media.PortMin; p+1 <= c.Media.PortMax; p += 2 {
		rtp := d.bind("udp", net.JoinHostPort(host, strconv.Itoa(p)))
		rtcp := d.bind("udp", net.JoinHostPort(host, strconv.Itoa(p+1)))
		if rtp == nil && rtcp == nil {
			pairs++
		}
		for i, err := range []error{rtp, rtcp} {
			if err != nil {
				busy = append(busy, p+i)
			}
		}
	}
	rng := fmt.Sprintf("%d-%d", c.Media.PortMin, c.Media.PortMax)
	switch {
	case pairs == 0:
		d.add(sevFail, "media ports UDP %s: no RTP/RTCP pair can bind", rng)
	case len(busy) > 0:
		d.add(sevWarn, "media ports UDP %s: %d pairs free (about %d calls at three pairs: audio, video, content); in use: %s", rng, pairs, pairs/3, portList(busy))
	default:
		d.add(sevOK, "media ports UDP %s: all %d pairs free (about %d calls at three pairs: audio, video, content)", rng, pairs, pairs/3)
	}
	if !c.External() {
		for _, p := range []struct {
			key string
			v   int
		}{{"meeting.embedded.rtc_udp_port", c.Meeting.Embedded.RTCUDPPort}} {
			if p.v >= c.Media.PortMin && p.v <= c.Media.PortMax {
				d.add(sevNote, "%s %d lies inside the media range: while the meeting core holds it, calls use other pairs", p.key, p.v)
			}
		}
	}
	if a, err := netip.ParseAddr(host); err == nil && a.IsLoopback() {
		return // only this machine reaches media on loopback
	}
	d.firewall = append(d.firewall, fmt.Sprintf("%-4s %-11s %s (%s)", "UDP", rng, "room-system media, RTP and RTCP", "media.port_min..port_max"))
	eph := d.ephemeral
	if eph == "" {
		eph = "ephemeral"
	}
	if c.H323.Enabled {
		d.firewall = append(d.firewall, fmt.Sprintf("%-4s %-11s %s", "TCP", eph, "separate H.245 connections (H.323 room systems that do not tunnel H.245)"))
	}
	if c.SIP.Enabled {
		d.firewall = append(d.firewall, fmt.Sprintf("%-4s %-11s %s", "UDP", eph, "BFCP for content (SIP room systems that present); TCP on the same port for BFCP over TCP"))
	}
}

// ephemeralPorts reads the kernel's ephemeral port range ("" when unknown).
func ephemeralPorts() string {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return ""
	}
	lo, err1 := strconv.Atoi(f[0])
	hi, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || lo < 1 || hi > 65535 || lo > hi {
		return ""
	}
	return fmt.Sprintf("%d-%d", lo, hi)
}

// portList prints up to ten ports.
func portList(ps []int) string {
	var s []string
	for i, p := range ps {
		if i == 10 {
			s = append(s, fmt.Sprintf("and %d more", len(ps)-10))
			break
		}
		s = append(s, strconv.Itoa(p))
	}
	return strings.Join(s, ", ")
}

// bindAndRelease binds a socket on addr and closes it at once.
func bindAndRelease(network, addr string) error {
	if network == "udp" {
		c, err := net.ListenPacket("udp", addr)
		if err != nil {
			return err
		}
		return c.Close()
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return l.Close()
}
