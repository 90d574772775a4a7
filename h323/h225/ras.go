package h225

// Builders for the RAS messages (H.225.0 §7.7–7.15) exchanged between an
// endpoint and a gatekeeper: the roomgate gatekeeper answers room systems
// with the Gatekeeper methods and registers to an external gatekeeper
// with the RASEndpoint methods.

// RASEndpoint describes an endpoint in its RAS requests.
type RASEndpoint struct {
	RAS        TransportAddress // where it receives RAS
	CallSignal TransportAddress // where it receives call signalling
	Type       EndpointType     // zero value: terminal
	Vendor     VendorIdentifier
	Aliases    []AliasAddress
	// ID is the endpointIdentifier the gatekeeper assigned in RCF.
	ID EndpointIdentifier
}

func (e *RASEndpoint) endpointType() EndpointType {
	c := Call{Endpoint: e.Type}
	return c.endpoint()
}

func boolPtr(b bool) *bool { return &b }

// GatekeeperRequest builds a GRQ (gatekeeper discovery).
func (e *RASEndpoint) GatekeeperRequest(seq int64) *RasMessage {
	return &RasMessage{GatekeeperRequest: &GatekeeperRequest{
		RequestSeqNum:      RequestSeqNum(seq),
		ProtocolIdentifier: NewProtocolIdentifier(),
		RasAddress:         e.RAS,
		EndpointType:       e.endpointType(),
		EndpointAlias:      e.Aliases,
	}}
}

// RegistrationRequest builds an RRQ; keepAlive marks a lightweight
// re-registration (H.225.0 §7.9.1) that refreshes the time to live.
func (e *RASEndpoint) RegistrationRequest(seq int64, keepAlive bool, ttl int64) *RasMessage {
	r := &RegistrationRequest{
		RequestSeqNum:      RequestSeqNum(seq),
		ProtocolIdentifier: NewProtocolIdentifier(),
		DiscoveryComplete:  false,
		CallSignalAddress:  []TransportAddress{e.CallSignal},
		RasAddress:         []TransportAddress{e.RAS},
		TerminalType:       e.endpointType(),
		TerminalAlias:      e.Aliases,
		EndpointVendor:     e.Vendor,
		KeepAlive:          boolPtr(keepAlive),
		WillSupplyUUIEs:    boolPtr(false),
		MaintainConnection: boolPtr(false),
	}
	if ttl > 0 {
		t := TimeToLive(ttl)
		r.TimeToLive = &t
	}
	if keepAlive && e.ID != "" {
		id := e.ID
		r.EndpointIdentifier = &id
	}
	return &RasMessage{RegistrationRequest: r}
}

// UnregistrationRequest builds a URQ for this endpoint.
func (e *RASEndpoint) UnregistrationRequest(seq int64) *RasMessage {
	r := &UnregistrationRequest{
		RequestSeqNum:     RequestSeqNum(seq),
		CallSignalAddress: []TransportAddress{e.CallSignal},
		EndpointAlias:     e.Aliases,
	}
	if e.ID != "" {
		id := e.ID
		r.EndpointIdentifier = &id
	}
	return &RasMessage{UnregistrationRequest: r}
}

// AdmissionRequest builds an ARQ for a call: answer is true on the called
// side; bandwidth is in units of 100 bit/s for both directions.
func (e *RASEndpoint) AdmissionRequest(seq int64, crv int64, call *Call, dest []AliasAddress, answer bool, bandwidth int64) *RasMessage {
	src := e.CallSignal
	return &RasMessage{AdmissionRequest: &AdmissionRequest{
		RequestSeqNum:        RequestSeqNum(seq),
		CallType:             CallType{PointToPoint: &struct{}{}},
		CallModel:            &CallModel{Direct: &struct{}{}},
		EndpointIdentifier:   e.ID,
		DestinationInfo:      dest,
		SrcInfo:              e.Aliases,
		SrcCallSignalAddress: &src,
		BandWidth:            BandWidth(bandwidth),
		CallReferenceValue:   CallReferenceValue(crv),
		ConferenceID:         call.ConferenceID,
		ActiveMC:             false,
		AnswerCall:           answer,
		CanMapAlias:          boolPtr(false),
		CallIdentifier:       call.callIdentifier(),
		WillSupplyUUIEs:      boolPtr(false),
	}}
}

// DisengageRequest builds a DRQ at the end of a call.
func (e *RASEndpoint) DisengageRequest(seq int64, crv int64, call *Call, answeredCall bool) *RasMessage {
	return &RasMessage{DisengageRequest: &DisengageRequest{
		RequestSeqNum:      RequestSeqNum(seq),
		EndpointIdentifier: e.ID,
		ConferenceID:       call.ConferenceID,
		CallReferenceValue: CallReferenceValue(crv),
		DisengageReason:    DisengageReason{NormalDrop: &struct{}{}},
		CallIdentifier:     call.callIdentifier(),
		AnsweredCall:       boolPtr(answeredCall),
	}}
}

// InfoRequestResponse builds an IRR (unsolicited when seq is 1 and no IRQ
// asked for it, H.225.0 §7.15.2) without per-call information.
func (e *RASEndpoint) InfoRequestResponse(seq int64, unsolicited bool) *RasMessage {
	return &RasMessage{InfoRequestResponse: &InfoRequestResponse{
		RequestSeqNum:      RequestSeqNum(seq),
		EndpointType:       e.endpointType(),
		EndpointIdentifier: e.ID,
		RasAddress:         e.RAS,
		CallSignalAddress:  []TransportAddress{e.CallSignal},
		EndpointAlias:      e.Aliases,
		NeedResponse:       boolPtr(false),
		Unsolicited:        boolPtr(unsolicited),
	}}
}

// LocationRequest builds an LRQ asking where dest can be called.
func (e *RASEndpoint) LocationRequest(seq int64, dest []AliasAddress) *RasMessage {
	r := &LocationRequest{
		RequestSeqNum:   RequestSeqNum(seq),
		DestinationInfo: dest,
		ReplyAddress:    e.RAS,
		SourceInfo:      e.Aliases,
		CanMapAlias:     boolPtr(false),
	}
	if e.ID != "" {
		id := e.ID
		r.EndpointIdentifier = &id
	}
	return &RasMessage{LocationRequest: r}
}

// Gatekeeper describes the gatekeeper in its RAS responses.
type Gatekeeper struct {
	RAS TransportAddress
	ID  GatekeeperIdentifier // empty: left out
}

func (g *Gatekeeper) id() *GatekeeperIdentifier {
	if g.ID == "" {
		return nil
	}
	id := g.ID
	return &id
}

// GatekeeperConfirm answers a GRQ.
func (g *Gatekeeper) GatekeeperConfirm(seq int64) *RasMessage {
	return &RasMessage{GatekeeperConfirm: &GatekeeperConfirm{
		RequestSeqNum:        RequestSeqNum(seq),
		ProtocolIdentifier:   NewProtocolIdentifier(),
		GatekeeperIdentifier: g.id(),
		RasAddress:           g.RAS,
	}}
}

// RegistrationConfirm accepts an RRQ, assigning id and a time to live in
// seconds (0 leaves it out).
func (g *Gatekeeper) RegistrationConfirm(seq int64, callSignal []TransportAddress, aliases []AliasAddress, id EndpointIdentifier, ttl int64) *RasMessage {
	r := &RegistrationConfirm{
		RequestSeqNum:        RequestSeqNum(seq),
		ProtocolIdentifier:   NewProtocolIdentifier(),
		CallSignalAddress:    callSignal,
		TerminalAlias:        aliases,
		GatekeeperIdentifier: g.id(),
		EndpointIdentifier:   id,
		WillRespondToIRR:     boolPtr(false),
		MaintainConnection:   boolPtr(false),
	}
	if ttl > 0 {
		t := TimeToLive(ttl)
		r.TimeToLive = &t
	}
	return &RasMessage{RegistrationConfirm: r}
}

// UnregistrationConfirm answers a URQ.
func (g *Gatekeeper) UnregistrationConfirm(seq int64) *RasMessage {
	return &RasMessage{UnregistrationConfirm: &UnregistrationConfirm{RequestSeqNum: RequestSeqNum(seq)}}
}

// AdmissionConfirm admits a call, direct call model, to destCallSignal.
func (g *Gatekeeper) AdmissionConfirm(seq int64, bandwidth int64, destCallSignal TransportAddress) *RasMessage {
	return &RasMessage{AdmissionConfirm: &AdmissionConfirm{
		RequestSeqNum:         RequestSeqNum(seq),
		BandWidth:             BandWidth(bandwidth),
		CallModel:             CallModel{Direct: &struct{}{}},
		DestCallSignalAddress: destCallSignal,
		WillRespondToIRR:      boolPtr(false),
		UuiesRequested:        &UUIEsRequested{},
	}}
}

// LocationConfirm answers an LRQ.
func (g *Gatekeeper) LocationConfirm(seq int64, callSignal, ras TransportAddress) *RasMessage {
	return &RasMessage{LocationConfirm: &LocationConfirm{
		RequestSeqNum:     RequestSeqNum(seq),
		CallSignalAddress: callSignal,
		RasAddress:        ras,
	}}
}

// DisengageConfirm answers a DRQ.
func (g *Gatekeeper) DisengageConfirm(seq int64) *RasMessage {
	return &RasMessage{DisengageConfirm: &DisengageConfirm{RequestSeqNum: RequestSeqNum(seq)}}
}

// InfoRequest asks an endpoint for an IRR about call crv (0: all calls).
func (g *Gatekeeper) InfoRequest(seq int64, crv int64, call *Call) *RasMessage {
	r := &InfoRequest{RequestSeqNum: RequestSeqNum(seq), CallReferenceValue: CallReferenceValue(crv)}
	if call != nil {
		r.CallIdentifier = call.callIdentifier()
	}
	return &RasMessage{InfoRequest: r}
}
