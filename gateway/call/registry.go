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

// Update changes a call's state; final states stamp the end time once.
func (r *Registry) Update(id string, fn func(ci *api.CallInfo)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.calls[id]
	if e == nil || e.info.EndedAt != nil {
		return
	}
	fn(&e.info)
	now := time.Now().UTC()
	switch e.info.State {
	case api.CallConnected:
		if e.info.AnsweredAt == nil {
			e.info.AnsweredAt = &now
		}
	case api.CallBusy, api.CallDeclined, api.CallNoAnswer, api.CallFailed, api.CallEnded:
		e.info.EndedAt = &now
		// The hang-up closes over the call's signalling and media (its codecs, buffers,
		// meeting client: about 1.6 MB a call); an ended call keeps only its record.
		e.hangup, e.network = nil, nil
	}
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
