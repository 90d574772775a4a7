package ras

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"time"

	"github.com/roomgate/roomgate/h323/h225"
)

// Default RAS timers (H.225.0 recommends 5 s for GRQ, ARQ and LRQ, 3 s for
// the other requests, and two retries).
const (
	shortTimeout = 3 * time.Second
	longTimeout  = 5 * time.Second
	defaultTries = 3
	// maxRIPDelay caps how long a RequestInProgress may extend a wait.
	maxRIPDelay = 30 * time.Second
)

// ErrTimeout is returned when a request got no answer after its retries.
var ErrTimeout = errors.New("ras: no answer from the gatekeeper")

var errClosed = errors.New("ras: client closed")

// RejectError is a gatekeeper's refusal (GRJ, RRJ, URJ, ARJ, DRJ, LRJ).
type RejectError struct {
	Message string // "RRJ", "LRJ", …
	Reason  string // the ASN.1 name of the reason, e.g. "duplicateAlias"
}

func (e *RejectError) Error() string { return fmt.Sprintf("ras: %s %s", e.Message, e.Reason) }

// choiceName returns the ASN.1 name of the alternative set in a generated
// CHOICE struct (its json tag).
func choiceName(v any) string {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return "unknown"
	}
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Field(i)
		if f.Kind() == reflect.Pointer && !f.IsNil() {
			tag := rv.Type().Field(i).Tag.Get("json")
			for j := range len(tag) {
				if tag[j] == ',' {
					return tag[:j]
				}
			}
			return tag
		}
	}
	return "unknown"
}

// seqOf returns the requestSeqNum of any RAS message.
func seqOf(m *h225.RasMessage) (int64, bool) {
	_, alt := choice(m)
	if !alt.IsValid() {
		return 0, false
	}
	if alt.Kind() == reflect.Pointer {
		alt = alt.Elem()
	}
	if alt.Kind() != reflect.Struct {
		return 0, false
	}
	f := alt.FieldByName("RequestSeqNum")
	if !f.IsValid() {
		return 0, false
	}
	return f.Int(), true
}

// choice returns the ASN.1 name and value of the alternative set in m.
func choice(m *h225.RasMessage) (string, reflect.Value) {
	rv := reflect.ValueOf(m).Elem()
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Field(i)
		if f.Kind() == reflect.Pointer && !f.IsNil() && rv.Type().Field(i).Name != "UnknownAlternative" {
			return choiceName(m), f
		}
	}
	return "", reflect.Value{}
}

// isResponse reports the messages that answer a request of ours.
func isResponse(m *h225.RasMessage) bool {
	return m.GatekeeperConfirm != nil || m.GatekeeperReject != nil || m.RegistrationConfirm != nil ||
		m.RegistrationReject != nil || m.UnregistrationConfirm != nil || m.UnregistrationReject != nil ||
		m.AdmissionConfirm != nil || m.AdmissionReject != nil || m.BandwidthConfirm != nil ||
		m.BandwidthReject != nil || m.DisengageConfirm != nil || m.DisengageReject != nil ||
		m.LocationConfirm != nil || m.LocationReject != nil || m.UnknownMessageResponse != nil ||
		m.RequestInProgress != nil || m.InfoRequestAck != nil || m.InfoRequestNak != nil
}

// nextSeq returns a fresh requestSeqNum (1..65535).
func (c *Client) nextSeq() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq = c.seq%65535 + 1
	return c.seq
}

// request sends m (built for seq) up to tries times, waiting timeout for
// each, and returns the answer; it gives up when ctx ends or stop closes.
// A RequestInProgress extends the wait by its delay (H.225.0 §7.17).
func (c *Client) request(ctx context.Context, stop <-chan struct{}, seq int64, m *h225.RasMessage, timeout time.Duration, tries int) (*h225.RasMessage, error) {
	b, err := m.Marshal()
	if err != nil {
		return nil, fmt.Errorf("ras: encode: %w", err)
	}
	ch := make(chan *h225.RasMessage, 4)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, errClosed
	}
	c.pending[seq] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, seq)
		c.mu.Unlock()
	}()
	for try := 0; try < tries; try++ {
		if _, err := c.conn.WriteToUDPAddrPort(b, c.gkAddr); err != nil {
			c.log.Debug("RAS send failed", "err", err)
		}
		wait := timeout
	again:
		t := c.cfg.Clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-stop:
			t.Stop()
			return nil, errClosed
		case ans := <-ch:
			t.Stop()
			if rip := ans.RequestInProgress; rip != nil {
				wait = min(time.Duration(rip.Delay)*time.Millisecond, maxRIPDelay)
				goto again
			}
			return ans, nil
		case <-t.C():
		}
	}
	return nil, ErrTimeout
}

// deliver hands an answer to the request waiting for its sequence number.
func (c *Client) deliver(m *h225.RasMessage) {
	seq, ok := seqOf(m)
	if !ok {
		return
	}
	c.mu.Lock()
	ch := c.pending[seq]
	c.mu.Unlock()
	if ch != nil {
		select {
		case ch <- m:
		default: // a flood of duplicates: the first ones are enough
		}
	}
}

func gkAddrOf(ap netip.AddrPort) netip.AddrPort {
	if ap.Port() == 0 {
		ap = netip.AddrPortFrom(ap.Addr(), 1719)
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
