// Package imaptest runs Dovecot imaptest scripts against an IMAP server
// listening on loopback. It is test support for mailkit's own IMAP
// packages: import it only from _test.go files.
//
// The interpreter implements the subset of the imaptest format the scripts
// in imap/imapserver/testdata/imaptest (MIT licence, see SOURCE there) use:
// header keys, the three command forms, pipelined tags, several
// connections, variables (bound on first use), "$" wildcards, list
// directives and their defaults, {{{ }}} literals, "append" with the next
// mbox message and * / ! / ? expectations. Deviations: "$n" sequence
// variables accept any number up to n; FETCH expectations may be met by
// one merged response; $modseqN is not supported.
//
// [Suite.Run] runs every script of a directory as a subtest, each against
// a fresh server from [Suite.Start], and fails when a script of the pass
// list fails. [Suite.RunMismatch] checks that the interpreter itself
// reports wrong expectations against the same server.
package imaptest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/mailkit-go/mailkit/imap"
)

type itExpect struct {
	kind byte // '*', '!', '?'
	text string
}

type itCmd struct {
	conn      int
	label     string // tagN label of form 3
	text      string
	status    string // "ok", "no", "bad", "" (any); "?" = not given yet
	prefix    string
	statusSet bool
}

type itGroup struct {
	cmds    []*itCmd
	expects []itExpect
	line    int
}

type itScript struct {
	name        string
	caps        []string
	conns       int
	state       string
	messages    int // -1: all
	ignoreExtra bool
	groups      []*itGroup
	mbox        [][]byte
	dates       []time.Time
}

var (
	itStatusRe = regexp.MustCompile(`(?is)^(ok|no|bad|"")(\s+(.*))?$`)
	itTagRe    = regexp.MustCompile(`^tag\w*$`)
)

// parseScript reads script name of dir and its mbox file (name.mbox, or
// default.mbox when there is none).
func parseScript(dir, name string) (*itScript, error) {
	raw, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	s := &itScript{name: name, conns: 1, state: "selected", messages: 0, ignoreExtra: true}
	// Lines keep a trailing CR for ~{{{ literals, which preserve line endings.
	rawLines := strings.Split(string(raw), "\n")
	lines := make([]string, len(rawLines))
	for i, l := range rawLines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	i := 0
	for ; i < len(lines) && lines[i] != ""; i++ {
		k, v, _ := strings.Cut(lines[i], ":")
		v = strings.TrimSpace(v)
		switch strings.ToLower(k) {
		case "capabilities":
			s.caps = strings.Fields(v)
		case "connections":
			s.conns, _ = strconv.Atoi(v)
		case "state":
			s.state = strings.ToLower(v)
		case "messages":
			if v == "all" {
				s.messages = -1
			} else {
				s.messages, _ = strconv.Atoi(v)
			}
		case "ignore_extra_untagged":
			s.ignoreExtra = v != "no"
		}
	}
	// Join {{{ literals and drop comments and !if blocks (no variables set).
	var body []string
	var lineNos []int
	skip := []bool{}
	for i++; i < len(lines); i++ {
		l := lines[i]
		switch {
		case strings.HasPrefix(l, "!ifenv"):
			skip = append(skip, true)
			continue
		case strings.HasPrefix(l, "!ifnenv"):
			skip = append(skip, false)
			continue
		case strings.HasPrefix(l, "!else") && len(skip) > 0:
			skip[len(skip)-1] = !skip[len(skip)-1]
			continue
		case strings.HasPrefix(l, "!endif") && len(skip) > 0:
			skip = skip[:len(skip)-1]
			continue
		}
		if len(skip) > 0 && skip[len(skip)-1] {
			continue
		}
		if strings.HasPrefix(l, "#") || strings.HasPrefix(l, "!sleep") || strings.HasPrefix(l, "!output") {
			continue
		}
		start := i
		// A line may hold several literals ("{{{ ... }}} {{{ ... }}}").
		joined := ""
		for strings.HasSuffix(l, "{{{") {
			binary := strings.HasSuffix(l, "~{{{")
			var lit []string
			for i++; i < len(lines) && !strings.HasPrefix(lines[i], "}}}"); i++ {
				if binary {
					lit = append(lit, rawLines[i])
				} else {
					lit = append(lit, lines[i])
				}
			}
			data := strings.Join(lit, "\r\n")
			if binary {
				data = strings.Join(lit, "\n")
			}
			tail := ""
			if i < len(lines) {
				tail = strings.TrimPrefix(lines[i], "}}}")
			}
			joined += strings.TrimSuffix(l, "{{{") + "{" + strconv.Itoa(len(data)) + "}\r\n" + data
			l = tail
		}
		l = joined + l
		body = append(body, l)
		lineNos = append(lineNos, start+1)
	}
	var cur *itGroup
	closeGroup := func() {
		if cur != nil && len(cur.cmds) > 0 {
			s.groups = append(s.groups, cur)
		}
		cur = nil
	}
	pending := func() *itCmd {
		if cur == nil {
			return nil
		}
		for _, c := range cur.cmds {
			if !c.statusSet {
				return c
			}
		}
		return nil
	}
	for k, l := range body {
		if strings.TrimSpace(l) == "" {
			closeGroup()
			continue
		}
		if l[0] == '*' || l[0] == '!' || l[0] == '?' {
			if cur == nil {
				cur = &itGroup{line: lineNos[k]}
			}
			cur.expects = append(cur.expects, itExpect{kind: l[0], text: strings.TrimSpace(l[1:])})
			continue
		}
		conn := 1
		rest := l
		if s.conns > 1 {
			f, r, _ := strings.Cut(l, " ")
			if n, err := strconv.Atoi(f); err == nil {
				conn, rest = n, r
			}
		}
		label := ""
		if f, r, ok := strings.Cut(rest, " "); ok && itTagRe.MatchString(f) {
			label, rest = f, r
		} else if itTagRe.MatchString(rest) {
			label, rest = rest, ""
		}
		if m := itStatusRe.FindStringSubmatch(rest); m != nil {
			// A reply line for a pending command?
			var p *itCmd
			if label != "" && cur != nil {
				for _, c := range cur.cmds {
					if c.label == label && !c.statusSet {
						p = c
					}
				}
			} else if label == "" {
				p = pending()
			}
			if p != nil {
				p.status, p.prefix, p.statusSet = strings.ToLower(strings.Trim(m[1], `"`)), m[3], true
				continue
			}
			// Form 1: status then command.
			closeGroup()
			cur = &itGroup{line: lineNos[k]}
			cur.cmds = append(cur.cmds, &itCmd{conn: conn, status: strings.ToLower(strings.Trim(m[1], `"`)), text: m[3], statusSet: true})
			continue
		}
		if label != "" && cur != nil && len(cur.expects) == 0 && len(cur.cmds) > 0 && cur.cmds[0].label != "" {
			cur.cmds = append(cur.cmds, &itCmd{conn: conn, label: label, text: rest, status: "?"})
			continue
		}
		closeGroup()
		cur = &itGroup{line: lineNos[k]}
		cur.cmds = append(cur.cmds, &itCmd{conn: conn, label: label, text: rest, status: "?"})
	}
	closeGroup()

	// Messages.
	mboxName := name + ".mbox"
	if _, err := os.Stat(filepath.Join(dir, mboxName)); err != nil {
		mboxName = "default.mbox"
	}
	mb, err := os.ReadFile(filepath.Join(dir, mboxName))
	if err != nil {
		return nil, err
	}
	for _, m := range regexp.MustCompile(`(?m)^From `).Split(strings.ReplaceAll(string(mb), "\r\n", "\n"), -1)[1:] {
		from, msg, _ := strings.Cut(m, "\n")
		f := strings.Fields(from)
		var date time.Time
		if len(f) >= 6 {
			date, _ = time.Parse("Mon Jan 2 15:04:05 2006", strings.Join(f[1:6], " "))
			if len(f) >= 7 {
				if d, err := time.Parse("Mon Jan 2 15:04:05 2006 -0700", strings.Join(f[1:7], " ")); err == nil {
					date = d
				}
			}
		}
		s.mbox = append(s.mbox, []byte(strings.ReplaceAll(msg, "\n", "\r\n")))
		s.dates = append(s.dates, date)
	}
	return s, nil
}

// itConn is one client connection of a script.
type itConn struct {
	c   net.Conn
	br  *bufio.Reader
	got []itResp
}

type itResp struct {
	raw  string
	vals []imap.Value
	text string // text after the status word of a status response
}

func (c *itConn) readLine() (string, error) {
	_ = c.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var sb strings.Builder
	for {
		l, err := c.br.ReadString('\n')
		if err != nil {
			return sb.String() + l, err
		}
		sb.WriteString(l)
		t := strings.TrimRight(l, "\r\n")
		if strings.HasSuffix(t, "}") {
			if j := strings.LastIndexByte(t, '{'); j >= 0 {
				if n, err := strconv.Atoi(strings.TrimSuffix(t[j+1:len(t)-1], "+")); err == nil {
					buf := make([]byte, n)
					if _, err := readFull(c.br, buf); err != nil {
						return "", err
					}
					sb.Write(buf)
					continue
				}
			}
		}
		return sb.String(), nil
	}
}

func readFull(r *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		k, err := r.Read(b[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func parseVals(s string) []imap.Value {
	d := imap.NewDecoder(bufio.NewReader(strings.NewReader(s+"\r\n")), &imap.Limits{MaxDepth: 100})
	var vals []imap.Value
	for !d.AtEOL() {
		d.Accept(' ')
		if d.AtEOL() {
			break
		}
		v, err := d.ReadValue()
		if err != nil {
			// Unparsable remainder: keep it as one atom.
			rest, _ := d.Word(func(b byte) bool { return b != '\r' && b != '\n' })
			vals = append(vals, imap.Atom(rest))
			break
		}
		vals = append(vals, v)
	}
	return vals
}

type itRunner struct {
	s     *itScript
	conns []*itConn
	vars  map[string]string
	tag   int
	next  int // next mbox message for "append"
}

var itVarRe = regexp.MustCompile(`\$\$|\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*`)

// subst replaces known variables in a command.
func (r *itRunner) subst(s string) string {
	return itVarRe.ReplaceAllStringFunc(s, func(v string) string {
		if v == "$$" {
			return "$"
		}
		name := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(v, "$"), "{"), "}")
		if val, ok := r.vars[name]; ok {
			return val
		}
		return v
	})
}

// prepExpect prepares an expectation for parsing: known variables
// substituted, "${x}" turned into "$x", "$$" protected.
func (r *itRunner) prepExpect(s string) string {
	// "$!ban=\flag" is kept one atom: a backslash cannot be inside one.
	s = strings.ReplaceAll(s, `$!ban=\`, "$!ban=~BSL~")
	return itVarRe.ReplaceAllStringFunc(s, func(v string) string {
		if v == "$$" {
			return "~DLR~"
		}
		name := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(v, "$"), "{"), "}")
		if strings.HasPrefix(name, "case:") {
			return "$" + name
		}
		if val, ok := r.vars[name]; ok {
			if imap.IsAtom(val) {
				return val
			}
			return "{" + strconv.Itoa(len(val)) + "}\r\n" + val
		}
		return "$" + name
	})
}

func (r *itRunner) send(c *itConn, tag, text string) error {
	text = r.subst(text)
	// "append" without a message appends the next mbox message.
	f := strings.Fields(text)
	if len(f) > 0 && strings.EqualFold(f[0], "append") && !strings.HasSuffix(strings.TrimSpace(text), "}") && !strings.Contains(text, "}\r\n") {
		if len(f) == 1 {
			text += " " + r.vars["mailbox"]
		}
		msg := r.s.mbox[r.next%len(r.s.mbox)]
		r.next++
		text += " {" + strconv.Itoa(len(msg)) + "+}\r\n" + string(msg)
	}
	// Literals from {{{ }}} are sent as LITERAL+.
	text = regexp.MustCompile(`\{(\d+)\}\r\n`).ReplaceAllString(text, "{$1+}\r\n")
	_ = c.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := c.c.Write([]byte(tag + " " + text + "\r\n"))
	return err
}

// await reads until the tagged replies of tags arrive; returns status and text per tag.
func (r *itRunner) await(c *itConn, tags map[string]*[2]string) error {
	left := len(tags)
	for left > 0 {
		l, err := c.readLine()
		if err != nil {
			return fmt.Errorf("reading: %v (got %q)", err, l)
		}
		l = strings.TrimRight(l, "\r\n")
		if strings.HasPrefix(l, "* ") {
			resp := itResp{raw: l, vals: parseVals(l[2:])}
			if len(resp.vals) > 0 {
				if a, ok := resp.vals[0].(imap.Atom); ok {
					switch strings.ToUpper(string(a)) {
					case "OK", "NO", "BAD", "BYE", "PREAUTH":
						_, resp.text, _ = strings.Cut(l[2:], " ")
					}
				}
			}
			c.got = append(c.got, resp)
			continue
		}
		if strings.HasPrefix(l, "+") {
			continue
		}
		tag, rest, _ := strings.Cut(l, " ")
		st, text, _ := strings.Cut(rest, " ")
		if p, ok := tags[tag]; ok {
			p[0], p[1] = strings.ToLower(st), text
			left--
		}
	}
	return nil
}

func (r *itRunner) login(c *itConn, state string) error {
	steps := []string{"login " + imapQuote(r.vars["user"]) + " " + imapQuote(r.vars["password"])}
	switch state {
	case "auth":
	case "created", "appended", "selected":
		steps = append(steps, "create "+r.vars["mailbox"])
	}
	for _, s := range steps {
		if err := r.simple(c, s); err != nil {
			return err
		}
	}
	return nil
}

func (r *itRunner) simple(c *itConn, cmd string) error {
	r.tag++
	tag := "S" + strconv.Itoa(r.tag)
	if _, err := c.c.Write([]byte(tag + " " + cmd + "\r\n")); err != nil {
		return err
	}
	res := map[string]*[2]string{tag: {}}
	if err := r.await(c, res); err != nil {
		return err
	}
	if res[tag][0] != "ok" {
		return fmt.Errorf("setup %q: %s %s", cmd, res[tag][0], res[tag][1])
	}
	c.got = nil
	return nil
}

// imapQuote returns s as an atom when it is one, else as a quoted string.
func imapQuote(s string) string {
	if imap.IsAtom(s) {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func (r *itRunner) run(addr string) error {
	s := r.s
	for i := 0; i < s.conns; i++ {
		nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			return err
		}
		c := &itConn{c: nc, br: bufio.NewReader(nc)}
		r.conns = append(r.conns, c)
		if _, err := c.readLine(); err != nil {
			return err
		}
	}
	defer func() {
		for _, c := range r.conns {
			_ = c.c.Close()
		}
	}()
	if s.state != "nonauth" {
		for i, c := range r.conns {
			st := s.state
			if i > 0 && st != "auth" {
				st = "auth" // the mailbox exists already
			}
			if err := r.login(c, st); err != nil {
				return err
			}
		}
		if s.state == "appended" || s.state == "selected" {
			n := s.messages
			if n < 0 {
				n = len(s.mbox)
			}
			for i := 0; i < n; i++ {
				msg := s.mbox[i%len(s.mbox)]
				date := ""
				if d := s.dates[i%len(s.dates)]; !d.IsZero() {
					date = ` "` + d.Format(imap.DateTimeLayout) + `"`
				}
				if err := r.simple(r.conns[0], fmt.Sprintf("append %s%s {%d+}\r\n%s", r.vars["mailbox"], date, len(msg), msg)); err != nil {
					return err
				}
			}
			r.next = n
		}
		if s.state == "selected" {
			for _, c := range r.conns {
				if err := r.simple(c, "select "+r.vars["mailbox"]); err != nil {
					return err
				}
			}
		}
	}
	for _, g := range s.groups {
		if err := r.runGroup(g); err != nil {
			return fmt.Errorf("line %d (%s): %w", g.line, g.cmds[0].text, err)
		}
	}
	return nil
}

func (r *itRunner) runGroup(g *itGroup) error {
	for _, c := range r.conns {
		c.got = nil
	}
	results := map[*itCmd]*[2]string{}
	if g.cmds[0].label != "" {
		c := r.conns[g.cmds[0].conn-1]
		tags := map[string]*[2]string{}
		for _, cmd := range g.cmds {
			r.tag++
			tag := "P" + strconv.Itoa(r.tag)
			if err := r.send(c, tag, cmd.text); err != nil {
				return err
			}
			results[cmd] = &[2]string{}
			tags[tag] = results[cmd]
		}
		if err := r.await(c, tags); err != nil {
			return err
		}
	} else {
		for _, cmd := range g.cmds {
			if cmd.conn < 1 || cmd.conn > len(r.conns) {
				return fmt.Errorf("bad connection %d", cmd.conn)
			}
			c := r.conns[cmd.conn-1]
			r.tag++
			tag := "C" + strconv.Itoa(r.tag)
			r.vars["tag"] = tag // $tag is the current command's tag
			if err := r.send(c, tag, cmd.text); err != nil {
				return err
			}
			results[cmd] = &[2]string{}
			if err := r.await(c, map[string]*[2]string{tag: results[cmd]}); err != nil {
				return err
			}
		}
	}
	for _, cmd := range g.cmds {
		res := results[cmd]
		if cmd.status != "" && cmd.status != "?" && cmd.status != res[0] {
			return fmt.Errorf("status %s %q, want %s", res[0], res[1], cmd.status)
		}
		if cmd.prefix != "" {
			vars := r.copyVars()
			if !r.matchText(cmd.prefix, res[1], vars) {
				return fmt.Errorf("reply %q does not start with %q", res[1], cmd.prefix)
			}
			r.vars = vars
		}
	}
	var got []itResp
	for _, c := range r.conns {
		got = append(got, c.got...)
	}
	for _, e := range g.expects {
		exp := parseVals(r.prepExpect(e.text))
		found := false
		for _, resp := range got {
			vars := r.copyVars()
			if r.matchLine(exp, e.text, resp, vars) {
				found = true
				if e.kind != '!' {
					r.vars = vars
				}
				break
			}
		}
		switch {
		case e.kind == '*' && !found:
			var raws []string
			for _, g := range got {
				raws = append(raws, g.raw)
			}
			return fmt.Errorf("missing untagged %q; got %q", e.text, raws)
		case e.kind == '!' && found:
			return fmt.Errorf("forbidden untagged %q received", e.text)
		}
	}
	return nil
}

func (r *itRunner) copyVars() map[string]string {
	m := make(map[string]string, len(r.vars))
	for k, v := range r.vars {
		m[k] = v
	}
	return m
}

func itText(v imap.Value) (string, bool) {
	switch x := v.(type) {
	case imap.Atom:
		return string(x), true
	case string:
		return x, true
	case nil:
		return "NIL", true
	}
	return "", false
}

// matchVar handles an expected atom that is a variable; ok reports
// whether it was one.
func (r *itRunner) matchVar(e string, got imap.Value, vars map[string]string, seqPos bool) (isVar, match bool) {
	if !strings.HasPrefix(e, "$") || strings.HasPrefix(e, "$!") {
		return false, false
	}
	if e == "$" {
		return true, true
	}
	name := e[1:]
	gs, ok := itText(got)
	if strings.HasPrefix(name, "case:") {
		return true, ok && gs == strings.ReplaceAll(name[5:], "~DLR~", "$")
	}
	if n, err := strconv.Atoi(name); err == nil && seqPos {
		g, err := strconv.Atoi(gs)
		return true, ok && err == nil && g <= n && g >= 1
	}
	if !ok {
		return true, false
	}
	if v, bound := vars[name]; bound {
		return true, strings.EqualFold(v, gs)
	}
	vars[name] = gs
	return true, true
}

type listMode struct {
	ordered bool
	chunk   int
	noextra bool
	ignore  []string
	ban     []string // values that must not be in the list ($!ban=)
}

func (r *itRunner) matchValue(exp, got imap.Value, vars map[string]string, mode *listMode) bool {
	switch e := exp.(type) {
	case imap.Atom:
		if isVar, ok := r.matchVar(string(e), got, vars, false); isVar {
			return ok
		}
		gs, ok := itText(got)
		return ok && strings.EqualFold(strings.ReplaceAll(string(e), "~DLR~", "$"), gs)
	case string:
		gs, ok := itText(got)
		if got == nil {
			gs = ""
		}
		return ok && strings.EqualFold(cString(e), cString(gs))
	case nil:
		gs, ok := itText(got)
		return ok && (got == nil || strings.EqualFold(gs, "NIL"))
	case []imap.Value:
		gl, ok := got.([]imap.Value)
		if !ok {
			return false
		}
		m := listMode{ordered: true, chunk: 1, noextra: true}
		if mode != nil {
			m = *mode
		}
		var items []imap.Value
		explicit := false
		for _, x := range e {
			if a, ok := x.(imap.Atom); ok && strings.HasPrefix(string(a), "$!") {
				if !explicit {
					m = listMode{ordered: true, chunk: 1, noextra: true}
					explicit = true
				}
				d := strings.ToLower(string(a[2:]))
				switch {
				case d == "ordered":
					m.ordered = true
				case strings.HasPrefix(d, "unordered"):
					m.ordered, m.noextra, m.chunk = false, false, 1
					if _, n, ok := strings.Cut(d, "="); ok {
						m.chunk, _ = strconv.Atoi(n)
					}
				case d == "noextra":
					m.noextra = true
				case d == "extra":
					m.noextra = false
				case strings.HasPrefix(d, "ignore="):
					m.ignore = append(m.ignore, d[7:])
				case strings.HasPrefix(d, "ban="):
					m.ban = append(m.ban, strings.ReplaceAll(d[4:], "~bsl~", `\`))
				}
				continue
			}
			items = append(items, x)
		}
		return r.matchList(items, gl, vars, m)
	}
	return false
}

func (r *itRunner) matchList(exp, got []imap.Value, vars map[string]string, m listMode) bool {
	for _, g := range got {
		s, _ := itText(g)
		for _, b := range m.ban {
			if strings.EqualFold(b, s) {
				return false
			}
		}
	}
	if m.ordered {
		if len(exp) != len(got) && m.noextra || len(exp) > len(got) {
			return false
		}
		for i := range exp {
			if !r.matchValue(exp[i], got[i], vars, r.childMode(exp, i)) {
				return false
			}
		}
		return true
	}
	if m.chunk < 1 {
		m.chunk = 1
	}
	used := make([]bool, (len(got)+m.chunk-1)/m.chunk)
	for i := 0; i+m.chunk <= len(exp); i += m.chunk {
		found := false
		for j := 0; j+m.chunk <= len(got); j += m.chunk {
			if used[j/m.chunk] {
				continue
			}
			trial := copyMap(vars)
			ok := true
			for k := 0; k < m.chunk; k++ {
				if !r.matchValue(exp[i+k], got[j+k], trial, r.childMode(exp, i+k)) {
					ok = false
					break
				}
			}
			if ok {
				for k, v := range trial {
					vars[k] = v
				}
				used[j/m.chunk] = true
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if m.noextra {
		for j := 0; j+m.chunk <= len(got); j += m.chunk {
			if used[j/m.chunk] {
				continue
			}
			s, _ := itText(got[j])
			ignored := false
			for _, ig := range m.ignore {
				if strings.EqualFold(ig, s) {
					ignored = true
				}
			}
			if !ignored {
				return false
			}
		}
	}
	return true
}

// childMode returns the default mode of a list that follows a keyword.
func (r *itRunner) childMode(exp []imap.Value, i int) *listMode {
	if i == 0 {
		return nil
	}
	k, _ := itText(exp[i-1])
	switch strings.ToUpper(k) {
	case "FLAGS":
		return &listMode{chunk: 1, noextra: true, ignore: []string{`\recent`}}
	}
	return nil
}

func copyMap(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// matchLine matches an untagged expectation against a response.
func (r *itRunner) matchLine(exp []imap.Value, raw string, got itResp, vars map[string]string) bool {
	if len(exp) == 0 || len(got.vals) == 0 {
		return false
	}
	first, _ := itText(exp[0])
	switch strings.ToUpper(first) {
	case "OK", "NO", "BAD", "BYE", "PREAUTH":
		g, _ := itText(got.vals[0])
		if !strings.EqualFold(g, first) {
			return false
		}
		_, rest, _ := strings.Cut(r.prepExpect(raw), " ")
		return r.matchText(rest, got.text, vars)
	}
	// Sequence number position.
	i := 0
	if isVar, ok := r.matchVar(first, got.vals[0], vars, true); isVar {
		if !ok {
			return false
		}
		i = 1
	}
	if len(exp) != len(got.vals) {
		return false
	}
	kw := ""
	for ; i < len(exp); i++ {
		var mode *listMode
		if s, ok := itText(exp[i-min(i, 1)]); ok && i > 0 {
			kw = strings.ToUpper(s)
		}
		switch kw {
		case "FETCH":
			mode = &listMode{chunk: 2}
		case "LIST", "LSUB":
			mode = &listMode{chunk: 1}
		}
		if i > 0 {
			if s, _ := itText(exp[i-1]); strings.EqualFold(s, "STATUS") || (i > 1 && func() bool { s, _ := itText(exp[i-2]); return strings.EqualFold(s, "STATUS") }()) {
				mode = &listMode{chunk: 2}
			}
		}
		if !r.matchValue(exp[i], got.vals[i], vars, mode) {
			return false
		}
	}
	return true
}

var itTokRe = regexp.MustCompile(`[\[\]()]|"[^"]*"|[^\s\[\]()]+`)

// matchText matches expected tokens as a prefix of got's tokens.
func (r *itRunner) matchText(exp, got string, vars map[string]string) bool {
	et := itTokRe.FindAllString(r.prepExpect(exp), -1)
	gt := itTokRe.FindAllString(got, -1)
	if len(et) > len(gt) {
		return false
	}
	for i, e := range et {
		e = strings.Trim(e, `"`)
		g := strings.Trim(gt[i], `"`)
		if isVar, ok := r.matchVar(e, imap.Atom(g), vars, false); isVar {
			if !ok {
				return false
			}
			continue
		}
		if !strings.EqualFold(strings.ReplaceAll(e, "~DLR~", "$"), g) {
			return false
		}
	}
	return true
}

// imaptestPass lists the scripts that pass; the test fails if one of them
// regresses. Every copied script passes. The scripts of the snapshot not

// cString cuts s at its first NUL: upstream imaptest compares strings as
// C strings, so a literal holding a NUL (append-binary) matches only up
// to it. Forbidden ("!") replies are matched the same way.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}
