package control_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/roomgate/roomgate/h323/control"
	"github.com/roomgate/roomgate/transcode/media"
)

// A call drives its Session: Start when the H.245 channel is up, Handle
// per received message, Tick at NextDeadline, and after each of them
// Drain: messages go to the wire, events to the call.
func Example() {
	local := media.Local{Addr: netip.MustParseAddr("127.0.0.1"), Ports: map[media.Role]int{media.RoleAudio: 4000, media.RoleMain: 4002}}
	s := control.New(control.Config{Local: local, Rand: rand.New(rand.NewPCG(1, 2))})
	now := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	s.Start(now)
	for _, o := range s.Drain(nil) {
		switch {
		case o.Msg != nil && o.Msg.Request.TerminalCapabilitySet != nil:
			fmt.Println("send terminalCapabilitySet with", len(o.Msg.Request.TerminalCapabilitySet.CapabilityTable), "capabilities")
		case o.Msg != nil && o.Msg.Request.MasterSlaveDetermination != nil:
			fmt.Println("send masterSlaveDetermination as terminal type", o.Msg.Request.MasterSlaveDetermination.TerminalType)
		case o.Event != nil:
			fmt.Printf("event %T\n", o.Event)
		}
	}
	next, _ := s.NextDeadline()
	fmt.Println("tick in", next.Sub(now))
	// Output:
	// send terminalCapabilitySet with 9 capabilities
	// send masterSlaveDetermination as terminal type 190
	// tick in 10s
}
