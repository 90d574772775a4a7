package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/roomgate/roomgate/configs"
	"github.com/roomgate/roomgate/gateway"
)

func checkConfig(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: roomgate check-config FILE")
		return 2
	}
	if _, err := configs.Load(args[0]); err != nil {
		fmt.Fprintln(stderr, "roomgate:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok\n", args[0])
	return 0
}

func newLogger(w io.Writer, format, level string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func serve(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "configs/roomgate.yaml", "configuration file")
	logFormat := fs.String("log-format", "", "log format: text or json (default: log.format of the config)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "roomgate serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	cfg, err := configs.Load(*cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, "roomgate:", err)
		return 1
	}
	switch *logFormat {
	case "":
	case "text", "json":
		cfg.Log.Format = *logFormat
	default:
		fmt.Fprintf(stderr, "roomgate serve: --log-format %q: use text or json\n", *logFormat)
		return 2
	}
	log := newLogger(stderr, cfg.Log.Format, cfg.Log.Level)
	slog.SetDefault(log)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	started := time.Now()
	srv, err := gateway.Start(ctx, cfg, version, log)
	cancel()
	if err != nil {
		log.Error("roomgate could not start", "err", err)
		fmt.Fprintln(stderr, "roomgate:", err)
		return 1
	}
	fmt.Fprintf(stdout, "roomgate %s ready in %s\n  web UI and API: %s\n", version, time.Since(started).Round(time.Millisecond), srv.URL)
	if srv.TokenFile != "" {
		fmt.Fprintf(stdout, "  operator API token: in %s\n", srv.TokenFile)
	}
	fmt.Fprintf(stdout, "  room systems dial: SIP MEETINGID@%s, H.323 %s##MEETINGID (see each meeting's invitation)\n", cfg.PublicHost, cfg.PublicHost)

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	sig := <-sigs
	log.Info("signal received", "signal", sig.String())
	if sig == syscall.SIGTERM {
		// Drain: stop taking requests, let those in flight finish; a second signal stops now.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		go func() { <-sigs; cancel() }()
		err = srv.Shutdown(ctx)
		cancel()
		if err != nil && !errors.Is(err, context.Canceled) {
			log.Warn("shutdown did not drain", "err", err)
		}
	} else {
		srv.Close()
	}
	log.Info("roomgate stopped")
	return 0
}
