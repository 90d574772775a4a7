package decodecmd

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// capturesDir is ../shared/captures relative to the repository root; this
// package sits two levels below it.
var capturesDir = filepath.Join("..", "..", "..", "shared", "captures")

func capturePath(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(capturesDir, name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("capture %s not available (../shared/captures absent beside the repo): %v", name, err)
	}
	return p
}

// outRecord mirrors record for reading the output back.
type outRecord struct {
	Frame     int             `json:"frame"`
	Protocol  string          `json:"protocol"`
	Message   string          `json:"message"`
	Via       string          `json:"via"`
	Src       string          `json:"src"`
	Dst       string          `json:"dst"`
	Body      json.RawMessage `json:"body"`
	Error     string          `json:"error"`
	Roundtrip *bool           `json:"roundtrip"`
}

// q931Out is the part of a Q.931 body the tests look at.
type q931Out struct {
	MessageType string `json:"messageType"`
	Elements    []struct {
		ID    string          `json:"id"`
		Name  string          `json:"name"`
		Value json.RawMessage `json:"value"`
		Hex   string          `json:"hex"`
		Error string          `json:"error"`
	} `json:"elements"`
	UserInformation json.RawMessage `json:"h323UserInformation"`
}

// run runs the command and parses its output lines.
func run(t *testing.T, d Decoders, args ...string) (int, []outRecord, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	rc := Run(args, &stdout, &stderr, d)
	return rc, parseRecords(t, stdout.Bytes()), stderr.String()
}

// parseRecords parses the command's output lines.
func parseRecords(t *testing.T, out []byte) []outRecord {
	t.Helper()
	var recs []outRecord
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r outRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("output line is not JSON: %v: %s", err, sc.Bytes())
		}
		recs = append(recs, r)
	}
	return recs
}
