package sip

import (
	"net/netip"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

func parseReq(t *testing.T, headers string) *sip.Request {
	t.Helper()
	raw := "INVITE sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\nFrom: <sip:b@x>;tag=1\r\nTo: <sip:a@x>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n" + headers + "Content-Length: 0\r\n\r\n"
	m, err := sip.ParseMessage([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return m.(*sip.Request)
}

func TestSessionTimerHeaders(t *testing.T) {
	tests := []struct {
		name      string
		headers   string
		wantSE    time.Duration
		wantRef   string
		wantOK    bool
		wantMinSE time.Duration
		wantTimer bool
	}{
		{"full_form", "Session-Expires: 1800;refresher=uac\r\nMin-SE: 90\r\nSupported: timer, replaces\r\n", 1800 * time.Second, "uac", true, 90 * time.Second, true},
		{"compact_form", "x: 120 ; Refresher = UAS\r\nk: replaces,timer\r\n", 120 * time.Second, "uas", true, 0, true},
		{"require_only", "Session-Expires: 90\r\nRequire: timer\r\n", 90 * time.Second, "", true, 0, true},
		{"absent", "Supported: replaces\r\n", 0, "", false, 0, false},
		{"garbage_value", "Session-Expires: soon\r\nMin-SE: -4\r\n", 0, "", false, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := parseReq(t, tc.headers)
			se, ref, ok := sessionExpires(req)
			if se != tc.wantSE || ref != tc.wantRef || ok != tc.wantOK {
				t.Errorf("sessionExpires = %v %q %v", se, ref, ok)
			}
			if m := minSE(req); m != tc.wantMinSE {
				t.Errorf("minSE = %v", m)
			}
			if s := supports(req, "timer"); s != tc.wantTimer {
				t.Errorf("supports(timer) = %v", s)
			}
		})
	}
}

// The UAS side of RFC 4028 §9 as transitions: request headers → interval
// and who refreshes.
func TestSessionTimerUAS(t *testing.T) {
	cfg := Config{SessionExpires: 1800 * time.Second, MinSE: 90 * time.Second}
	tests := []struct {
		name          string
		headers       string
		cfg           Config
		wantInterval  time.Duration
		wantWeRefresh bool
		wantReject    bool
	}{
		{"no_timer_support->we_refresh_our_interval", "", cfg, 1800 * time.Second, true, false},
		{"supported_no_se->uac_refreshes", "Supported: timer\r\n", cfg, 1800 * time.Second, false, false},
		{"se_refresher_uac->uac_refreshes", "Supported: timer\r\nSession-Expires: 600;refresher=uac\r\n", cfg, 600 * time.Second, false, false},
		{"se_refresher_uas->we_refresh", "Supported: timer\r\nSession-Expires: 600;refresher=uas\r\n", cfg, 600 * time.Second, true, false},
		{"se_above_ours->lowered_to_ours", "Supported: timer\r\nSession-Expires: 7200\r\n", cfg, 1800 * time.Second, false, false},
		{"se_above_ours->not_below_their_min_se", "Supported: timer\r\nSession-Expires: 7200\r\nMin-SE: 3600\r\n", cfg, 3600 * time.Second, false, false},
		{"se_below_min_se->422", "Session-Expires: 30\r\n", cfg, 0, false, true},
		{"timers_disabled->none", "", Config{SessionExpires: 0, MinSE: 90 * time.Second}, 0, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := parseReq(t, tc.headers)
			var st sessionTimer
			code, hdrs, ok := st.checkRequest(req, tc.cfg)
			if ok == tc.wantReject {
				t.Fatalf("checkRequest ok=%v code=%d", ok, code)
			}
			if !ok {
				if code != 422 || len(hdrs) != 1 || hdrs[0].Value() != "90" {
					t.Errorf("reject %d %v", code, hdrs)
				}
				return
			}
			st.fromRequest(req, tc.cfg)
			if st.interval != tc.wantInterval || st.weRefresh != tc.wantWeRefresh {
				t.Errorf("interval %v weRefresh %v", st.interval, st.weRefresh)
			}
		})
	}
}

func TestParseInfo(t *testing.T) {
	tests := []struct {
		name    string
		ct      string
		body    string
		want    Info
		wantErr bool
	}{
		{"dtmf_relay", "application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", Info{Digit: '5', Duration: 160 * time.Millisecond}, false},
		{"dtmf_relay_spaces_star", "Application/DTMF-Relay; charset=x", "Signal= *\nDuration= 250", Info{Digit: '*', Duration: 250 * time.Millisecond}, false},
		{"dtmf_relay_event_11", "application/dtmf-relay", "Signal=11\r\n", Info{Digit: '#'}, false},
		{"dtmf_relay_lower_d", "application/dtmf-relay", "Signal=d\r\n", Info{Digit: 'D'}, false},
		{"dtmf_plain", "application/dtmf", "9\r\n", Info{Digit: '9'}, false},
		{"fast_update", "application/media_control+xml", FastUpdateXML, Info{FastUpdate: true}, false},
		{"dtmf_relay_no_signal", "application/dtmf-relay", "Duration=100", Info{}, true},
		{"dtmf_bad_digit", "application/dtmf", "Z", Info{}, true},
		{"media_control_other", "application/media_control+xml", "<media_control/>", Info{}, true},
		{"unknown_type", "text/plain", "5", Info{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseInfo(tc.ct, []byte(tc.body))
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("ParseInfo = %+v, %v", got, err)
			}
		})
	}
}

// FuzzParseInfo: never panics, and DTMF relay bodies we build parse back.
func FuzzParseInfo(f *testing.F) {
	f.Add("application/dtmf-relay", []byte("Signal=5\r\nDuration=160\r\n"), int32('5'))
	f.Add("application/dtmf", []byte("#"), int32('#'))
	f.Add("application/media_control+xml", []byte(FastUpdateXML), int32('A'))
	f.Fuzz(func(t *testing.T, ct string, body []byte, digit int32) {
		_, _ = ParseInfo(ct, body)
		d := rune(digit)
		if _, ok := parseDigit(string(d)); !ok {
			return
		}
		got, err := ParseInfo(contentDTMFRelay, DTMFRelayBody(d, 100*time.Millisecond))
		if err != nil || got.Digit != d && !(d >= 'a' && d <= 'd') {
			t.Fatalf("round trip %q: %+v %v", d, got, err)
		}
	})
}

func TestDefaultNATPolicy(t *testing.T) {
	ap := netip.MustParseAddrPort
	tests := []struct {
		name            string
		contact, source netip.AddrPort
		want            netip.AddrPort
	}{
		{"public_contact->contact", ap("203.0.113.5:5060"), ap("198.51.100.1:40000"), ap("203.0.113.5:5060")},
		{"private_contact_other_source->source", ap("192.168.1.20:5060"), ap("198.51.100.1:40000"), ap("198.51.100.1:40000")},
		{"cgnat_contact->source", ap("100.70.1.1:5060"), ap("198.51.100.1:40000"), ap("198.51.100.1:40000")},
		{"same_host->contact_port", ap("10.0.0.5:5060"), ap("10.0.0.5:40000"), ap("10.0.0.5:5060")},
		{"hostname_contact->source", netip.AddrPort{}, ap("198.51.100.1:40000"), ap("198.51.100.1:40000")},
		{"unspecified_contact->source", ap("0.0.0.0:5060"), ap("198.51.100.1:5060"), ap("198.51.100.1:5060")},
		{"no_source->contact", ap("192.168.1.20:5060"), netip.AddrPort{}, ap("192.168.1.20:5060")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := (DefaultNATPolicy{}).Target(tc.contact, tc.source); got != tc.want {
				t.Errorf("Target = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{"zero->defaults", Config{}, false},
		{"min_se_too_small", Config{MinSE: time.Millisecond}, true},
		{"session_below_min_se", Config{SessionExpires: 10 * time.Second}, true},
		{"bad_listen", Config{Listen: "nope"}, true},
		{"bad_public_ip", Config{PublicIP: "example.com"}, true},
		{"timers_off", Config{SessionExpires: -1}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.cfg.withDefaults()
			err := c.validate()
			if (err != nil) != tc.wantErr {
				t.Fatalf("validate = %v", err)
			}
			if err == nil && (c.UserAgent == "" || c.T1 == 0 || c.RingTimeout == 0 || c.NAT == nil) {
				t.Errorf("defaults missing: %+v", c)
			}
		})
	}
}
