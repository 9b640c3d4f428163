// Package spfsuite loads the openspf.org SPF test suites (the YAML files
// of RFC 7208 / RFC 4408 and Mail::SPF::Iterator's misc.yml) and turns a
// scenario's zone data into DNS records, following the suite README's
// driver conventions.
//
// It is test support: it imports gopkg.in/yaml.v3, which mailkit allows in
// test code only, so it must be imported from _test.go files only (the spf
// and senderid conformance tests and interop). Being under internal/, it
// is not part of mailkit's API.
package spfsuite

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sort"

	"github.com/miekg/dns"
	"gopkg.in/yaml.v3"
)

// Scenario is one YAML document of a suite.
type Scenario struct {
	Description string           `yaml:"description"` // free-text title of the scenario
	Tests       map[string]Test  `yaml:"tests"`       // tests by name
	ZoneData    map[string][]any `yaml:"zonedata"`    // DNS records per owner name, as in the suite's YAML
}

// Test is one test of a scenario.
type Test struct {
	Helo        string    `yaml:"helo"`        // HELO/EHLO identity
	Host        string    `yaml:"host"`        // client IP address
	MailFrom    string    `yaml:"mailfrom"`    // MAIL FROM identity (may be empty)
	Result      yaml.Node `yaml:"result"`      // expected result: one name, or a list of acceptable ones
	Explanation *string   `yaml:"explanation"` // expected explanation; nil when not checked
	Spec        yaml.Node `yaml:"spec"`        // RFC section(s) the test covers: a string or a list
}

// Results returns the acceptable results, the preferred one first (a
// test's result is a single name or a list of them).
func (t Test) Results() []string {
	if t.Result.Kind == yaml.SequenceNode {
		out := make([]string, 0, len(t.Result.Content))
		for _, n := range t.Result.Content {
			out = append(out, n.Value)
		}
		return out
	}
	return []string{t.Result.Value}
}

// TestNames returns the names of the scenario's tests, sorted.
func (s Scenario) TestNames() []string {
	names := make([]string, 0, len(s.Tests))
	for n := range s.Tests {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Load reads every scenario (YAML document) of the suite file at path.
func Load(path string) ([]Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	var out []Scenario
	for {
		var s Scenario
		if err := dec.Decode(&s); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("spfsuite: %s: %w", path, err)
		}
		out = append(out, s)
	}
}

// Timeout is a name that the zone data marks TIMEOUT.
type Timeout struct {
	// Name is the owner name as written in the zone data.
	Name string
	// Types are the query types that time out: those with no record
	// listed before TIMEOUT. nil means every type.
	Types []uint16
}

// timeoutTypes are the types a TIMEOUT can cover.
var timeoutTypes = []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeMX, dns.TypePTR, dns.TypeTXT, dns.TypeSPF, dns.TypeCNAME}

// Records turns a scenario's zone data into records (TTL 300), in a
// stable order: names sorted, each name's entries in order with the types
// of an entry sorted, then the TXT copies. Conventions: SPF entries are
// also served as TXT when the name has no TXT entry; "TXT: NONE" (or
// "SPF: NONE") is no record; "TIMEOUT" ends a name's entries and is
// reported in the second result. Owner and target names get suffix
// appended unless it is "" (the root name never does).
func Records(data map[string][]any, suffix string) ([]dns.RR, []Timeout, error) {
	move := func(name string) string {
		name = dns.Fqdn(name)
		if suffix == "" || name == "." {
			return name
		}
		return name + suffix
	}
	names := make([]string, 0, len(data))
	for n := range data {
		names = append(names, n)
	}
	sort.Strings(names)
	var rrs []dns.RR
	var timeouts []Timeout
	for _, name := range names {
		entries := data[name]
		owner := move(name)
		hdr := func(rrtype uint16) dns.RR_Header {
			return dns.RR_Header{Name: owner, Rrtype: rrtype, Class: dns.ClassINET, Ttl: 300}
		}
		hasTXT := false
		for _, e := range entries {
			if m, ok := e.(map[string]any); ok {
				if _, ok := m["TXT"]; ok {
					hasTXT = true
				}
			}
		}
		var copies []dns.RR
		seen := map[uint16]bool{}
		add := func(rr dns.RR) {
			rrs = append(rrs, rr)
			seen[rr.Header().Rrtype] = true
		}
		for _, e := range entries {
			if s, ok := e.(string); ok {
				if s != "TIMEOUT" {
					return nil, nil, fmt.Errorf("spfsuite: zonedata %s: unknown entry %q", name, s)
				}
				to := Timeout{Name: name}
				if len(seen) > 0 {
					for _, ty := range timeoutTypes {
						if !seen[ty] {
							to.Types = append(to.Types, ty)
						}
					}
				}
				timeouts = append(timeouts, to)
				break
			}
			m, ok := e.(map[string]any)
			if !ok {
				return nil, nil, fmt.Errorf("spfsuite: zonedata %s: entry %v", name, e)
			}
			types := make([]string, 0, len(m))
			for typ := range m {
				types = append(types, typ)
			}
			sort.Strings(types)
			for _, typ := range types {
				v := m[typ]
				switch typ {
				case "A", "AAAA":
					a, err := netip.ParseAddr(fmt.Sprint(v))
					if err != nil {
						return nil, nil, fmt.Errorf("spfsuite: zonedata %s: %w", name, err)
					}
					if typ == "A" {
						add(&dns.A{Hdr: hdr(dns.TypeA), A: net.IP(a.AsSlice())})
					} else {
						add(&dns.AAAA{Hdr: hdr(dns.TypeAAAA), AAAA: net.IP(a.AsSlice())})
					}
				case "MX":
					l, ok := v.([]any)
					if !ok || len(l) != 2 {
						return nil, nil, fmt.Errorf("spfsuite: zonedata %s: MX %v is not [preference, host]", name, v)
					}
					pref, ok := l[0].(int)
					if !ok || pref < 0 || pref > 0xffff {
						return nil, nil, fmt.Errorf("spfsuite: zonedata %s: MX preference %v", name, l[0])
					}
					add(&dns.MX{Hdr: hdr(dns.TypeMX), Preference: uint16(pref), Mx: move(fmt.Sprint(l[1]))})
				case "PTR":
					add(&dns.PTR{Hdr: hdr(dns.TypePTR), Ptr: move(fmt.Sprint(v))})
				case "CNAME":
					add(&dns.CNAME{Hdr: hdr(dns.TypeCNAME), Target: move(fmt.Sprint(v))})
				case "TXT", "SPF":
					if s, ok := v.(string); ok && s == "NONE" {
						continue
					}
					strs := TXTStrings(v)
					if typ == "TXT" {
						add(&dns.TXT{Hdr: hdr(dns.TypeTXT), Txt: strs})
					} else {
						add(&dns.SPF{Hdr: hdr(dns.TypeSPF), Txt: strs})
						if !hasTXT {
							copies = append(copies, &dns.TXT{Hdr: hdr(dns.TypeTXT), Txt: strs})
						}
					}
				default:
					return nil, nil, fmt.Errorf("spfsuite: zonedata %s: unknown type %s", name, typ)
				}
			}
		}
		rrs = append(rrs, copies...)
	}
	return rrs, timeouts, nil
}

// TXTStrings returns the character-strings of a TXT or SPF entry: a list
// of strings, or one string.
func TXTStrings(v any) []string {
	if l, ok := v.([]any); ok {
		out := make([]string, 0, len(l))
		for _, s := range l {
			out = append(out, fmt.Sprint(s))
		}
		return out
	}
	return []string{fmt.Sprint(v)}
}
