// Package configs loads and validates roomgate's YAML configuration.
//
// The file is decoded strictly: an unknown key or a value of the wrong type is an error
// that names the file and the line. Validation errors name the line of the offending key
// too, and an unknown key is named with the nearest known one ("did you mean …?").
// roomgate.yaml beside this file is the documented default; Default returns the same
// values except those the file marks "(shipped)": the file turns the room-system legs
// on, on every interface, while a file that leaves them out opens nothing beyond
// loopback. Resolve completes a loaded configuration with this machine's addresses.
package configs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the whole roomgate configuration.
type Config struct {
	HTTP       HTTPConfig    `yaml:"http"`
	PublicHost string        `yaml:"public_host"`
	PublicURL  string        `yaml:"public_url"`
	DataDir    string        `yaml:"data_dir"`
	Log        LogConfig     `yaml:"log"`
	API        APIConfig     `yaml:"api"`
	Meeting    MeetingConfig `yaml:"meeting"`
	SIP        SIPConfig     `yaml:"sip"`
	H323       H323Config    `yaml:"h323"`
	Media      MediaConfig   `yaml:"media"`
	NAT        NATConfig     `yaml:"nat"`
	Metrics    MetricsConfig `yaml:"metrics"`
	CDR        CDRConfig     `yaml:"cdr"`
	Debug      DebugConfig   `yaml:"debug"`

	// Path is the file the configuration was read from ("" for Default).
	Path string `yaml:"-"`
	// Advertise is the address room systems are given for media and signalling, and
	// AdvertiseFrom what chose it ("nat.public_ip", "primary interface eth0" …); set by
	// Resolve, invalid before.
	Advertise     netip.Addr `yaml:"-"`
	AdvertiseFrom string     `yaml:"-"`
	// Local is the gateway's own address on its networks, as Advertise but without
	// nat.public_ip: what NAT profiles with advertise "local" give (split horizon).
	Local netip.Addr `yaml:"-"`
}

// HTTPConfig is the web UI / REST API listener.
type HTTPConfig struct {
	Listen string `yaml:"listen"`
	// Connection caps and timeouts (rooms/httpguard).
	MaxConnsPerSource int           `yaml:"max_conns_per_source"`
	MaxConns          int           `yaml:"max_conns"`
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	ReadTimeout       time.Duration `yaml:"read_timeout"`
	IdleTimeout       time.Duration `yaml:"idle_timeout"`
}

// LogConfig selects the log level and format.
type LogConfig struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// APIConfig holds the operator credential.
type APIConfig struct {
	Token      string `yaml:"token"`
	OpenCreate bool   `yaml:"open_create"`
	// LookupsPerMinute caps anonymous meeting lookups per source address.
	LookupsPerMinute int `yaml:"lookups_per_minute"`
}

// MeetingConfig configures the meeting core and join policy.
type MeetingConfig struct {
	PasswordAttempts PasswordAttempts `yaml:"password_attempts"`
	WaitingRoom      WaitingRoom      `yaml:"waiting_room"`
	LiveKit          LiveKitExternal  `yaml:"livekit"`
	Embedded         LiveKitEmbedded  `yaml:"embedded"`
}

// PasswordAttempts limits password guessing (rooms/policy.GuardConfig).
type PasswordAttempts struct {
	PerSource    int           `yaml:"per_source"`
	PerMeeting   int           `yaml:"per_meeting"`
	PerGateway   int           `yaml:"per_gateway"`
	Window       time.Duration `yaml:"window"`
	Backoff      time.Duration `yaml:"backoff"`
	BackoffMax   time.Duration `yaml:"backoff_max"`
	BanAfter     int           `yaml:"ban_after"`
	BanWindow    time.Duration `yaml:"ban_window"`
	Ban          time.Duration `yaml:"ban"`
	BanMax       time.Duration `yaml:"ban_max"`
	AlertSources int           `yaml:"alert_sources"`
}

// WaitingRoom bounds every meeting's waiting room.
type WaitingRoom struct {
	PerSource  int           `yaml:"per_source"`
	PerMeeting int           `yaml:"per_meeting"`
	Expire     time.Duration `yaml:"expire"`
}

// LiveKitExternal points at an external LiveKit deployment.
type LiveKitExternal struct {
	URL       string `yaml:"url"`
	APIKey    string `yaml:"api_key"`
	APISecret string `yaml:"api_secret"`
}

// LiveKitEmbedded configures the in-process LiveKit node.
type LiveKitEmbedded struct {
	Port               int      `yaml:"port"`
	BindAddresses      []string `yaml:"bind_addresses"`
	RTCUDPPort         int      `yaml:"rtc_udp_port"`
	RTCTCPPort         int      `yaml:"rtc_tcp_port"`
	NodeIP             string   `yaml:"node_ip"`
	LoopbackCandidates bool     `yaml:"loopback_candidates"`
	STUNServers        []string `yaml:"stun_servers"`
	APIKey             string   `yaml:"api_key"`
	APISecret          string   `yaml:"api_secret"`
}

// SIPConfig is the SIP listener (room-system leg).
type SIPConfig struct {
	Enabled bool   `yaml:"enabled"`
	Listen  string `yaml:"listen"`
	// IVRUsers are Request-URI user parts that go straight to the voice menu.
	IVRUsers []string `yaml:"ivr_users"`
	// DefaultMeeting is joined when a call names no meeting (empty: the IVR asks).
	DefaultMeeting string `yaml:"default_meeting"`
	// SessionExpires is the RFC 4028 session interval (0: 30 min default).
	SessionExpires time.Duration `yaml:"session_expires"`
	// MinSE is the smallest session interval accepted (RFC floor 90 s).
	MinSE time.Duration `yaml:"min_se"`
	// SRTP encrypts room systems' media, keyed by SDES (RFC 4568): off, optional (when
	// the room system offers it; our offers carry keys on RTP/AVP) or required.
	SRTP string `yaml:"srtp"`
	// TLSListen is the SIP over TLS listener (RFC 3261 §26, transport=tls); empty: none.
	// TLSCert and TLSKey are PEM files; both empty: a self-signed certificate is made
	// and kept in data_dir.
	TLSListen string `yaml:"tls_listen"`
	TLSCert   string `yaml:"tls_cert"`
	TLSKey    string `yaml:"tls_key"`
	// Limits bound what one source address may cost the SIP listener.
	Limits SIPLimits `yaml:"limits"`
}

// SIPLimits are the per-source limits of the SIP listener (sip.Limits).
type SIPLimits struct {
	RequestsPerSecond       float64       `yaml:"requests_per_second"`
	Burst                   int           `yaml:"burst"`
	Block                   time.Duration `yaml:"block"`
	CallsPerSource          int           `yaml:"calls_per_source"`
	TCPConnectionsPerSource int           `yaml:"tcp_connections_per_source"`
	TCPReadTimeout          time.Duration `yaml:"tcp_read_timeout"`
	TCPIdleTimeout          time.Duration `yaml:"tcp_idle_timeout"`
}

// DefaultSIPLimits leave ample room for room systems, SBCs and SIPp loads.
func DefaultSIPLimits() SIPLimits {
	return SIPLimits{RequestsPerSecond: 200, Burst: 400, Block: 10 * time.Second, CallsPerSource: 100,
		TCPConnectionsPerSource: 32, TCPReadTimeout: 10 * time.Second, TCPIdleTimeout: 2 * time.Minute}
}

// H323Config is the H.323 room-system leg: call signalling, the built-in
// gatekeeper, and registration with an external one.
type H323Config struct {
	Enabled bool   `yaml:"enabled"`
	Listen  string `yaml:"listen"`
	// RASListen is the built-in gatekeeper's UDP address; empty: no gatekeeper.
	RASListen string `yaml:"ras_listen"`
	// Gatekeeper is an external gatekeeper (host:port, port 1719 if omitted) the
	// gateway registers with and asks (LRQ) for aliases it dials; empty: none.
	Gatekeeper string `yaml:"gatekeeper"`
	// Aliases the gateway registers with the external gatekeeper (h323-ID, or
	// digits for an E.164 prefix).
	Aliases []string `yaml:"aliases"`
	// GatekeeperID names the built-in gatekeeper (gatekeeperIdentifier).
	GatekeeperID string `yaml:"gatekeeper_id"`
	// MediaTimeout bounds how long an answered call without fastStart waits for
	// its H.245 audio channel.
	MediaTimeout time.Duration `yaml:"media_timeout"`
	Limits       H323Limits    `yaml:"limits"`
}

// H323Limits bound what one source may cost (0: the default in brackets).
type H323Limits struct {
	MaxConnections       int           `yaml:"max_connections"`        // [512] TCP connections in all
	ConnectionsPerSource int           `yaml:"connections_per_source"` // [32]
	MaxCalls             int           `yaml:"max_calls"`              // [256]
	SetupTimeout         time.Duration `yaml:"setup_timeout"`          // [10s] connect → Setup
	ReadTimeout          time.Duration `yaml:"read_timeout"`           // [10s] a started TPKT must complete
	MessagesPerSecond    float64       `yaml:"messages_per_second"`    // [100] per source
	Burst                int           `yaml:"burst"`                  // [300]
	MaxRegistrations     int           `yaml:"max_registrations"`      // [2000] built-in gatekeeper
}

// MediaConfig is the RTP port range for room-system calls.
type MediaConfig struct {
	PortMin int `yaml:"port_min"`
	PortMax int `yaml:"port_max"`
	// BindAddress is where RTP sockets listen; empty: the SIP listen address.
	BindAddress string `yaml:"bind_address"`
	// Timeout ends a call that sent no RTP for this long.
	Timeout time.Duration `yaml:"timeout"`
	// SymmetricRTP sends media to where the endpoint's RTP comes from (latching);
	// false is the same as Latch "off".
	SymmetricRTP bool `yaml:"symmetric_rtp"`

	// Who may send a call's media (issue 11). Latch: which sources besides the
	// signalled address may become the call's source: "signalled_ip" (same IP, another
	// port), "any", "off". Probation: in-sequence packets such a source must send
	// first. Quarantine: how long a released port pair rests before reuse.
	Latch      string        `yaml:"latch"`
	Probation  int           `yaml:"probation"`
	Quarantine time.Duration `yaml:"quarantine"`
}

// MetricsConfig is the Prometheus endpoint (/metrics in the text format, metric names
// prefixed roomgate_) for operators.
type MetricsConfig struct {
	// Listen is its own listener, e.g. 127.0.0.1:9090; empty: off.
	Listen string `yaml:"listen"`
}

// CDRConfig bounds the call detail records kept in the meeting directory (one per
// room-system call, GET /api/v1/cdrs): records older than Retention go, and past
// MaxRows the oldest go.
type CDRConfig struct {
	Retention time.Duration `yaml:"retention"`
	MaxRows   int           `yaml:"max_rows"`
}

// DebugConfig holds diagnostics for operators.
type DebugConfig struct {
	// PprofListen serves Go's net/http/pprof on this address (e.g. 127.0.0.1:6060);
	// empty: off.
	PprofListen string `yaml:"pprof_listen"`
}

// External reports whether an external LiveKit is configured.
func (c *Config) External() bool { return c.Meeting.LiveKit.URL != "" }

// Default returns the built-in defaults (the values documented in roomgate.yaml).
func Default() Config {
	return Config{
		HTTP: HTTPConfig{Listen: "127.0.0.1:8080", MaxConnsPerSource: 256, MaxConns: 4096,
			ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second},
		API:     APIConfig{LookupsPerMinute: 60},
		DataDir: "data",
		Log:     LogConfig{Level: "info", Format: "text"},
		Meeting: MeetingConfig{
			PasswordAttempts: PasswordAttempts{PerSource: 5, PerMeeting: 50, PerGateway: 1000, Window: time.Hour,
				Backoff: 10 * time.Second, BackoffMax: 15 * time.Minute,
				BanAfter: 30, BanWindow: 24 * time.Hour, Ban: time.Hour, BanMax: 7 * 24 * time.Hour, AlertSources: 10},
			WaitingRoom: WaitingRoom{PerSource: 20, PerMeeting: 500, Expire: 2 * time.Minute},
			Embedded: LiveKitEmbedded{
				Port:               7880,
				BindAddresses:      []string{"127.0.0.1"},
				RTCUDPPort:         7882,
				RTCTCPPort:         7881,
				NodeIP:             "127.0.0.1",
				LoopbackCandidates: true,
			},
		},
		SIP:   SIPConfig{Listen: "127.0.0.1:5060", IVRUsers: []string{"ivr", "meet"}, SRTP: "optional", Limits: DefaultSIPLimits()},
		H323:  H323Config{Listen: "127.0.0.1:1720", RASListen: "127.0.0.1:1719", GatekeeperID: "roomgate", Aliases: []string{}, MediaTimeout: 30 * time.Second},
		CDR:   CDRConfig{Retention: 90 * 24 * time.Hour, MaxRows: 100_000},
		Media: MediaConfig{PortMin: 3000, PortMax: 10000, Timeout: 30 * time.Second, SymmetricRTP: true, Latch: "signalled_ip", Probation: 4, Quarantine: 60 * time.Second},
	}
}

// Load reads, decodes and validates the file at path. Relative paths inside it
// (data_dir) are resolved against the file's directory.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	if !filepath.IsAbs(cfg.DataDir) {
		abs, err := filepath.Abs(filepath.Join(filepath.Dir(path), cfg.DataDir))
		if err != nil {
			return nil, fmt.Errorf("config: %s: data_dir: %w", path, err)
		}
		cfg.DataDir = abs
	}
	for _, p := range []*string{&cfg.SIP.TLSCert, &cfg.SIP.TLSKey} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(filepath.Dir(path), *p)
		}
	}
	return cfg, nil
}

// Parse decodes and validates data; name is used in error messages. Relative paths are
// left as they are.
func Parse(name string, data []byte) (*Config, error) {
	cfg := Default()
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &Error{File: name, Err: err}
	}
	if err := unknownKey(name, &root); err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, &Error{File: name, Err: err}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, &Error{File: name, Msg: "more than one YAML document"}
	}
	if err := cfg.validate(); err != nil {
		var fe *fieldError
		if errors.As(err, &fe) {
			return nil, &Error{File: name, Line: lineOf(&root, fe.key), Msg: fe.Error()}
		}
		return nil, &Error{File: name, Err: err}
	}
	cfg.Path = name
	return &cfg, nil
}

// Error is a configuration error with its location.
type Error struct {
	File string
	Line int // 0 when unknown
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	msg := e.Msg
	if e.Err != nil {
		msg = e.Err.Error()
	}
	if e.Line > 0 {
		return fmt.Sprintf("config %s: line %d: %s", e.File, e.Line, msg)
	}
	return fmt.Sprintf("config %s: %s", e.File, msg)
}

func (e *Error) Unwrap() error { return e.Err }
