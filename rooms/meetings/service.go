// Package meetings runs the meeting side of roomgate: the meeting directory, the
// meeting core (LiveKit, embedded or external), the REST API and the web UI on one
// HTTP listener. The gateway's room-system legs see it only through the admission
// methods of its API (the gateway's Meetings interface); cmd/roomgate wires the two.
package meetings

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/roomgate/roomgate/configs"
	"github.com/roomgate/roomgate/rooms/api"
	"github.com/roomgate/roomgate/rooms/core"
	"github.com/roomgate/roomgate/rooms/directory"
	"github.com/roomgate/roomgate/rooms/httpguard"
	"github.com/roomgate/roomgate/rooms/policy"
	"github.com/roomgate/roomgate/rooms/secretfile"
	"github.com/roomgate/roomgate/rooms/web"
)

// Service is the running meeting side.
type Service struct {
	cfg *configs.Config
	log *slog.Logger

	store   *directory.Store
	core    *core.Core
	api     *api.Server
	http    *http.Server
	mux     *http.ServeMux
	ln      net.Listener
	ready   atomic.Bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	closeMu sync.Once

	// URL is the base URL of the web UI and API.
	URL string
	// PublicURL is the URL invitations show.
	PublicURL string
	// TokenFile is where a generated operator token was stored ("" when configured).
	TokenFile string

	token string // the operator token, for Secrets
}

// Start opens the directory, starts the meeting core and listens for HTTP. Until
// Open, /healthz answers 503 and nothing else is served.
func Start(ctx context.Context, cfg *configs.Config, version string, log *slog.Logger) (_ *Service, err error) {
	s := &Service{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data_dir: %w", err)
	}
	token, err := s.operatorToken()
	if err != nil {
		return nil, err
	}
	s.token = token
	raw, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return nil, fmt.Errorf("http.listen: %w", err)
	}
	h := cfg.HTTP
	httpLimits := httpguard.Limits{MaxConnsPerSource: h.MaxConnsPerSource, MaxConns: h.MaxConns,
		ReadHeaderTimeout: h.ReadHeaderTimeout, ReadTimeout: h.ReadTimeout, IdleTimeout: h.IdleTimeout}
	s.ln = httpguard.Listen(raw, httpLimits, log.With("component", "http"))
	s.URL = "http://" + s.ln.Addr().String()
	s.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if s.PublicURL == "" {
		s.PublicURL = s.URL
	}

	dbPath := filepath.Join(cfg.DataDir, "roomgate.db")
	if s.store, err = directory.Open(ctx, dbPath, log.With("component", "directory")); err != nil {
		return nil, fmt.Errorf("meeting directory %s: %w", dbPath, err)
	}

	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /healthz", s.handleHealth)
	s.http = httpLimits.Server(s.mux, log.With("component", "http"))
	s.wg.Go(func() {
		if err := s.http.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server stopped", "err", err)
		}
	})

	if err := s.startCore(ctx); err != nil {
		return nil, err
	}
	livekitURL := ""
	var iceServers []string
	if cfg.External() {
		livekitURL = s.core.SignalURL
	} else {
		// Browsers use exactly the configured STUN servers: LiveKit would otherwise hand
		// them public ones the operator never chose.
		iceServers = []string{}
		for _, a := range cfg.Meeting.Embedded.STUNServers {
			iceServers = append(iceServers, "stun:"+a)
		}
	}
	pa := cfg.Meeting.PasswordAttempts
	s.api, err = api.New(api.Options{
		Store: s.store, Core: s.core, Log: log.With("component", "api"),
		OperatorToken: token, OpenCreate: cfg.API.OpenCreate,
		PublicHost: cfg.PublicHost, Legs: legs(cfg), PublicURL: s.PublicURL,
		CDRRetention: api.CDRRetention{MaxAge: cfg.CDR.Retention, MaxRows: cfg.CDR.MaxRows}, LiveKitURL: livekitURL, ICEServers: iceServers,
		Attempts: policy.GuardConfig{PerSource: pa.PerSource, PerMeeting: pa.PerMeeting, PerGateway: pa.PerGateway, Window: pa.Window,
			Backoff: pa.Backoff, BackoffMax: pa.BackoffMax, BanAfter: pa.BanAfter, BanWindow: pa.BanWindow,
			Ban: pa.Ban, BanMax: pa.BanMax, AlertSources: pa.AlertSources},
		Lookups: cfg.API.LookupsPerMinute,
		Waiting: api.WaitingLimits{PerSource: cfg.Meeting.WaitingRoom.PerSource, PerMeeting: cfg.Meeting.WaitingRoom.PerMeeting,
			Expire: cfg.Meeting.WaitingRoom.Expire},
		Version: version,
	})
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.wg.Go(func() { s.api.Run(runCtx) })
	return s, nil
}

// API is the meeting side's API: admission for room systems, meeting taps.
func (s *Service) API() *api.Server { return s.api }

// Core is the meeting core.
func (s *Service) Core() *core.Core { return s.core }

// Open serves the API (with calls as its room-system call control), the meeting
// core's signalling and the web UI, and reports ready.
func (s *Service) Open(calls api.Calls) {
	s.api.Calls = calls
	s.mux.Handle("/api/", s.api.Handler())
	if s.core.Embedded {
		s.mux.Handle("/rtc", s.signalProxy())
		s.mux.Handle("/rtc/", s.signalProxy())
	}
	s.mux.Handle("/", web.Handler())
	s.ready.Store(true)
	s.log.Info("roomgate ready", "url", s.URL, "public_url", s.PublicURL, "meeting_core", s.core.SignalURL, "embedded", s.core.Embedded)
}

func (s *Service) startCore(ctx context.Context) error {
	cfg := s.cfg
	core.SetClientLogging(s.log.Handler(), cfg.Log.Level)
	var err error
	if cfg.External() {
		lk := cfg.Meeting.LiveKit
		if s.core, err = core.ConnectExternal(lk.URL, lk.APIKey, lk.APISecret, s.log.With("component", "core")); err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := s.core.WaitReady(wctx); err != nil {
			return fmt.Errorf("external meeting core %s: %w", lk.URL, err)
		}
		s.log.Info("using external meeting core", "url", lk.URL)
		return nil
	}
	e := cfg.Meeting.Embedded
	s.core, err = core.StartEmbedded(ctx, core.EmbeddedConfig{
		Port: e.Port, BindAddresses: e.BindAddresses, RTCUDPPort: e.RTCUDPPort, RTCTCPPort: e.RTCTCPPort,
		NodeIP: e.NodeIP, LoopbackCandidates: e.LoopbackCandidates, STUNServers: e.STUNServers,
		APIKey: e.APIKey, APISecret: e.APISecret, DataDir: cfg.DataDir,
		LogLevel: cfg.Log.Level,
	}, s.log.With("component", "core"))
	return err
}

// signalProxy forwards browsers' LiveKit signalling (websocket on /rtc) to the embedded
// node, so the web UI needs one origin only.
func (s *Service) signalProxy() http.Handler {
	target, _ := url.Parse(s.core.HTTPURL)
	p := httputil.NewSingleHostReverseProxy(target)
	p.ErrorLog = slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)
	return p
}

// operatorToken returns the configured API token or the one kept in data_dir.
func (s *Service) operatorToken() (string, error) {
	if s.cfg.API.Token != "" {
		return s.cfg.API.Token, nil
	}
	path := filepath.Join(s.cfg.DataDir, "api_token")
	b, created, err := secretfile.LoadOrCreate(path, func() ([]byte, error) {
		return []byte(secretfile.Random(24) + "\n"), nil
	})
	if err != nil {
		return "", fmt.Errorf("operator token: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if len(tok) < 16 {
		return "", fmt.Errorf("operator token in %s is shorter than 16 characters", path)
	}
	s.TokenFile = path
	if created {
		s.log.Info("generated operator API token", "file", path)
	}
	return tok, nil
}

func (s *Service) handleHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if !s.ready.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, `{"status":"starting"}`)
		return
	}
	if err := s.core.Ping(r.Context()); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, `{"status":"meeting core unavailable"}`)
		return
	}
	fmt.Fprintln(w, `{"status":"ok"}`)
}

// Shutdown stops taking requests and waits for those in flight (until ctx ends),
// then stops everything.
func (s *Service) Shutdown(ctx context.Context) error {
	s.ready.Store(false)
	var err error
	if s.http != nil {
		err = s.http.Shutdown(ctx)
	}
	s.Close()
	return err
}

// Close stops everything now. It is idempotent.
func (s *Service) Close() {
	s.closeMu.Do(func() {
		s.ready.Store(false)
		if s.http != nil {
			_ = s.http.Close()
		} else if s.ln != nil {
			_ = s.ln.Close()
		}
		if s.cancel != nil {
			s.cancel()
		}
		if s.api != nil {
			s.api.Close()
		}
		s.wg.Wait()
		if s.core != nil {
			s.core.Close()
		}
		if s.store != nil {
			if err := s.store.Close(); err != nil {
				s.log.Warn("closing meeting directory", "err", err)
			}
		}
	})
}

// Secrets are the credentials the service uses, configured or generated (the
// operator token, the meeting core's key and secret): what the logs must never show.
func (s *Service) Secrets() []string {
	out := []string{s.token}
	if s.core != nil {
		key, secret := s.core.Credentials()
		out = append(out, key, secret)
	}
	return out
}

// Draining reports /healthz 503 from now on (a shutdown began: calls drain first).
func (s *Service) Draining() { s.ready.Store(false) }

// legs are the enabled room-system legs as invitations name them: public_host, with
// the listening port when it is not the protocol's default (5060, 1720).
func legs(cfg *configs.Config) api.Legs {
	at := func(listen, def string) string {
		_, port, err := net.SplitHostPort(listen)
		if err != nil || port == def || port == "" {
			if strings.Contains(cfg.PublicHost, ":") { // an IPv6 literal
				return "[" + cfg.PublicHost + "]"
			}
			return cfg.PublicHost
		}
		return net.JoinHostPort(cfg.PublicHost, port)
	}
	var l api.Legs
	if cfg.SIP.Enabled {
		l.SIP = at(cfg.SIP.Listen, "5060")
	}
	if cfg.H323.Enabled {
		l.H323 = at(cfg.H323.Listen, "1720")
	}
	return l
}
