package bfcp

import (
	"slices"
	"time"
)

// receive decodes one framed TCP message from p and handles it; bytes that
// do not decode get an Error.
func (s *Server) receive(p *peer, b []byte) {
	var m Message
	if _, err := m.Unmarshal(b); err != nil {
		s.mu.Lock()
		if !p.gone && p.allow(time.Now()) {
			req := headerOf(b)
			p.respondError(&req, CodeOf(err), err.Error(), nil)
		}
		s.mu.Unlock()
		return
	}
	s.mu.Lock()
	ok := p.allow(time.Now())
	s.mu.Unlock()
	if ok {
		s.handle(p, &m)
	}
}

// handle runs the floor control server's side of RFC 8855 §13 for one
// decoded message from p.
func (s *Server) handle(p *peer, m *Message) {
	s.mu.Lock()
	if p.gone || s.closed {
		s.mu.Unlock()
		return
	}
	p.armIdle(s.cfg.IdleTimeout, "idle") // a valid message: the handshake is over
	if isAck(m) {
		if p.udp != nil {
			p.udp.ack(m.TransactionID)
		}
		s.mu.Unlock()
		return
	}
	if m.Responder || isClientBound(m.Primitive) {
		// A response we did not ask for, or a server-to-client primitive:
		// nothing to answer (an Error to an Error could loop).
		s.mu.Unlock()
		return
	}
	if p.udp != nil && m.TransactionID != 0 && p.udp.resend(m.TransactionID, p.addr) {
		s.mu.Unlock()
		return
	}
	if !p.valid {
		p.valid = true
		p.user = m.UserID
	}
	p.version = m.Version
	if m.ConferenceID != s.cfg.ConferenceID {
		p.respondError(m, ErrConferenceNotFound, "", nil)
		s.mu.Unlock()
		return
	}
	if u := UnknownMandatory(m.Attributes); len(u) > 0 {
		p.respondError(m, ErrUnknownMandatoryAttr, "", NewUnknownAttrs(u).Value[1:])
		s.mu.Unlock()
		return
	}
	switch m.Primitive {
	case FloorRequest:
		s.floorRequest(p, m) // unlocks
		return
	case FloorRelease:
		rel := s.floorRelease(p, m)
		s.mu.Unlock()
		s.released(rel)
		return
	case Goodbye:
		p.respond(m, GoodbyeAck, nil)
		rel := s.dropPeer(p, "goodbye")
		s.mu.Unlock()
		s.released(rel)
		return
	case Hello:
		p.respond(m, HelloAck, []Attribute{NewSupportedPrimitives(supportedPrimitives()),
			NewSupportedAttributes(supportedAttributes())})
	case FloorRequestQuery:
		s.floorRequestQuery(p, m)
	case FloorQuery:
		s.floorQuery(p, m)
	case UserQuery:
		s.userQuery(p, m)
	case ChairAction:
		p.respondError(m, ErrUnauthorized, "no chair role over BFCP", nil)
	default:
		p.respondError(m, ErrUnknownPrimitive, "", nil)
	}
	s.mu.Unlock()
}

func isAck(m *Message) bool {
	return m.Primitive == FloorRequestStatusAck || m.Primitive == FloorStatusAck
}

// isClientBound reports primitives only a server sends (RFC 8855 §5.1).
func isClientBound(p Primitive) bool {
	switch p {
	case FloorRequestStatus, UserStatus, FloorStatus, ChairActionAck, HelloAck, Error, GoodbyeAck:
		return true
	}
	return false
}

func (s *Server) servesFloor(f uint16) bool { return slices.Contains(s.cfg.FloorIDs, f) }

// floorRequest handles FloorRequest (RFC 8855 §13.1). s.mu is held on
// entry and released inside, around Floors.Request.
func (s *Server) floorRequest(p *peer, m *Message) {
	var floors []uint16
	for _, a := range FindAll(m.Attributes, FloorID) {
		f, _ := a.Uint16()
		if !s.servesFloor(f) {
			p.respondError(m, ErrInvalidFloorID, "", nil)
			s.mu.Unlock()
			return
		}
		floors = append(floors, f)
	}
	if len(floors) == 0 {
		p.respondError(m, ErrUnparsable, "FloorRequest without FLOOR-ID", nil)
		s.mu.Unlock()
		return
	}
	if b, ok := m.Uint16(BeneficiaryID); ok && b != m.UserID {
		p.respondError(m, ErrUnauthorized, "third-party floor requests need a chair", nil)
		s.mu.Unlock()
		return
	}
	if p.open >= s.cfg.MaxRequests {
		p.respondError(m, ErrTooManyRequests, "", nil)
		s.mu.Unlock()
		return
	}
	r := &request{Request: Request{ID: s.newRequestID(), UserID: m.UserID, BeneficiaryID: m.UserID,
		FloorIDs: floors, Priority: PrioNormal}, peer: p}
	if a, ok := m.Find(Priority); ok {
		r.Priority = a.Priority()
	}
	if a, ok := m.Find(ParticipantProvidedInfo); ok {
		r.Info = string(a.Value)
	}
	s.requests[r.ID] = r
	p.open++
	pub := r.copy()
	s.mu.Unlock()

	decision := StatusGranted
	if s.cfg.Floors != nil {
		decision = s.cfg.Floors.Request(pub)
	}
	switch decision {
	case StatusPending, StatusAccepted, StatusGranted, StatusDenied:
	default:
		decision = StatusDenied
	}

	s.mu.Lock()
	if r.Status == 0 {
		r.Status = decision
	}
	if p.gone { // the connection ended while Floors decided
		delete(s.requests, r.ID)
		p.open--
		st := r.Status
		s.mu.Unlock()
		if !st.Final() && s.cfg.Floors != nil {
			pub.Status = StatusCancelled
			if st == StatusGranted {
				pub.Status = StatusReleased
			}
			s.cfg.Floors.Released(pub)
		}
		return
	}
	p.respond(m, FloorRequestStatus, []Attribute{r.info("")})
	if r.Status.Final() {
		delete(s.requests, r.ID)
		p.open--
	}
	s.notifyFloors(r)
	s.events = append(s.events, FloorEvent{Request: r.copy()})
	s.mu.Unlock()
	s.flush()
}

// newRequestID returns an unused, non-zero floor request ID. s.mu is held.
func (s *Server) newRequestID() uint16 {
	for {
		s.nextReqID++
		if _, used := s.requests[s.nextReqID]; s.nextReqID != 0 && !used {
			return s.nextReqID
		}
	}
}

// floorRelease handles FloorRelease (RFC 8855 §13.5): a granted request
// becomes Released, a pending or accepted one Cancelled. s.mu is held.
func (s *Server) floorRelease(p *peer, m *Message) []Request {
	id, ok := m.Uint16(FloorRequestID)
	if !ok {
		p.respondError(m, ErrUnparsable, "FloorRelease without FLOOR-REQUEST-ID", nil)
		return nil
	}
	r, ok := s.requests[id]
	if !ok || r.Status == 0 {
		p.respondError(m, ErrFloorRequestNotFound, "", nil)
		return nil
	}
	if r.UserID != m.UserID {
		p.respondError(m, ErrUnauthorized, "not your floor request", nil)
		return nil
	}
	st := StatusCancelled
	if r.Status == StatusGranted {
		st = StatusReleased
	}
	owner := r.peer
	r.peer = nil // the response below tells the requester, not a notification
	s.setStatus(r, st, "")
	if owner != nil {
		owner.open--
	}
	p.respond(m, FloorRequestStatus, []Attribute{r.info("")})
	return []Request{r.copy()}
}

// floorRequestQuery handles FloorRequestQuery (RFC 8855 §13.3).
func (s *Server) floorRequestQuery(p *peer, m *Message) {
	id, ok := m.Uint16(FloorRequestID)
	r, found := s.requests[id]
	if !ok || !found || r.Status == 0 {
		p.respondError(m, ErrFloorRequestNotFound, "", nil)
		return
	}
	p.respond(m, FloorRequestStatus, []Attribute{r.info("")})
}

// floorQuery handles FloorQuery (RFC 8855 §13.2): the floors listed replace
// those p watches (none: p stops watching); the first floor's FloorStatus
// is the response, the others follow as notifications.
func (s *Server) floorQuery(p *peer, m *Message) {
	var floors []uint16
	for _, a := range FindAll(m.Attributes, FloorID) {
		f, _ := a.Uint16()
		if !s.servesFloor(f) {
			p.respondError(m, ErrInvalidFloorID, "", nil)
			return
		}
		floors = append(floors, f)
	}
	clear(p.queried)
	for _, f := range floors {
		p.queried[f] = true
	}
	if len(floors) == 0 {
		p.respond(m, FloorStatus, nil)
		return
	}
	p.respond(m, FloorStatus, s.floorStatus(floors[0], nil))
	for _, f := range floors[1:] {
		p.notify(FloorStatus, s.floorStatus(f, nil))
	}
}

// floorStatus lists floor f and its open requests, plus changed if it
// just ended (so watchers see the final state). s.mu is held.
func (s *Server) floorStatus(f uint16, changed *request) []Attribute {
	attrs := []Attribute{NewUint16(FloorID, f)}
	ids := make([]uint16, 0, len(s.requests))
	for id, r := range s.requests {
		if r.Status != 0 && slices.Contains(r.FloorIDs, f) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		attrs = append(attrs, s.requests[id].info(""))
	}
	if changed != nil && changed.Status.Final() {
		attrs = append(attrs, changed.info(""))
	}
	return attrs
}

// notifyFloors sends FloorStatus for r's floors to the peers watching
// them (RFC 8855 §13.2). s.mu is held.
func (s *Server) notifyFloors(r *request) {
	for q := range s.peers {
		if q.gone {
			continue
		}
		for _, f := range r.FloorIDs {
			if q.queried[f] {
				q.notify(FloorStatus, s.floorStatus(f, r))
			}
		}
	}
}

// userQuery handles UserQuery (RFC 8855 §13.4): the floor requests whose
// beneficiary is the user asked about (the sender by default).
func (s *Server) userQuery(p *peer, m *Message) {
	uid := m.UserID
	if b, ok := m.Uint16(BeneficiaryID); ok {
		uid = b
	}
	attrs := []Attribute{NewGroup(BeneficiaryInformation, uid)}
	ids := make([]uint16, 0)
	for id, r := range s.requests {
		if r.BeneficiaryID == uid && r.Status != 0 {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		attrs = append(attrs, s.requests[id].info(""))
	}
	p.respond(m, UserStatus, attrs)
}
