package h225

// Status builds a Status UUIE (H.225.0 §7.3.11), the user-user part of the
// STATUS that answers a STATUS INQUIRY.
func (c *Call) Status() *H323UserInformation {
	return c.wrap(H323UUPDUH323MessageBody{Status: &StatusUUIE{
		ProtocolIdentifier: NewProtocolIdentifier(),
		CallIdentifier:     CallIdentifier{Guid: c.CallID},
	}})
}

// Information builds an Information UUIE (H.225.0 §7.3.6), e.g. for an
// INFORMATION carrying a keypad facility element.
func (c *Call) Information() *H323UserInformation {
	return c.wrap(H323UUPDUH323MessageBody{Information: &InformationUUIE{
		ProtocolIdentifier: NewProtocolIdentifier(),
		CallIdentifier:     c.callIdentifier(),
	}})
}
