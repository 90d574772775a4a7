package gateway

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/roomgate/roomgate/gateway/call"
	"github.com/roomgate/roomgate/rooms/api"
)

// onScreenShare follows the browsers' screen shares (bridge callback): a share that
// starts asks the meeting's floor for its participant, one that stops (or that the
// host stopped) releases it. The gateway's own calls publish their content only
// while they hold the floor (contentPath): their screen-share tracks are not floor
// requests.
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

// onRoomMetadata follows the meeting's host and its sharing lock (room metadata
// written by rooms/api): the floor refuses room systems that are not the host while
// the lock is on, and turning it on takes the floor from one.
func (t *meetingTap) onRoomMeta(metadata string) {
	if metadata == "" {
		return
	}
	var m api.RoomMeta
	if err := json.Unmarshal([]byte(metadata), &m); err != nil {
		t.log.Debug("room metadata not understood", "err", err)
		return
	}
	t.floor.SetHost(m.Host)
	t.floor.SetHostOnly(m.ShareHostOnly)
}

// floorStopTimeout bounds one request to stop a browser's screen share.
const floorStopTimeout = 5 * time.Second

// startFloor follows the floor for browsers that lose it (a room system presents
// now, or the host's lock took it): their screen share is stopped in the meeting, so
// that everyone sees the one presenter. The worker ends with stopFloor.
func (t *meetingTap) startFloor() {
	ctx, cancel := context.WithCancel(context.Background())
	revoked := make(chan string, 16)
	unwatch := t.floor.Watch(func(c call.FloorChange) {
		if c.Revoked.Kind != "web" {
			return
		}
		select {
		case revoked <- c.Revoked.Identity:
		default: // a burst of floor changes: the next one stops it
		}
	})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case id := <-revoked:
				if t.floor.Presenter().Identity == id {
					continue // it took the floor back meanwhile
				}
				sctx, done := context.WithTimeout(ctx, floorStopTimeout)
				if err := t.br.StopScreenShare(sctx, id); err != nil {
					t.log.Info("screen share not stopped", "participant", id, "err", err)
				} else {
					t.log.Info("screen share stopped: the floor moved", "participant", id)
				}
				done()
			}
		}
	})
	t.floorStop = func() { unwatch(); cancel(); wg.Wait() }
}

// stopFloor ends startFloor's worker.
func (t *meetingTap) stopFloor() {
	if t.floorStop != nil {
		t.floorStop()
	}
}
