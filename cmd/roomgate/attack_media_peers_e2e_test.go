//go:build e2e

// The peers of the media attack tests (attack_media_e2e_test.go): a scripted SIP room
// system and an attacker that sends to the whole media range.
package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/roomgate/roomgate/transcode/audio"
)

// ---- a scripted room system ----

// sipRoom is one room-system call: a SIP UA on ip and its RTP/RTCP sockets.
type sipRoom struct {
	t               *testing.T
	ip              string
	sip, rtp, rtcp  *net.UDPConn
	gwSIP           netip.AddrPort
	gwRTP           netip.AddrPort // the gateway's audio port for this call (from its answer)
	callID, tag, to string
	target          string // Request-URI of in-dialog requests (the gateway's Contact)
	ssrc            uint32
	seq             atomic.Uint32 // next sequence number
	ts              uint32
	tone            atomic.Int64 // Hz of the microphone; 0 silence; <0 no packets at all
	responses       chan string
	byeFromGW       chan struct{}
	byeOnce         sync.Once
	received        atomic.Int64 // RTP packets from the gateway
	mu              sync.Mutex
	heard           []int16 // decoded PCMU from the gateway
	stop            chan struct{}
	wg              sync.WaitGroup
	closeOnce       sync.Once
}

func listenUDP(t *testing.T, ip string) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func udpAddr(c *net.UDPConn) netip.AddrPort { return c.LocalAddr().(*net.UDPAddr).AddrPort() }

// dialRoom calls user@gateway from ip and starts the room's media: a tone of hz (0:
// silence frames, <0: no RTP at all until setTone).
func dialRoom(t *testing.T, g *sipGW, ip, user string, hz int) *sipRoom {
	t.Helper()
	r := &sipRoom{t: t, ip: ip, sip: listenUDP(t, ip), rtp: listenUDP(t, ip), rtcp: listenUDP(t, ip),
		gwSIP:  netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(g.SIPPort)),
		callID: fmt.Sprintf("attack-%d@%s", rand.Uint64(), ip), tag: fmt.Sprintf("t%d", rand.Uint32()),
		ssrc: rand.Uint32(), ts: rand.Uint32(),
		responses: make(chan string, 16), byeFromGW: make(chan struct{}), stop: make(chan struct{})}
	r.seq.Store(uint32(rand.N(30000)))
	r.tone.Store(int64(hz))
	t.Cleanup(r.close)
	r.wg.Add(2)
	go r.readSIP()
	go r.readRTP()

	sdp := fmt.Sprintf("v=0\r\no=room 1 1 IN IP4 %[1]s\r\ns=room\r\nc=IN IP4 %[1]s\r\nt=0 0\r\n"+
		"m=audio %[2]d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"+
		"a=fmtp:101 0-15\r\na=ptime:20\r\na=rtcp:%[3]d\r\na=sendrecv\r\n", ip, udpAddr(r.rtp).Port(), udpAddr(r.rtcp).Port())
	uri := fmt.Sprintf("sip:%s@%s", user, r.gwSIP)
	invite := r.request("INVITE", uri, 1, "") + "Content-Type: application/sdp\r\n" +
		fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(sdp), sdp)
	r.send(invite)
	deadline := time.After(15 * time.Second)
	for {
		select {
		case resp := <-r.responses:
			code := statusCode(resp)
			if code < 200 {
				continue
			}
			if code != 200 {
				t.Fatalf("INVITE %s: %s\nserver log:\n%s", user, firstLine(resp), g.logTail())
			}
			r.to = header(resp, "To", "t")
			r.target = uri
			if m := regexp.MustCompile(`<([^>]+)>`).FindStringSubmatch(header(resp, "Contact", "m")); m != nil {
				r.target = m[1]
			}
			port := regexp.MustCompile(`(?m)^m=audio (\d+) `).FindStringSubmatch(resp)
			if port == nil {
				t.Fatalf("answer without audio: %s", resp)
			}
			p, _ := strconv.Atoi(port[1])
			r.gwRTP = netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(p))
			r.send(r.request("ACK", r.target, 1, r.to) + "Content-Length: 0\r\n\r\n")
			r.wg.Add(1)
			go r.sendRTP()
			return r
		case <-deadline:
			t.Fatalf("INVITE %s: no final response\nserver log:\n%s", user, g.logTail())
		}
	}
}

func (r *sipRoom) request(method, uri string, cseq int, to string) string {
	if to == "" {
		to = "<" + uri + ">"
	}
	return fmt.Sprintf("%s %s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK%d;rport\r\nMax-Forwards: 70\r\n"+
		"From: \"Attack Test Room\" <sip:room@%s>;tag=%s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d %s\r\n"+
		"Contact: <sip:room@%s>\r\nUser-Agent: roomgate-attack-e2e\r\n",
		method, uri, udpAddr(r.sip), rand.Uint64(), udpAddr(r.sip), r.tag, to, r.callID, cseq, method, udpAddr(r.sip))
}

func (r *sipRoom) send(msg string) {
	if _, err := r.sip.WriteToUDPAddrPort([]byte(msg), r.gwSIP); err != nil {
		r.t.Errorf("sip send: %v", err)
	}
}

// readSIP passes responses on and answers the gateway's requests with 200 OK.
func (r *sipRoom) readSIP() {
	defer r.wg.Done()
	buf := make([]byte, 65536)
	for {
		n, from, err := r.sip.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		msg := string(buf[:n])
		if strings.HasPrefix(msg, "SIP/2.0 ") {
			select {
			case r.responses <- msg:
			default:
			}
			continue
		}
		method, _, _ := strings.Cut(msg, " ")
		var resp strings.Builder
		resp.WriteString("SIP/2.0 200 OK\r\n")
		for _, h := range []string{"Via", "From", "To", "Call-ID", "CSeq"} {
			for _, v := range headers(msg, h) {
				fmt.Fprintf(&resp, "%s: %s\r\n", h, v)
			}
		}
		resp.WriteString("Content-Length: 0\r\n\r\n")
		_, _ = r.sip.WriteToUDPAddrPort([]byte(resp.String()), from)
		if method == "BYE" {
			r.byeOnce.Do(func() { close(r.byeFromGW) })
		}
	}
}

// readRTP counts and decodes what the gateway sends the room.
func (r *sipRoom) readRTP() {
	defer r.wg.Done()
	buf := make([]byte, 2048)
	var p rtp.Packet
	for {
		n, _, err := r.rtp.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		if p.Unmarshal(buf[:n]) != nil {
			continue
		}
		r.received.Add(1)
		if p.PayloadType == 0 {
			r.mu.Lock()
			for _, u := range p.Payload {
				r.heard = append(r.heard, audio.ULawToLinear(u))
			}
			r.mu.Unlock()
		}
	}
}

// sendRTP is the room's microphone: 20 ms PCMU frames of the tone.
func (r *sipRoom) sendRTP() {
	defer r.wg.Done()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var phase float64
	payload := make([]byte, 160)
	for {
		select {
		case <-r.stop:
			return
		case <-tick.C:
		}
		hz := r.tone.Load()
		r.ts += 160
		if hz < 0 {
			continue // the room is silent without packets (VAD), or dead
		}
		for i := range payload {
			v := 0.0
			if hz > 0 {
				v = 0.3 * 32767 * math.Sin(phase)
				phase += 2 * math.Pi * float64(hz) / 8000
			}
			payload[i] = audio.LinearToULaw(int16(v))
		}
		b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: uint16(r.seq.Add(1) - 1),
			Timestamp: r.ts, SSRC: r.ssrc}, Payload: payload}).Marshal()
		_, _ = r.rtp.WriteToUDPAddrPort(b, r.gwRTP)
	}
}

func (r *sipRoom) setTone(hz int) { r.tone.Store(int64(hz)) }

// nextSeq is the sequence number the room sends next (what an attacker watching the
// stream would know).
func (r *sipRoom) nextSeq() uint16 { return uint16(r.seq.Load()) }

// take returns the audio heard since the last take.
func (r *sipRoom) take() []int16 {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := r.heard
	r.heard = nil
	return h
}

// hungUp reports whether the gateway sent BYE (waiting up to within).
func (r *sipRoom) hungUp(within time.Duration) bool {
	select {
	case <-r.byeFromGW:
		return true
	default:
	}
	select {
	case <-r.byeFromGW:
		return true
	case <-time.After(within):
		return false
	}
}

// receiving reports whether the gateway's RTP still reaches the room: at least n
// packets within 6 s (the clock of a loaded CI machine may lag).
func (r *sipRoom) receiving(n int64) bool {
	start := r.received.Load()
	for deadline := time.Now().Add(6 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if r.received.Load()-start >= n {
			return true
		}
	}
	return false
}

// hangUp sends BYE (when the gateway has not), waits for its answer and stops the
// room.
func (r *sipRoom) hangUp() {
	select {
	case <-r.byeFromGW:
	default:
		if r.target == "" {
			break
		}
		r.send(r.request("BYE", r.target, 2, r.to) + "Content-Length: 0\r\n\r\n")
		for deadline := time.After(5 * time.Second); ; {
			select {
			case resp := <-r.responses:
				if !strings.Contains(header(resp, "CSeq", ""), "BYE") {
					continue
				}
			case <-deadline:
				r.t.Errorf("no answer to the room's BYE")
			}
			break
		}
	}
	r.close()
}

func (r *sipRoom) close() {
	r.closeOnce.Do(func() {
		close(r.stop)
		r.sip.Close()
		r.rtp.Close()
		r.rtcp.Close()
		r.wg.Wait()
	})
}

func statusCode(msg string) int {
	f := strings.Fields(firstLine(msg))
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

func firstLine(msg string) string { l, _, _ := strings.Cut(msg, "\r\n"); return l }

// headers returns the values of header name (or its compact form) in a SIP message.
func headers(msg, name string, compact ...string) []string {
	head, _, _ := strings.Cut(msg, "\r\n\r\n")
	var out []string
	for _, l := range strings.Split(head, "\r\n")[1:] {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		if strings.EqualFold(k, name) || (len(compact) > 0 && strings.EqualFold(k, compact[0])) {
			out = append(out, strings.TrimSpace(v))
		}
	}
	return out
}

func header(msg, name, compact string) string {
	if h := headers(msg, name, compact); len(h) > 0 {
		return h[0]
	}
	return ""
}

// ---- the attacker ----

// attacker sends from one address to every port of the gateway's media range and
// counts what comes back.
type attacker struct {
	t        *testing.T
	conn     *net.UDPConn
	ports    []int      // the whole media range
	dst      netip.Addr // the gateway's media address
	got      atomic.Int64
	stopOnce sync.Once
	done     chan struct{}
}

func newAttacker(t *testing.T, ip string, g *sipGW) *attacker {
	a := &attacker{t: t, conn: listenUDP(t, ip), dst: netip.MustParseAddr("127.0.0.1"), done: make(chan struct{})}
	for p := g.MediaMin; p <= g.MediaMax; p++ {
		a.ports = append(a.ports, p)
	}
	go func() {
		defer close(a.done)
		buf := make([]byte, 2048)
		for {
			if _, _, err := a.conn.ReadFromUDPAddrPort(buf); err != nil {
				return
			}
			a.got.Add(1)
		}
	}()
	t.Cleanup(a.close)
	return a
}

func (a *attacker) close() {
	a.stopOnce.Do(func() { a.conn.Close(); <-a.done })
}

// sweep sends b to every port of the range (even: RTP only).
func (a *attacker) sweep(b []byte, evenOnly bool) {
	for _, p := range a.ports {
		if evenOnly && p%2 != 0 {
			continue
		}
		_, _ = a.conn.WriteToUDPAddrPort(b, netip.AddrPortFrom(a.dst, uint16(p)))
	}
}

// stream sends RTP of ssrc from seq on, tone hz (PCMU), to every RTP port of the range
// every 20 ms until the returned stop is called (it waits for the sender).
func (a *attacker) stream(ssrc uint32, seq uint16, hz int) (stop func()) {
	var wg sync.WaitGroup
	quit := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		ts, phase := rand.Uint32(), 0.0
		payload := make([]byte, 160)
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
			}
			for i := range payload {
				payload[i] = audio.LinearToULaw(int16(0.5 * 32767 * math.Sin(phase)))
				phase += 2 * math.Pi * float64(hz) / 8000
			}
			b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: ts, SSRC: ssrc}, Payload: payload}).Marshal()
			a.sweep(b, true)
			seq++
			ts += 160
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(quit); wg.Wait() }) }
}

// dtmf sends RFC 4733 telephone-events (payload type 101) for digits to every RTP port.
func (a *attacker) dtmf(ssrc uint32, digits string) {
	seq, ts := uint16(rand.N(30000)), rand.Uint32()
	code := func(d rune) byte {
		switch d {
		case '*':
			return 10
		case '#':
			return 11
		}
		return byte(d - '0')
	}
	send := func(ev byte, end bool, dur uint16, marker bool) {
		p := []byte{ev, 10, byte(dur >> 8), byte(dur)}
		if end {
			p[1] |= 0x80
		}
		b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, Marker: marker, SequenceNumber: seq, Timestamp: ts, SSRC: ssrc}, Payload: p}).Marshal()
		a.sweep(b, true)
		seq++
		time.Sleep(20 * time.Millisecond)
	}
	for _, d := range digits {
		ev := code(d)
		for k := range 4 {
			send(ev, false, uint16(160*(k+1)), k == 0)
		}
		for range 3 {
			send(ev, true, 800, false)
		}
		ts += 1600
		time.Sleep(100 * time.Millisecond)
	}
}

// ---- audio measure ----

// toneShare is how much of the loud part of pcm (8 kHz) is a tone of hz: the mean over
// loud 50 ms windows of the tone's share of the window's energy (1 for a pure tone),
// with the number of loud windows.
func toneShare(pcm []int16, hz float64) (share float64, loud int) {
	const win = 400
	var sum float64
	for off := 0; off+win <= len(pcm); off += win {
		x := make([]float64, win)
		var e float64
		for i := range x {
			x[i] = float64(pcm[off+i]) / 32768
			e += x[i] * x[i]
		}
		if math.Sqrt(e/win) < 0.01 {
			continue
		}
		loud++
		sum += 2 * goertzelPower(x, 8000, hz) / (win * e)
	}
	if loud == 0 {
		return 0, 0
	}
	return sum / float64(loud), loud
}
