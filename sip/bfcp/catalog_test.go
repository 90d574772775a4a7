package bfcp

// catalog returns one message of every primitive of RFC 8855 §5.3, with the
// attributes its ABNF allows, in version v. Tests encode, decode and hand
// them to tshark.
func catalog(v uint8) []Message {
	hdr := func(p Primitive, tid uint16) Header {
		return Header{Version: v, Primitive: p, ConferenceID: 0x01020304, TransactionID: tid, UserID: 1284}
	}
	resp := func(p Primitive, tid uint16) Header {
		h := hdr(p, tid)
		h.Responder = v == Version2
		return h
	}
	frInfo := func(id uint16, s RequestStatus) Attribute {
		return NewGroup(FloorRequestInformation, id,
			NewGroup(OverallRequestStatusAttr, id, NewRequestStatus(s, 0), NewText(StatusInfo, "overall")),
			NewGroup(FloorRequestStatusAttr, 1, NewRequestStatus(s, 0), NewText(StatusInfo, "floor 1")),
			NewGroup(BeneficiaryInformation, 1284, NewText(UserDisplayName, "Room A"), NewText(UserURI, "sip:room@a.example")),
			NewGroup(RequestedByInformation, 1284, NewText(UserDisplayName, "Room A")),
			NewPriority(PrioNormal),
			NewText(ParticipantProvidedInfo, "slides"))
	}
	return []Message{
		{Header: hdr(FloorRequest, 1), Attributes: []Attribute{NewUint16(FloorID, 1), NewUint16(BeneficiaryID, 7),
			NewText(ParticipantProvidedInfo, "please"), NewPriority(PrioHigh)}},
		{Header: hdr(FloorRelease, 2), Attributes: []Attribute{NewUint16(FloorRequestID, 9)}},
		{Header: hdr(FloorRequestQuery, 3), Attributes: []Attribute{NewUint16(FloorRequestID, 9)}},
		{Header: resp(FloorRequestStatus, 1), Attributes: []Attribute{frInfo(9, StatusGranted)}},
		{Header: hdr(UserQuery, 4), Attributes: []Attribute{NewUint16(BeneficiaryID, 7)}},
		{Header: resp(UserStatus, 4), Attributes: []Attribute{
			NewGroup(BeneficiaryInformation, 7, NewText(UserDisplayName, "Bob")), frInfo(9, StatusPending)}},
		{Header: hdr(FloorQuery, 5), Attributes: []Attribute{NewUint16(FloorID, 1), NewUint16(FloorID, 2)}},
		{Header: resp(FloorStatus, 5), Attributes: []Attribute{NewUint16(FloorID, 1), frInfo(9, StatusGranted)}},
		{Header: hdr(ChairAction, 6), Attributes: []Attribute{NewGroup(FloorRequestInformation, 9,
			NewGroup(FloorRequestStatusAttr, 1, NewRequestStatus(StatusRevoked, 0)))}},
		{Header: resp(ChairActionAck, 6)},
		{Header: hdr(Hello, 7)},
		{Header: resp(HelloAck, 7), Attributes: []Attribute{
			NewSupportedPrimitives([]Primitive{FloorRequest, FloorRelease, Hello, Goodbye}),
			NewSupportedAttributes([]AttrType{FloorID, FloorRequestID, SupportedPrimitives})}},
		{Header: resp(Error, 8), Attributes: []Attribute{NewErrorCode(ErrInvalidFloorID, nil), NewText(ErrorInfo, "no such floor")}},
		{Header: resp(Error, 10), Attributes: []Attribute{NewUnknownAttrs([]AttrType{42, 99})}},
		{Header: resp(FloorRequestStatusAck, 11)},
		{Header: resp(FloorStatusAck, 12)},
		{Header: hdr(Goodbye, 13)},
		{Header: resp(GoodbyeAck, 13)},
	}
}
