// Go's TLS client as a program calls it, for the conformance suite.
//
//	goclient HOST PORT CAFILE
//
// tls.Dial to 127.0.0.1:PORT with ServerName HOST and RootCAs from CAFILE (the pool Go's
// x509.CertPool.AppendCertsFromPEM makes of it). Prints one JSON object: accepted, error.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"os"
	"time"
)

func report(err error) {
	out := map[string]any{"accepted": err == nil, "error": nil}
	if err != nil {
		out["error"] = err.Error()
	}
	json.NewEncoder(os.Stdout).Encode(out)
}

func main() {
	host, port, cafile := os.Args[1], os.Args[2], os.Args[3]
	// CAFILE "-": RootCAs nil, the system pool (SSL_CERT_FILE, SSL_CERT_DIR).
	var pool *x509.CertPool
	if cafile != "-" {
		pem, err := os.ReadFile(cafile)
		if err != nil {
			report(err)
			return
		}
		pool = x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	conn, err := tls.DialWithDialer(dialer, "tcp", net.JoinHostPort("127.0.0.1", port), &tls.Config{RootCAs: pool, ServerName: host})
	if err == nil {
		conn.Close()
	}
	report(err)
}
