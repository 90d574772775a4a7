package main

import (
	"fmt"
	"io"
)

func h323(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "decode" {
		fmt.Fprintln(stderr, "usage: roomgate h323 decode [--roundtrip] FILE")
		return 2
	}
	fmt.Fprintln(stderr, "roomgate h323 decode: not built yet")
	return 1
}
