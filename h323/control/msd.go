package control

import (
	"fmt"
	"time"

	"github.com/roomgate/roomgate/h323/h245"
)

// Master/slave determination signalling entity, MSDSE (H.245 §8.2, SDL in
// C.2): the terminal with the larger terminalType is master; on equal
// types, (remote − local) mod 2^24 decides: 0 and 2^23 are indeterminate
// (a new number is drawn, up to N100 tries), below 2^23 the local terminal
// is master.

type msdState uint8

const (
	msdIdle     msdState = iota
	msdOutgoing          // outgoing-awaiting-response: our MSD sent
	msdIncoming          // incoming-awaiting-response: their MSD acked, our Ack awaited
)

func (s msdState) String() string {
	return [...]string{"idle", "outgoing-awaiting-response", "incoming-awaiting-response"}[s]
}

type msdStatus uint8

const (
	msdIndeterminate msdStatus = iota
	msdMaster
	msdSlave
)

type msd struct {
	state        msdState
	status       msdStatus
	terminalType int64
	number       int64 // our statusDeterminationNumber
	count        int   // tries so far (N100)
	n100         int
	t106         time.Duration
	deadline     time.Time
	rand         interface{ Uint32() uint32 }
	done         bool // determined and acknowledged both ways
}

const sdnModulus = 1 << 24

func (m *msd) draw() { m.number = int64(m.rand.Uint32() & (sdnModulus - 1)) }

// start sends our MSD (idle only).
func (m *msd) start(now time.Time, o *outbox) {
	if m.state != msdIdle {
		return
	}
	m.count = 1
	m.status = msdIndeterminate
	m.done = false
	m.draw()
	o.send(h245.NewMasterSlaveDetermination(m.terminalType, m.number))
	m.state, m.deadline = msdOutgoing, now.Add(m.t106)
}

// decide compares their MSD with ours.
func (m *msd) decide(req *h245.MasterSlaveDetermination) msdStatus {
	switch {
	case req.TerminalType < m.terminalType:
		return msdMaster
	case req.TerminalType > m.terminalType:
		return msdSlave
	}
	diff := (req.StatusDeterminationNumber - m.number) & (sdnModulus - 1)
	switch {
	case diff == 0 || diff == sdnModulus/2:
		return msdIndeterminate
	case diff < sdnModulus/2:
		return msdMaster
	}
	return msdSlave
}

// onRequest handles a received MasterSlaveDetermination.
func (m *msd) onRequest(now time.Time, req *h245.MasterSlaveDetermination, o *outbox) {
	switch m.state {
	case msdIdle:
		if m.status == msdIndeterminate || !m.done {
			m.draw()
		}
		m.answer(now, req, o, false)
	case msdOutgoing:
		m.answer(now, req, o, true)
	case msdIncoming:
		m.fail(o, "master/slave determination: a second request before our acknowledgement was acknowledged")
	}
}

func (m *msd) answer(now time.Time, req *h245.MasterSlaveDetermination, o *outbox, ours bool) {
	st := m.decide(req)
	if st == msdIndeterminate {
		if !ours {
			o.send(h245.Response(h245.ResponseMessage{MasterSlaveDeterminationReject: &h245.MasterSlaveDeterminationReject{
				Cause: h245.MasterSlaveDeterminationRejectCause{IdenticalNumbers: &struct{}{}}}}))
			return
		}
		m.retry(now, o, "identical numbers")
		return
	}
	m.status, m.done = st, false
	// The Ack tells the remote its role: master when we are slave.
	o.send(h245.NewMasterSlaveDeterminationAck(st == msdSlave))
	m.state, m.deadline = msdIncoming, now.Add(m.t106)
}

// retry draws a new number and sends MSD again, or fails after N100 tries.
func (m *msd) retry(now time.Time, o *outbox, why string) {
	if m.count >= m.n100 {
		m.fail(o, fmt.Sprintf("master/slave determination indeterminate after %d tries (%s)", m.count, why))
		return
	}
	m.count++
	m.draw()
	m.status = msdIndeterminate
	o.send(h245.NewMasterSlaveDetermination(m.terminalType, m.number))
	m.state, m.deadline = msdOutgoing, now.Add(m.t106)
}

// onAck handles MasterSlaveDeterminationAck: decision is our role.
func (m *msd) onAck(ack *h245.MasterSlaveDeterminationAck, o *outbox) {
	got := msdSlave
	if ack.Decision.Master != nil {
		got = msdMaster
	}
	switch m.state {
	case msdOutgoing:
		m.status = got
		o.send(h245.NewMasterSlaveDeterminationAck(got == msdSlave))
		m.finish(o)
	case msdIncoming:
		if got != m.status {
			m.fail(o, "master/slave determination: the remote's acknowledgement contradicts the decision")
			return
		}
		m.finish(o)
	}
	// idle: a late or duplicate Ack, ignored (H.245 C.2).
}

func (m *msd) finish(o *outbox) {
	m.state, m.deadline, m.done = msdIdle, time.Time{}, true
	o.event(MasterSlave{Master: m.status == msdMaster})
}

// onReject handles MasterSlaveDeterminationReject (identical numbers).
func (m *msd) onReject(now time.Time, o *outbox) {
	switch m.state {
	case msdOutgoing:
		m.retry(now, o, "rejected by the remote")
	case msdIncoming:
		m.fail(o, "master/slave determination rejected after we acknowledged")
	}
}

// onRelease handles MasterSlaveDeterminationRelease: the remote gave up.
func (m *msd) onRelease(o *outbox) {
	if m.state != msdIdle {
		m.fail(o, "master/slave determination released by the remote")
	}
}

// tick runs T106.
func (m *msd) tick(now time.Time, o *outbox) {
	if m.state == msdIdle || m.deadline.IsZero() || now.Before(m.deadline) {
		return
	}
	o.send(h245.Indication(h245.IndicationMessage{MasterSlaveDeterminationRelease: &h245.MasterSlaveDeterminationRelease{}}))
	m.fail(o, fmt.Sprintf("master/slave determination: no response within T106 (%s) in state %s", m.t106, m.state))
}

func (m *msd) fail(o *outbox, reason string) {
	m.state, m.deadline, m.status, m.done = msdIdle, time.Time{}, msdIndeterminate, false
	o.event(Failure{Reason: reason})
}

// reset forgets the result (H.323 §8.4.6: after a pause, determination
// runs again).
func (m *msd) reset() {
	m.state, m.deadline, m.status, m.done = msdIdle, time.Time{}, msdIndeterminate, false
}
