package h245

import "net/netip"

// Builders for the H.245 messages of a call (ITU-T H.245 §8, H.323 §8.2):
// capability exchange, master/slave determination, logical channels and
// the commands and indications the gateway translates (fast update,
// flow control, user input).

// ProtocolVersion is the H.245 version we announce (v15, 12/2009 module
// revision 0.0.8.245.0.15).
const ProtocolVersion = 15

// NewProtocolIdentifier returns 0.0.8.245.0.ProtocolVersion.
func NewProtocolIdentifier() ObjectIdentifier {
	return ObjectIdentifier{0, 0, 8, 245, 0, ProtocolVersion}
}

// Request, Response, Command and Indication wrap a message body in a
// MultimediaSystemControlMessage.
func Request(r RequestMessage) *MultimediaSystemControlMessage {
	return &MultimediaSystemControlMessage{Request: &r}
}

// Response wraps r, see Request.
func Response(r ResponseMessage) *MultimediaSystemControlMessage {
	return &MultimediaSystemControlMessage{Response: &r}
}

// Command wraps c, see Request.
func Command(c CommandMessage) *MultimediaSystemControlMessage {
	return &MultimediaSystemControlMessage{Command: &c}
}

// Indication wraps i, see Request.
func Indication(i IndicationMessage) *MultimediaSystemControlMessage {
	return &MultimediaSystemControlMessage{Indication: &i}
}

// NewTerminalCapabilitySet numbers caps from 1 in the capability table and
// puts them in one capability descriptor whose simultaneous capabilities
// are the given alternative sets of 0-based indexes into caps, e.g.
// {{0, 1}, {2}} for "audio G.722 or G.711, and video H.264".
func NewTerminalCapabilitySet(seq int64, caps []Capability, simultaneous [][]int) *MultimediaSystemControlMessage {
	tcs := &TerminalCapabilitySet{SequenceNumber: SequenceNumber(seq), ProtocolIdentifier: NewProtocolIdentifier()}
	for i := range caps {
		tcs.CapabilityTable = append(tcs.CapabilityTable, CapabilityTableEntry{
			CapabilityTableEntryNumber: CapabilityTableEntryNumber(i + 1), Capability: &caps[i]})
	}
	desc := CapabilityDescriptor{CapabilityDescriptorNumber: 0}
	for _, alts := range simultaneous {
		set := make(AlternativeCapabilitySet, len(alts))
		for j, a := range alts {
			set[j] = CapabilityTableEntryNumber(a + 1)
		}
		desc.SimultaneousCapabilities = append(desc.SimultaneousCapabilities, set)
	}
	tcs.CapabilityDescriptors = []CapabilityDescriptor{desc}
	return Request(RequestMessage{TerminalCapabilitySet: tcs})
}

// NewTerminalCapabilitySetAck acknowledges TCS seq.
func NewTerminalCapabilitySetAck(seq int64) *MultimediaSystemControlMessage {
	return Response(ResponseMessage{TerminalCapabilitySetAck: &TerminalCapabilitySetAck{SequenceNumber: SequenceNumber(seq)}})
}

// NewMasterSlaveDetermination starts MSD (H.245 §8.2) with a terminal type
// (H.323 Table 1: 50 terminal, 60 gateway, 190 MCU…) and a random number.
func NewMasterSlaveDetermination(terminalType, statusDeterminationNumber int64) *MultimediaSystemControlMessage {
	return Request(RequestMessage{MasterSlaveDetermination: &MasterSlaveDetermination{
		TerminalType: terminalType, StatusDeterminationNumber: statusDeterminationNumber}})
}

// NewMasterSlaveDeterminationAck tells the peer its role: master is true
// when the peer is the master.
func NewMasterSlaveDeterminationAck(peerIsMaster bool) *MultimediaSystemControlMessage {
	var d MasterSlaveDeterminationAckDecision
	if peerIsMaster {
		d.Master = &struct{}{}
	} else {
		d.Slave = &struct{}{}
	}
	return Response(ResponseMessage{MasterSlaveDeterminationAck: &MasterSlaveDeterminationAck{Decision: d}})
}

// Channel describes a unidirectional RTP logical channel to open.
type Channel struct {
	Number    int64
	SessionID int64 // 1 audio, 2 video, 3 data, >3 e.g. H.239 content
	DataType  DataType
	// RTCP is where the opener receives RTCP (mediaControlChannel).
	RTCP netip.AddrPort
	// PayloadType is the dynamic RTP payload type, 0 for static ones.
	PayloadType int64
	// Silence suppression is sent for audio channels as false.
	Audio bool
}

// OpenLogicalChannel builds the OpenLogicalChannel for a fastStart
// proposal or an H.245 request.
func (c Channel) OpenLogicalChannel() (OpenLogicalChannel, error) {
	p := H2250LogicalChannelParameters{SessionID: c.SessionID}
	if c.RTCP.IsValid() {
		t, err := NewTransportAddress(c.RTCP)
		if err != nil {
			return OpenLogicalChannel{}, err
		}
		p.MediaControlChannel = &t
	}
	if c.Audio {
		f := false
		p.SilenceSuppression = &f
	}
	if c.PayloadType >= 96 {
		pt := c.PayloadType
		p.DynamicRTPPayloadType = &pt
	}
	return OpenLogicalChannel{
		ForwardLogicalChannelNumber: LogicalChannelNumber(c.Number),
		ForwardLogicalChannelParameters: OpenLogicalChannelForwardLogicalChannelParameters{
			DataType: c.DataType,
			MultiplexParameters: OpenLogicalChannelForwardLogicalChannelParametersMultiplexParameters{
				H2250LogicalChannelParameters: &p},
		},
	}, nil
}

// NewOpenLogicalChannelAck accepts channel number with the address where
// we receive its RTP and RTCP.
func NewOpenLogicalChannelAck(number, sessionID int64, rtp, rtcp netip.AddrPort) (*MultimediaSystemControlMessage, error) {
	media, err := NewTransportAddress(rtp)
	if err != nil {
		return nil, err
	}
	ctl, err := NewTransportAddress(rtcp)
	if err != nil {
		return nil, err
	}
	return Response(ResponseMessage{OpenLogicalChannelAck: &OpenLogicalChannelAck{
		ForwardLogicalChannelNumber: LogicalChannelNumber(number),
		ForwardMultiplexAckParameters: &OpenLogicalChannelAckForwardMultiplexAckParameters{
			H2250LogicalChannelAckParameters: &H2250LogicalChannelAckParameters{
				SessionID: &sessionID, MediaChannel: &media, MediaControlChannel: &ctl}},
	}}), nil
}

// NewCloseLogicalChannel closes channel number we opened.
func NewCloseLogicalChannel(number int64) *MultimediaSystemControlMessage {
	return Request(RequestMessage{CloseLogicalChannel: &CloseLogicalChannel{
		ForwardLogicalChannelNumber: LogicalChannelNumber(number),
		Source:                      CloseLogicalChannelSource{User: &struct{}{}}}})
}

// NewVideoFastUpdatePicture asks the sender of channel number for a key
// frame (miscellaneousCommand videoFastUpdatePicture).
func NewVideoFastUpdatePicture(number int64) *MultimediaSystemControlMessage {
	return Command(CommandMessage{MiscellaneousCommand: &MiscellaneousCommand{
		LogicalChannelNumber: LogicalChannelNumber(number),
		Type:                 MiscellaneousCommandType{VideoFastUpdatePicture: &struct{}{}}}})
}

// NewFlowControlCommand limits channel number to maxBitRate in units of
// 100 bit/s (flowControlCommand, H.245 §8.13).
func NewFlowControlCommand(number, maxBitRate int64) *MultimediaSystemControlMessage {
	lcn := LogicalChannelNumber(number)
	return Command(CommandMessage{FlowControlCommand: &FlowControlCommand{
		Scope:       FlowControlCommandScope{LogicalChannelNumber: &lcn},
		Restriction: FlowControlCommandRestriction{MaximumBitRate: &maxBitRate}}})
}

// NewUserInputAlphanumeric sends DTMF or text as alphanumeric user input.
func NewUserInputAlphanumeric(s string) *MultimediaSystemControlMessage {
	return Indication(IndicationMessage{UserInput: &UserInputIndication{Alphanumeric: &s}})
}

// NewUserInputSignal sends one DTMF digit (0-9, *, #, A-D, !) as a signal
// with its duration in milliseconds (0 leaves it out).
func NewUserInputSignal(digit byte, durationMS int64) *MultimediaSystemControlMessage {
	sig := &UserInputIndicationSignal{SignalType: string(digit)}
	if durationMS > 0 {
		sig.Duration = &durationMS
	}
	return Indication(IndicationMessage{UserInput: &UserInputIndication{Signal: sig}})
}
