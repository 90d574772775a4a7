package sdp

import (
	"errors"
	"slices"
	"testing"
)

// TestParseTolerant: lines pion/sdp refuses a whole body for are read, kept
// or skipped, one m-line at a time.
func TestParseTolerant(t *testing.T) {
	tests := []struct {
		name                string
		mline               string
		extra               string
		wantKind, wantProto string
		wantPort, wantCount int
		wantMalformed       bool
		wantFormats         []string
		wantTIAS            int
	}{
		{"rfc2327_control", "control 5000 RTP/AVP 96", "", "control", "RTP/AVP", 5000, 0, false, []string{"96"}, 0},
		{"rfc2327_data_lowercase_proto", "data 5000 udp wb", "", "data", "udp", 5000, 0, false, []string{"wb"}, 0},
		{"port_star", "application * TCP/BFCP *", "", "application", "TCP/BFCP", 0, 0, true, []string{"*"}, 0},
		{"port_range", "audio 5000/2 RTP/AVP 0", "", "audio", "RTP/AVP", 5000, 2, false, []string{"0"}, 0},
		{"port_too_large", "audio 99999999 RTP/AVP 0", "", "audio", "RTP/AVP", 0, 0, true, []string{"0"}, 0},
		{"no_formats", "control 5000 RTP/AVP", "", "control", "RTP/AVP", 5000, 0, false, nil, 0},
		{"two_fields", "video 5000", "", "video", "", 0, 0, true, nil, 0},
		{"t38_image", "image 5000 udptl t38", "", "image", "udptl", 5000, 0, false, []string{"t38"}, 0},
		{"dtls_savpf", "video 9 UDP/TLS/RTP/SAVPF 96", "", "video", "UDP/TLS/RTP/SAVPF", 9, 0, false, []string{"96"}, 0},
		{"bad_bandwidth_skipped", "video 5000 RTP/AVP 96", "b=TIAS:abc\nb=TIAS:64000", "video", "RTP/AVP", 5000, 0, false, []string{"96"}, 64000},
		{"unknown_line_types_skipped", "audio 5000 RTP/AVP 0", "y=whatever\nnot a line\nk=clear:x", "audio", "RTP/AVP", 5000, 0, false, []string{"0"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := "v=0\no=x 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1/127\nt=0 0\nm=" + tc.mline + "\n" + tc.extra + "\nm=audio 6000 RTP/AVP 8\n"
			s, err := Parse(crlf(body))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(s.Media) != 2 || s.Media[1].Port != 6000 || s.ConnAddr != "192.0.2.1" {
				t.Fatalf("session %+v", s)
			}
			m := s.Media[0]
			if m.Kind != tc.wantKind || m.Proto != tc.wantProto || m.Port != tc.wantPort || m.PortCount != tc.wantCount ||
				m.Malformed != tc.wantMalformed || !slices.Equal(m.Formats, tc.wantFormats) || m.BandwidthTIAS != tc.wantTIAS {
				t.Errorf("media %+v", m)
			}
			r, err := Negotiate(crlf(body), DefaultCapabilities(), testLocal)
			if err != nil {
				t.Fatalf("Negotiate: %v", err)
			}
			wantAudio := 1 // the m=audio 6000 line
			if tc.wantKind == "audio" && !tc.wantMalformed {
				wantAudio = 0
			}
			if r.Audio == nil || r.Audio.Index != wantAudio {
				t.Errorf("audio %+v, want m-line %d", r.Audio, wantAudio)
			}
			if a, _ := Parse(r.SDP); len(a.Media) != 2 || a.Media[0].Kind != tc.wantKind && tc.wantKind != "" {
				t.Errorf("answer %s", r.SDP)
			}
		})
	}
	t.Run("not_sdp", func(t *testing.T) {
		for _, b := range []string{"", "\r\n\r\n", "o=x\r\nv=0\r\n", "v=1\r\n"} {
			var syn *SyntaxError
			if _, err := Parse([]byte(b)); !errors.As(err, &syn) {
				t.Errorf("Parse(%q) = %v, want SyntaxError", b, err)
			}
		}
	})
	t.Run("too_many_m_lines", func(t *testing.T) {
		body := "v=0\n"
		for range MaxMedia + 1 {
			body += "m=audio 0 RTP/AVP 0\n"
		}
		var syn *SyntaxError
		if _, err := Parse(crlf(body)); !errors.As(err, &syn) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("duplicate_payload_types_once", func(t *testing.T) {
		s, err := Parse(crlf("v=0\nc=IN IP4 192.0.2.1\nm=audio 5000 RTP/AVP 0 0 0 8\n"))
		if err != nil || len(s.Media[0].Codecs) != 2 {
			t.Errorf("codecs %v %v", s.Media[0].Codecs, err)
		}
	})
}
