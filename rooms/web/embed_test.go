package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func builtFS() fstest.MapFS {
	return fstest.MapFS{
		"index.html": {Data: []byte("<!doctype html><title>roomgate</title>")},
		"app.js":     {Data: []byte("console.log('rg')")},
		"app.css":    {Data: []byte("body{}")},
		"README.txt": {Data: []byte("placeholder")},
	}
}

func TestHandler(t *testing.T) {
	built := NewHandler(builtFS())
	clean := NewHandler(fstest.MapFS{"README.txt": {Data: []byte("placeholder")}})
	cases := []struct {
		name     string
		h        http.Handler
		method   string
		path     string
		status   int
		ctype    string
		contains string
	}{
		{"root serves index", built, "GET", "/", 200, "text/html; charset=utf-8", "<title>roomgate</title>"},
		{"meeting path falls back to index", built, "GET", "/m/123456789", 200, "text/html; charset=utf-8", "<title>roomgate</title>"},
		{"unknown page falls back to index", built, "GET", "/some/page", 200, "text/html; charset=utf-8", "<title>roomgate</title>"},
		{"index.html itself", built, "GET", "/index.html", 200, "text/html; charset=utf-8", "<title>roomgate</title>"},
		{"script", built, "GET", "/app.js", 200, "text/javascript; charset=utf-8", "console.log"},
		{"stylesheet", built, "GET", "/app.css", 200, "text/css; charset=utf-8", "body{}"},
		{"dot-dot stays inside", built, "GET", "/../app.js", 200, "text/javascript; charset=utf-8", "console.log"},
		{"missing asset is 404", built, "GET", "/missing.js", 404, "", "not found"},
		{"placeholder is not served", built, "GET", "/README.txt", 404, "", "not found"},
		{"api paths are not the page", built, "GET", "/api/v1/nothing", 404, "", "not found"},
		{"head works", built, "HEAD", "/", 200, "text/html; charset=utf-8", ""},
		{"post refused", built, "POST", "/", 405, "", "method not allowed"},
		{"clean checkout root is 503", clean, "GET", "/", 503, "text/html; charset=utf-8", "web bundle not built: run make"},
		{"clean checkout meeting is 503", clean, "GET", "/m/123456789", 503, "text/html; charset=utf-8", "web bundle not built: run make"},
		{"clean checkout asset is 404", clean, "GET", "/app.js", 404, "", "not found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			tc.h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			res := rec.Result()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (body %q)", res.StatusCode, tc.status, body)
			}
			if tc.ctype != "" && res.Header.Get("Content-Type") != tc.ctype {
				t.Errorf("Content-Type %q, want %q", res.Header.Get("Content-Type"), tc.ctype)
			}
			if !strings.Contains(string(body), tc.contains) {
				t.Errorf("body %q does not contain %q", body, tc.contains)
			}
			if tc.method == "HEAD" && len(body) != 0 {
				t.Errorf("HEAD returned a body of %d bytes", len(body))
			}
		})
	}
}

func TestHandlerETagRevalidation(t *testing.T) {
	h := NewHandler(builtFS())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/app.js", nil))
	etag := rec.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on a static file")
	}
	req := httptest.NewRequest("GET", "/app.js", nil)
	req.Header.Set("If-None-Match", etag)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Fatalf("revalidation status %d, want 304", rec.Code)
	}
}

// TestEmbeddedHandler checks the real embedded dist: built or not, the routes must
// answer with the page or the 503 placeholder, never a 404 or a panic.
func TestEmbeddedHandler(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/m/123456789", nil))
	switch rec.Code {
	case http.StatusOK:
		if !strings.Contains(rec.Body.String(), `src="/app.js"`) {
			t.Errorf("built index.html does not load /app.js: %q", rec.Body.String())
		}
	case http.StatusServiceUnavailable:
		if !strings.Contains(rec.Body.String(), "web bundle not built: run make") {
			t.Errorf("503 body %q", rec.Body.String())
		}
	default:
		t.Fatalf("status %d", rec.Code)
	}
}

func TestHandlerGzip(t *testing.T) {
	big := bytes.Repeat([]byte("console.log('roomgate');\n"), 200)
	h := NewHandler(fstest.MapFS{
		"index.html": {Data: []byte("<!doctype html>")},
		"app.js":     {Data: big},
	})
	cases := []struct {
		name   string
		accept string
		gzip   bool
	}{
		{"no header", "", false},
		{"gzip", "gzip", true},
		{"list with gzip", "br, gzip, deflate", true},
		{"wildcard", "*", true},
		{"gzip refused with q=0", "gzip;q=0", false},
		{"gzip refused with q=0.000", "gzip; q=0.000", false},
		{"gzip with low weight", "gzip;q=0.1", true},
		{"other codings only", "br, deflate", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/app.js", nil)
			if tc.accept != "" {
				req.Header.Set("Accept-Encoding", tc.accept)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				t.Fatalf("status %d", rec.Code)
			}
			if rec.Header().Get("Vary") != "Accept-Encoding" {
				t.Errorf("Vary %q", rec.Header().Get("Vary"))
			}
			got := rec.Body.Bytes()
			if gz := rec.Header().Get("Content-Encoding") == "gzip"; gz != tc.gzip {
				t.Fatalf("Content-Encoding %q, want gzip=%v", rec.Header().Get("Content-Encoding"), tc.gzip)
			}
			if tc.gzip {
				zr, err := gzip.NewReader(bytes.NewReader(got))
				if err != nil {
					t.Fatal(err)
				}
				if got, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
				if rec.Body.Len() >= len(big)/4 {
					t.Errorf("compressed %d bytes to %d", len(big), rec.Body.Len())
				}
			}
			if !bytes.Equal(got, big) {
				t.Errorf("body differs from the file (%d bytes, want %d)", len(got), len(big))
			}
		})
	}
	// small files are not compressed
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Header().Get("Content-Encoding") != "" || rec.Body.String() != "<!doctype html>" {
		t.Errorf("small index: encoding %q body %q", rec.Header().Get("Content-Encoding"), rec.Body.String())
	}
}

func TestSecurityHeaders(t *testing.T) {
	h := NewHandler(builtFS())
	for _, path := range []string{"/", "/m/123456789", "/app.js", "/missing.js"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		hd := rec.Result().Header
		csp := hd.Get("Content-Security-Policy")
		for _, want := range []string{"frame-ancestors 'none'", "script-src 'self'", "connect-src 'self' ws: wss:", "media-src 'self' blob:", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-eval") || strings.Contains(strings.SplitN(strings.SplitN(csp, "script-src", 2)[1], ";", 2)[0], "unsafe-inline") {
			t.Errorf("%s: CSP allows inline or eval'd script: %q", path, csp)
		}
		if hd.Get("X-Content-Type-Options") != "nosniff" || hd.Get("Referrer-Policy") != "no-referrer" || hd.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", path, hd)
		}
	}
}
