// Package web serves the browser meeting UI: a single-page app on livekit-client,
// bundled by esbuild into dist/ (npm run build) and embedded into the binary.
//
// Routes: files in dist are served as they are; "/", "/m/{id}" and every other path
// without a file extension get index.html (SPA fallback); paths under /api/ are never
// answered with the page. Before the bundle is built (a clean checkout has only
// dist/README.txt) every page request gets 503 "web bundle not built: run make".
// Text files are gzip-compressed once at start-up and sent compressed to clients that
// accept it (RFC 9110 section 12.5.3); every file carries a content-hash ETag.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

//go:embed all:dist
var embedded embed.FS

// Handler returns the handler for the embedded web UI.
func Handler() http.Handler {
	sub, err := fs.Sub(embedded, "dist")
	if err != nil {
		// fs.Sub only fails on an invalid name; "dist" is valid.
		panic(fmt.Errorf("web: embedded dist: %w", err))
	}
	return NewHandler(sub)
}

// contentType is fixed here rather than taken from the system MIME tables, so every
// host serves the same headers; other files are sniffed.
func contentType(name string, body []byte) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".map", ".json":
		return "application/json"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".ico":
		return "image/x-icon"
	case ".woff2":
		return "font/woff2"
	case ".txt":
		return "text/plain; charset=utf-8"
	case ".wasm":
		return "application/wasm"
	}
	return http.DetectContentType(body)
}

type file struct {
	body  []byte
	gz    []byte // gzip of body when that is worth it (text files), else nil
	ctype string
	etag  string
}

// minGzip is the size below which compressing is not worth a round of CPU.
const minGzip = 1024

func compress(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // a valid level never fails
	_, _ = zw.Write(b)                                       // writes to a bytes.Buffer do not fail
	if zw.Close() != nil || buf.Len() >= len(b) {
		return nil
	}
	return buf.Bytes()
}

// acceptsGzip reads Accept-Encoding (RFC 9110 section 12.5.3): gzip or *, unless q=0.
func acceptsGzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "*" {
			continue
		}
		if v, ok := strings.CutPrefix(strings.ReplaceAll(strings.ToLower(params), " ", ""), "q="); ok {
			if q, err := strconv.ParseFloat(v, 64); err == nil && q == 0 {
				continue
			}
		}
		return true
	}
	return false
}

type handler struct {
	files map[string]file // keyed by clean path without leading slash
	index *file
}

// NewHandler serves the files of fsys (the content of a built dist directory) with
// the SPA fallback to index.html. It reads every file once, up front.
func NewHandler(fsys fs.FS) http.Handler {
	h := &handler{files: map[string]file{}}
	_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil
		}
		sum := sha256.Sum256(body)
		f := file{body: body, ctype: contentType(p, body), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		if len(body) >= minGzip && (strings.HasPrefix(f.ctype, "text/") || strings.HasPrefix(f.ctype, "application/json") || f.ctype == "image/svg+xml") {
			f.gz = compress(body)
		}
		h.files[p] = f
		return nil
	})
	if f, ok := h.files["index.html"]; ok {
		h.index = &f
	}
	return h
}

// ContentSecurityPolicy is sent with every page and file. The page is one script
// and one stylesheet of our own origin: no inline script, no eval, nothing from
// elsewhere. connect-src allows WebSockets and HTTPS anywhere because the meeting
// core may be an external LiveKit (GET /api/v1/info names it); media-src and
// img-src allow blob: and mediastream: for livekit-client's <video>/<audio>
// elements. Inline style attributes stay allowed (layout custom properties).
// frame-ancestors 'none' keeps the page out of other sites' frames (clickjacking
// of host controls).
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; media-src 'self' blob: mediastream:; connect-src 'self' ws: wss: https:; " +
	"worker-src 'self' blob:; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the headers every response of the web UI carries.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY") // for browsers without frame-ancestors
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer") // meeting IDs are in page URLs
	h.Set("Permissions-Policy", "camera=(self), microphone=(self), display-capture=(self)")
}

const notBuilt = `<!doctype html><meta charset="utf-8"><title>roomgate</title>
<h1>web bundle not built: run make</h1>
<p>The web UI is built by <code>make</code> (npm ci &amp;&amp; npm run build in rooms/web).</p>
`

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if p == "api" || strings.HasPrefix(p, "api/") {
		http.NotFound(w, r)
		return
	}
	securityHeaders(w.Header())
	f, ok := h.files[p]
	if !ok || p == "README.txt" {
		if path.Ext(p) != "" {
			// a missing asset is a 404, not the page: a broken <script> must fail loudly
			http.NotFound(w, r)
			return
		}
		if h.index == nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(notBuilt))
			return
		}
		f = *h.index
	}
	hd := w.Header()
	hd.Set("Content-Type", f.ctype)
	// file names carry no content hash, so browsers revalidate every time (cheap with ETag)
	hd.Set("Cache-Control", "no-cache")
	body, etag := f.body, f.etag
	if f.gz != nil {
		hd.Set("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			body, etag = f.gz, strings.TrimSuffix(f.etag, `"`)+`-gz"`
			hd.Set("Content-Encoding", "gzip")
		}
	}
	hd.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}
