// Package siptest helps tests that run SIP peers (sipp, baresip) as processes:
// their output, the ports they hold.
package siptest

import (
	"fmt"
	"os"
	"strings"
	"time"
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

// Start is how a SIPp process started (WaitSIPp).
type Start int

const (
	Bound     Start = iota // it holds all its ports
	Exited                 // it exited, not for a taken port (it may have run its scenario already)
	PortTaken              // it exited because a port was in use ("errno = 98")
	NotBound               // still running without all its ports after 5 s
)

// WaitSIPp waits until the SIPp process pid holds all ports, or exits: done
// receives its exit (and gets it back for the caller), out is its output.
func WaitSIPp(pid int, done chan error, out *Buffer, ports ...int) Start {
	for range 500 {
		select {
		case err := <-done:
			done <- err
			if err != nil && strings.Contains(out.String(), "errno = 98") {
				return PortTaken
			}
			return Exited
		default:
		}
		all := true
		for _, p := range ports {
			all = all && OwnsPort(pid, p)
		}
		if all {
			return Bound
		}
		time.Sleep(10 * time.Millisecond)
	}
	return NotBound
}
