//go:build e2e

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// lanNamespace builds a machine on a LAN: a veth pair with the gateway's address
// 10.77.0.1/24 on one end, a room system's 10.77.0.2/24 on the other, and the default
// route out through the gateway's end (via 10.77.0.254, which nothing answers: no
// packet leaves the namespace).
const lanNamespace = `ip link set lo up && ip link add rgl0 type veth peer name rgl1 &&
ip addr add 10.77.0.1/24 dev rgl0 && ip addr add 10.77.0.2/24 dev rgl1 &&
ip link set rgl0 up && ip link set rgl1 up && ip route add default via 10.77.0.254 dev rgl0`

// TestE2EShippedConfigOnALAN runs the shipped configs/roomgate.yaml, unchanged, on a
// machine whose default route leaves through a LAN interface: check-config and the
// invitation name that interface's address (never 0.0.0.0), and a SIP and an H.323
// room system on the LAN dial it there and hear each other. The test runs itself
// again inside a network namespace of its own.
func TestE2EShippedConfigOnALAN(t *testing.T) {
	if os.Getenv("ROOMGATE_LAN_NS") == "" {
		cmd := exec.Command("unshare", "-n", "sh", "-c", lanNamespace+` && exec "$0" -test.run '^TestE2EShippedConfigOnALAN$' -test.v -test.count=1`, os.Args[0])
		cmd.Env = append(os.Environ(), "ROOMGATE_LAN_NS=1")
		out, err := cmd.CombinedOutput()
		t.Logf("inside the LAN namespace:\n%s", out)
		if err != nil || !strings.Contains(string(out), "--- PASS: TestE2EShippedConfigOnALAN") {
			t.Fatalf("the test failed inside its namespace: %v", err)
		}
		return
	}
	// The shipped file as it is; its data_dir (../data) lands in root/data, which the
	// harness finds as dir/data.
	root := t.TempDir()
	dir := filepath.Join(root, "configs")
	shipped, err := os.ReadFile(filepath.Join(repoDir(t), "configs", "roomgate.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{os.MkdirAll(dir, 0o755), os.MkdirAll(filepath.Join(root, "data"), 0o700),
		os.WriteFile(filepath.Join(dir, "roomgate.yaml"), shipped, 0o644), os.Symlink(filepath.Join(root, "data"), filepath.Join(dir, "data"))} {
		if err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(binPath(t), "check-config", filepath.Join(dir, "roomgate.yaml")).CombinedOutput()
	if err != nil {
		t.Fatalf("check-config: %v\n%s", err, out)
	}
	for _, want := range []string{"public_host: 10.77.0.1", "SIP: room systems dial MEETINGID@10.77.0.1 (listening on 0.0.0.0:5060",
		"H.323: room systems dial 10.77.0.1##MEETINGID", "advertised as 10.77.0.1 (primary interface rgl0)"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("check-config lacks %q:\n%s", want, out)
		}
	}

	p := start(t, dir)
	st, m := p.do("POST", "/api/v1/meetings", p.Token, map[string]any{"topic": "LAN"})
	if st != 201 {
		t.Fatalf("create meeting: %d %v", st, m)
	}
	id, _ := m["id"].(string)
	st, inv := p.do("GET", "/api/v1/meetings/"+id+"/invitation", p.Token, nil)
	if sip := fmt.Sprint(inv["sip"]); st != 200 || !strings.Contains(sip, id+"@10.77.0.1") || strings.Contains(fmt.Sprint(inv), "0.0.0.0") {
		t.Fatalf("invitation: %d %v; want SIP %s@10.77.0.1 and no 0.0.0.0", st, inv, id)
	}

	sipRoom := startSim(t, "lan-sip", "-gw", "10.77.0.1:5060", "-bind", "10.77.0.2", "-meeting", id, "-tone", "440", "-d", "15s", "-rtp-base", "15000")
	h323Room := startSim(t, "lan-h323", "-h323", "10.77.0.1", "-bind", "10.77.0.2", "-alias", id, "-tone", "1000", "-d", "12s")
	sc, hc := sipRoom.call(90*time.Second), h323Room.call(90*time.Second)
	t.Logf("SIP room: %+v\nH.323 room: %+v", sc, hc)
	if !sc.Established || !hc.Established {
		t.Fatalf("calls to the advertised address: SIP established %v, H.323 established %v\n%s\n%s\n%s", sc.Established, hc.Established, sipRoom.logs(), h323Room.logs(), p.logTail())
	}
	checkHears(t, "the SIP room", sc, 1000, false)
	checkHears(t, "the H.323 room", hc, 440, false)
}
