package decodecmd

import (
	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/h245"
)

// Default returns the Decoders backed by the generated H.225.0 and H.245
// packages: H323-UserInformation for the Q.931 user-user element,
// RasMessage for RAS and MultimediaSystemControlMessage for H.245, with
// tunnelled H.245 (h245Control, parallelH245Control) and fastStart
// OpenLogicalChannel proposals printed as messages of their own. Main uses
// them unless Register installed others.
func Default() Decoders {
	return Decoders{
		UserInfo: DecodeUserInfo,
		RAS:      DecodeRAS,
		H245:     DecodeH245,
		Embedded: EmbeddedH245,
	}
}

// DecodeUserInfo decodes an H.225.0 H323-UserInformation; the name is the
// h323-message-body alternative ("setup", "connect", …).
func DecodeUserInfo(b []byte) (string, any, func() ([]byte, error), error) {
	m := new(h225.H323UserInformation)
	if err := m.Unmarshal(b); err != nil {
		return "", nil, nil, err
	}
	return ChoiceName(&m.H323UuPdu.H323MessageBody, 1), m, m.Marshal, nil
}

// DecodeRAS decodes an H.225.0 RasMessage; the name is the alternative
// ("registrationRequest", …).
func DecodeRAS(b []byte) (string, any, func() ([]byte, error), error) {
	m := new(h225.RasMessage)
	if err := m.Unmarshal(b); err != nil {
		return "", nil, nil, err
	}
	return ChoiceName(m, 1), m, m.Marshal, nil
}

// DecodeH245 decodes an H.245 MultimediaSystemControlMessage; the name is
// the inner alternative ("terminalCapabilitySet", "openLogicalChannelAck",
// …), one level below request/response/command/indication.
func DecodeH245(b []byte) (string, any, func() ([]byte, error), error) {
	m := new(h245.MultimediaSystemControlMessage)
	if err := m.Unmarshal(b); err != nil {
		return "", nil, nil, err
	}
	return ChoiceName(m, 2), m, m.Marshal, nil
}

// decodeOLC decodes a fastStart element, an OpenLogicalChannel (H.225.0
// §8.1.7.1, H.245 encoded); its message name is "openLogicalChannel".
func decodeOLC(b []byte) (string, any, func() ([]byte, error), error) {
	m := new(h245.OpenLogicalChannel)
	if err := m.Unmarshal(b); err != nil {
		return "", nil, nil, err
	}
	return "openLogicalChannel", m, m.Marshal, nil
}

// EmbeddedH245 lists the H.245 messages an H323-UserInformation returned
// by DecodeUserInfo carries: tunnelled messages in h245Control (H.225.0
// §7.6, H.323 §8.2.1), parallelH245Control of a Setup, and the fastStart
// OpenLogicalChannel proposals of the UUIEs that have them, in that order.
func EmbeddedH245(userInfo any) []Embedded {
	ui, ok := userInfo.(*h225.H323UserInformation)
	if !ok || ui == nil {
		return nil
	}
	var out []Embedded
	add := func(via string, raw []byte, f DecodeFunc) {
		e := Embedded{Protocol: protoH245, Via: via, Raw: raw}
		e.Name, e.Body, e.Reencode, e.Err = f(raw)
		out = append(out, e)
	}
	for _, raw := range ui.H323UuPdu.H245Control {
		add("h245Control", raw, DecodeH245)
	}
	body := &ui.H323UuPdu.H323MessageBody
	if body.Setup != nil {
		for _, raw := range body.Setup.ParallelH245Control {
			add("parallelH245Control", raw, DecodeH245)
		}
	}
	for _, raw := range fastStart(body) {
		add("fastStart", raw, decodeOLC)
	}
	return out
}

// fastStart returns the fastStart elements of the UUIEs that carry them
// (H.225.0 §7.3–7.4).
func fastStart(b *h225.H323UUPDUH323MessageBody) [][]byte {
	switch {
	case b.Setup != nil:
		return b.Setup.FastStart
	case b.CallProceeding != nil:
		return b.CallProceeding.FastStart
	case b.Alerting != nil:
		return b.Alerting.FastStart
	case b.Connect != nil:
		return b.Connect.FastStart
	case b.Information != nil:
		return b.Information.FastStart
	case b.Facility != nil:
		return b.Facility.FastStart
	case b.Progress != nil:
		return b.Progress.FastStart
	}
	return nil
}
