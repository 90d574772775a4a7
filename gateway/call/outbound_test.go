package call

import (
	"context"
	"errors"
	"testing"

	"github.com/roomgate/roomgate/rooms/api"
)

// refusingDialer is a dialer whose room system cannot be reached, or whose
// address the protocol itself rejects.
type refusingDialer struct{ err error }

func (d refusingDialer) Normalize(a string) (string, string, error) { return a, a, nil }
func (d refusingDialer) Dial(context.Context, DialRequest) (Outbound, error) {
	return nil, d.err
}

// A dial-out that reaches nobody is a call that failed, with the reason, at once;
// any other dialer error is the API's error and the record says failed.
func TestDialOutUnreachable(t *testing.T) {
	unreach := &DialError{State: DialFailed, Reason: "unreachable: dial tcp 127.0.0.1:9: connect: connection refused"}
	cases := []struct {
		name    string
		err     error
		wantErr bool
	}{
		{"connection-refused->failed-call", unreach, false},
		{"other-error->api-error", errors.New("bad SDP"), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fm := &fakeMedia{}
			f := testFlow(&fakeMeetings{}, fm, nil)
			f.Dialers = map[string]Dialer{"sip": refusingDialer{tc.err}}
			ci, err := f.DialOut(context.Background(), "123456789", api.DialRequest{Address: "room@127.0.0.1:9"})
			if (err != nil) != tc.wantErr {
				t.Fatalf("DialOut err = %v, want error %v", err, tc.wantErr)
			}
			if !tc.wantErr {
				if ci.State != api.CallFailed || ci.Reason != unreach.Reason || ci.EndedAt == nil {
					t.Fatalf("call %+v: want failed, %q, ended", ci, unreach.Reason)
				}
				if got, ok := f.Call(ci.ID); !ok || got.State != api.CallFailed {
					t.Fatalf("registry has %+v", got)
				}
			}
			if !fm.closed {
				t.Error("the call's media ports were not released")
			}
		})
	}
}
