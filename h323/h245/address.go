package h245

import (
	"errors"
	"fmt"
	"net/netip"
)

var (
	errNotUnicastIP = errors.New("h245: transport address is not a unicast iPAddress or iP6Address")
	errAddrLength   = errors.New("h245: IP address of the wrong length")
	errPortRange    = errors.New("h245: tsapIdentifier outside 0..65535")
	errInvalidAddr  = errors.New("h245: invalid netip.AddrPort")
)

// NewTransportAddress returns the unicast TransportAddress (H.245
// UnicastAddress iPAddress or iP6Address) of ap, as carried in
// H2250LogicalChannelParameters mediaChannel / mediaControlChannel.
func NewTransportAddress(ap netip.AddrPort) (TransportAddress, error) {
	if !ap.IsValid() {
		return TransportAddress{}, errInvalidAddr
	}
	a := ap.Addr().Unmap()
	if a.Is4() {
		ip := a.As4()
		return TransportAddress{UnicastAddress: &UnicastAddress{
			IPAddress: &UnicastAddressIPAddress{Network: ip[:], TsapIdentifier: int64(ap.Port())}}}, nil
	}
	ip := a.As16()
	return TransportAddress{UnicastAddress: &UnicastAddress{
		IP6Address: &UnicastAddressIP6Address{Network: ip[:], TsapIdentifier: int64(ap.Port())}}}, nil
}

// MustTransportAddress is NewTransportAddress for addresses known to be
// valid; it panics otherwise (tests and constants only).
func MustTransportAddress(ap netip.AddrPort) *TransportAddress {
	t, err := NewTransportAddress(ap)
	if err != nil {
		panic(err)
	}
	return &t
}

// AddrPort returns the address of a unicast iPAddress or iP6Address.
func (t *TransportAddress) AddrPort() (netip.AddrPort, error) {
	u := t.UnicastAddress
	if u == nil {
		return netip.AddrPort{}, errNotUnicastIP
	}
	var ip []byte
	var port int64
	switch {
	case u.IPAddress != nil:
		ip, port = u.IPAddress.Network, u.IPAddress.TsapIdentifier
		if len(ip) != 4 {
			return netip.AddrPort{}, fmt.Errorf("iPAddress: %w", errAddrLength)
		}
	case u.IP6Address != nil:
		ip, port = u.IP6Address.Network, u.IP6Address.TsapIdentifier
		if len(ip) != 16 {
			return netip.AddrPort{}, fmt.Errorf("iP6Address: %w", errAddrLength)
		}
	default:
		return netip.AddrPort{}, errNotUnicastIP
	}
	if port < 0 || port > 0xffff {
		return netip.AddrPort{}, errPortRange
	}
	a, _ := netip.AddrFromSlice(ip)
	return netip.AddrPortFrom(a, uint16(port)), nil
}
