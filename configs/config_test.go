package configs

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDefaultFileMatchesDefault(t *testing.T) {
	cfg, err := Load("roomgate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Path = "roomgate.yaml"
	// The shipped file differs from the built-in defaults only where its comments say
	// so: the room-system legs are on, on every interface, and data lives in the
	// repository's data/.
	abs, _ := filepath.Abs("../data")
	want.DataDir = abs
	want.SIP.Enabled, want.SIP.Listen = true, "0.0.0.0:5060"
	want.H323.Enabled, want.H323.Listen, want.H323.RASListen = true, "0.0.0.0:1720", "0.0.0.0:1719"
	if len(cfg.Meeting.Embedded.STUNServers) != 0 {
		t.Fatalf("default stun_servers = %v, want none", cfg.Meeting.Embedded.STUNServers)
	}
	cfg.Meeting.Embedded.STUNServers = nil // [] in the file, nil in Default
	if !reflect.DeepEqual(*cfg, want) {
		t.Fatalf("roomgate.yaml and Default() differ:\nfile:    %+v\ndefault: %+v", *cfg, want)
	}
}

func TestStrictErrorsNameTheLine(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		want string // substring of the error
	}{
		{"unknown top-level key", "http:\n  listen: 127.0.0.1:8080\nbogus: 1\n", `line 3: unknown key "bogus" at the top level (known keys: api, cdr, data_dir,`},
		{"unknown nested key", "meeting:\n  embedded:\n    prot: 7880\n", `line 3: unknown key "prot" in meeting.embedded; did you mean "port"?`},
		{"enable for enabled", "sip:\n  listen: 0.0.0.0:5060\n  enable: true\n", `line 3: unknown key "enable" in sip; did you mean "enabled"?`},
		{"typo at the top", "pubilc_host: gw\n", `line 1: unknown key "pubilc_host" at the top level; did you mean "public_host"?`},
		{"unknown key in a merged mapping", "base: &b\n  lisen: 1\n", `line 1: unknown key "base"`},
		{"unknown key through a merge key", "x-defaults: &d {}\nh323:\n  <<: {ras_listne: \"\"}\n", `unknown key "x-defaults"`},
		{"merge key with a typo", "h323:\n  <<: {ras_listne: \"\"}\n", `line 2: unknown key "ras_listne" in h323; did you mean "ras_listen"?`},
		{"gatekeeper by name", "h323:\n  enabled: true\n  gatekeeper: gk.example.net\n  aliases: [a]\n", "line 3: h323.gatekeeper"},
		{"negative h323 limit", "h323:\n  enabled: true\n  limits:\n    max_calls: -1\n", "line 4: h323.limits.max_calls"},
		{"session interval below min_se", "sip:\n  session_expires: 60s\n", "line 2: sip.session_expires"},
		{"session interval below a set min_se", "sip:\n  session_expires: 5m\n  min_se: 10m\n", "line 2: sip.session_expires"},
		{"wrong type", "media:\n  port_min: lots\n", "line 2: cannot unmarshal"},
		{"metrics listen without port", "metrics:\n  listen: 127.0.0.1\n", "line 2: metrics.listen"},
		{"cdr retention too short", "cdr:\n  retention: 10m\n", "line 2: cdr.retention"},
		{"cdr rows too few", "cdr:\n  max_rows: 5\n", "line 2: cdr.max_rows"},
		{"bad duration", "meeting:\n  password_attempts:\n    window: soon\n", "line 3"},
		{"port out of range", "media:\n  port_min: 3000\n  port_max: 70000\n", "line 3: media.port_max"},
		{"inverted range", "media:\n  port_min: 9000\n  port_max: 4000\n", "line 3: media.port_max"},
		{"bad latch mode", "media:\n  latch: everyone\n", "line 2: media.latch"},
		{"zero probation", "media:\n  probation: 0\n", "line 2: media.probation"},
		{"negative quarantine", "media:\n  quarantine: -1s\n", "line 2: media.quarantine"},
		{"bad listen", "\n\nhttp:\n  listen: nowhere\n", "line 4: http.listen"},
		{"bad log format", "log:\n  format: xml\n", "line 2: log.format"},
		{"external needs key", "meeting:\n  livekit:\n    url: wss://lk.example.net\n", "meeting.livekit.api_key"},
		{"short token", "api:\n  token: abc\n", "line 2: api.token"},
		{"bad public ip", "nat:\n  public_ip: 1.2.3\n", "line 2: nat.public_ip"},
		{"bad srtp mode", "sip:\n  srtp: always\n", "line 2: sip.srtp"},
		{"bad tls listen", "sip:\n  tls_listen: 127.0.0.1:99999\n", "line 2: sip.tls_listen"},
		{"tls cert without key", "sip:\n  tls_cert: a.pem\n", "line 2: sip.tls_cert"},
		{"two documents", "http:\n  listen: 127.0.0.1:1\n---\nhttp: {}\n", "more than one YAML document"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { wantParseError(t, tc.yaml, tc.want) })
	}
}

// wantParseError checks that Parse refuses yaml with a *Error naming the file and
// containing want.
func wantParseError(t *testing.T, yaml, want string) {
	t.Helper()
	_, err := Parse("x.yaml", []byte(yaml))
	if err == nil {
		t.Fatalf("accepted:\n%s", yaml)
	}
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %T is not *configs.Error: %v", err, err)
	}
	if !strings.Contains(err.Error(), "x.yaml") || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not name the file and contain %q", err, want)
	}
}

func TestValidConfigs(t *testing.T) {
	cases := []struct {
		name  string
		yaml  string
		check func(*Config) bool
	}{
		{"empty file gives defaults", "", func(c *Config) bool {
			return c.HTTP.Listen == "127.0.0.1:8080" && c.Media.PortMin == 3000 && !c.SIP.Enabled && !c.H323.Enabled && c.DataDir == "data"
		}},
		{"external livekit", "meeting:\n  livekit:\n    url: wss://lk.example.net\n    api_key: k\n    api_secret: s\n", func(c *Config) bool { return c.External() }},
		{"srtp required", "sip:\n  srtp: required\n", func(c *Config) bool { return c.SIP.SRTP == "required" }},
		{"tls host alone takes 5061", "sip:\n  tls_listen: 0.0.0.0\n", func(c *Config) bool { return c.SIP.TLSListen == "0.0.0.0:5061" }},
		{"tls ipv6 host alone", "sip:\n  tls_listen: \"[::1]\"\n", func(c *Config) bool { return c.SIP.TLSListen == "[::1]:5061" }},
		{"metrics off, CDRs 90 days by default", "", func(c *Config) bool {
			return c.Metrics.Listen == "" && c.CDR.Retention == 90*24*time.Hour && c.CDR.MaxRows == 100_000
		}},
		{"metrics and cdr keys", "metrics:\n  listen: 127.0.0.1:9090\ncdr:\n  retention: 720h\n  max_rows: 5000\n", func(c *Config) bool {
			return c.Metrics.Listen == "127.0.0.1:9090" && c.CDR.Retention == 720*time.Hour && c.CDR.MaxRows == 5000
		}},
		{"duration", "meeting:\n  password_attempts:\n    window: 90s\n", func(c *Config) bool { return c.Meeting.PasswordAttempts.Window == 90*time.Second }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("x.yaml", []byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(c) {
				t.Fatalf("unexpected config %+v", c)
			}
		})
	}
}

func TestLoadResolvesDataDirAgainstFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sub", "rg.yaml")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("data_dir: ../state\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "state"); c.DataDir != want {
		t.Fatalf("data_dir = %q, want %q", c.DataDir, want)
	}
}

func TestClosestKey(t *testing.T) {
	keys := []string{"enabled", "listen", "ivr_users", "default_meeting", "session_expires", "min_se", "srtp", "tls_listen"}
	cases := map[string]string{
		"enable": "enabled", "Enabled": "enabled", "lisetn": "listen", "listen_tls": "", "tls_lisen": "tls_listen",
		"srpt": "srtp", "minse": "min_se", "x": "", "": "", "completely_different": "",
		strings.Repeat("a", 10000): "",
	}
	for in, want := range cases {
		if got := closest(in, keys); got != want {
			t.Errorf("closest(%.20q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseAcceptsEmptyPublicHost(t *testing.T) {
	c, err := Parse("x.yaml", []byte("public_host: \"\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.PublicHost != "" || c.Advertise.IsValid() {
		t.Fatalf("before Resolve: public_host %q, advertise %v; want both unset", c.PublicHost, c.Advertise)
	}
}
