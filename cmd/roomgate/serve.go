package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/roomgate/roomgate/configs"
	"github.com/roomgate/roomgate/gateway"
	"github.com/roomgate/roomgate/gateway/bridge"
	"github.com/roomgate/roomgate/rooms/api"
	"github.com/roomgate/roomgate/rooms/core"
	"github.com/roomgate/roomgate/rooms/meetings"
)

func checkConfig(args []string, stdout, stderr io.Writer) int {
	path, ok := configArg("check-config", args, stderr)
	if !ok {
		return 2
	}
	cfg, _, err := loadConfig(path)
	if err != nil {
		fmt.Fprintln(stderr, "roomgate:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok\n  public_host: %s\n", path, cfg.PublicHost)
	if cfg.PublicURL != "" {
		fmt.Fprintf(stdout, "  web links in invitations: %s\n", cfg.PublicURL)
	}
	printLegs(stdout, cfg)
	return 0
}

func serve(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "configs/roomgate.yaml", "configuration file")
	logFormat := fs.String("log-format", "", "log format: text or json (default: log.format of the config)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "roomgate serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	cfg, _, err := loadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, "roomgate:", err)
		return 1
	}
	switch *logFormat {
	case "":
	case "text", "json":
		cfg.Log.Format = *logFormat
	default:
		fmt.Fprintf(stderr, "roomgate serve: --log-format %q: use text or json\n", *logFormat)
		return 2
	}
	secrets := configSecrets(cfg)
	log := newLogger(stderr, cfg.Log.Format, cfg.Log.Level, secrets)
	slog.SetDefault(log)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	started := time.Now()
	srv, err := startServer(ctx, cfg, log)
	cancel()
	if err != nil {
		log.Error("roomgate could not start", "err", err)
		fmt.Fprintln(stderr, "roomgate:", err)
		return 1
	}
	secrets.Add(srv.meetings.Secrets()...)
	web, pub, everywhere := srv.meetings.URL, srv.meetings.PublicURL, ""
	if u, err := url.Parse(web); err == nil && net.ParseIP(u.Hostname()).IsUnspecified() {
		// Listening on every interface: show where a browser reaches it, not [::].
		web, everywhere = pub, u.Host
	}
	fmt.Fprintf(stdout, "roomgate %s ready in %s\n  web UI and API: %s\n", version, time.Since(started).Round(time.Millisecond), web)
	switch {
	case everywhere != "":
		fmt.Fprintf(stdout, "  (HTTP listening on %s, every interface)\n", everywhere)
	case pub != web:
		fmt.Fprintf(stdout, "  web links in invitations: %s\n", pub)
	}
	if srv.meetings.TokenFile != "" {
		fmt.Fprintf(stdout, "  operator API token: in %s\n", srv.meetings.TokenFile)
	}
	printLegs(stdout, cfg)

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	sig := <-sigs
	log.Info("signal received", "signal", sig.String())
	if sig == syscall.SIGTERM {
		// Drain: stop taking requests, let those in flight finish; a second signal stops now.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		go func() { <-sigs; cancel() }()
		err = srv.Shutdown(ctx)
		cancel()
		if err != nil && !errors.Is(err, context.Canceled) {
			log.Warn("shutdown did not drain", "err", err)
		}
	} else {
		srv.Close()
	}
	log.Info("roomgate stopped")
	return 0
}

// server is roomgate composed: the meeting side, the gateway (room-system legs) that
// sees it through gateway.Meetings, and the optional profiler.
type server struct {
	meetings *meetings.Service
	gateway  *gateway.Server
	pprof    *http.Server
	metrics  *metricsServer
}

// startServer brings up the meeting side, then the gateway; the API and web UI open (and
// /healthz reports ready) once both run.
func startServer(ctx context.Context, cfg *configs.Config, log *slog.Logger) (*server, error) {
	s := &server{}
	if cfg.Debug.PprofListen != "" {
		var err error
		if s.pprof, err = startPprof(cfg.Debug.PprofListen, log); err != nil {
			return nil, err
		}
	}
	m, err := meetings.Start(ctx, cfg, version, log)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.meetings = m
	gw, err := gateway.Start(cfg, meetingSide{m.API(), m.Core()}, version, log)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.gateway = gw
	gw.OnCallEnd(m.API().RecordCall)
	if cfg.Metrics.Listen != "" {
		if s.metrics, err = startMetrics(cfg.Metrics.Listen, gw, m.API(), log); err != nil {
			s.Close()
			return nil, err
		}
	}
	m.Open(gw.Calls())
	return s, nil
}

// Shutdown drains: the meeting side reports not ready, the gateway's calls are hung
// up (until ctx ends), then the meeting side finishes its requests and stops.
func (s *server) Shutdown(ctx context.Context) error {
	s.meetings.Draining()
	err := s.gateway.Shutdown(ctx)
	if err2 := s.meetings.Shutdown(ctx); err == nil {
		err = err2
	}
	s.Close()
	return err
}

// Close stops everything now: the calls before the meeting side they use.
func (s *server) Close() {
	if s.gateway != nil {
		s.gateway.Close()
	}
	if s.meetings != nil {
		s.meetings.Close()
	}
	if s.pprof != nil {
		_ = s.pprof.Close()
	}
	if s.metrics != nil {
		s.metrics.Close()
	}
}

// meetingSide is the meeting side as the gateway sees it (gateway.Meetings).
type meetingSide struct {
	*api.Server
	core *core.Core
}

func (m meetingSide) Rooms() bridge.RoomService { return m.core.Rooms() }
