package configs

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// fieldError is a validation failure of one key, addressed by its dotted path.
type fieldError struct {
	key string
	msg string
}

func (e *fieldError) Error() string { return e.key + ": " + e.msg }

func bad(key, format string, args ...any) error {
	return &fieldError{key: key, msg: fmt.Sprintf(format, args...)}
}

func (c *Config) validate() error {
	if err := checkHostPort("http.listen", c.HTTP.Listen); err != nil {
		return err
	}
	// Empty public_host is the machine's address (Resolve).
	if strings.ContainsAny(c.PublicHost, " /@#") {
		return bad("public_host", "%q is not a host name or IP address", c.PublicHost)
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad("public_url", "%q is not an http(s) URL", c.PublicURL)
		}
	}
	if c.DataDir == "" {
		return bad("data_dir", "must not be empty")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return bad("log.level", "%q is not one of debug, info, warn, error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		return bad("log.format", "%q is not text or json", c.Log.Format)
	}
	if t := c.API.Token; t != "" && len(t) < 16 {
		return bad("api.token", "too short: use at least 16 characters")
	}
	if err := c.validateLimits(); err != nil {
		return err
	}
	if err := c.validateLiveKit(); err != nil {
		return err
	}
	if c.SIP.Enabled {
		if err := checkHostPort("sip.listen", c.SIP.Listen); err != nil {
			return err
		}
	}
	if c.H323.Enabled {
		if err := checkHostPort("h323.listen", c.H323.Listen); err != nil {
			return err
		}
		if c.H323.RASListen != "" {
			if err := checkHostPort("h323.ras_listen", c.H323.RASListen); err != nil {
				return err
			}
		}
		if g := c.H323.Gatekeeper; g != "" {
			if _, _, err := net.SplitHostPort(g); err != nil {
				g = net.JoinHostPort(g, "1719")
			}
			if err := checkHostPort("h323.gatekeeper", g); err != nil {
				return err
			}
			if _, err := netip.ParseAddrPort(g); err != nil {
				return bad("h323.gatekeeper", "%q: give the gatekeeper's IP address (host names are not looked up)", c.H323.Gatekeeper)
			}
			if len(c.H323.Aliases) == 0 {
				return bad("h323.aliases", "registering with h323.gatekeeper needs at least one alias")
			}
		}
		if len(c.H323.GatekeeperID) > 32 {
			return bad("h323.gatekeeper_id", "%q is longer than 32 characters", c.H323.GatekeeperID)
		}
		if c.H323.MediaTimeout <= 0 {
			return bad("h323.media_timeout", "must be positive")
		}
		if err := c.H323.Limits.validate(); err != nil {
			return err
		}
	}
	if err := checkPort("media.port_min", c.Media.PortMin); err != nil {
		return err
	}
	if err := checkPort("media.port_max", c.Media.PortMax); err != nil {
		return err
	}
	if c.Media.PortMax-c.Media.PortMin < 3 {
		return bad("media.port_max", "range %d–%d holds no RTP/RTCP pair: port_max must be at least port_min+3", c.Media.PortMin, c.Media.PortMax)
	}
	if c.Media.PortMin%2 != 0 {
		return bad("media.port_min", "%d: RTP ports are even; use an even number", c.Media.PortMin)
	}
	if c.Media.Timeout <= 0 {
		return bad("media.timeout", "must be a positive duration such as 30s")
	}
	switch c.Media.Latch {
	case "signalled_ip", "any", "off":
	default:
		return bad("media.latch", "%q: use signalled_ip, any or off", c.Media.Latch)
	}
	if c.Media.Probation < 1 || c.Media.Probation > 64 {
		return bad("media.probation", "%d: must be 1–64 packets", c.Media.Probation)
	}
	if c.Media.Quarantine < 0 || c.Media.Quarantine > time.Hour {
		return bad("media.quarantine", "must be between 0s and 1h")
	}
	if c.Media.BindAddress != "" {
		if _, err := netip.ParseAddr(c.Media.BindAddress); err != nil {
			return bad("media.bind_address", "%q is not an IP address", c.Media.BindAddress)
		}
	}
	if c.SIP.DefaultMeeting != "" && (len(c.SIP.DefaultMeeting) < 9 || len(c.SIP.DefaultMeeting) > 11 || strings.Trim(c.SIP.DefaultMeeting, "0123456789") != "") {
		return bad("sip.default_meeting", "%q is not a meeting ID (9–11 digits)", c.SIP.DefaultMeeting)
	}
	switch strings.ToLower(c.SIP.SRTP) {
	case "", "off", "optional", "required":
	default:
		return bad("sip.srtp", "%q: want off, optional or required", c.SIP.SRTP)
	}
	if c.SIP.TLSListen != "" {
		if _, _, err := net.SplitHostPort(c.SIP.TLSListen); err != nil {
			// A host alone takes SIP over TLS's well-known port (RFC 3261 §19.1.2).
			c.SIP.TLSListen = net.JoinHostPort(strings.Trim(c.SIP.TLSListen, "[]"), "5061")
		}
		if err := checkHostPort("sip.tls_listen", c.SIP.TLSListen); err != nil {
			return err
		}
	}
	if (c.SIP.TLSCert == "") != (c.SIP.TLSKey == "") {
		return bad("sip.tls_cert", "tls_cert and tls_key go together (both empty: a self-signed certificate)")
	}
	if c.SIP.MinSE != 0 && c.SIP.MinSE < time.Second {
		return bad("sip.min_se", "must be at least 1s")
	}
	// The SIP leg's own defaults (0s: 30m and 90s), so that what serve refuses is
	// refused here.
	minSE := c.SIP.MinSE
	if minSE == 0 {
		minSE = 90 * time.Second
	}
	if c.SIP.SessionExpires > 0 && c.SIP.SessionExpires < minSE {
		return bad("sip.session_expires", "%v is below min_se %v (0s: 30m)", c.SIP.SessionExpires, minSE)
	}
	if err := c.SIP.Limits.validate(); err != nil {
		return err
	}
	if c.Debug.PprofListen != "" {
		if err := checkHostPort("debug.pprof_listen", c.Debug.PprofListen); err != nil {
			return err
		}
	}
	if c.Metrics.Listen != "" {
		if err := checkHostPort("metrics.listen", c.Metrics.Listen); err != nil {
			return err
		}
	}
	if c.CDR.Retention < time.Hour {
		return bad("cdr.retention", "%v: keep call records at least 1h (e.g. 2160h for 90 days)", c.CDR.Retention)
	}
	if c.CDR.MaxRows < 100 {
		return bad("cdr.max_rows", "%d: keep at least 100 call records", c.CDR.MaxRows)
	}
	return c.NAT.validate()
}

func (c *Config) validateLiveKit() error {
	lk := c.Meeting.LiveKit
	if lk.URL != "" {
		u, err := url.Parse(lk.URL)
		if err != nil || u.Host == "" {
			return bad("meeting.livekit.url", "%q is not a URL", lk.URL)
		}
		switch u.Scheme {
		case "ws", "wss", "http", "https":
		default:
			return bad("meeting.livekit.url", "scheme %q: use ws://, wss://, http:// or https://", u.Scheme)
		}
		if lk.APIKey == "" {
			return bad("meeting.livekit.api_key", "required when meeting.livekit.url is set")
		}
		if lk.APISecret == "" {
			return bad("meeting.livekit.api_secret", "required when meeting.livekit.url is set")
		}
		return nil
	}
	if lk.APIKey != "" || lk.APISecret != "" {
		return bad("meeting.livekit.url", "api_key/api_secret are set but url is empty")
	}
	e := c.Meeting.Embedded
	for _, p := range []struct {
		key string
		v   int
	}{{"meeting.embedded.port", e.Port}, {"meeting.embedded.rtc_udp_port", e.RTCUDPPort}, {"meeting.embedded.rtc_tcp_port", e.RTCTCPPort}} {
		if err := checkPort(p.key, p.v); err != nil {
			return err
		}
	}
	for _, a := range e.BindAddresses {
		if _, err := netip.ParseAddr(a); err != nil {
			return bad("meeting.embedded.bind_addresses", "%q is not an IP address", a)
		}
	}
	if e.NodeIP != "" {
		if _, err := netip.ParseAddr(e.NodeIP); err != nil {
			return bad("meeting.embedded.node_ip", "%q is not an IP address", e.NodeIP)
		}
	}
	if (e.APIKey == "") != (e.APISecret == "") {
		return bad("meeting.embedded.api_key", "set both api_key and api_secret, or neither")
	}
	if e.APISecret != "" && len(e.APISecret) < 32 {
		return bad("meeting.embedded.api_secret", "too short: LiveKit needs at least 32 characters")
	}
	return nil
}

func checkPort(key string, p int) error {
	if p < 1 || p > 65535 {
		return bad(key, "%d is not a port number (1–65535)", p)
	}
	return nil
}

func checkHostPort(key, v string) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return bad(key, "%q is not host:port", v)
	}
	if host != "" {
		if _, err := netip.ParseAddr(host); err != nil && strings.ContainsAny(host, " /") {
			return bad(key, "%q: bad host", v)
		}
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return bad(key, "%q: port is not a number", v)
	}
	return checkPort(key, n)
}

// lineOf finds the line of a dotted key in a decoded YAML document (0 if absent).
func lineOf(root *yaml.Node, key string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	for _, part := range strings.Split(key, ".") {
		if i, err := strconv.Atoi(part); err == nil && n.Kind == yaml.SequenceNode {
			// A list item (nat.profiles.2.name): its line, then its keys.
			if i < 0 || i >= len(n.Content) {
				return line
			}
			n = n.Content[i]
			line = n.Line
			continue
		}
		if n.Kind != yaml.MappingNode {
			return line
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == part {
				line = n.Content[i].Line
				n = n.Content[i+1]
				found = true
				break
			}
		}
		if !found {
			return line
		}
	}
	return line
}

// validateLimits checks the HTTP caps, the password-guessing limits and the
// waiting room: every count at least 1, every duration positive.
func (c *Config) validateLimits() error {
	pa, wr, h := c.Meeting.PasswordAttempts, c.Meeting.WaitingRoom, c.HTTP
	counts := []struct {
		key string
		v   int
	}{
		{"http.max_conns_per_source", h.MaxConnsPerSource}, {"http.max_conns", h.MaxConns},
		{"api.lookups_per_minute", c.API.LookupsPerMinute},
		{"meeting.password_attempts.per_source", pa.PerSource}, {"meeting.password_attempts.per_meeting", pa.PerMeeting},
		{"meeting.password_attempts.per_gateway", pa.PerGateway},
		{"meeting.password_attempts.ban_after", pa.BanAfter}, {"meeting.password_attempts.alert_sources", pa.AlertSources},
		{"meeting.waiting_room.per_source", wr.PerSource}, {"meeting.waiting_room.per_meeting", wr.PerMeeting},
	}
	for _, n := range counts {
		if n.v < 1 {
			return bad(n.key, "must be at least 1")
		}
	}
	durations := []struct {
		key string
		v   time.Duration
	}{
		{"http.read_header_timeout", h.ReadHeaderTimeout}, {"http.read_timeout", h.ReadTimeout}, {"http.idle_timeout", h.IdleTimeout},
		{"meeting.password_attempts.window", pa.Window}, {"meeting.password_attempts.backoff", pa.Backoff},
		{"meeting.password_attempts.backoff_max", pa.BackoffMax}, {"meeting.password_attempts.ban_window", pa.BanWindow},
		{"meeting.password_attempts.ban", pa.Ban}, {"meeting.password_attempts.ban_max", pa.BanMax},
		{"meeting.waiting_room.expire", wr.Expire},
	}
	for _, d := range durations {
		if d.v <= 0 {
			return bad(d.key, "must be a positive duration such as 1m")
		}
	}
	if pa.BackoffMax < pa.Backoff {
		return bad("meeting.password_attempts.backoff_max", "must not be shorter than backoff")
	}
	if pa.BanMax < pa.Ban {
		return bad("meeting.password_attempts.ban_max", "must not be shorter than ban")
	}
	return nil
}

// validate checks the SIP listener's per-source limits.
func (l SIPLimits) validate() error {
	switch {
	case l.RequestsPerSecond <= 0:
		return bad("sip.limits.requests_per_second", "must be positive")
	case l.Burst < 1:
		return bad("sip.limits.burst", "must be at least 1")
	case l.Block < time.Second:
		return bad("sip.limits.block", "must be at least 1s")
	case l.CallsPerSource < 1:
		return bad("sip.limits.calls_per_source", "must be at least 1")
	case l.TCPConnectionsPerSource < 1:
		return bad("sip.limits.tcp_connections_per_source", "must be at least 1")
	case l.TCPReadTimeout <= 0:
		return bad("sip.limits.tcp_read_timeout", "must be a positive duration such as 10s")
	case l.TCPIdleTimeout <= 0:
		return bad("sip.limits.tcp_idle_timeout", "must be a positive duration such as 2m")
	}
	return nil
}

// validate checks the H.323 limits: 0 takes the default, negatives are refused.
func (l H323Limits) validate() error {
	counts := []struct {
		key string
		v   float64
	}{
		{"max_connections", float64(l.MaxConnections)}, {"connections_per_source", float64(l.ConnectionsPerSource)},
		{"max_calls", float64(l.MaxCalls)}, {"setup_timeout", float64(l.SetupTimeout)}, {"read_timeout", float64(l.ReadTimeout)},
		{"messages_per_second", l.MessagesPerSecond}, {"burst", float64(l.Burst)}, {"max_registrations", float64(l.MaxRegistrations)},
	}
	for _, n := range counts {
		if n.v < 0 {
			return bad("h323.limits."+n.key, "must not be negative (0: the default)")
		}
	}
	return nil
}
