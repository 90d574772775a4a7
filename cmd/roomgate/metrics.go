package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/roomgate/roomgate/gateway"
	"github.com/roomgate/roomgate/gateway/metrics"
	"github.com/roomgate/roomgate/rooms/api"
)

// metricsServer serves /metrics on its own listener (metrics.listen).
type metricsServer struct {
	srv  *http.Server
	wg   sync.WaitGroup
	once sync.Once
}

// startMetrics registers the gateway's metrics and serves them on addr.
func startMetrics(addr string, gw *gateway.Server, meetings *api.Server, log *slog.Logger) (*metricsServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics.listen: %w", err)
	}
	m := metrics.New(metrics.Source{Calls: gw.ActiveCalls, Ports: gw.PortRanges, Meetings: meetings.LiveCounts})
	gw.OnCallEnd(m.CallEnded)
	ms := &metricsServer{srv: &http.Server{Handler: m.Handler(), ReadHeaderTimeout: 10 * time.Second}}
	ms.wg.Go(func() {
		if err := ms.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("metrics server stopped", "err", err)
		}
	})
	log.Info("metrics listening", "addr", ln.Addr().String())
	return ms, nil
}

// Close stops the listener and waits for it; idempotent.
func (ms *metricsServer) Close() {
	ms.once.Do(func() {
		_ = ms.srv.Close()
		ms.wg.Wait()
	})
}
