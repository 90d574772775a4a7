package netprofile

import (
	"net/netip"
	"strings"
)

// Field is one address an endpoint's signalling names, with where it was: SIP "via",
// "contact", "from", "call-id", "sdp o=", "sdp c=" …; H.323 "h245Address",
// "fastStart audio" …; media addresses as "<role> rtp" / "<role> rtcp". The port is
// zero where the field has none.
type Field struct {
	Name string
	Addr netip.AddrPort
}

// ALG is what the addresses of one call say about the network on its path.
type ALG struct {
	// Suspected: an application-level gateway on the path rewrote some addresses and
	// left others (the telltale of a SIP or H.323 ALG); Reason says which.
	Suspected bool
	Reason    string
	// BehindNAT: the endpoint signals private addresses that are not where its
	// signalling comes from (a NAT without ALG), Note says which.
	BehindNAT bool
	Note      string
}

// DetectALG compares the addresses an endpoint signalled with the source its
// signalling came from. A NAT without ALG leaves the endpoint's private addresses in
// every field; an ALG rewrites them to its public address — the source we see. Some
// ALGs rewrite only some fields: SDP c= but not o=, Contact but not SDP, the H.245
// address but not the fastStart media addresses. The Linux kernel's nf_nat_sip, seen
// in a network namespace here, rewrites Via, From, Contact, o= and c= (and m= ports
// when it must move them) but not the Call-ID's host part. So: some fields equal to
// the source while others keep a private address means an ALG, except when the only
// such fields are the Via (and Call-ID): an endpoint configured with its NAT's public
// address writes it in Contact and SDP and keeps its own in Via.
func DetectALG(source netip.Addr, fields []Field) ALG {
	source = source.Unmap()
	var rewritten, stale []Field
	for _, f := range fields {
		a := f.Addr.Addr().Unmap()
		switch {
		case !a.IsValid() || a.IsUnspecified():
			// A host name, or 0.0.0.0 (hold): says nothing about the path.
		case a == source:
			rewritten = append(rewritten, f)
		case isPrivate(a):
			stale = append(stale, f)
		}
	}
	if len(stale) == 0 {
		return ALG{}
	}
	if len(rewritten) == 0 {
		return ALG{BehindNAT: true, Note: "signals " + describe(stale) + " but its signalling comes from " + source.String()}
	}
	if onlyNamed(stale, "via", "call-id") && !onlyNamed(stale, "call-id") {
		// The endpoint's own NAT setting (public address in Contact and SDP).
		return ALG{}
	}
	return ALG{Suspected: true, Reason: names(rewritten) + " carry the signalling source " + source.String() +
		"; " + describe(stale) + " still private: addresses partly rewritten on the way"}
}

// onlyNamed reports whether every field is one of names.
func onlyNamed(fs []Field, names ...string) bool {
	for _, f := range fs {
		ok := false
		for _, n := range names {
			ok = ok || f.Name == n
		}
		if !ok {
			return false
		}
	}
	return true
}

func names(fs []Field) string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return strings.Join(out, ", ")
}

// describe lists fields with their addresses ("sdp o= 10.1.0.2, call-id 10.1.0.2").
func describe(fs []Field) string {
	var b strings.Builder
	for i, f := range fs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.Name)
		b.WriteByte(' ')
		b.WriteString(f.Addr.Addr().Unmap().String())
	}
	return b.String()
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// isPrivate: addresses a NAT hides (RFC 1918, RFC 6598 shared, link-local, ULA,
// loopback).
func isPrivate(a netip.Addr) bool {
	return a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || cgnat.Contains(a)
}
