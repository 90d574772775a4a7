// Package siptest helps tests that run SIP peers (sipp, baresip) as processes:
// their output, the ports they hold.
package siptest

import (
	"fmt"
	"os"
	"strings"
)

// OwnsPort reports whether process pid holds a UDP or TCP socket bound to port
// (IPv4, any address): one of its file descriptors is the socket whose inode
// /proc/net/udp or /proc/net/tcp lists for the port. Linux only; false when
// the process is gone.
func OwnsPort(pid, port int) bool {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return false
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	suffix := fmt.Sprintf(":%04X", port)
	for _, table := range []string{"/proc/net/udp", "/proc/net/tcp"} {
		data, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			f := strings.Fields(line)
			if len(f) > 9 && strings.HasSuffix(f[1], suffix) && inodes[f[9]] {
				return true
			}
		}
	}
	return false
}
