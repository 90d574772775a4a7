// Command roomgate is the room-system gateway: it runs the meeting service (embedded
// LiveKit meeting core, meeting directory, web UI, REST API) and brings SIP and H.323
// room systems into its meetings.
//
//	roomgate serve [--config FILE] [--log-format text|json]
//	roomgate check-config [FILE]
//	roomgate doctor [FILE]
//	roomgate h323 decode [--roundtrip] FILE
//	roomgate version
//
// Every command takes -h or --help: it prints the command's usage and exits 0.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// defaultConfig is the configuration file commands read when given none.
const defaultConfig = "configs/roomgate.yaml"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// command is one of roomgate's subcommands.
type command struct {
	name  string
	usage string // synopsis and description, printed by --help
	run   func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"serve", `usage: roomgate serve [--config FILE] [--log-format text|json]

Runs the gateway: the meeting service (web UI, REST API, meeting core) and the
enabled SIP and H.323 legs. SIGTERM drains calls and requests, SIGINT stops at once.

  --config FILE       configuration file (default ` + defaultConfig + `)
  --log-format FMT    text or json (default: log.format of the config)
`, serve},
		{"check-config", `usage: roomgate check-config [FILE]

Validates a configuration file (default ` + defaultConfig + `) exactly as serve does
and prints the addresses the gateway would advertise. Exit 1 with file:line on error.
`, checkConfig},
		{"doctor", `usage: roomgate doctor [FILE]

Checks a configuration (default ` + defaultConfig + `) on this machine: that its
listening sockets can bind, that the advertised addresses belong to this machine (or
look like a one-to-one NAT of one), that the media port range is free, and prints
what to open on the firewall. Exit 1 when a check fails.
`, doctor},
		{"h323", `usage: roomgate h323 decode [--roundtrip] FILE

Prints the H.323 messages of a pcap/pcapng(.gz) capture as JSON lines; --roundtrip
checks that every message re-encodes identically.
`, h323},
		{"version", `usage: roomgate version

Prints the version.
`, func(_ []string, stdout, _ io.Writer) int {
			fmt.Fprintln(stdout, "roomgate", version)
			return 0
		}},
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  roomgate serve [--config FILE] [--log-format text|json]   run the gateway
  roomgate check-config [FILE]                             validate a configuration file
  roomgate doctor [FILE]                                   check a configuration on this machine
  roomgate h323 decode [--roundtrip] FILE                  print H.323 messages of a pcap/pcapng
  roomgate version                                         print the version

"roomgate COMMAND --help" describes a command.
`)
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "--version", "-v":
		args[0] = "version"
	case "help", "--help", "-h":
		if len(args) > 1 {
			// "roomgate help serve" is "roomgate serve --help".
			return run([]string{args[1], "--help"}, stdout, stderr)
		}
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		if wantsHelp(args[1:]) {
			fmt.Fprint(stdout, c.usage)
			return 0
		}
		return c.run(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "roomgate: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

// wantsHelp reports whether the arguments ask for help (-h, -help, --help) before a
// "--" that ends the options.
func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if strings.HasPrefix(a, "-") {
			switch strings.TrimLeft(a, "-") {
			case "h", "help":
				return true
			}
		}
	}
	return false
}
