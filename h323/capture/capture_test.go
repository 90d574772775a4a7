package capture

import "testing"

// The Callgen323 ↔ 310i call of the shared capture: its Setup and the answers, and
// its separate H.245 connection, come out as whole TPKT frames.
func TestFrames(t *testing.T) {
	path, err := Shared("ndpi__h323.pcap")
	if err != nil {
		t.Fatal(err)
	}
	frames, err := Frames(path)
	if err != nil {
		t.Fatalf("%v (the shared captures are next to the repository)", err)
	}
	setup := frames["10.1.3.143:32803>10.1.6.18:1720"]
	if len(setup) == 0 || setup[0][0] != 0x08 || setup[0][4] != 0x05 {
		t.Fatalf("caller's first frame is not a Q.931 SETUP: % x", setup)
	}
	if len(frames["10.1.3.143:32804>10.1.6.18:1232"]) == 0 || len(frames["10.1.6.18:1232>10.1.3.143:32804"]) == 0 {
		t.Errorf("no H.245 frames both ways; flows %d", len(frames))
	}
	if _, err := Frames("no-such.pcap"); err == nil {
		t.Error("a missing capture read without error")
	}
}
