package sip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// torturePeerIP is the loopback address the torture messages come from. The
// messages' Via has no rport (but one), so answers go to this address at
// the Via port, 5060 or 5050, where the peer listens (RFC 3261 §18.2.2).
const torturePeerIP = "127.0.0.45"

// tortureCase is one conformance message and the answer it must get.
type tortureCase struct {
	file string
	// udp and tcp are the expected status codes; 0 is "no answer" (the
	// message cannot be answered, or is a response); -1 skips the
	// transport (the message cannot be framed on a stream: no
	// Content-Length, RFC 3261 §18.3).
	udp, tcp int
	// tcpOr is another answer accepted over TCP where the deviation is a race.
	tcpOr int
	// known, when set, says why the answer differs from the RFC's.
	known string
}

// RFC 4475's 49 messages. Our UAS answers REGISTER, MESSAGE and unknown
// methods 405 (we are neither registrar nor messaging server); INVITEs
// that pass every check reach the call handler, which the test makes
// answer 603.
var rfc4475Cases = []tortureCase{
	// §3.1.1 valid messages.
	// wsinv is well-formed; its To tag names a dialog we do not have: 481
	// (RFC 3261 §12.2.2). Over UDP the filter hands sipgo the message with
	// the white space around "tag = 98asjd8" removed; a stream cannot be
	// rewritten before sipgo's transaction layer keys it.
	{file: "wsinv", udp: 481, tcp: 400, known: "over TCP: sipgo keeps the white space of ' tag = 98asjd8' in the From parameter's name, finds no From tag for the RFC 2543 transaction key and answers 400"},
	{file: "intmeth", udp: 405, tcp: 405},
	{file: "esc01", udp: 603, tcp: 603},
	{file: "escnull", udp: 405, tcp: 405},
	{file: "esc02", udp: 405, tcp: 405},
	{file: "lwsdisp", udp: 200, tcp: 200},
	{file: "longreq", udp: 603, tcp: 603},
	// Over UDP the INVITE after the REGISTER's Content-Length is ignored
	// (RFC 3261 §18.3).
	{file: "dblreq", udp: 405, tcp: 0, tcpOr: 405, known: "over TCP: the INVITE's body is shorter than its Content-Length, sipgo loses the framing and closes the connection, mostly before the REGISTER's 405 is written (when after, the 405 arrives: the RFC's answer)"},
	{file: "semiuri", udp: 200, tcp: 200},
	{file: "transports", udp: 200, tcp: 200},
	{file: "mpart01", udp: 405, tcp: 405},
	{file: "unreason", udp: 0, tcp: 0}, // responses to nothing we sent
	{file: "noreason", udp: 0, tcp: 0},
	// §3.1.2 invalid messages: 400 where a Via was read.
	{file: "badinv01", udp: 400, tcp: 0},
	{file: "clerr", udp: 400, tcp: -1},
	{file: "ncl", udp: 400, tcp: 0},
	{file: "scalar02", udp: 400, tcp: 0},
	{file: "scalarlg", udp: 0, tcp: 0},
	{file: "quotbal", udp: 0, tcp: 0, known: "RFC: 400. sipgo's parser stops at the unbalanced quote before the Via is read: nothing to route an answer by"},
	{file: "ltgtruri", udp: 0, tcp: 0, known: "RFC: 400. sipgo rejects the request line before any header is read"},
	{file: "lwsruri", udp: 0, tcp: 0, known: "RFC: 400. sipgo rejects the request line before any header is read"},
	{file: "lwsstart", udp: 0, tcp: 0, known: "RFC: 400. sipgo rejects the request line before any header is read"},
	{file: "trws", udp: 0, tcp: 0, known: "RFC: 400. sipgo rejects the request line before any header is read"},
	{file: "escruri", udp: 400, tcp: 400},
	{file: "baddate", udp: 603, tcp: 603}, // the Date is not used: served (RFC 4475 §3.1.2.12 allows it)
	{file: "regbadct", udp: 405, tcp: 405},
	{file: "badaspec", udp: 400, tcp: 0},
	{file: "baddn", udp: 400, tcp: 0},
	{file: "badvers", udp: 505, tcp: 505},
	{file: "mismatch01", udp: 400, tcp: 400},
	{file: "mismatch02", udp: 400, tcp: 400},
	{file: "bigcode", udp: 0, tcp: 0},
	// §3.2 transaction layer.
	{file: "badbranch", udp: 200, tcp: 200},
	// §3.3 application layer.
	{file: "insuf", udp: 400, tcp: 400},
	{file: "unkscm", udp: 416, tcp: 416},
	{file: "novelsc", udp: 0, tcp: 0, known: "RFC: 416. sipgo rejects the soap.beep Request-URI before any header is read"},
	{file: "unksm2", udp: 405, tcp: 405},
	{file: "bext01", udp: 420, tcp: 420},
	{file: "invut", udp: 415, tcp: 415},
	{file: "regaut01", udp: 405, tcp: 405},
	{file: "multi01", udp: 400, tcp: 400},
	{file: "mcl01", udp: 400, tcp: 0, tcpOr: 400, known: "over TCP: sipgo closes the stream it cannot frame, mostly before the 400 is written (when after, the 400 arrives: the RFC's answer)"},
	{file: "bcast", udp: 0, tcp: 0},
	{file: "zeromf", udp: 200, tcp: 200},
	{file: "cparam01", udp: 405, tcp: 405},
	{file: "cparam02", udp: 405, tcp: 405},
	{file: "regescrt", udp: 405, tcp: 405},
	{file: "sdp01", udp: 406, tcp: 406},
	// §3.4 backward compatibility.
	{file: "inv2543", udp: 400, tcp: -1, known: "RFC: served as an RFC 2543 request. sipgo keys a Via without branch cookie by the From tag, which RFC 2543 did not require: its transaction layer answers 400"},
}

// RFC 5118's IPv6 messages; the service listens on IPv4, answers go to the
// source address.
var rfc5118Cases = []tortureCase{
	{file: "ipv6-good", udp: 405, tcp: 405},
	{file: "ipv6-bad", udp: 0, tcp: 0, known: "RFC: 400. sipgo rejects the unbracketed IPv6 Request-URI before any header is read"},
	{file: "port-ambiguous", udp: 405, tcp: 405},
	{file: "port-unambiguous", udp: 405, tcp: 405},
	{file: "via1-valid", udp: 481, tcp: 481},
	{file: "via2-valid", udp: 200, tcp: 200},
	{file: "ipv6-in-sdp", udp: 603, tcp: 603},
	{file: "mult-ip-in-header", udp: 481, tcp: 481},
	{file: "mult-ip-in-sdp", udp: 603, tcp: 603},
	{file: "ipv4-mapped-ipv6", udp: 603, tcp: 603},
	{file: "ipv6-bug-abnf-3-colons", udp: 400, tcp: 400},
	{file: "ipv6-correct-abnf-2-colons", udp: 200, tcp: 200},
}

func TestRFC5118(t *testing.T) {
	runTorture(t, "rfc5118", rfc5118Cases)
}

func TestRFC4475(t *testing.T) {
	runTorture(t, "rfc4475", rfc4475Cases)
}

func runTorture(t *testing.T, dir string, cases []tortureCase) {
	files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.dat"))
	listed := map[string]bool{}
	for _, tc := range cases {
		listed[tc.file] = true
	}
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".dat"); !listed[name] {
			t.Errorf("testdata/%s/%s has no expected answer", dir, name)
		}
	}
	h := HandlerFunc(func(_ context.Context, c *InboundCall) { c.Reject(603, "Decline") })
	// A service per message: sipgo matches a transaction by branch, host
	// and method whatever the transport, several messages share those, and
	// UDP transactions live on for Timer J.
	peer := newTorturePeer(t)
	for _, transport := range []string{"udp", "tcp"} {
		for _, tc := range cases {
			msg, err := os.ReadFile(filepath.Join("testdata", dir, tc.file+".dat"))
			if err != nil {
				t.Fatal(err)
			}
			want := tc.udp
			if transport == "tcp" {
				want = tc.tcp
			}
			if want < 0 {
				continue
			}
			t.Run(tc.file+"/"+transport, func(t *testing.T) {
				// A short read timeout: a message whose Content-Length
				// exceeds what follows holds a TCP connection until it fires.
				s := startService(t, Config{Limits: Limits{TCPReadTimeout: 300 * time.Millisecond}}, h)
				var got int
				if transport == "udp" {
					got = peer.exchangeUDP(t, s.Addr(), msg, want)
				} else {
					got = peer.exchangeTCP(t, s.Addr(), msg, want)
				}
				if got != want && !(transport == "tcp" && tc.tcpOr != 0 && got == tc.tcpOr) {
					t.Errorf("%s over %s: answered %d, want %d", tc.file, transport, got, want)
				}
				if tc.known != "" {
					t.Logf("known deviation: %s", tc.known)
				}
				if st := s.Stats(); st.Panics != 0 {
					t.Errorf("handler panics: %+v", st)
				}
			})
		}
	}
}

// torturePeer sends conformance messages from torturePeerIP:5060 and hears
// answers on the messages' Via ports.
type torturePeer struct {
	conn  *net.UDPConn
	seq   int
	heard chan *sip.Response
}

func newTorturePeer(t *testing.T) *torturePeer {
	p := &torturePeer{heard: make(chan *sip.Response, 64)}
	for _, port := range []int{5060, 5050, 6050, 19823} {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(torturePeerIP), Port: port})
		if err != nil {
			t.Fatalf("the torture peer needs %s:%d: %v", torturePeerIP, port, err)
		}
		t.Cleanup(func() { c.Close() })
		if port == 5060 {
			p.conn = c
		}
		go func() {
			buf := make([]byte, 65535)
			for {
				n, _, err := c.ReadFromUDP(buf)
				if err != nil {
					return
				}
				if m, err := sip.ParseMessage(bytes.Clone(buf[:n])); err == nil {
					if r, ok := m.(*sip.Response); ok {
						p.heard <- r
					}
				}
			}
		}()
	}
	return p
}

// probe is an OPTIONS whose answer, heard after a message's, says the
// service has done with that message (it reads one socket in order).
func (p *torturePeer) probe() (string, []byte) {
	p.seq++
	id := fmt.Sprintf("probe-%d", p.seq)
	return id, []byte("OPTIONS sip:gw@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP " + torturePeerIP + ":5060;branch=z9hG4bK" + id +
		"\r\nFrom: <sip:t@x>;tag=1\r\nTo: <sip:gw@x>\r\nCall-ID: " + id + "\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
}

// callIDOf is the Call-ID of a conformance message as far as sipgo reads
// it ("" if none).
func callIDOf(msg []byte) string {
	m, _ := sip.ParseMessage(msg)
	if m == nil {
		return ""
	}
	if h := m.CallID(); h != nil {
		return h.Value()
	}
	return ""
}

// answers reports whether r answers the message with Call-ID id.
func answers(r *sip.Response, id string) bool {
	h := r.CallID()
	if h == nil {
		return id == ""
	}
	return !strings.HasPrefix(h.Value(), "probe-") && h.Value() == id
}

// exchangeUDP sends msg and returns the final status it got (0: none). An
// expected answer is awaited; when none is expected, two probes answered
// after it show the service has done with the message.
func (p *torturePeer) exchangeUDP(t *testing.T, svc netip.AddrPort, msg []byte, want int) int {
	t.Helper()
	id := callIDOf(msg)
	if _, err := p.conn.WriteToUDP(msg, net.UDPAddrFromAddrPort(svc)); err != nil {
		t.Fatal(err)
	}
	probes := map[string]bool{}
	for range 2 {
		pid, pr := p.probe()
		probes[pid] = true
		if _, err := p.conn.WriteToUDP(pr, net.UDPAddrFromAddrPort(svc)); err != nil {
			t.Fatal(err)
		}
	}
	timeout := time.After(5 * time.Second)
	for {
		select {
		case r := <-p.heard:
			switch {
			case r.CallID() != nil && probes[r.CallID().Value()]:
				delete(probes, r.CallID().Value())
				if len(probes) == 0 && want == 0 {
					return 0
				}
			case r.StatusCode >= 200 && answers(r, id):
				return r.StatusCode
			}
		case <-timeout:
			if len(probes) > 0 {
				t.Fatal("the service did not answer the probes: it is not serving any more")
			}
			return 0
		}
	}
}

// exchangeTCP sends msg on a new connection, then a probe, and returns the
// final status read back (0: none before the probe's answer or the close).
func (p *torturePeer) exchangeTCP(t *testing.T, svc netip.AddrPort, msg []byte, want int) int {
	t.Helper()
	id := callIDOf(msg)
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(torturePeerIP)}}
	c, err := d.Dial("tcp", svc.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	_, pr := p.probe()
	pr = bytes.Replace(pr, []byte("SIP/2.0/UDP"), []byte("SIP/2.0/TCP"), 1)
	_, _ = c.Write(pr)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	tmp := make([]byte, 65535)
	par := sip.NewParser().NewSIPStream()
	got, probed := 0, false
	for {
		n, err := c.Read(tmp)
		_ = par.ParseSIPStream(tmp[:n], func(m sip.Message) {
			r, ok := m.(*sip.Response)
			switch {
			case !ok:
			case r.CallID() != nil && strings.HasPrefix(r.CallID().Value(), "probe-"):
				probed = true
			case r.StatusCode >= 200 && answers(r, id) && got == 0:
				got = r.StatusCode
			}
		})
		if got != 0 || (probed && want == 0) {
			return got
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("no answer and no close in 5 s")
			}
			return got
		}
	}
}
