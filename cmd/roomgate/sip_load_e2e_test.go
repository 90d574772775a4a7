//go:build e2e

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestE2ESIPLoad is the short CI run of bench/sip_load.sh: SIPp places 20 calls a
// second with PCMU RTP into one meeting, in two rounds of 200 calls; every call must
// succeed, and goroutines and the live heap after the second round must be back where
// the first left them (the script's own checks; its exit status carries them). The
// 10-minute run is `bench/sip_load.sh 20 600`.
func TestE2ESIPLoad(t *testing.T) {
	script := filepath.Join(repoDir(t), "bench", "sip_load.sh")
	cmd := exec.Command("bash", script, "20", "20", "2000", "20", "2")
	cmd.Env = append(os.Environ(), "IN_NETNS=1", "ROOMGATE_BIN="+binPath(t),
		// One address places every call: raise its per-source limits as an operator would
		// for a load test (the defaults would rightly take it for a flood).
		"SIP_EXTRA=  limits: {requests_per_second: 1000, burst: 2000, calls_per_source: 1000}")
	out, err := cmd.CombinedOutput()
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "==") || strings.HasPrefix(l, "FAIL") {
			t.Log(l)
		}
	}
	if err != nil {
		t.Fatalf("load run failed: %v\n%s", err, lastN(string(out), 4000))
	}
}
