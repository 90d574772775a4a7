package h225

// Builders for the RAS rejections and the remaining confirmations a
// gatekeeper sends (H.225.0 §7.8–7.15), next to the ones in ras.go.

// GatekeeperReject refuses a GRQ.
func (g *Gatekeeper) GatekeeperReject(seq int64, reason GatekeeperRejectReason) *RasMessage {
	return &RasMessage{GatekeeperReject: &GatekeeperReject{
		RequestSeqNum:        RequestSeqNum(seq),
		ProtocolIdentifier:   NewProtocolIdentifier(),
		GatekeeperIdentifier: g.id(),
		RejectReason:         reason,
	}}
}

// RegistrationReject refuses an RRQ.
func (g *Gatekeeper) RegistrationReject(seq int64, reason RegistrationRejectReason) *RasMessage {
	return &RasMessage{RegistrationReject: &RegistrationReject{
		RequestSeqNum:        RequestSeqNum(seq),
		ProtocolIdentifier:   NewProtocolIdentifier(),
		RejectReason:         reason,
		GatekeeperIdentifier: g.id(),
	}}
}

// UnregistrationReject refuses a URQ.
func (g *Gatekeeper) UnregistrationReject(seq int64, reason UnregRejectReason) *RasMessage {
	return &RasMessage{UnregistrationReject: &UnregistrationReject{RequestSeqNum: RequestSeqNum(seq), RejectReason: reason}}
}

// AdmissionReject refuses an ARQ.
func (g *Gatekeeper) AdmissionReject(seq int64, reason AdmissionRejectReason) *RasMessage {
	return &RasMessage{AdmissionReject: &AdmissionReject{RequestSeqNum: RequestSeqNum(seq), RejectReason: reason}}
}

// BandwidthConfirm grants bandwidth (units of 100 bit/s) to a BRQ.
func (g *Gatekeeper) BandwidthConfirm(seq int64, bandwidth int64) *RasMessage {
	return &RasMessage{BandwidthConfirm: &BandwidthConfirm{RequestSeqNum: RequestSeqNum(seq), BandWidth: BandWidth(bandwidth)}}
}

// BandwidthReject refuses a BRQ, telling what would be allowed.
func (g *Gatekeeper) BandwidthReject(seq int64, reason BandRejectReason, allowed int64) *RasMessage {
	return &RasMessage{BandwidthReject: &BandwidthReject{
		RequestSeqNum: RequestSeqNum(seq), RejectReason: reason, AllowedBandWidth: BandWidth(allowed),
	}}
}

// DisengageReject refuses a DRQ.
func (g *Gatekeeper) DisengageReject(seq int64, reason DisengageRejectReason) *RasMessage {
	return &RasMessage{DisengageReject: &DisengageReject{RequestSeqNum: RequestSeqNum(seq), RejectReason: reason}}
}

// LocationReject refuses an LRQ.
func (g *Gatekeeper) LocationReject(seq int64, reason LocationRejectReason) *RasMessage {
	return &RasMessage{LocationReject: &LocationReject{RequestSeqNum: RequestSeqNum(seq), RejectReason: reason}}
}

// InfoRequestAck acknowledges an IRR that asked for a response.
func (g *Gatekeeper) InfoRequestAck(seq int64) *RasMessage {
	return &RasMessage{InfoRequestAck: &InfoRequestAck{RequestSeqNum: RequestSeqNum(seq)}}
}

// InfoRequestNak refuses an IRR that asked for a response.
func (g *Gatekeeper) InfoRequestNak(seq int64, reason InfoRequestNakReason) *RasMessage {
	return &RasMessage{InfoRequestNak: &InfoRequestNak{RequestSeqNum: RequestSeqNum(seq), NakReason: reason}}
}

// ResourcesAvailableConfirm answers an RAI.
func (g *Gatekeeper) ResourcesAvailableConfirm(seq int64) *RasMessage {
	return &RasMessage{ResourcesAvailableConfirm: &ResourcesAvailableConfirm{
		RequestSeqNum: RequestSeqNum(seq), ProtocolIdentifier: NewProtocolIdentifier(),
	}}
}

// NotUnderstood builds an XRS (unknownMessageResponse) for a request that
// is not understood or not supported. The request is not echoed.
func NotUnderstood(seq int64) *RasMessage {
	return &RasMessage{UnknownMessageResponse: &UnknownMessageResponse{RequestSeqNum: RequestSeqNum(seq)}}
}

// UnregistrationConfirm is the endpoint's answer to a gatekeeper's URQ.
func (e *RASEndpoint) UnregistrationConfirm(seq int64) *RasMessage {
	return &RasMessage{UnregistrationConfirm: &UnregistrationConfirm{RequestSeqNum: RequestSeqNum(seq)}}
}
