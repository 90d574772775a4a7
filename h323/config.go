package h323

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/roomgate/roomgate/h323/h225"
)

// Config is the H.323 call signalling configuration.
type Config struct {
	// Listen is host:port of the call signalling listener. Default ":1720".
	Listen string `yaml:"listen"`
	// Identity is what we say we are in sourceInfo / destinationInfo.
	Identity Identity `yaml:"identity"`
	// Aliases are our own aliases (sourceAddress of the Setups we send,
	// e.g. "roomgate" as h323-ID), in the ParseAlias syntax.
	Aliases []string `yaml:"aliases"`
	// NoTunnelling turns H.245 tunnelling off for dial-in calls: H.245 then
	// goes over a separate TCP connection (H.323 §8.2.1). Default: tunnel
	// whenever the caller does.
	NoTunnelling bool `yaml:"no_tunnelling"`
	// RingTimeout bounds how long a dial-in call may stay unanswered (then
	// ReleaseComplete, cause 18 no user responding) and how long a dial-out
	// rings by default. Default 60 s.
	RingTimeout time.Duration `yaml:"ring_timeout"`
	// Limits bound what one source may cost.
	Limits Limits `yaml:"limits"`
	// Advertise is the address our H.225 and H.245 transport addresses carry for a
	// peer (the Setup's sourceCallSignalAddress, our h245Address): the public side of
	// a one-to-one NAT, or the private address for a LAN peer (split horizon). Nil,
	// or an invalid result: the connection's local address.
	Advertise func(remote netip.AddrPort) netip.Addr `yaml:"-"`
}

// EndpointKind is the EndpointType alternative we announce.
type EndpointKind string

// Endpoint kinds (H.225.0 EndpointType).
const (
	KindTerminal EndpointKind = "terminal"
	KindGateway  EndpointKind = "gateway"
	KindMCU      EndpointKind = "mcu"
)

// Identity is our EndpointType: the vendor fields of H.225.0
// VendorIdentifier and the kind of endpoint.
type Identity struct {
	// Vendor: T.35 country code, extension and manufacturer code, product
	// and version. Defaults: 181 (United States), 0, 0, "roomgate", "1".
	Vendor Vendor `yaml:"vendor"`
	// Kind is terminal, gateway or mcu. Default terminal (what room
	// systems expect of a peer they call directly).
	Kind EndpointKind `yaml:"kind"`
}

// Limits bound the cost of peers. Zero fields take the defaults.
type Limits struct {
	// MaxConnections caps TCP connections of the service, call signalling
	// and H.245 together (and H.245 listeners). Default 512.
	MaxConnections int `yaml:"max_connections"`
	// ConnectionsPerSource caps concurrent connections from one IP
	// address. Default 32.
	ConnectionsPerSource int `yaml:"connections_per_source"`
	// MaxCalls caps concurrent calls, inbound and outbound. Default 256.
	MaxCalls int `yaml:"max_calls"`
	// SetupTimeout: a connection must bring a Setup (or an H.245
	// connection its first PDU) within this time of connecting. Default 10 s.
	SetupTimeout time.Duration `yaml:"setup_timeout"`
	// ReadTimeout: a TPKT that started must be complete within this time
	// (slow senders). Default 10 s.
	ReadTimeout time.Duration `yaml:"read_timeout"`
	// WriteTimeout bounds one write to a peer. Default 10 s.
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// H245ConnectTimeout closes an H.245 listener nobody connected to, and
	// bounds our connect to a peer's h245Address and the wait for the first
	// PDU on an H.245 connection. Default 30 s.
	H245ConnectTimeout time.Duration `yaml:"h245_connect_timeout"`
	// MaxMessageSize bounds one TPKT (header included). Default 32 KiB
	// (a Setup with fastStart is 1–3 KiB, a TerminalCapabilitySet up to a
	// few KiB).
	MaxMessageSize int `yaml:"max_message_size"`
	// MessagesPerSecond and Burst rate-limit connections and messages from
	// one IP address (a token bucket); a source over the limit has its
	// connection closed. Defaults 100 and 300.
	MessagesPerSecond float64 `yaml:"messages_per_second"`
	Burst             int     `yaml:"burst"`
}

// DefaultListen is the H.323 call signalling port (H.225.0 §7.1).
const DefaultListen = ":1720"

func (c Config) withDefaults() Config {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.RingTimeout == 0 {
		c.RingTimeout = 60 * time.Second
	}
	if c.Identity.Vendor.Product == "" {
		c.Identity.Vendor.Product = "roomgate"
	}
	if c.Identity.Vendor.Version == "" {
		c.Identity.Vendor.Version = "1"
	}
	if c.Identity.Vendor.CountryCode == 0 && c.Identity.Vendor.Manufacturer == 0 {
		c.Identity.Vendor.CountryCode = 181
	}
	if c.Identity.Kind == "" {
		c.Identity.Kind = KindTerminal
	}
	c.Limits = c.Limits.withDefaults()
	return c
}

func (l Limits) withDefaults() Limits {
	set := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	setD := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	set(&l.MaxConnections, 512)
	set(&l.ConnectionsPerSource, 32)
	set(&l.MaxCalls, 256)
	set(&l.MaxMessageSize, 32<<10)
	set(&l.Burst, 300)
	setD(&l.SetupTimeout, 10*time.Second)
	setD(&l.ReadTimeout, 10*time.Second)
	setD(&l.WriteTimeout, 10*time.Second)
	setD(&l.H245ConnectTimeout, 30*time.Second)
	if l.MessagesPerSecond == 0 {
		l.MessagesPerSecond = 100
	}
	return l
}

func (c Config) validate() error {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("h323: listen %q: %w", c.Listen, err)
	}
	switch c.Identity.Kind {
	case KindTerminal, KindGateway, KindMCU:
	default:
		return fmt.Errorf("h323: identity kind %q: want terminal, gateway or mcu", c.Identity.Kind)
	}
	if err := c.Identity.Vendor.validate(); err != nil {
		return err
	}
	for _, a := range c.Aliases {
		if _, err := ParseAlias(a).h225(); err != nil {
			return fmt.Errorf("h323: alias %q: %w", a, err)
		}
	}
	if c.RingTimeout < 0 {
		return errors.New("h323: ring_timeout must be positive")
	}
	l := c.Limits
	switch {
	case l.MaxConnections < 1 || l.ConnectionsPerSource < 1 || l.MaxCalls < 1:
		return errors.New("h323: limits: max_connections, connections_per_source and max_calls must be at least 1")
	case l.SetupTimeout <= 0 || l.ReadTimeout <= 0 || l.WriteTimeout <= 0 || l.H245ConnectTimeout <= 0:
		return errors.New("h323: limits: timeouts must be positive")
	case l.MaxMessageSize < 512 || l.MaxMessageSize > 65535:
		return errors.New("h323: limits: max_message_size must be within 512..65535")
	case l.MessagesPerSecond < 0 || l.Burst < 1:
		return errors.New("h323: limits: messages_per_second must be positive and burst at least 1")
	}
	return nil
}

// endpointType is our EndpointType (sourceInfo, destinationInfo).
func (id Identity) endpointType() h225.EndpointType {
	et := h225.EndpointType{Vendor: id.Vendor.h225()}
	switch id.Kind {
	case KindGateway:
		et.Gateway = &h225.GatewayInfo{}
	case KindMCU:
		et.Mcu = &h225.McuInfo{}
	default:
		et.Terminal = &h225.TerminalInfo{}
	}
	return et
}
