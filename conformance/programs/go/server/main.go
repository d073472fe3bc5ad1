// A TLS server for the cases OpenSSL's server will not serve, for the conformance suite.
//
//	goserver CHAIN.pem KEY.pem MAXVERSION
//
// OpenSSL's server refuses to send a leaf whose own signature algorithm is missing from the
// client's signature_algorithms_cert list (an MD5-signed leaf to Java or Go), so those clients
// would never see the chain. Go's server, given a single certificate, sends it as it is. Listens
// on 127.0.0.1:0, prints "PORT n", answers each connection with a tiny HTTP 200 and exits when
// its standard input closes.
package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func main() {
	chainPEM, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail(err)
	}
	keyPEM, err := os.ReadFile(os.Args[2])
	if err != nil {
		fail(err)
	}
	var cert tls.Certificate
	for block, rest := pem.Decode(chainPEM); block != nil; block, rest = pem.Decode(rest) {
		cert.Certificate = append(cert.Certificate, block.Bytes)
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		fail(fmt.Errorf("no key in %s", os.Args[2]))
	}
	if cert.PrivateKey, err = x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
		fail(err)
	}
	maxVersion := uint16(tls.VersionTLS13)
	if len(os.Args) > 3 && os.Args[3] == "1.2" {
		maxVersion = tls.VersionTLS12
	}
	config := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, MaxVersion: maxVersion}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", config)
	if err != nil {
		fail(err)
	}
	fmt.Printf("PORT %d\n", ln.Addr().(*net.TCPAddr).Port)
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	for {
		conn, err := ln.Accept()
		if err != nil {
			continue
		}
		go handle(conn)
	}
}

func handle(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(15 * time.Second))
	reader := bufio.NewReader(conn)
	for {
		line, err := reader.ReadString('\n')
		if err != nil {
			return
		}
		if line == "\r\n" || line == "\n" {
			break
		}
	}
	io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
}
