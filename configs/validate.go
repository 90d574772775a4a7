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
	if c.PublicHost == "" {
		return bad("public_host", "must not be empty")
	}
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
	pa := c.Meeting.PasswordAttempts
	if pa.PerSource < 1 {
		return bad("meeting.password_attempts.per_source", "must be at least 1")
	}
	if pa.PerMeeting < 1 {
		return bad("meeting.password_attempts.per_meeting", "must be at least 1")
	}
	if pa.Window <= 0 {
		return bad("meeting.password_attempts.window", "must be a positive duration such as 1m")
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
		if err := checkHostPort("h323.ras_listen", c.H323.RASListen); err != nil {
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
	if c.Media.BindAddress != "" {
		if _, err := netip.ParseAddr(c.Media.BindAddress); err != nil {
			return bad("media.bind_address", "%q is not an IP address", c.Media.BindAddress)
		}
	}
	if c.SIP.DefaultMeeting != "" && (len(c.SIP.DefaultMeeting) < 9 || len(c.SIP.DefaultMeeting) > 11 || strings.Trim(c.SIP.DefaultMeeting, "0123456789") != "") {
		return bad("sip.default_meeting", "%q is not a meeting ID (9–11 digits)", c.SIP.DefaultMeeting)
	}
	if c.SIP.MinSE != 0 && c.SIP.MinSE < time.Second {
		return bad("sip.min_se", "must be at least 1s")
	}
	if err := c.SIP.Limits.validate(); err != nil {
		return err
	}
	if c.Debug.PprofListen != "" {
		if err := checkHostPort("debug.pprof_listen", c.Debug.PprofListen); err != nil {
			return err
		}
	}
	if c.NAT.PublicIP != "" {
		if _, err := netip.ParseAddr(c.NAT.PublicIP); err != nil {
			return bad("nat.public_ip", "%q is not an IP address", c.NAT.PublicIP)
		}
	}
	return nil
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
