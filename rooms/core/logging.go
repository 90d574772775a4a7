package core

import (
	"fmt"

	"github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"
)

// coreLogLevel maps roomgate's log level to the meeting core's. LiveKit's info level
// is chatty (a CPU-load line every minute); roomgate logs the meeting events operators
// need itself, so LiveKit logs warnings unless debugging.
func coreLogLevel(level string) string {
	switch level {
	case "debug":
		return "info"
	case "error":
		return "error"
	}
	return "warn"
}

// SetClientLogging sets the logger of the meeting-core client library (the gateway's
// participants) and of pion under it: LiveKit's level for roomgate's, pion errors only.
// The library's default logger formats every pion trace message before dropping it —
// the ICE checks and keepalives of every call's peer connection, several percent of
// the CPU of a gateway with many quiet calls; a leveled logger skips them unformatted.
func SetClientLogging(level string, json bool) error {
	l, err := logger.NewZapLogger(&logger.Config{
		Level: coreLogLevel(level), JSON: json, ComponentLevels: map[string]string{"pion": "error"},
	})
	if err != nil {
		return fmt.Errorf("meeting core client logging: %w", err)
	}
	lksdk.SetLogger(l.WithName("meeting-client"))
	return nil
}
