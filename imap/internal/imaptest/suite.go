package imaptest

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// Suite describes one server to run the imaptest scripts against.
type Suite struct {
	// Dir holds the scripts and their .mbox files.
	Dir string
	// Start starts a fresh server for one script and returns its
	// "host:port". It stops the server with t.Cleanup. The server must
	// accept LOGIN over plain TCP for User and Password.
	Start func(t *testing.T) string
	// User and Password log in; "testuser" and "pass" when empty.
	User, Password string
	// Caps lists the capabilities the server announces; a script whose
	// "capabilities:" header names another one is skipped, as upstream
	// imaptest does.
	Caps []string
	// Pass lists the scripts that must pass: one of them failing, or not
	// running, fails the test. Other scripts are run and reported.
	Pass []string
	// Name labels the summary line, e.g. "imapmem".
	Name string
}

func (s *Suite) vars() map[string]string {
	user, pass := s.User, s.Password
	if user == "" {
		user = "testuser"
	}
	if pass == "" {
		pass = "pass"
	}
	// mailbox_url: the mailbox name as in an IMAP URL (RFC 5092).
	return map[string]string{"mailbox": "imaptest", "mailbox_url": "imaptest", "user": user, "username": user, "password": pass, "domain": ""}
}

// Scripts lists the script names of dir in order: every file except the
// .mbox files, hidden files and the all-capitals licence and SOURCE notes.
func Scripts(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasSuffix(n, ".mbox") || strings.HasPrefix(n, ".") || strings.ToUpper(n) == n {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

// RunScript runs script name of dir against the server at addr, logging
// in with the suite's user, and returns the first mismatch.
func (s *Suite) RunScript(dir, name, addr string) error {
	sc, err := parseScript(dir, name)
	if err != nil {
		return err
	}
	r := &itRunner{s: sc, vars: s.vars()}
	return r.run(addr)
}

// Run runs every script of s.Dir as a subtest and enforces s.Pass.
func (s *Suite) Run(t *testing.T) {
	t.Helper()
	names, err := Scripts(s.Dir)
	if err != nil {
		t.Fatal(err)
	}
	caps := map[string]bool{}
	for _, c := range s.Caps {
		caps[strings.ToUpper(c)] = true
	}
	var passed, failed, skipped []string
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			sc, err := parseScript(s.Dir, name)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range sc.caps {
				if !caps[strings.ToUpper(c)] {
					skipped = append(skipped, name)
					t.Skipf("needs capability %s", c)
				}
			}
			addr := s.Start(t)
			r := &itRunner{s: sc, vars: s.vars()}
			if err := r.run(addr); err != nil {
				failed = append(failed, name)
				if slices.Contains(s.Pass, name) {
					t.Errorf("regression: %v", err)
				} else {
					t.Logf("fails (not in the pass list): %v", err)
				}
				return
			}
			passed = append(passed, name)
		})
	}
	for _, name := range s.Pass {
		if !slices.Contains(passed, name) {
			t.Errorf("script %s of the pass list did not pass", name)
		}
	}
	t.Logf("imaptest scripts against %s: %d passed %v, %d failed %v, %d skipped", s.Name, len(passed), passed, len(failed), failed, len(skipped))
}

// mismatchScripts are scripts the interpreter must reject against any
// conforming server.
var mismatchScripts = map[string]string{
	"missing untagged": "messages: 1\n\nok noop\n* 5 exists\n",
	"wrong status":     "messages: 0\n\nok select nosuchbox\n",
	"forbidden reply":  "messages: 1\n\nok fetch 1 uid\n! 1 fetch (uid $)\n",
	"wrong value":      "messages: 2\n\nok fetch 1:2 uid\n* 1 fetch (uid $u)\n* 2 fetch (uid $u)\n",
	"wrong prefix":     "state: created\n\nselect $mailbox\nok [read-only]\n",
	"banned attribute": "state: auth\n\nok list \"\" INBOX\n* list ($!unordered $!ban=\\hasnochildren) $sep INBOX\n",
}

// RunMismatch makes sure the interpreter fails on wrong expectations,
// wrong statuses, wrong reply prefixes and forbidden replies against a
// server from s.Start.
func (s *Suite) RunMismatch(t *testing.T) {
	t.Helper()
	t.Run("control", func(t *testing.T) {
		dir := writeScript(t, "messages: 1\n\nok fetch 1 uid\n* 1 fetch (uid $)\n")
		if err := s.RunScript(dir, "x", s.Start(t)); err != nil {
			t.Errorf("a script that must pass failed: %v", err)
		}
	})
	for name, script := range mismatchScripts {
		t.Run(name, func(t *testing.T) {
			dir := writeScript(t, script)
			if err := s.RunScript(dir, "x", s.Start(t)); err == nil {
				t.Error("the interpreter accepted a script that must fail")
			}
		})
	}
}

// writeScript writes script as "x" with a one-message default.mbox into a
// temporary directory and returns the directory.
func writeScript(t *testing.T, script string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "default.mbox"), []byte("From a  Fri Feb 22 17:06:23 2008\nSubject: a\n\nbody\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}
