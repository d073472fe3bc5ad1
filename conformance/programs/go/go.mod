module certcheck.test/conformance/goclient

go 1.27
