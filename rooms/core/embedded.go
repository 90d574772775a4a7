package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	lkconfig "github.com/livekit/livekit-server/pkg/config"
	"github.com/livekit/livekit-server/pkg/routing"
	"github.com/livekit/livekit-server/pkg/service"
	"github.com/livekit/livekit-server/pkg/telemetry/prometheus"
	"gopkg.in/yaml.v3"
)

// EmbeddedConfig configures the in-process LiveKit node.
type EmbeddedConfig struct {
	Port               int
	BindAddresses      []string
	RTCUDPPort         int
	RTCTCPPort         int
	NodeIP             string
	LoopbackCandidates bool
	STUNServers        []string
	APIKey, APISecret  string // empty: generated and kept in DataDir
	DataDir            string
	LogLevel           string // roomgate's: debug, info, warn, error (see coreLogLevel)
}

type embeddedNode struct {
	srv      *service.LivekitServer
	done     chan struct{}
	err      error
	stopOnce sync.Once
}

// StartEmbedded starts a LiveKit node inside this process and returns a Core connected
// to it once it answers its API.
func StartEmbedded(ctx context.Context, cfg EmbeddedConfig, log *slog.Logger) (*Core, error) {
	key, secret := cfg.APIKey, cfg.APISecret
	if key == "" {
		kp, created, err := loadOrCreateKeys(cfg.DataDir)
		if err != nil {
			return nil, fmt.Errorf("meeting core keys: %w", err)
		}
		if created {
			log.Info("generated meeting core API key and secret", "dir", cfg.DataDir)
		}
		key, secret = kp.Key, kp.Secret
	}
	conf, err := lkConfig(cfg, key, secret)
	if err != nil {
		return nil, err
	}
	initLogging(log.Handler(), cfg.LogLevel)
	if err := conf.ValidateKeys(); err != nil {
		return nil, fmt.Errorf("meeting core keys: %w", err)
	}
	for _, addr := range conf.BindAddresses {
		// Fail early with a clear message instead of LiveKit's background error.
		ln, err := net.Listen("tcp", net.JoinHostPort(addr, strconv.Itoa(cfg.Port)))
		if err != nil {
			return nil, fmt.Errorf("meeting core port: %w", err)
		}
		ln.Close()
	}
	node, err := routing.NewLocalNode(conf)
	if err != nil {
		return nil, fmt.Errorf("meeting core node: %w", err)
	}
	if err := initPrometheus(string(node.NodeID()), node); err != nil {
		return nil, err
	}
	srv, err := service.InitializeServer(conf, node)
	if err != nil {
		return nil, fmt.Errorf("meeting core: %w", err)
	}
	en := &embeddedNode{srv: srv, done: make(chan struct{})}
	go func() {
		defer close(en.done)
		en.err = srv.Start()
	}()
	host := "127.0.0.1"
	if len(cfg.BindAddresses) > 0 && cfg.BindAddresses[0] != "" && cfg.BindAddresses[0] != "0.0.0.0" && cfg.BindAddresses[0] != "::" {
		host = cfg.BindAddresses[0]
	}
	c, err := newCore("ws://"+net.JoinHostPort(host, strconv.Itoa(cfg.Port)), key, secret, log)
	if err != nil {
		en.stop()
		return nil, err
	}
	c.Embedded = true
	c.node = en
	readyCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- c.WaitReady(readyCtx) }()
	select {
	case err := <-errc:
		if err != nil {
			en.stop()
			return nil, err
		}
	case <-en.done:
		if en.err == nil {
			en.err = errors.New("stopped during start")
		}
		return nil, fmt.Errorf("meeting core: %w", en.err)
	}
	// LiveKit marks itself running ~100 ms after it serves; Stop before that is a no-op
	// that would leave the node running, so wait for the flag.
	for deadline := time.Now().Add(5 * time.Second); !srv.IsRunning() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	log.Info("embedded meeting core started", "signal", c.SignalURL, "rtc_udp_port", cfg.RTCUDPPort, "rtc_tcp_port", rtcTCPPort(cfg), "node_ip", cfg.NodeIP)
	if rtcTCPPort(cfg) != cfg.RTCTCPPort {
		log.Info("embedded meeting core: ICE over TCP off, its port would listen beyond bind_addresses", "bind_addresses", cfg.BindAddresses)
	}
	return c, nil
}

// LiveKit registers its metric collectors process-wide: prometheus.Init may run only
// once per process even when a test starts several nodes. Its logger is process-wide
// too, read without a lock by goroutines of a node that is stopping (telemetry), so it
// is set once, by the first node: replacing it under them is a data race. These are the
// package-level states here, forced by the library.
var (
	promMu   sync.Mutex
	promDone bool
	logOnce  sync.Once
)

// initLogging sends the node's logs through roomgate's slog handler (NewLogger).
// LiveKit's own initialisation (InitLoggerFromConfig) would print its own format and
// replace slog's default logger of the whole process.
func initLogging(h slog.Handler, level string) {
	logOnce.Do(func() { lkconfig.SetLogger(NewLogger(h, level)) })
}

func initPrometheus(nodeID string, node routing.LocalNode) error {
	promMu.Lock()
	defer promMu.Unlock()
	if promDone {
		return nil
	}
	if err := prometheus.Init(nodeID, node.NodeType()); err != nil {
		return fmt.Errorf("meeting core metrics: %w", err)
	}
	promDone = true
	return nil
}

func (n *embeddedNode) stop() {
	n.stopOnce.Do(func() {
		if n.srv.IsRunning() {
			n.srv.Stop(true)
		}
		select {
		case <-n.done:
		case <-time.After(10 * time.Second):
		}
	})
}

// stunServers is the STUN list the node hands its clients. LiveKit falls back to
// Google's public servers when it has none, and the gateway's own clients (one per
// call) would query them on every join. Without configured servers the list names a
// loopback address instead — the node's own RTC port, which answers no STUN request
// that lacks ICE credentials: a client gathers no server-reflexive candidate, which it
// does not need (the node is reached at its host candidates), and no packet leaves the
// machine. Browsers take their list from the gateway's /info, not from this one.
func stunServers(cfg EmbeddedConfig) []string {
	if len(cfg.STUNServers) > 0 {
		return cfg.STUNServers
	}
	port := cfg.RTCUDPPort
	if port == 0 {
		port = 9 // discard
	}
	return []string{net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
}

// rtcTCPPort is the node's ICE-over-TCP port, 0 (off) unless it may listen on every
// interface. LiveKit opens it on all addresses, whatever bind_addresses says (its RTC
// configuration has no address for it): with bind addresses that are not a wildcard,
// the operator said where the node may listen, and ICE-TCP is off. Browsers then
// reach the node over its UDP port only.
func rtcTCPPort(cfg EmbeddedConfig) int {
	if !wildcardBind(cfg.BindAddresses) {
		return 0
	}
	return cfg.RTCTCPPort
}

// wildcardBind reports whether the addresses include every interface (none given,
// 0.0.0.0 or ::).
func wildcardBind(addrs []string) bool {
	if len(addrs) == 0 {
		return true
	}
	for _, a := range addrs {
		if ip, err := netip.ParseAddr(a); a == "" || (err == nil && ip.IsUnspecified()) {
			return true
		}
	}
	return false
}

// lkConfig builds LiveKit's configuration through its own YAML decoder, so that its
// defaults and validation apply exactly as for a stand-alone livekit-server.
func lkConfig(cfg EmbeddedConfig, key, secret string) (*lkconfig.Config, error) {
	rtc := map[string]any{
		"udp_port":                  cfg.RTCUDPPort,
		"tcp_port":                  rtcTCPPort(cfg),
		"use_external_ip":           false,
		"enable_loopback_candidate": cfg.LoopbackCandidates,
	}
	if cfg.NodeIP != "" {
		rtc["node_ip"] = cfg.NodeIP
	}
	if cfg.LoopbackCandidates && cfg.NodeIP != "" && net.ParseIP(cfg.NodeIP).IsLoopback() {
		rtc["ips"] = map[string]any{"includes": []string{cfg.NodeIP + "/32"}}
	}
	rtc["stun_servers"] = stunServers(cfg)
	m := map[string]any{
		"port":           cfg.Port,
		"bind_addresses": cfg.BindAddresses,
		"keys":           map[string]string{key: secret},
		"rtc":            rtc,
		// Remote unmute lets a host unmute a room system, which has no button to do it itself.
		"room": map[string]any{"auto_create": true, "empty_timeout": 300, "departure_timeout": 20, "enable_remote_unmute": true},
	}
	b, err := yaml.Marshal(m)
	if err != nil {
		return nil, err
	}
	conf, err := lkconfig.NewConfig(string(b), true, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("meeting core config: %w", err)
	}
	return conf, nil
}
