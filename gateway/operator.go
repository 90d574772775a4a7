package gateway

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/roomgate/roomgate/gateway/metrics"
	"github.com/roomgate/roomgate/rooms/api"
)

// OnCallEnd adds fn to what is told about every room-system call that ends or is
// refused (call detail records, metrics). Call it before calls arrive.
func (s *Server) OnCallEnd(fn func(api.EndedCall)) { s.registry.OnEnd(fn) }

// ActiveCalls lists the live room-system calls with their network diagnostics.
func (s *Server) ActiveCalls() []api.ActiveCall { return s.registry.ActiveCalls() }

// PortRanges is the use of each media port range (none without a leg).
func (s *Server) PortRanges() []metrics.PortRange {
	if s.media == nil {
		return nil
	}
	out := make([]metrics.PortRange, 0, len(s.media.allocs))
	for r, a := range s.media.allocs {
		st := a.Stats()
		out = append(out, metrics.PortRange{Name: fmt.Sprintf("%d-%d", r[0], r[1]), Total: st.Total, InUse: st.InUse,
			Quarantined: st.Quarantined, BindFailures: st.BindFailures, ExhaustedCalls: st.Exhausted})
	}
	slices.SortFunc(out, func(a, b metrics.PortRange) int { return cmp.Compare(a.Name, b.Name) })
	return out
}
