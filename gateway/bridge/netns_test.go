package bridge

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// netnsEnv marks a test process already running in its own network namespace.
const netnsEnv = "ROOMGATE_BRIDGE_NETNS"

// netnsSetup is run inside the new namespace. Loopback carries all traffic: the LiveKit
// node and every ICE candidate it offers are on 127.0.0.1. The veth pair exists only
// because server-sdk-go builds its pion SettingEngine itself, without
// SetIncludeLoopbackCandidate, so its ICE agent needs one non-loopback interface to
// gather a host candidate at all. Both ends stay in this namespace and lead nowhere.
const netnsSetup = `ip link set lo up &&
ip link add rgv0 type veth peer name rgv1 &&
ip addr add 10.203.0.1/32 dev rgv0 &&
ip link set rgv0 up && ip link set rgv1 up &&
exec "$0" "$@"`

// TestMain re-runs the test binary in a fresh network namespace (as root, with
// unshare(1) and ip(8)), so the WebRTC tests cannot reach, nor be disturbed by, any
// other address. Where that is impossible the tests run in place: the meeting core
// is still bound to 127.0.0.1 and the ICE server list points at loopback only.
func TestMain(m *testing.M) {
	if os.Getenv(netnsEnv) == "" && os.Geteuid() == 0 && exec.Command("unshare", "-n", "ip", "link", "show", "lo").Run() == nil {
		args := append([]string{"-n", "sh", "-c", netnsSetup, os.Args[0]}, os.Args[1:]...)
		cmd := exec.Command("unshare", args...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		cmd.Env = append(os.Environ(), netnsEnv+"=1")
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); ok {
			os.Exit(ee.ExitCode())
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bridge tests: running in a network namespace:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
