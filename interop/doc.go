// Package interop holds mailkit's interoperability tests: Go tests that run the
// SDK's packages against real third-party software (NSD, Postfix, Dovecot,
// redis-server, swaks, curl, Python's smtplib/imaplib/poplib) on loopback.
//
// The package has no API; everything lives in its _test.go files. The tests
// skip unless MAILKIT_INTEROP=1, so "go test ./..." passes on a bare machine.
// interop/run installs the software (apt-get), starts private instances with
// state under $MAILKIT_PEERS_DIR (default /tmp/mailkit-peers), runs
// "go test -count=1 ./interop/..." with MAILKIT_INTEROP=1, and stops exactly
// the processes it started, also on failure. The scripts are in interop/lib/
// and the DNS zones that NSD serves are in interop/zones/.
//
// Shared test helpers (port constants, the test CA, the state directory) are
// documented at the top of helpers_test.go.
package interop
