package gateway

import (
	"strings"

	"github.com/roomgate/roomgate/h323/control"
)

// quirk is a workaround some endpoints need, found by their product name (H.225.0
// productId, SIP User-Agent). Later issues add rows (content, camera control, NAT).
type quirk struct {
	// match is a lower-case fragment of the product name.
	match string
	why   string
	h245  func(*control.Quirks)
}

// quirks is the table of endpoint workarounds. Quirks that are safe for every
// endpoint are not here but always on in the protocol packages: Polycom's H.264
// packetization OID one element short (read as single-NAL mode, h323/control),
// Tandberg's logical channel session ID taken from the OpenLogicalChannelAck
// (h323/control), one tunnelled H.245 PDU per Facility for Cisco IOS (h323).
var quirks = []quirk{
	{match: "hdx", why: "Polycom HDX never proposes a channel again after an OLC reject with masterSlaveConflict",
		h245: func(q *control.Quirks) { q.NoReproposeAfterConflict = true }},
	{match: "polycom", why: "Polycom (VSX, Group, RMX) like HDX: no new proposal after masterSlaveConflict",
		h245: func(q *control.Quirks) { q.NoReproposeAfterConflict = true }},
}

// h245Quirks are the H.245 workarounds for a product.
func h245Quirks(product string) control.Quirks {
	var q control.Quirks
	p := strings.ToLower(product)
	for _, k := range quirks {
		if k.h245 != nil && strings.Contains(p, k.match) {
			k.h245(&q)
		}
	}
	return q
}
