package bfcp

// Request is a floor request as the server holds it.
type Request struct {
	ID            uint16   // FLOOR-REQUEST-ID, chosen by the server
	UserID        uint16   // the requesting user (common header)
	BeneficiaryID uint16   // whom the floor is for: UserID unless a chair asked
	FloorIDs      []uint16 // the floors asked for, in request order
	Priority      Prio
	Info          string // PARTICIPANT-PROVIDED-INFO
	Status        RequestStatus
}

// info builds the FLOOR-REQUEST-INFORMATION of r (RFC 8855 §5.2.15):
//
//	FLOOR-REQUEST-INFORMATION = (FLOOR-REQUEST-ID) [OVERALL-REQUEST-STATUS]
//	    1*FLOOR-REQUEST-STATUS [BENEFICIARY-INFORMATION]
//	    [REQUESTED-BY-INFORMATION] [PRIORITY] [PARTICIPANT-PROVIDED-INFO]
func (r *Request) info(statusInfo string) Attribute {
	overall := []Attribute{NewRequestStatus(r.Status, 0)}
	if statusInfo != "" {
		overall = append(overall, NewText(StatusInfo, statusInfo))
	}
	g := []Attribute{NewGroup(OverallRequestStatusAttr, r.ID, overall...)}
	for _, f := range r.FloorIDs {
		g = append(g, NewGroup(FloorRequestStatusAttr, f))
	}
	g = append(g, NewGroup(BeneficiaryInformation, r.BeneficiaryID))
	if r.BeneficiaryID != r.UserID {
		g = append(g, NewGroup(RequestedByInformation, r.UserID))
	}
	g = append(g, NewPriority(r.Priority))
	if r.Info != "" {
		g = append(g, NewText(ParticipantProvidedInfo, r.Info))
	}
	return NewGroup(FloorRequestInformation, r.ID, g...)
}

// ParseRequestInfo reads a FLOOR-REQUEST-INFORMATION attribute back into a
// Request (a client's view of FloorRequestStatus and FloorStatus).
func ParseRequestInfo(a *Attribute) Request {
	r := Request{ID: a.ID, Priority: PrioNormal}
	for i := range a.Group {
		g := &a.Group[i]
		switch g.Type {
		case OverallRequestStatusAttr:
			if s, ok := Find(g.Group, RequestStatusAttr); ok {
				r.Status, _, _ = s.RequestStatus()
			}
		case FloorRequestStatusAttr:
			r.FloorIDs = append(r.FloorIDs, g.ID)
			if s, ok := Find(g.Group, RequestStatusAttr); ok && r.Status == 0 {
				r.Status, _, _ = s.RequestStatus()
			}
		case BeneficiaryInformation:
			r.BeneficiaryID = g.ID
		case RequestedByInformation:
			r.UserID = g.ID
		case Priority:
			r.Priority = g.Priority()
		case ParticipantProvidedInfo:
			r.Info = string(g.Value)
		}
	}
	if r.UserID == 0 {
		r.UserID = r.BeneficiaryID
	}
	return r
}

// supportedPrimitives are those the server handles (HelloAck, §5.3.12).
func supportedPrimitives() []Primitive {
	return []Primitive{FloorRequest, FloorRelease, FloorRequestQuery, FloorRequestStatus,
		UserQuery, UserStatus, FloorQuery, FloorStatus, Hello, HelloAck, Error, FloorRequestStatusAck,
		FloorStatusAck, Goodbye, GoodbyeAck}
}

// supportedAttributes are those the server understands: all of RFC 8855.
func supportedAttributes() []AttrType {
	ts := make([]AttrType, 0, OverallRequestStatusAttr)
	for t := BeneficiaryID; t <= OverallRequestStatusAttr; t++ {
		ts = append(ts, t)
	}
	return ts
}
