package sip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/sip/sdp"
	"github.com/roomgate/roomgate/sip/siptest"
)

// SIPp (package sip-tester) plays real room-system call flows against the
// service on loopback. Scenarios live in testdata/sipp; placeholders in
// {{…}} are filled per test.

type sippRun struct {
	t    testing.TB
	cmd  *exec.Cmd
	dir  string
	port int // sipp's SIP port on 127.0.0.1
	out  siptest.Buffer
	err  chan error
}

func freeUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// startSipp runs sipp with a scenario from testdata/sipp on free loopback
// ports (r.port is its SIP port) and returns once sipp has bound them. Extra
// args follow the common ones (-m 1 -timeout 20). A port found free can be
// taken by another test process before sipp binds it: sipp then exits with
// "Address already in use" and is started again on other ports.
func startSipp(t testing.TB, scenario string, subst map[string]string, args ...string) *sippRun {
	t.Helper()
	bin, err := exec.LookPath("sipp")
	if err != nil {
		t.Fatalf("sipp not installed (Debian package sip-tester; make test installs it): %v", err)
	}
	src, err := os.ReadFile(filepath.Join("testdata", "sipp", scenario))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range subst {
		src = bytes.ReplaceAll(src, []byte("{{"+k+"}}"), []byte(v))
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, scenario), src, 0o644); err != nil {
		t.Fatal(err)
	}
	for attempt := 1; ; attempt++ {
		port, mport := freeUDPPort(t), freeUDPPort(t)
		full := append([]string{"-sf", scenario, "-i", "127.0.0.1", "-p", fmt.Sprint(port),
			"-mi", "127.0.0.1", "-mp", fmt.Sprint(mport),
			"-m", "1", "-timeout", "20", "-timeout_error", "-nostdin", "-trace_err", "-trace_msg"}, args...)
		r := &sippRun{t: t, dir: dir, port: port, err: make(chan error, 1)}
		r.cmd = exec.Command(bin, full...)
		r.cmd.Dir = dir
		r.cmd.Stdout, r.cmd.Stderr = &r.out, &r.out
		if err := r.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { r.err <- r.cmd.Wait() }()
		switch siptest.WaitSIPp(r.cmd.Process.Pid, r.err, &r.out, port, mport) {
		case siptest.Bound, siptest.Exited: // an exit is reported by wait()
			t.Cleanup(func() {
				if r.cmd.ProcessState == nil {
					r.cmd.Process.Kill()
					<-r.err
				}
			})
			return r
		case siptest.NotBound:
			r.cmd.Process.Kill()
			<-r.err
			t.Fatalf("sipp did not bind ports %d and %d in 5 s:\n%s", port, mport, r.out.String())
		case siptest.PortTaken:
			if attempt == 3 {
				t.Fatalf("sipp could not bind its ports in 3 attempts:\n%s", r.out.String())
			}
			t.Logf("sipp attempt %d: a port was taken meanwhile, starting again on others", attempt)
		}
	}
}

// call waits for the service to hand a call to the handler; it fails if
// sipp exits first.
func (r *sippRun) call(ch <-chan *InboundCall) *InboundCall {
	r.t.Helper()
	select {
	case c := <-ch:
		return c
	case err := <-r.err:
		r.err <- err
		r.t.Fatalf("sipp exited (%v) before the call reached the handler:\n%s\n%s", err, r.out.String(), r.logs())
	case <-time.After(20 * time.Second):
		r.t.Fatalf("no call:\n%s", r.logs())
	}
	return nil
}

// wait requires sipp to finish its one call successfully.
func (r *sippRun) wait() {
	r.t.Helper()
	select {
	case err := <-r.err:
		if err != nil {
			r.t.Errorf("sipp %v: %v\n%s\n%s", r.cmd.Args, err, r.out.String(), r.logs())
		}
	case <-time.After(25 * time.Second):
		r.t.Fatalf("sipp still running:\n%s", r.logs())
	}
}

func (r *sippRun) logs() string {
	var b strings.Builder
	files, _ := filepath.Glob(filepath.Join(r.dir, "*.log"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		if len(data) > 12000 {
			data = data[len(data)-12000:]
		}
		fmt.Fprintf(&b, "== %s\n%s\n", filepath.Base(f), data)
	}
	return b.String()
}

// uac runs a UAC scenario against the service.
func uac(t testing.TB, s *Service, scenario, service string, subst map[string]string) *sippRun {
	for _, k := range []string{"SDP", "CHECKS", "REFS"} {
		if _, ok := subst[k]; !ok && subst != nil {
			subst[k] = ""
		}
	}
	r := startSipp(t, scenario, subst, "-s", service, s.Addr().String())
	return r
}

// indent makes an SDP body fit the scenarios' CDATA layout (sipp strips
// the common leading whitespace).
func indent(body []byte) string {
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(string(body), "\r\n", "\n"), "\n"), "\n")
	for i := range lines {
		lines[i] = "      " + lines[i]
	}
	return strings.Join(lines, "\n")
}

const sippDefaultSDP = `v=0
o=sipp 53655765 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0 101
a=rtpmap:101 telephone-event/8000
a=sendrecv
m=video [media_port+2] RTP/AVP 96
a=rtpmap:96 H264/90000
a=fmtp:96 profile-level-id=42e01f;packetization-mode=1
a=sendrecv
`

func TestSIPp(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"uac_invite->200->ack->bye", func(t *testing.T) {
			calls := make(chan *InboundCall, 1)
			s := startService(t, Config{}, answerHandler(t, calls, Events{}))
			r := uac(t, s, "uac_call.xml", "987654321", map[string]string{"SDP": indent([]byte(sippDefaultSDP)), "CHECKS": ""})
			c := r.call(calls)
			r.wait()
			waitDone(t, c.Done(), 2*time.Second, "call end")
			if c.RequestUser != "987654321" || c.UserAgent != "SIPp-roomgate-test" || c.EndReason() != EndRemoteBye {
				t.Errorf("call %q %q ended %q", c.RequestUser, c.UserAgent, c.EndReason())
			}
		}},
		{"uac_invite_over_tcp", func(t *testing.T) {
			calls := make(chan *InboundCall, 1)
			s := startService(t, Config{}, answerHandler(t, calls, Events{}))
			r := startSipp(t, "uac_call.xml", map[string]string{"SDP": indent([]byte(sippDefaultSDP)), "CHECKS": "", "REFS": ""},
				"-t", "t1", "-s", "555", s.Addr().String())
			c := r.call(calls)
			r.wait()
			waitDone(t, c.Done(), 2*time.Second, "call end")
			if c.Transport != "TCP" || c.EndReason() != EndRemoteBye {
				t.Errorf("transport %q end %q", c.Transport, c.EndReason())
			}
		}},
		{"uac_tandberg_5_m_lines", func(t *testing.T) {
			msg, err := os.ReadFile(filepath.Join("..", "..", "shared", "captures", "logstash-filter-sip__tandberg257_TE4.1.1_invite.sip"))
			if err != nil {
				t.Fatal(err)
			}
			_, body, _ := bytes.Cut(bytes.ReplaceAll(msg, []byte("\r\n"), []byte("\n")), []byte("\n\n"))
			calls := make(chan *InboundCall, 1)
			s := startService(t, Config{}, answerHandler(t, calls, Events{}))
			checks := `      <ereg regexp="m=application 0 UDP/BFCP \*" search_in="body" check_it="true" assign_to="bfcp"/>
      <ereg regexp="m=video 0 RTP/AVP 97 98 99 34 31" search_in="body" check_it="true" assign_to="slides"/>
      <ereg regexp="m=application 0 RTP/AVP 104" search_in="body" check_it="true" assign_to="h224"/>
      <ereg regexp="m=video [1-9][0-9]* RTP/AVP 98" search_in="body" check_it="true" assign_to="main"/>`
			r := uac(t, s, "uac_call.xml", "conference0_alias", map[string]string{"SDP": indent(body), "CHECKS": checks, "REFS": ",bfcp,slides,h224,main"})
			c := r.call(calls)
			r.wait()
			ans, err := sdp.Parse(c.LocalSDP())
			if err != nil {
				t.Fatal(err)
			}
			zero := 0
			for _, m := range ans.Media {
				if m.Port == 0 {
					zero++
				}
			}
			if len(ans.Media) != 5 || zero != 3 {
				t.Errorf("answer has %d m-lines, %d at port 0; want 5 and 3", len(ans.Media), zero)
			}
		}},
		{"uac_reject_404", func(t *testing.T) {
			s := startService(t, Config{}, HandlerFunc(func(_ context.Context, c *InboundCall) { c.Reject(404, "Not Found") }))
			uac(t, s, "uac_reject.xml", "000", map[string]string{"STATUS": "404"}).wait()
		}},
		{"uac_reject_403_wrong_pin", func(t *testing.T) {
			s := startService(t, Config{}, HandlerFunc(func(_ context.Context, c *InboundCall) { c.Reject(403, "Forbidden") }))
			uac(t, s, "uac_reject.xml", "123", map[string]string{"STATUS": "403"}).wait()
		}},
		{"uac_cancel->487", func(t *testing.T) {
			calls := make(chan *InboundCall, 1)
			s := startService(t, Config{}, HandlerFunc(func(ctx context.Context, c *InboundCall) {
				c.Ringing()
				calls <- c
				<-ctx.Done()
			}))
			r := uac(t, s, "uac_cancel.xml", "123", map[string]string{})
			c := r.call(calls)
			r.wait()
			waitDone(t, c.Done(), 2*time.Second, "call end")
			if c.EndReason() != EndCanceled {
				t.Errorf("end %q", c.EndReason())
			}
		}},
		{"uac_reinvite_hold_resume", func(t *testing.T) {
			holds := make(chan bool, 2)
			ev := Events{OnOffer: func(o *sdp.Session, _ []byte) ([]byte, error) {
				holds <- o.OnHold()
				r, err := sdp.NegotiateSession(o, sdp.DefaultCapabilities(), sdp.Local{AudioPort: 40000, VideoPort: 40002, Version: 2})
				if err != nil {
					return nil, err
				}
				return r.SDP, nil
			}}
			s := startService(t, Config{}, answerHandler(t, nil, ev))
			uac(t, s, "uac_hold.xml", "123", map[string]string{}).wait()
			if h1, h2 := <-holds, <-holds; !h1 || h2 {
				t.Errorf("hold sequence seen by gateway: %v %v", h1, h2)
			}
		}},
		{"uac_session_timer_refresh", func(t *testing.T) {
			calls := make(chan *InboundCall, 1)
			// min_se lowered from the RFC's 90 s so that a 2 s session
			// refreshes after 1 s.
			s := startService(t, Config{MinSE: time.Second, SessionExpires: 30 * time.Second}, answerHandler(t, calls, Events{}))
			r := uac(t, s, "uac_timer.xml", "123", map[string]string{})
			c := r.call(calls)
			r.wait()
			waitDone(t, c.Done(), 2*time.Second, "call end")
			if c.EndReason() != EndRemoteBye {
				t.Errorf("end %q", c.EndReason())
			}
		}},
		{"uac_offerless_invite", func(t *testing.T) {
			calls := make(chan *InboundCall, 1)
			s := startService(t, Config{}, answerHandler(t, calls, Events{}))
			r := uac(t, s, "uac_offerless.xml", "123", map[string]string{})
			c := r.call(calls)
			r.wait()
			res, err := sdp.ParseAnswer(c.LocalSDP(), c.AckSDP())
			if err != nil || !res.Audio.Codec.Is("PCMU") || res.Video == nil {
				t.Errorf("ACK answer: %v %+v", err, res)
			}
		}},
		{"uac_info_dtmf", func(t *testing.T) {
			digits := make(chan rune, 2)
			kf := make(chan struct{}, 1)
			s := startService(t, Config{}, answerHandler(t, nil, Events{
				OnDTMF:            func(d rune, _ time.Duration) { digits <- d },
				OnKeyframeRequest: func() { kf <- struct{}{} },
			}))
			uac(t, s, "uac_info.xml", "123", map[string]string{}).wait()
			if a, b := <-digits, <-digits; a != '4' || b != '2' {
				t.Errorf("digits %q %q", a, b)
			}
			select {
			case <-kf:
			default:
				t.Error("no keyframe request")
			}
		}},
		{"uac_malformed_sdp->488_then_call", func(t *testing.T) {
			calls := make(chan *InboundCall, 1)
			s := startService(t, Config{}, answerHandler(t, calls, Events{}))
			uac(t, s, "uac_bad_sdp.xml", "123", map[string]string{}).wait()
			r := uac(t, s, "uac_call.xml", "123", map[string]string{"SDP": indent([]byte(sippDefaultSDP)), "CHECKS": ""})
			r.call(calls)
			r.wait()
		}},
		{"dial_out_to_uas_200", func(t *testing.T) {
			r := startSipp(t, "uas_answer.xml", nil)
			port := r.port
			s := startService(t, Config{}, nil)
			offer := dialOffer(t, "", 1)
			oc, err := s.Dial(context.Background(), DialParams{URI: fmt.Sprintf("sip:room@127.0.0.1:%d", port), FromUser: "123456789", Offer: offer})
			if err != nil {
				t.Fatal(err)
			}
			if err := oc.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			res, err := sdp.ParseAnswer(offer, oc.AnswerSDP())
			if err != nil || !res.Audio.Codec.Is("PCMU") || res.Video == nil || res.Video.Codec.PT != 97 {
				t.Errorf("answer: %v %+v", err, res)
			}
			if err := oc.Bye(""); err != nil {
				t.Errorf("Bye: %v", err)
			}
			r.wait()
		}},
		{"dial_out_to_uas_486_busy", func(t *testing.T) {
			r := startSipp(t, "uas_busy.xml", nil)
			port := r.port
			s := startService(t, Config{}, nil)
			oc, err := s.Dial(context.Background(), DialParams{URI: fmt.Sprintf("sip:room@127.0.0.1:%d", port), Offer: dialOffer(t, "", 1)})
			if err != nil {
				t.Fatal(err)
			}
			var de *DialError
			if err := oc.Wait(context.Background()); !errors.As(err, &de) || !de.Busy() {
				t.Errorf("Wait = %v, want busy", err)
			}
			r.wait()
		}},
		{"dial_out_cancel_while_ringing", func(t *testing.T) {
			r := startSipp(t, "uas_ring_cancel.xml", nil)
			port := r.port
			s := startService(t, Config{}, nil)
			ringing := make(chan struct{}, 1)
			oc, err := s.Dial(context.Background(), DialParams{URI: fmt.Sprintf("sip:room@127.0.0.1:%d", port), Offer: dialOffer(t, "", 1),
				OnProgress: func(p Progress) {
					if p.State == ProgressRinging {
						ringing <- struct{}{}
					}
				}})
			if err != nil {
				t.Fatal(err)
			}
			<-ringing
			oc.Cancel()
			var de *DialError
			if err := oc.Wait(context.Background()); !errors.As(err, &de) || !de.Canceled() {
				t.Errorf("Wait = %v, want 487", err)
			}
			r.wait()
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.run)
	}
}
