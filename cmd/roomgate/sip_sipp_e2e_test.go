//go:build e2e

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// infoStep is one SIP INFO digit of a scenario (uac_info_dtmf.xml, uac_wrong_pin.xml).
type infoStep struct {
	Digit   string
	CSeq    int
	PauseMs int
}

// pinRound is one round of typed digits in uac_wrong_pin.xml; Next is the label of the
// following round ("" for the last).
type pinRound struct {
	N     int
	Steps []infoStep
	Next  string
}

// dtmfSteps turns digit groups into INFO steps from CSeq first; the last digit of each
// group is followed by groupPauseMs (0: none, so that a BYE right after it is expected
// by the next recv), the others by 150 ms. It returns the next CSeq.
func dtmfSteps(first, groupPauseMs int, groups ...string) ([]infoStep, int) {
	var out []infoStep
	cseq := first
	for _, g := range groups {
		for i, d := range g {
			pause := 150
			if i == len(g)-1 {
				pause = groupPauseMs
			}
			out = append(out, infoStep{Digit: string(d), CSeq: cseq, PauseMs: pause})
			cseq++
		}
	}
	return out, cseq
}

type infoData struct {
	FirstPauseMs, StayMs, ByeCSeq int
	Steps                         []infoStep
}

func infoDTMFData(stayMs int, groups ...string) infoData {
	steps, next := dtmfSteps(2, 1500, groups...)
	return infoData{FirstPauseMs: 2500, StayMs: stayMs, ByeCSeq: next, Steps: steps}
}

type wrongPinData struct {
	AskMs, WaitMs int
	Rounds        []pinRound
}

// wrongPinData types pin+"#" in up to rounds rounds.
func wrongPINData(pin string, rounds int) wrongPinData {
	// The gateway may play a "wrong password" prompt (about 5 s) before its BYE.
	d := wrongPinData{AskMs: 2500, WaitMs: 9000}
	cseq := 2
	for n := 1; n <= rounds; n++ {
		var steps []infoStep
		steps, cseq = dtmfSteps(cseq, 0, pin+"#")
		r := pinRound{N: n, Steps: steps}
		if n < rounds {
			r.Next = fmt.Sprintf("round%d", n+1)
		}
		d.Rounds = append(d.Rounds, r)
	}
	return d
}

// TestE2ESIPScenarioSelfCheck plays every SIPp scenario of testdata/sip/sipp against a
// SIPp stand-in (testdata/sip/sipp/mock) on loopback: it proves the scenarios are valid
// and complete call flows independently of the gateway, so a failure in the gateway
// tests is the gateway's.
func TestE2ESIPScenarioSelfCheck(t *testing.T) {
	type pair struct {
		name       string
		uac        string
		uacData    any
		uas        string
		uasData    any
		service    string
		wantLogged string
	}
	gw := func(byeInfos, byeMs int) map[string]int {
		return map[string]int{"ByeAfterInfos": byeInfos, "ByeAfterMs": byeMs}
	}
	pairs := []pair{
		{name: "reject_404", uac: "uac_reject.xml", uacData: map[string]int{"Status": 404}, uas: "mock/refuse.xml", uasData: map[string]any{"Status": 404, "Reason": "Not Found"}, service: "99999999999"},
		{name: "reject_403_locked", uac: "uac_reject.xml", uacData: map[string]int{"Status": 403}, uas: "mock/refuse.xml", uasData: map[string]any{"Status": 403, "Reason": "Meeting Locked"}, service: "123456789"},
		{name: "bad_sdp_488", uac: "uac_bad_sdp.xml", uas: "mock/refuse.xml", uasData: map[string]any{"Status": 488, "Reason": "Not Acceptable Here"}, service: "123456789"},
		{name: "busy_486", uac: "uac_reject.xml", uacData: map[string]int{"Status": 486}, uas: "uas_busy.xml", service: "room"},
		{name: "ring_cancel", uac: "mock/caller_cancel.xml", uas: "uas_ring.xml", service: "room"},
		{name: "call", uac: "uac_call.xml", uacData: map[string]int{"HoldMs": 500}, uas: "mock/gateway.xml", uasData: gw(0, 0), service: "123456789"},
		{name: "tandberg", uac: "uac_tandberg.xml", uacData: tandbergData(t, 500), uas: "mock/gateway.xml", uasData: gw(0, 0), service: "123456789"},
		{name: "content", uac: "uac_content.xml", uacData: map[string]any{"HoldMs": 500, "SDP": contentOffer(slidesLines...)}, uas: "mock/gateway.xml", uasData: gw(0, 0), service: "123456789"},
		{name: "hold_resume", uac: "uac_hold.xml", uas: "mock/gateway.xml", uasData: gw(0, 0), service: "123456789"},
		{name: "offerless", uac: "uac_offerless.xml", uacData: map[string]int{"HoldMs": 500}, uas: "mock/gateway.xml", uasData: gw(0, 0), service: "123456789"},
		{name: "info_dtmf", uac: "uac_info_dtmf.xml", uacData: infoDTMFData(500, "123456789#", "654321#"), uas: "mock/gateway.xml", uasData: gw(0, 0), service: "ivr"},
		{name: "wrong_pin", uac: "uac_wrong_pin.xml", uacData: wrongPINData("000000", 3), uas: "mock/gateway.xml", uasData: gw(14, 0), service: "123456789.000000", wantLogged: "bye_after_retries=2"},
		{name: "session_timer", uac: "uac_session_timer.xml", uacData: map[string]int{"SE": 2, "MinSE": 1, "Refreshes": 2}, uas: "mock/refresher.xml", service: "123456789"},
		{name: "media_timeout", uac: "uac_media_timeout.xml", uacData: map[string]int{"WaitMs": 10000}, uas: "mock/gateway.xml", uasData: gw(0, 3000), service: "123456789"},
	}
	for _, p := range pairs {
		t.Run(p.name, func(t *testing.T) {
			uas := startSIPp(t, p.uas, p.uasData, "", 0, 0)
			uac := startSIPp(t, p.uac, p.uacData, fmt.Sprintf("127.0.0.1:%d", uas.SIPPort), 0, 0, "-s", p.service)
			uac.mustPass(nil, 40*time.Second)
			uas.mustPass(nil, 10*time.Second)
			if p.wantLogged != "" && !strings.Contains(uac.file("logs.log"), p.wantLogged) {
				t.Errorf("log of %s lacks %q:\n%s", p.uac, p.wantLogged, uac.file("logs.log"))
			}
		})
	}
}

// tandbergData holds the call time and the BFCP and H.224 ports of uac_tandberg.xml.
func tandbergData(t *testing.T, holdMs int) map[string]int {
	return map[string]int{"HoldMs": holdMs, "BFCPPort": freeSIPPort(t), "H224Port": freeSIPPort(t)}
}

// sippCall runs a UAC scenario against the gateway as user service and returns the run.
// -aa answers the gateway's in-dialog INFO (picture_fast_update keyframe requests),
// OPTIONS, NOTIFY and UPDATE with 200 at any point of the scenario, as a room system does.
func (g *sipGW) sippCall(t *testing.T, scenario string, data any, service string, args ...string) *sippRun {
	t.Helper()
	return startSIPp(t, scenario, data, fmt.Sprintf("127.0.0.1:%d", g.SIPPort), 0, 0, append([]string{"-s", service, "-aa"}, args...)...)
}

// finalStatus returns the status line of the received final response to CSeq n INVITE.
func finalStatus(r *sippRun, cseq int) (sipMsg, bool) {
	want := fmt.Sprintf("CSeq: %d INVITE", cseq)
	for _, m := range r.messages() {
		if !m.Sent && strings.HasPrefix(m.First, "SIP/2.0 ") && !strings.HasPrefix(m.First, "SIP/2.0 1") && strings.Contains(m.Text, want) {
			return m, true
		}
	}
	return sipMsg{}, false
}

var reDirection = regexp.MustCompile(`(?m)^a=(sendrecv|sendonly|recvonly|inactive)\s*$`)

// directions returns the direction attribute of each m-line of an SDP (sendrecv when absent).
func directions(sdp string) []string {
	var out []string
	for i, part := range strings.Split(strings.ReplaceAll(sdp, "\r\n", "\n"), "\nm=") {
		if i == 0 {
			continue
		}
		d := "sendrecv"
		if m := reDirection.FindStringSubmatch(part); m != nil {
			d = m[1]
		}
		out = append(out, d)
	}
	return out
}

// TestE2ESIPSignalling drives one gateway with SIPp: refusals, malformed SDP, the
// five-m-line room-system offer, hold/resume, offer-less INVITE, SIP INFO DTMF into the
// IVR, wrong hardware passwords, and dial-out busy/cancel.
func TestE2ESIPSignalling(t *testing.T) {
	g := startSIPGateway(t, "")
	open, _, openHost := g.meeting(t, map[string]any{"topic": "SIP open"})
	pw, hw, _ := g.meeting(t, map[string]any{"topic": "SIP password", "password": "s3cret"})
	locked, _, lockedHost := g.meeting(t, map[string]any{"topic": "SIP locked"})
	if st, body := g.do("PATCH", "/api/v1/meetings/"+locked, lockedHost, map[string]any{"settings": map[string]any{"locked": true}}); st != 200 {
		t.Fatalf("lock: %d %v", st, body)
	}

	// Dialling IDs enumerates nothing: a well-formed ID of no meeting is answered like a
	// protected meeting dialled without its PIN (the IVR asks for the password), where it
	// was refused with 404 before.
	t.Run("unknown_meeting_answers_like_protected", func(t *testing.T) {
		for _, service := range []string{"99999999999", pw} {
			r := g.sippCall(t, "uac_call.xml", map[string]int{"HoldMs": 1500}, service)
			r.mustPass(g, 20*time.Second)
			if m, ok := finalStatus(r, 1); !ok || !strings.HasPrefix(m.First, "SIP/2.0 200") {
				t.Errorf("%s: final answer %q, want 200 (into the IVR)", service, m.First)
			}
		}
	})

	t.Run("locked_meeting_403", func(t *testing.T) {
		r := g.sippCall(t, "uac_reject.xml", map[string]int{"Status": 403}, locked)
		r.mustPass(g, 20*time.Second)
		m, _ := finalStatus(r, 1)
		reason := strings.TrimSpace(strings.TrimPrefix(m.First, "SIP/2.0 403"))
		hdrs := strings.ToLower(m.Text)
		if reason == "" || !(strings.Contains(strings.ToLower(reason), "lock") || strings.Contains(hdrs, "\nreason:") && strings.Contains(hdrs, "lock") || strings.Contains(hdrs, "\nwarning:") && strings.Contains(hdrs, "lock")) {
			t.Errorf("403 for a locked meeting must say why (reason phrase or Reason/Warning naming the lock); got:\n%s", m.Text)
		}
		t.Logf("locked meeting refused with %q", m.First)
	})

	t.Run("malformed_sdp_488_then_serving", func(t *testing.T) {
		r := g.sippCall(t, "uac_bad_sdp.xml", nil, open)
		r.mustPass(g, 20*time.Second)
		ok := g.sippCall(t, "uac_call.xml", map[string]int{"HoldMs": 4000}, open)
		p := g.waitSIPParticipant(t, open, 15*time.Second)
		t.Logf("after the 488 a good call joins: %v", p)
		ok.mustPass(g, 30*time.Second)
		g.waitNoSIPParticipant(t, open, 10*time.Second)
	})

	t.Run("call_over_tcp", func(t *testing.T) {
		r := g.sippCall(t, "uac_call.xml", map[string]int{"HoldMs": 3000}, open, "-t", "t1")
		p := g.waitSIPParticipant(t, open, 15*time.Second)
		t.Logf("call over TCP joined: %v", p)
		r.mustPass(g, 30*time.Second)
		g.waitNoSIPParticipant(t, open, 10*time.Second)
	})

	t.Run("tandberg_five_mlines", func(t *testing.T) {
		r := g.sippCall(t, "uac_tandberg.xml", tandbergData(t, 3000), open)
		p := g.waitSIPParticipant(t, open, 15*time.Second)
		r.mustPass(g, 30*time.Second)
		m, _ := finalStatus(r, 100)
		ml := mLines(sdpBody(m.Text))
		t.Logf("answer m-lines: %q; participant %v", ml, p)
		kinds := []string{"m=audio ", "m=video ", "m=application ", "m=video ", "m=application "}
		if len(ml) != 5 {
			t.Fatalf("answer has %d m-lines, want 5 in offer order:\n%s", len(ml), m.Text)
		}
		for i, k := range kinds {
			if !strings.HasPrefix(ml[i], k) {
				t.Errorf("m-line %d is %q, want %s…", i+1, ml[i], k)
			}
			if port := mPort(ml[i]); (i < 4) != (port > 0) {
				t.Errorf("m-line %d %q: port %d (audio, main video, BFCP and slides accepted, H.224 at port 0)", i+1, ml[i], port)
			}
		}
		if !strings.Contains(ml[2], "UDP/BFCP") || !strings.Contains(ml[4], "RTP/AVP") {
			t.Errorf("answered lines must keep their transport: %q", ml)
		}
		for _, want := range []string{"a=floorctrl:s-only", "a=content:slides"} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("answer lacks %q (BFCP served, slides accepted):\n%s", want, m.Text)
			}
		}
		if v, _ := p["vendor"].(string); !strings.EqualFold(v, "tandberg") {
			t.Errorf("participant vendor %q, want TANDBERG from User-Agent", v)
		}
		// "vendor and model when the User-Agent reveals them": TANDBERG/257 is model 257.
		if pr, _ := p["product"].(string); !strings.Contains(pr, "257") {
			t.Errorf("participant product %q, want the model 257 from User-Agent: TANDBERG/257 (TE4.1.1.273710)", pr)
		}
	})

	t.Run("hold_resume", func(t *testing.T) {
		r := g.sippCall(t, "uac_hold.xml", nil, open)
		r.mustPass(g, 30*time.Second)
		hold, _ := finalStatus(r, 2)
		resume, _ := finalStatus(r, 3)
		hd, rd := directions(sdpBody(hold.Text)), directions(sdpBody(resume.Text))
		t.Logf("hold answer directions %v, resume %v", hd, rd)
		if len(hd) == 0 || (hd[0] != "recvonly" && hd[0] != "inactive") {
			t.Errorf("answer to a=sendonly must be recvonly/inactive for audio, got %v:\n%s", hd, hold.Text)
		}
		if len(rd) == 0 || rd[0] != "sendrecv" {
			t.Errorf("answer to the resume must be sendrecv, got %v:\n%s", rd, resume.Text)
		}
	})

	t.Run("offerless_invite", func(t *testing.T) {
		r := g.sippCall(t, "uac_offerless.xml", map[string]int{"HoldMs": 4000}, open)
		g.waitSIPParticipant(t, open, 15*time.Second)
		time.Sleep(1500 * time.Millisecond) // the ACK (with our answer) is long processed
		p := g.waitSIPParticipant(t, open, 2*time.Second)
		r.mustPass(g, 30*time.Second)
		m, _ := finalStatus(r, 1)
		t.Logf("gateway offer in 200: %q; participant %v", mLines(sdpBody(m.Text)), p)
		// Our answer in the ACK took PCMU and H.264: those are the negotiated codecs.
		if c := strings.ToLower(fmt.Sprint(p["codecs"])); !strings.Contains(c, "pcmu") || !strings.Contains(c, "h264") || strings.Contains(c, "opus") {
			t.Errorf("offer-less call: participant codecs %v, want the ones of the answer in the ACK (PCMU, H264)", p["codecs"])
		}
		g.waitNoSIPParticipant(t, open, 10*time.Second)
	})

	t.Run("info_dtmf_ivr", func(t *testing.T) {
		r := g.sippCall(t, "uac_info_dtmf.xml", infoDTMFData(8000, pw+"#", hw+"#"), "ivr")
		p := g.waitSIPParticipant(t, pw, 25*time.Second)
		t.Logf("IVR (SIP INFO) joined %s: %v", pw, p)
		r.mustPass(g, 40*time.Second)
		g.waitNoSIPParticipant(t, pw, 10*time.Second)
	})

	t.Run("wrong_pin_bye", func(t *testing.T) {
		wrong := "000000"
		if hw == wrong {
			wrong = "111111"
		}
		r := g.sippCall(t, "uac_wrong_pin.xml", wrongPINData(wrong, 3), pw+"."+wrong)
		r.mustPass(g, 50*time.Second)
		logs := r.file("logs.log")
		t.Logf("SIPp: %s", strings.TrimSpace(logs))
		if strings.Contains(logs, "bye_after_retries=0") {
			t.Errorf("gateway hung up right after the wrong PIN in the URI; it must ask again by IVR")
		}
		for _, p := range g.participants(t, pw) {
			if p["kind"] == "sip" {
				t.Errorf("a caller with a wrong PIN is in the meeting: %v", p)
			}
		}
	})

	t.Run("dialout_busy_486", func(t *testing.T) {
		uas := startSIPp(t, "uas_busy.xml", nil, "", 0, 0)
		port := uas.SIPPort
		st, c := g.do("POST", "/api/v1/meetings/"+open+"/dialout", openHost, map[string]any{"protocol": "sip", "address": fmt.Sprintf("sip:room@127.0.0.1:%d", port), "display_name": "Busy Room"})
		if st != 202 {
			t.Fatalf("dialout: %d %v", st, c)
		}
		id, _ := c["id"].(string)
		final := g.waitCallState(t, openHost, id, 20*time.Second, "busy", "declined", "failed", "no_answer", "ended", "connected")
		uas.mustPass(g, 10*time.Second)
		if final["state"] != "busy" || fmt.Sprint(final["status"]) != "486" {
			t.Errorf("486 from the room system: call %v, want state busy and status 486", final)
		}
	})

	t.Run("dialout_cancel_while_ringing", func(t *testing.T) {
		uas := startSIPp(t, "uas_ring.xml", nil, "", 0, 0)
		port := uas.SIPPort
		st, c := g.do("POST", "/api/v1/meetings/"+open+"/dialout", openHost, map[string]any{"protocol": "sip", "address": fmt.Sprintf("sip:room@127.0.0.1:%d", port)})
		if st != 202 {
			t.Fatalf("dialout: %d %v", st, c)
		}
		id, _ := c["id"].(string)
		g.waitCallState(t, openHost, id, 15*time.Second, "ringing")
		if st, body := g.do("DELETE", "/api/v1/calls/"+id, openHost, nil); st != 204 {
			t.Fatalf("DELETE call while ringing: %d %v", st, body)
		}
		uas.mustPass(g, 15*time.Second) // it saw CANCEL, answered 487 and got the ACK
		final := g.waitCallState(t, openHost, id, 10*time.Second, "ended", "no_answer", "failed", "declined", "busy", "connected")
		t.Logf("cancelled call: %v", final)
		if final["state"] == "connected" {
			t.Errorf("cancelled call shows connected: %v", final)
		}
		if _, ok := uas.find(false, "CANCEL "); !ok {
			t.Errorf("the room system saw no CANCEL")
		}
	})
}

// TestE2ESIPSessionTimer: a 2 s session (sip.min_se lowered to 1 s for the test) with
// the gateway as refresher (RFC 4028 refresher=uas): it must refresh about every second
// by UPDATE or re-INVITE and keep the call up.
func TestE2ESIPSessionTimer(t *testing.T) {
	g := startSIPGatewayWith(t, "  session_expires: 2s\n  min_se: 1s\n", "")
	id, _, _ := g.meeting(t, map[string]any{"topic": "timer"})
	r := g.sippCall(t, "uac_session_timer.xml", map[string]int{"SE": 2, "MinSE": 1, "Refreshes": 3}, id)
	r.mustPass(g, 30*time.Second)
	ok, _ := finalStatus(r, 1)
	if !regexp.MustCompile(`(?im)^(Session-Expires|x):\s*2\b`).MatchString(ok.Text) {
		t.Errorf("200 OK does not grant the 2 s session:\n%s", ok.Text)
	}
	ack, _ := r.find(true, "ACK ")
	last := ack.At
	var gaps []time.Duration
	for _, m := range r.messages() {
		if !m.Sent && (strings.HasPrefix(m.First, "UPDATE ") || strings.HasPrefix(m.First, "INVITE ")) {
			gaps = append(gaps, m.At.Sub(last))
			last = m.At
		}
	}
	t.Logf("refreshes after ACK, gaps: %v", gaps)
	if len(gaps) < 3 {
		t.Fatalf("%d refreshes, want 3", len(gaps))
	}
	for _, d := range gaps {
		if d > 1800*time.Millisecond {
			t.Errorf("refresh gap %v: a 2 s session must be refreshed before it expires (about every 1 s)", d)
		}
	}
}

// TestE2ESIPMediaTimeout: a call that sends no RTP is ended by the gateway with BYE
// after media.timeout (3 s here).
func TestE2ESIPMediaTimeout(t *testing.T) {
	g := startSIPGateway(t, "  timeout: 3s\n")
	id, _, _ := g.meeting(t, map[string]any{"topic": "silent"})
	r := g.sippCall(t, "uac_media_timeout.xml", map[string]int{"WaitMs": 15000}, id)
	r.mustPass(g, 30*time.Second)
	ack, ok1 := r.find(true, "ACK ")
	bye, ok2 := r.find(false, "BYE ")
	if !ok1 || !ok2 {
		t.Fatalf("trace lacks ACK or BYE")
	}
	took := bye.At.Sub(ack.At)
	t.Logf("media timeout: BYE %v after the ACK (configured 3 s)", took)
	if took < 2500*time.Millisecond || took > 8*time.Second {
		t.Errorf("BYE came %v after the call started, want about 3 s", took)
	}
	b, _ := os.ReadFile(g.logPath)
	if !strings.Contains(strings.ToLower(string(b)), "timeout") {
		t.Errorf("the media timeout is not logged as the end reason; log tail:\n%s", g.logTail())
	}
}

// keepArtifacts copies a file into ROOMGATE_ARTIFACTS (if set) for CI inspection.
func keepArtifacts(t *testing.T, src, name string) {
	dir := os.Getenv("ROOMGATE_ARTIFACTS")
	if dir == "" {
		return
	}
	_ = os.MkdirAll(dir, 0o755)
	if err := copyFile(src, filepath.Join(dir, name)); err != nil {
		t.Logf("keep %s: %v", name, err)
	}
}
