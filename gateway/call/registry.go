package call

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/roomgate/roomgate/rooms/api"
	"github.com/roomgate/roomgate/rooms/secretfile"
)

// Registry keeps the room-system calls the API shows (GET /api/v1/calls/{id}):
// live ones and, for a while, ended ones so their final state can be read.
type Registry struct {
	mu    sync.Mutex
	calls map[string]*callEntry
	// ended are told about every call that ends or is refused (CDRs, metrics).
	ended []func(api.EndedCall)
}

type callEntry struct {
	info   api.CallInfo
	hangup func(ctx context.Context) error // cancel while ringing, BYE when connected
	// network reads the call's network diagnostics (nil: none).
	network func() api.Network
}

// keepEnded is how long an ended call stays readable, and maxEnded how many ended calls
// are kept at most (a flood of short calls must not grow the registry without bound:
// past it the oldest go first, a tenth at a time).
const (
	keepEnded = 10 * time.Minute
	maxEnded  = 10_000
)

func NewRegistry() *Registry { return &Registry{calls: map[string]*callEntry{}} }

// NewID returns a fresh call ID ("c-…"): the call_id of every log line of the call
// and the ID GET /api/v1/calls/{id} takes.
func NewID() string { return "c-" + secretfile.Random(9) }

// Add records a call under info.ID (a NewID when empty) and returns the ID. hangup
// ends it for the host (cancel while ringing, hang up when connected).
func (r *Registry) Add(info api.CallInfo, hangup func(context.Context) error) string {
	if info.ID == "" {
		info.ID = NewID()
	}
	info.StartedAt = time.Now().UTC()
	r.mu.Lock()
	defer r.mu.Unlock()
	var ended []*callEntry
	for id, e := range r.calls { // forget long-ended calls
		if e.info.EndedAt == nil {
			continue
		}
		if time.Since(*e.info.EndedAt) > keepEnded {
			delete(r.calls, id)
			continue
		}
		ended = append(ended, e)
	}
	if len(ended) > maxEnded {
		slices.SortFunc(ended, func(a, b *callEntry) int { return a.info.EndedAt.Compare(*b.info.EndedAt) })
		for _, e := range ended[:len(ended)-maxEnded*9/10] {
			delete(r.calls, e.info.ID)
		}
	}
	r.calls[info.ID] = &callEntry{info: info, hangup: hangup}
	return info.ID
}

// OnEnd adds fn to what is told, once, about every call that ends (its final record
// and last network diagnostics) or is refused (Refused). Set it before calls start;
// fn runs on the call's goroutine, outside the registry's lock.
func (r *Registry) OnEnd(fn func(api.EndedCall)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ended = append(r.ended, fn)
}

// Update changes a call's state; final states stamp the end time once and tell the
// OnEnd functions.
func (r *Registry) Update(id string, fn func(ci *api.CallInfo)) {
	r.mu.Lock()
	e := r.calls[id]
	if e == nil || e.info.EndedAt != nil {
		r.mu.Unlock()
		return
	}
	fn(&e.info)
	now := time.Now().UTC()
	var network func() api.Network
	switch e.info.State {
	case api.CallConnected:
		if e.info.AnsweredAt == nil {
			e.info.AnsweredAt = &now
		}
	case api.CallBusy, api.CallDeclined, api.CallNoAnswer, api.CallFailed, api.CallEnded:
		e.info.EndedAt = &now
		network = e.network
		// The hang-up closes over the call's signalling and media (its codecs, buffers,
		// meeting client: about 1.6 MB a call); an ended call keeps only its record.
		e.hangup, e.network = nil, nil
	}
	info, observers := e.info, r.ended
	r.mu.Unlock()
	if info.EndedAt == nil || len(observers) == 0 {
		return
	}
	ended := api.EndedCall{CallInfo: info}
	if network != nil {
		n := network()
		ended.Network = &n
	}
	for _, o := range observers {
		o(ended)
	}
}

// Refused tells the OnEnd functions about a call refused before it was answered
// (it is not kept: a flood of refused calls must not grow the registry).
func (r *Registry) Refused(info api.CallInfo, refusal Refusal) {
	r.mu.Lock()
	observers := r.ended
	r.mu.Unlock()
	if info.ID == "" {
		info.ID = NewID()
	}
	now := time.Now().UTC()
	info.State, info.Reason, info.EndedAt = api.CallDeclined, refusal.String(), &now
	if info.StartedAt.IsZero() {
		info.StartedAt = now
	}
	for _, o := range observers {
		o(api.EndedCall{CallInfo: info, Refusal: refusal.String()})
	}
}

// ActiveCalls lists the live calls with their network diagnostics, oldest first
// (api.CallLister).
func (r *Registry) ActiveCalls() []api.ActiveCall {
	type live struct {
		info    api.CallInfo
		network func() api.Network
	}
	r.mu.Lock()
	var calls []live
	for _, e := range r.calls {
		if e.info.EndedAt == nil {
			calls = append(calls, live{e.info, e.network})
		}
	}
	r.mu.Unlock()
	slices.SortFunc(calls, func(a, b live) int { return a.info.StartedAt.Compare(b.info.StartedAt) })
	out := make([]api.ActiveCall, 0, len(calls))
	for _, c := range calls {
		ac := api.ActiveCall{CallInfo: c.info}
		if c.network != nil {
			n := c.network()
			ac.Network = &n
		}
		out = append(out, ac)
	}
	return out
}

// SetNetwork gives a live call its network diagnostics (read while it lasts).
func (r *Registry) SetNetwork(id string, fn func() api.Network) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e := r.calls[id]; e != nil && e.info.EndedAt == nil {
		e.network = fn
	}
}

// Network is the network diagnostics of the live call whose participant is identity
// (api.Networks).
func (r *Registry) Network(identity string) (api.Network, bool) {
	if identity == "" {
		return api.Network{}, false
	}
	r.mu.Lock()
	var fn func() api.Network
	for _, e := range r.calls {
		if e.info.Identity == identity && e.info.EndedAt == nil && e.network != nil {
			fn = e.network
			break
		}
	}
	r.mu.Unlock()
	if fn == nil {
		return api.Network{}, false
	}
	return fn(), true
}

func (r *Registry) Call(id string) (api.CallInfo, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.calls[id]
	if e == nil {
		return api.CallInfo{}, false
	}
	return e.info, true
}

func (r *Registry) Hangup(ctx context.Context, id string) error {
	r.mu.Lock()
	e := r.calls[id]
	var hangup func(context.Context) error
	ended := true
	if e != nil {
		hangup, ended = e.hangup, e.info.EndedAt != nil
	}
	r.mu.Unlock()
	if e == nil {
		return fmt.Errorf("no call %s", id)
	}
	if ended || hangup == nil {
		return nil
	}
	return hangup(ctx)
}
