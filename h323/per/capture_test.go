package per

import (
	"bytes"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// sharedDir returns ../shared/<sub> relative to the repository root (this
// package is h323/per), or skips when it is absent.
func sharedDir(t *testing.T, sub string) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", sub)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("%s absent (shared data lives beside the repository): %v", dir, err)
	}
	return dir
}

// rootComponents returns the root component names of SEQUENCE type name in
// ASN.1 module text and which of them are OPTIONAL or DEFAULT (the
// preamble bits, §19.2).
func rootComponents(t *testing.T, module, name string) (names []string, optional []bool) {
	t.Helper()
	module = regexp.MustCompile(`--[^\n]*?(--|\n)`).ReplaceAllString(module, "\n")
	loc := regexp.MustCompile(`(?m)^` + name + `\s*::=\s*SEQUENCE\s*{`).FindStringIndex(module)
	if loc == nil {
		t.Fatalf("%s not found", name)
	}
	depth, start := 1, loc[1]
	var comps []string
	for i := start; i < len(module) && depth > 0; i++ {
		switch module[i] {
		case '{', '(':
			depth++
		case ')':
			depth--
		case '}':
			depth--
			if depth == 0 {
				comps = append(comps, module[start:i])
			}
		case ',':
			if depth == 1 {
				comps = append(comps, module[start:i])
				start = i + 1
			}
		}
	}
	for _, c := range comps {
		c = strings.TrimSpace(c)
		if c == "..." {
			break
		}
		names = append(names, strings.Fields(c)[0])
		optional = append(optional, strings.HasSuffix(c, "OPTIONAL") || strings.Contains(c, " DEFAULT "))
	}
	return names, optional
}

// rasTypes are the RasMessage root alternatives in order (H.225.0).
var rasTypes = []string{
	"GatekeeperRequest", "GatekeeperConfirm", "GatekeeperReject",
	"RegistrationRequest", "RegistrationConfirm", "RegistrationReject",
	"UnregistrationRequest", "UnregistrationConfirm", "UnregistrationReject",
	"AdmissionRequest", "AdmissionConfirm", "AdmissionReject",
	"BandwidthRequest", "BandwidthConfirm", "BandwidthReject",
	"DisengageRequest", "DisengageConfirm", "DisengageReject",
	"LocationRequest", "LocationConfirm", "LocationReject",
	"InfoRequest", "InfoRequestResponse", "NonStandardMessage", "UnknownMessageResponse",
}

// TestCapture_RASPrefixes decodes the start of every H.225.0 RAS message in
// the shared real-endpoint captures (OpenH323, SJphone, TANDBERG, Cisco
// VCS) — CHOICE index, extension bit, OPTIONAL preamble, requestSeqNum and
// protocolIdentifier — compares the values with tshark's dissection, and
// checks that re-encoding them reproduces the original bits.
func TestCapture_RASPrefixes(t *testing.T) {
	dir := sharedDir(t, "captures")
	asn, err := os.ReadFile(filepath.Join(sharedDir(t, "asn1"), "H323-MESSAGES.asn"))
	if err != nil {
		t.Fatal(err)
	}
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed (make test installs it)")
	}
	checked := 0
	for _, capture := range []string{"ndpi__h323.pcap", "wswiki__SIP_CALL_RTP_G711.pcap"} {
		out, err := exec.Command(tshark, "-n", "-r", filepath.Join(dir, capture), "-Y", "h225.RasMessage",
			"-T", "fields", "-E", "separator=|", "-e", "frame.number", "-e", "h225.RasMessage",
			"-e", "h225.requestSeqNum", "-e", "h225.protocolIdentifier", "-e", "udp.payload").Output()
		if err != nil {
			t.Fatalf("tshark %s: %v", capture, err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			f := strings.Split(line, "|")
			if len(f) != 5 {
				t.Fatalf("tshark line %q", line)
			}
			name := capture + "#" + f[0]
			t.Run(name, func(t *testing.T) {
				wantIdx, _ := strconv.Atoi(f[1])
				wantSeq, _ := strconv.Atoi(strings.Split(f[2], ",")[0])
				payload, err := hex.DecodeString(f[4])
				if err != nil {
					t.Fatal(err)
				}
				d := NewDecoder(payload)
				idx, err := d.GetChoiceIndex(25, true)
				if err != nil || idx != wantIdx {
					t.Fatalf("RasMessage index %d, %v; tshark %d", idx, err, wantIdx)
				}
				names, opt := rootComponents(t, string(asn), rasTypes[idx])
				ext, err := d.GetBit()
				if err != nil {
					t.Fatal(err)
				}
				nopt := 0
				for _, o := range opt {
					if o {
						nopt++
					}
				}
				pre, err := d.GetBits(nopt)
				if err != nil {
					t.Fatal(err)
				}
				if names[0] != "requestSeqNum" {
					t.Fatalf("%s starts with %s", rasTypes[idx], names[0])
				}
				seq, err := d.GetInteger(rng(1, 65535))
				if err != nil || seq != int64(wantSeq) {
					t.Fatalf("requestSeqNum %d, %v; tshark %d", seq, err, wantSeq)
				}
				var oid []uint32
				if names[1] == "protocolIdentifier" {
					if oid, err = d.GetObjectIdentifier(); err != nil {
						t.Fatal(err)
					}
					if got := oidString(oid); got != f[3] {
						t.Fatalf("protocolIdentifier %s; tshark %s", got, f[3])
					}
				}
				// Re-encode the prefix and compare it with the original bits.
				e := NewEncoder()
				e.PutChoiceIndex(idx, 25, true)
				e.PutBit(ext)
				e.PutBits(pre, nopt)
				e.PutInteger(seq, rng(1, 65535))
				if oid != nil {
					e.PutObjectIdentifier(oid)
				}
				n := e.BitLen()
				if !bytes.Equal(e.Bytes()[:n/8], payload[:n/8]) ||
					(n%8 != 0 && e.Bytes()[n/8]>>(8-n%8) != payload[n/8]>>(8-n%8)) {
					t.Fatalf("re-encoded prefix % x differs from % x", e.Bytes(), payload[:len(e.Bytes())])
				}
				checked++
			})
		}
	}
	if checked < 30 {
		t.Errorf("only %d RAS messages checked", checked)
	}
}

func oidString(oid []uint32) string {
	parts := make([]string, len(oid))
	for i, a := range oid {
		parts[i] = strconv.FormatUint(uint64(a), 10)
	}
	return strings.Join(parts, ".")
}

func TestRootComponentsParser(t *testing.T) {
	names, opt := rootComponents(t, "X ::= SEQUENCE { a INTEGER (0..7), -- c, d\n b SEQUENCE {x BOOLEAN, y NULL} OPTIONAL, c BOOLEAN DEFAULT TRUE, ..., z NULL }", "X")
	if !slices.Equal(names, []string{"a", "b", "c"}) || !slices.Equal(opt, []bool{false, true, true}) {
		t.Fatalf("%v %v", names, opt)
	}
}
