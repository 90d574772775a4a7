package h323

import (
	"context"
	"errors"
	"testing"

	"github.com/roomgate/roomgate/h323/q931"
)

// TestInboundAnswerTransitions: the Q.931 states of a dial-in (§2.2:
// 6 call present, 9 incoming call proceeding, 7 call received, 10 active)
// as the handler answers, and the answers each state refuses.
func TestInboundAnswerTransitions(t *testing.T) {
	type step func(*InboundCall) error
	proceed := func(c *InboundCall) error { return c.Proceeding(nil) }
	alert := func(c *InboundCall) error { return c.Alerting(nil) }
	connect := func(c *InboundCall) error { return c.Connect(nil) }
	reject := func(c *InboundCall) error { return c.Reject(q931.CauseCallRejected, nil) }
	tests := []struct {
		name    string
		before  []step
		action  step
		wantErr error
		state   uint8
		sent    q931.MessageType // 0: nothing
	}{
		{"call-present->Proceeding->incoming-proceeding", nil, proceed, nil, stateIncomingProceed, q931.CallProceeding},
		{"call-present->Alerting->call-received", nil, alert, nil, stateCallReceived, q931.Alerting},
		{"call-present->Connect->active", nil, connect, nil, stateActive, q931.Connect},
		{"incoming-proceeding->Alerting->call-received", []step{proceed}, alert, nil, stateCallReceived, q931.Alerting},
		{"incoming-proceeding->Proceeding->refused", []step{proceed}, proceed, errAnswerOrder, stateIncomingProceed, 0},
		{"call-received->Alerting->refused", []step{alert}, alert, errAnswerOrder, stateCallReceived, 0},
		{"call-received->Proceeding->refused", []step{alert}, proceed, errAnswerOrder, stateCallReceived, 0},
		{"call-received->Connect->active", []step{proceed, alert}, connect, nil, stateActive, q931.Connect},
		{"active->Connect->refused", []step{connect}, connect, ErrAnswered, stateActive, 0},
		{"active->Reject->refused", []step{connect}, reject, ErrAnswered, stateActive, 0},
		{"call-received->Reject->null", []step{alert}, reject, nil, stateNull, q931.ReleaseComplete},
		{"null->Connect->refused", []step{reject}, connect, ErrCallEnded, stateNull, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := make(chan *InboundCall, 1)
			svc := startService(t, Config{}, HandlerFunc(func(ctx context.Context, ic *InboundCall) {
				calls <- ic
				<-ctx.Done()
			}))
			peer := dialRaw(t, svc.Addr())
			peer.send(setupMessage(t, 1, 7, true, nil))
			ic := recv(t, calls, "Setup")
			for _, s := range tt.before {
				if err := s(ic); err != nil {
					t.Fatal(err)
				}
				peer.next()
			}
			if err := tt.action(ic); !errors.Is(err, tt.wantErr) {
				t.Errorf("err %v, want %v", err, tt.wantErr)
			}
			ic.mu.Lock()
			st := ic.state
			ic.mu.Unlock()
			if st != tt.state {
				t.Errorf("state %d, want %d", st, tt.state)
			}
			if tt.sent != 0 {
				if m, _ := peer.next(); m == nil || m.Type != tt.sent {
					t.Errorf("sent %v, want %v", m, tt.sent)
				}
			}
			// What the peer hears about the state is what Status says.
			if tt.state != stateNull {
				si, _ := q931.NewStatusInquiry(q931.NewCallReference(1, false))
				peer.send(si)
				m, _ := peer.next()
				for m != nil && m.Type != q931.Status {
					m, _ = peer.next()
				}
				if m == nil {
					t.Fatal("no Status")
				}
				if cs, err := m.CallState(); err != nil || cs.State != tt.state {
					t.Errorf("Status call state %v %v, want %d", cs, err, tt.state)
				}
			}
		})
	}
}
