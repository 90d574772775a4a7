package h239

import (
	"errors"
	"fmt"
	"slices"

	"github.com/roomgate/roomgate/h323/h245"
)

// Kind is the subMessageIdentifier of an H.239 generic message (H.239
// Table 8).
type Kind int64

// H.239 sub-messages.
const (
	FlowControlReleaseRequest      Kind = 1
	FlowControlReleaseResponse     Kind = 2
	PresentationTokenRequest       Kind = 3
	PresentationTokenResponse      Kind = 4
	PresentationTokenRelease       Kind = 5
	PresentationTokenIndicateOwner Kind = 6
)

func (k Kind) String() string {
	switch k {
	case FlowControlReleaseRequest:
		return "flowControlReleaseRequest"
	case FlowControlReleaseResponse:
		return "flowControlReleaseResponse"
	case PresentationTokenRequest:
		return "presentationTokenRequest"
	case PresentationTokenResponse:
		return "presentationTokenResponse"
	case PresentationTokenRelease:
		return "presentationTokenRelease"
	case PresentationTokenIndicateOwner:
		return "presentationTokenIndicateOwner"
	}
	return fmt.Sprintf("Kind(%d)", int64(k))
}

// Parameter identifiers of the H.239 generic messages (H.239 Table 9).
const (
	ParamBitRate          = 41  // unsigned32Min, units of 100 bit/s
	ParamChannelID        = 42  // unsignedMin, logical channel number
	ParamSymmetryBreaking = 43  // unsignedMin, 1..127
	ParamTerminalLabel    = 44  // unsignedMin, M*256+T or 0
	ParamAcknowledge      = 126 // logical
	ParamReject           = 127 // logical
)

// paramOrder lists, per sub-message, the parameters in the order H.239
// Tables 10 to 14 give them; paramAckReject stands for acknowledge or
// reject, whichever applies.
const paramAckReject = -1

func paramOrder(k Kind) ([]int64, bool) {
	switch k {
	case FlowControlReleaseRequest:
		return []int64{ParamChannelID, ParamBitRate}, true
	case FlowControlReleaseResponse:
		return []int64{paramAckReject, ParamChannelID, ParamBitRate}, true
	case PresentationTokenRequest:
		return []int64{ParamTerminalLabel, ParamChannelID, ParamSymmetryBreaking}, true
	case PresentationTokenResponse:
		return []int64{paramAckReject, ParamTerminalLabel, ParamChannelID}, true
	case PresentationTokenRelease, PresentationTokenIndicateOwner:
		return []int64{ParamTerminalLabel, ParamChannelID}, true
	}
	return nil, false
}

var (
	errNotH239     = errors.New("h239: not an H.239 generic message")
	errKind        = errors.New("h239: unknown subMessageIdentifier")
	errParamType   = errors.New("h239: parameter of the wrong type")
	errMissing     = errors.New("h239: mandatory parameter missing")
	errAckAndRejct = errors.New("h239: response both acknowledges and rejects")
	errParamRange  = errors.New("h239: parameter value above 65535")
)

// Message is one H.239 generic message. Fields a sub-message does not
// carry are ignored when building and zero after parsing.
type Message struct {
	Kind Kind
	// ChannelID is the logical channel number of the content channel.
	ChannelID int64
	// TerminalLabel is M*256+T of the token owner (0 without an MC).
	TerminalLabel int64
	// SymmetryBreaking (1..127) settles simultaneous token requests.
	SymmetryBreaking int64
	// BitRate in units of 100 bit/s (flow control release); 0 leaves it
	// out of a response.
	BitRate int64
	// Acknowledge: a response acknowledges (true) or rejects (false).
	Acknowledge bool
}

// GenericMessage builds the H.245 GenericMessage.
func (m Message) GenericMessage() (h245.GenericMessage, error) {
	order, ok := paramOrder(m.Kind)
	if !ok {
		return h245.GenericMessage{}, fmt.Errorf("%w %d", errKind, int64(m.Kind))
	}
	sub := int64(m.Kind)
	g := h245.GenericMessage{MessageIdentifier: h245.StandardIdentifier(oidMessage...), SubMessageIdentifier: &sub}
	for _, id := range order {
		switch id {
		case paramAckReject:
			if m.Acknowledge {
				g.MessageContent = append(g.MessageContent, h245.ParamLogical(ParamAcknowledge))
			} else {
				g.MessageContent = append(g.MessageContent, h245.ParamLogical(ParamReject))
			}
		case ParamBitRate:
			if m.BitRate != 0 || m.Kind == FlowControlReleaseRequest {
				g.MessageContent = append(g.MessageContent, h245.ParamUnsigned32Min(id, m.BitRate))
			}
		case ParamChannelID:
			g.MessageContent = append(g.MessageContent, h245.ParamUnsignedMin(id, m.ChannelID))
		case ParamTerminalLabel:
			g.MessageContent = append(g.MessageContent, h245.ParamUnsignedMin(id, m.TerminalLabel))
		case ParamSymmetryBreaking:
			g.MessageContent = append(g.MessageContent, h245.ParamUnsignedMin(id, m.SymmetryBreaking))
		}
	}
	return g, nil
}

// MultimediaSystemControlMessage builds the whole H.245 message: the
// GenericMessage in genericRequest, genericResponse, genericCommand or
// genericIndication as H.239 §8.3 assigns.
func (m Message) MultimediaSystemControlMessage() (h245.MultimediaSystemControlMessage, error) {
	g, err := m.GenericMessage()
	if err != nil {
		return h245.MultimediaSystemControlMessage{}, err
	}
	switch m.Kind {
	case FlowControlReleaseRequest, PresentationTokenRequest:
		return h245.MultimediaSystemControlMessage{Request: &h245.RequestMessage{GenericRequest: &g}}, nil
	case FlowControlReleaseResponse, PresentationTokenResponse:
		return h245.MultimediaSystemControlMessage{Response: &h245.ResponseMessage{GenericResponse: &g}}, nil
	case PresentationTokenRelease:
		return h245.MultimediaSystemControlMessage{Command: &h245.CommandMessage{GenericCommand: &g}}, nil
	default:
		return h245.MultimediaSystemControlMessage{Indication: &h245.IndicationMessage{GenericIndication: &g}}, nil
	}
}

// Find returns the H.239 generic message of an H.245 message, if it
// carries one.
func Find(m *h245.MultimediaSystemControlMessage) (*h245.GenericMessage, bool) {
	var g *h245.GenericMessage
	switch {
	case m.Request != nil:
		g = m.Request.GenericRequest
	case m.Response != nil:
		g = m.Response.GenericResponse
	case m.Command != nil:
		g = m.Command.GenericCommand
	case m.Indication != nil:
		g = m.Indication.GenericIndication
	}
	if g == nil || !g.MessageIdentifier.IsStandard(oidMessage...) {
		return nil, false
	}
	return g, true
}

// Parse reads an H.239 generic message. Parameters may come in any order;
// unknown ones are ignored. The mandatory parameters of the sub-message
// must be present with the right value type.
func Parse(g *h245.GenericMessage) (Message, error) {
	var m Message
	if !g.MessageIdentifier.IsStandard(oidMessage...) || g.SubMessageIdentifier == nil {
		return m, errNotH239
	}
	m.Kind = Kind(*g.SubMessageIdentifier)
	order, ok := paramOrder(m.Kind)
	if !ok {
		return m, fmt.Errorf("%w %d", errKind, int64(m.Kind))
	}
	var ack, rej bool
	seen := map[int64]bool{}
	for i := range g.MessageContent {
		p := &g.MessageContent[i]
		id := p.StandardID()
		v := &p.ParameterValue
		var dst *int64
		switch id {
		case ParamAcknowledge, ParamReject:
			if !slices.Contains(order, paramAckReject) {
				continue
			}
			// Some Polycom firmware sends these as an integer instead of
			// NULL; presence is what counts.
			ack, rej = ack || id == ParamAcknowledge, rej || id == ParamReject
			seen[paramAckReject] = true
			continue
		case ParamBitRate:
			dst = &m.BitRate
		case ParamChannelID:
			dst = &m.ChannelID
		case ParamTerminalLabel:
			dst = &m.TerminalLabel
		case ParamSymmetryBreaking:
			dst = &m.SymmetryBreaking
		default:
			continue
		}
		if !slices.Contains(order, id) {
			continue // not a parameter of this sub-message
		}
		n, ok := v.Uint()
		if !ok {
			return m, fmt.Errorf("parameter %d: %w", id, errParamType)
		}
		if id != ParamBitRate && n > 0xffff {
			return m, fmt.Errorf("parameter %d: %w", id, errParamRange)
		}
		*dst = n
		seen[id] = true
	}
	if ack && rej {
		return m, errAckAndRejct
	}
	m.Acknowledge = ack
	for _, id := range order {
		if !seen[id] && id != ParamBitRate && id != ParamSymmetryBreaking {
			return m, fmt.Errorf("%v: parameter %d: %w", m.Kind, id, errMissing)
		}
	}
	return m, nil
}
