// Package core connects roomgate to its meeting core, LiveKit: an embedded node running
// inside this process (the default) or an external LiveKit deployment. Everything above
// this package (REST API, host controls, gateway legs) works the same in both modes: it
// mints access tokens and calls the RoomService API through a Core.
package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
)

// Core is a connected meeting core.
type Core struct {
	// SignalURL is the ws:// URL of the LiveKit signalling endpoint for clients that run
	// next to the server (the gateway's own participants). Browsers reach it through the
	// HTTP server's /rtc proxy in embedded mode.
	SignalURL string
	// HTTPURL is the same endpoint as http(s):// (RoomService API, reverse proxy target).
	HTTPURL  string
	Embedded bool

	apiKey, apiSecret string
	rooms             *lksdk.RoomServiceClient
	node              *embeddedNode
	log               *slog.Logger
}

// Credentials are the API key and secret the core is reached with (to keep them out
// of logs; tokens are minted by the Core itself).
func (c *Core) Credentials() (key, secret string) { return c.apiKey, c.apiSecret }

// ErrNotReady is returned while the meeting core does not answer.
var ErrNotReady = errors.New("meeting core not ready")

func newCore(rawURL, key, secret string, log *slog.Logger) (*Core, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("meeting core url %q: %w", rawURL, err)
	}
	httpURL, wsURL := *u, *u
	switch u.Scheme {
	case "ws", "http":
		httpURL.Scheme, wsURL.Scheme = "http", "ws"
	case "wss", "https":
		httpURL.Scheme, wsURL.Scheme = "https", "wss"
	default:
		return nil, fmt.Errorf("meeting core url %q: unsupported scheme", rawURL)
	}
	c := &Core{
		SignalURL: strings.TrimRight(wsURL.String(), "/"),
		HTTPURL:   strings.TrimRight(httpURL.String(), "/"),
		apiKey:    key,
		apiSecret: secret,
		log:       log,
	}
	c.rooms = lksdk.NewRoomServiceClient(c.HTTPURL, key, secret)
	return c, nil
}

// ConnectExternal uses an external LiveKit at rawURL.
func ConnectExternal(rawURL, key, secret string, log *slog.Logger) (*Core, error) {
	return newCore(rawURL, key, secret, log)
}

// Ping checks that the core answers its API.
func (c *Core) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if _, err := c.rooms.ListRooms(ctx, &livekit.ListRoomsRequest{}); err != nil {
		return fmt.Errorf("%w: %w", ErrNotReady, err)
	}
	return nil
}

// WaitReady polls Ping until it succeeds or ctx ends.
func (c *Core) WaitReady(ctx context.Context) error {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		if err := c.Ping(ctx); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", ErrNotReady, ctx.Err())
		case <-t.C:
		}
	}
}

// Rooms gives the RoomService API client.
func (c *Core) Rooms() *lksdk.RoomServiceClient { return c.rooms }

// Grant describes what a participant token allows.
type Grant struct {
	Room, Identity, Name, Metadata string
	// Sources the participant may publish ("camera", "microphone", "screen_share",
	// "screen_share_audio"); nil means all.
	Sources []string
	Hidden  bool
	TTL     time.Duration
}

// Token mints a LiveKit access token.
func (c *Core) Token(g Grant) (string, error) {
	vg := &auth.VideoGrant{RoomJoin: true, Room: g.Room, Hidden: g.Hidden}
	yes := true
	vg.CanSubscribe = &yes
	vg.CanPublishData = &yes
	if g.Sources != nil {
		vg.CanPublishSources = append([]string{}, g.Sources...)
		pub := len(g.Sources) > 0
		vg.CanPublish = &pub
	} else {
		vg.CanPublish = &yes
	}
	ttl := g.TTL
	if ttl == 0 {
		ttl = 6 * time.Hour
	}
	at := auth.NewAccessToken(c.apiKey, c.apiSecret).
		SetIdentity(g.Identity).SetName(g.Name).SetMetadata(g.Metadata).
		SetVideoGrant(vg).SetValidFor(ttl)
	return at.ToJWT()
}

// Close stops the embedded node, if any. It is idempotent.
func (c *Core) Close() {
	if c.node != nil {
		c.node.stop()
	}
}
