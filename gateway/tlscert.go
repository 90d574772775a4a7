package gateway

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// sipTLSConfig is the server side of SIP over TLS (RFC 3261 §26.2): the operator's
// certificate and key, or — when none is configured — a self-signed certificate for
// the advertised host that is made on first start and kept in dataDir, so that room
// systems that pin it keep working across restarts. TLS 1.2 is the floor (RFC 8996
// retired 1.0 and 1.1).
func sipTLSConfig(certFile, keyFile, dataDir string, hosts []string, log *slog.Logger) (*tls.Config, error) {
	if certFile == "" {
		certFile = filepath.Join(dataDir, "sip_tls_cert.pem")
		keyFile = filepath.Join(dataDir, "sip_tls_key.pem")
		if _, err := os.Stat(certFile); errors.Is(err, fs.ErrNotExist) {
			if err := writeSelfSigned(certFile, keyFile, hosts); err != nil {
				return nil, err
			}
			log.Warn("SIP/TLS: no certificate configured; made a self-signed one (room systems that verify certificates need sip.tls_cert and sip.tls_key)",
				"cert", certFile, "hosts", hosts)
		}
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("sip tls certificate %s / key %s: %w", certFile, keyFile, err)
	}
	if leaf, err := x509.ParseCertificate(cert.Certificate[0]); err == nil && time.Now().After(leaf.NotAfter) {
		log.Warn("SIP/TLS certificate has expired", "cert", certFile, "not_after", leaf.NotAfter)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// writeSelfSigned makes an ECDSA P-256 certificate for hosts (IP addresses or names),
// valid ten years, and writes it and its key (mode 0600) as PEM.
func writeSelfSigned(certFile, keyFile string, hosts []string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "roomgate SIP"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true, // self-signed: it is its own issuer, so clients can trust it as a CA file
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	if len(hosts) > 0 {
		tmpl.Subject.CommonName = hosts[0]
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(certFile), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}
