package api

// Network is a room-system call's network diagnostics (issue 14): which NAT/ALG
// profile matched, what the endpoint signalled against what the gateway observed, for
// signalling and for each media stream, whether an ALG seems to rewrite its messages,
// and the traffic each way. Hosts see it in the participants list and the web UI.
type Network struct {
	Profile    string       `json:"profile"`
	Signalling NetAddresses `json:"signalling"`
	// Media is keyed by stream role: audio, video, content.
	Media        map[string]MediaNetwork `json:"media"`
	ALGSuspected bool                    `json:"alg_suspected"`
	ALGReason    string                  `json:"alg_reason,omitempty"`
	// BehindNAT: the endpoint signals private addresses its packets do not come from.
	BehindNAT bool `json:"behind_nat"`
	// Advertised is the gateway address the profile gives this endpoint.
	Advertised string `json:"advertised"`
	// Latch is the profile's media latch mode; TrustSignalled whether signalled
	// addresses are used.
	Latch          string `json:"latch"`
	TrustSignalled bool   `json:"trust_signalled"`
	// RX is what the gateway receives from the room system, TX what it sends (all
	// streams: packets and losses summed, the highest jitter).
	RX Traffic `json:"rx"`
	TX Traffic `json:"tx"`
}

// NetAddresses are an address as signalled and as observed ("" when unknown).
type NetAddresses struct {
	Signalled string `json:"signalled"`
	Observed  string `json:"observed"`
}

// MediaNetwork is one media stream's addresses: signalled (SDP, H.245), observed (the
// source its RTP is accepted from), latched (RTP from the call's source arrived), and
// where the gateway sends.
type MediaNetwork struct {
	Signalled string  `json:"signalled"`
	Observed  string  `json:"observed"`
	Latched   bool    `json:"latched"`
	SendingTo string  `json:"sending_to"`
	Dropped   uint64  `json:"dropped"` // packets from outside the call
	RX        Traffic `json:"rx"`
	TX        Traffic `json:"tx"`
}

// Traffic is one direction of media: packets, packets lost (RTCP reception
// statistics) and interarrival jitter in milliseconds.
type Traffic struct {
	Packets  uint64  `json:"packets"`
	Lost     int64   `json:"lost"`
	JitterMs float64 `json:"jitter_ms"`
}

// Networks gives the network diagnostics of a room system's call by its participant
// identity; Calls implementations that can, implement it.
type Networks interface {
	Network(identity string) (Network, bool)
}
