package core

import (
	"slices"
	"testing"
)

// Without configured STUN servers the node hands its clients a loopback address, never
// LiveKit's public default; configured ones are handed out as they are.
func TestEmbeddedSTUNServers(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  EmbeddedConfig
		want []string
	}{
		{"none configured", EmbeddedConfig{RTCUDPPort: 7882}, []string{"127.0.0.1:7882"}},
		{"none, no RTC port", EmbeddedConfig{}, []string{"127.0.0.1:9"}},
		{"configured", EmbeddedConfig{RTCUDPPort: 7882, STUNServers: []string{"stun.example.net:3478"}}, []string{"stun.example.net:3478"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Port, tc.cfg.DataDir = 7880, t.TempDir()
			lk, err := lkConfig(tc.cfg, "key", "secret-secret-secret-secret-secret")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(lk.RTC.STUNServers, tc.want) {
				t.Errorf("stun servers %v, want %v", lk.RTC.STUNServers, tc.want)
			}
		})
	}
}
