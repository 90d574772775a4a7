package sip

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// Config is the SIP service configuration.
type Config struct {
	// Listen is host:port for both UDP and TCP. Port 0 picks a free port
	// (the same number for UDP and TCP). Default "0.0.0.0:5060".
	Listen string `yaml:"listen"`
	// PublicIP is advertised in Via, Contact and SDP when set (the public
	// side of a one-to-one NAT). Default: the listen address.
	PublicIP string `yaml:"public_ip"`
	// UserAgent is sent in User-Agent and Server headers. Default "roomgate".
	UserAgent string `yaml:"user_agent"`
	// SessionExpires is the session interval we ask for and accept
	// (RFC 4028); 0 disables session timers. Default 30 minutes.
	SessionExpires time.Duration `yaml:"session_expires"`
	// MinSE is the smallest session interval we accept (RFC 4028 Min-SE).
	// The RFC floor is 90 s; tests lower it to keep refreshes fast.
	// Default 90 s.
	MinSE time.Duration `yaml:"min_se"`
	// RefreshWithUpdate refreshes sessions with UPDATE instead of
	// re-INVITE when the peer allows UPDATE (RFC 4028 §7.4).
	RefreshWithUpdate bool `yaml:"refresh_with_update"`
	// RingTimeout bounds how long an inbound INVITE may stay unanswered
	// (then 480) and, by default, how long a dial-out rings. Default 60 s.
	RingTimeout time.Duration `yaml:"ring_timeout"`
	// T1 is the RTT estimate for our 2xx retransmissions (RFC 3261 §13.3.1.4).
	// Default 500 ms.
	T1 time.Duration `yaml:"t1"`
	// Limits bound what one source may cost (rate, calls, TCP connections).
	Limits Limits `yaml:"limits"`
	// TLSListen is host:port of the SIP over TLS listener (RFC 3261 §26.2, usually
	// port 5061); empty: none. TLS is its server configuration (certificate, version
	// floor), required with TLSListen.
	TLSListen string      `yaml:"-"`
	TLS       *tls.Config `yaml:"-"`
	// NAT decides where in-dialog requests go; default DefaultNATPolicy.
	NAT NATPolicy `yaml:"-"`
	// Peers chooses, per call, how an endpoint at an address is treated (advertised
	// host, trusting its Contact, keep-alives): the gateway's NAT/ALG profiles. Nil:
	// the same for everyone.
	Peers func(netip.AddrPort) Peer `yaml:"-"`
}

// T2 caps the 2xx retransmission interval (RFC 3261 §17.1.2.2).
const t2 = 4 * time.Second

func (c Config) withDefaults() Config {
	if c.Listen == "" {
		c.Listen = "0.0.0.0:5060"
	}
	if c.UserAgent == "" {
		c.UserAgent = "roomgate"
	}
	if c.SessionExpires == 0 {
		c.SessionExpires = 30 * time.Minute
	}
	if c.SessionExpires < 0 {
		c.SessionExpires = 0
	}
	if c.MinSE == 0 {
		c.MinSE = 90 * time.Second
	}
	if c.RingTimeout == 0 {
		c.RingTimeout = 60 * time.Second
	}
	if c.T1 == 0 {
		c.T1 = 500 * time.Millisecond
	}
	if c.NAT == nil {
		c.NAT = DefaultNATPolicy{}
	}
	c.Limits = c.Limits.withDefaults()
	return c
}

func (c Config) validate() error {
	if c.TLSListen != "" && (c.TLS == nil || len(c.TLS.Certificates) == 0 && c.TLS.GetCertificate == nil) {
		return errors.New("sip: tls_listen needs a certificate")
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("sip: listen %q: %w", c.Listen, err)
	}
	if c.PublicIP != "" {
		if _, err := netip.ParseAddr(c.PublicIP); err != nil {
			return fmt.Errorf("sip: public_ip: %w", err)
		}
	}
	if c.MinSE < time.Second {
		return errors.New("sip: min_se must be at least 1s")
	}
	if c.SessionExpires > 0 && c.SessionExpires < c.MinSE {
		return fmt.Errorf("sip: session_expires %v below min_se %v", c.SessionExpires, c.MinSE)
	}
	return c.Limits.validate()
}
