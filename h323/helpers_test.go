package h323

import (
	"context"
	"log/slog"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/roomgate/roomgate/h323/h245"
)

// testLog logs at debug to stderr with H323_TEST_LOG=1, else nowhere.
func testLog() *slog.Logger {
	if os.Getenv("H323_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// startService runs a service on 127.0.0.1 and shuts it down at the end.
func startService(t testing.TB, cfg Config, h Handler) *Service {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	s, err := New(cfg, h, testLog())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return s
}

// olc encodes a fastStart proposal: G.711 µ-law audio or H.261 video.
func olc(t testing.TB, number int64, video bool) []byte {
	t.Helper()
	ch := h245.Channel{Number: number, SessionID: 1, Audio: true, RTCP: netip.MustParseAddrPort("127.0.0.1:5001"),
		DataType: h245.DataType{AudioData: &h245.AudioCapability{G711Ulaw64k: ptrTo(int64(20))}}}
	if video {
		ch = h245.Channel{Number: number, SessionID: 2, RTCP: netip.MustParseAddrPort("127.0.0.1:5003"),
			DataType: h245.DataType{VideoData: &h245.VideoCapability{H261VideoCapability: &h245.H261VideoCapability{
				CifMPI: ptrTo(int64(1)), MaxBitRate: 3840}}}}
	}
	o, err := ch.OpenLogicalChannel()
	if err != nil {
		t.Fatal(err)
	}
	b, err := o.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ptrTo[T any](v T) *T { return &v }

// recv waits for a value, failing the test after a long while (a hang,
// not a timing assertion).
func recv[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s", what)
	}
	var zero T
	return zero
}

func waitDone(t testing.TB, done <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not end", what)
	}
}

// tcs is a small TerminalCapabilitySet to carry over H.245.
func tcs(seq int64) *h245.MultimediaSystemControlMessage {
	return h245.NewTerminalCapabilitySet(seq, []h245.Capability{{ReceiveAudioCapability: &h245.AudioCapability{G711Ulaw64k: ptrTo(int64(20))}}}, [][]int{{1}})
}

// isTCS reports whether m is a TerminalCapabilitySet with sequence seq.
func isTCS(m *h245.MultimediaSystemControlMessage, seq int64) bool {
	return m != nil && m.Request != nil && m.Request.TerminalCapabilitySet != nil &&
		int64(m.Request.TerminalCapabilitySet.SequenceNumber) == seq
}
