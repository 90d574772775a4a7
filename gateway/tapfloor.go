package gateway

import "github.com/roomgate/roomgate/gateway/call"

// onScreenShare follows the browsers' screen shares (bridge callback): a share that
// starts asks the meeting's floor for its participant, one that stops releases it.
// The gateway's own calls publish their content only while they hold the floor
// (contentPath): their screen-share tracks are not floor requests.
func (t *meetingTap) onScreenShare(identity string, on bool) {
	t.mu.Lock()
	local := t.local[identity]
	t.mu.Unlock()
	if local {
		return
	}
	if !on {
		t.floor.Release(identity)
		return
	}
	t.floor.Join(call.Presenter{Identity: identity, Kind: "web"})
	if r := t.floor.Request(identity); r != call.FloorAllowed {
		// The browser shares all the same (its share cannot be refused from here):
		// room systems are not sent it.
		t.log.Info("screen share not given the floor", "participant", identity, "reason", string(r))
		return
	}
	t.log.Info("screen share takes the floor", "participant", identity)
}
