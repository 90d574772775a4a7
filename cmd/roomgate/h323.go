package main

import (
	"fmt"
	"io"

	"github.com/roomgate/roomgate/h323/decodecmd"
)

// h323 runs the H.323 tools: `roomgate h323 decode [--roundtrip] FILE`.
func h323(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "decode" {
		fmt.Fprintln(stderr, "usage: roomgate h323 decode [--roundtrip] FILE")
		return 2
	}
	return decodecmd.Main(args[1:], stdout, stderr)
}
