package spf_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/mailkit-go/mailkit/dnsutil/dnstest"
	"github.com/mailkit-go/mailkit/spf"
)

// suiteScenario is one YAML document of the openspf.org suites.
type suiteScenario struct {
	Description string                   `yaml:"description"`
	Tests       map[string]suiteTest     `yaml:"tests"`
	ZoneData    map[string][]interface{} `yaml:"zonedata"`
}

type suiteTest struct {
	Helo        string    `yaml:"helo"`
	Host        string    `yaml:"host"`
	MailFrom    string    `yaml:"mailfrom"`
	Result      yaml.Node `yaml:"result"`
	Explanation *string   `yaml:"explanation"`
	Spec        yaml.Node `yaml:"spec"`
}

func (t suiteTest) results() []string {
	if t.Result.Kind == yaml.SequenceNode {
		var out []string
		for _, n := range t.Result.Content {
			out = append(out, n.Value)
		}
		return out
	}
	return []string{t.Result.Value}
}

func loadSuite(t testing.TB, path string) []suiteScenario {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	dec := yaml.NewDecoder(f)
	var out []suiteScenario
	for {
		var s suiteScenario
		err := dec.Decode(&s)
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			require.NoError(t, err)
		}
		out = append(out, s)
	}
	return out
}

var suiteTypes = []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeMX, dns.TypePTR, dns.TypeTXT, dns.TypeSPF, dns.TypeCNAME}

// buildSuiteZone turns zonedata into a dnstest.Zone following the driver
// conventions of the suite README: SPF entries are also served as TXT when
// the name has no TXT entry; "TIMEOUT" makes the types not listed before it
// time out.
func buildSuiteZone(t testing.TB, data map[string][]interface{}) *dnstest.Zone {
	t.Helper()
	z := dnstest.NewZone()
	for name, entries := range data {
		fqdn := dns.Fqdn(name)
		hdr := func(rrtype uint16) dns.RR_Header {
			return dns.RR_Header{Name: fqdn, Rrtype: rrtype, Class: dns.ClassINET, Ttl: 300}
		}
		hasTXT := false
		for _, e := range entries {
			if m, ok := e.(map[string]interface{}); ok {
				if _, ok := m["TXT"]; ok {
					hasTXT = true
				}
			}
		}
		var copies []dns.RR
		seen := map[uint16]bool{}
		for _, e := range entries {
			if s, ok := e.(string); ok {
				require.Equal(t, "TIMEOUT", s, "zonedata %s", name)
				if len(seen) == 0 {
					z.SetFault(fqdn, dns.TypeANY, dnstest.FaultTimeout)
				} else {
					for _, ty := range suiteTypes {
						if !seen[ty] {
							z.SetFault(fqdn, ty, dnstest.FaultTimeout)
						}
					}
				}
				break
			}
			m, ok := e.(map[string]interface{})
			require.True(t, ok, "zonedata %s: entry %v", name, e)
			for typ, v := range m {
				switch typ {
				case "A", "AAAA":
					a, err := netip.ParseAddr(fmt.Sprint(v))
					require.NoError(t, err)
					if typ == "A" {
						z.AddRR(&dns.A{Hdr: hdr(dns.TypeA), A: net.IP(a.AsSlice())})
						seen[dns.TypeA] = true
					} else {
						z.AddRR(&dns.AAAA{Hdr: hdr(dns.TypeAAAA), AAAA: net.IP(a.AsSlice())})
						seen[dns.TypeAAAA] = true
					}
				case "MX":
					l := v.([]interface{})
					pref := l[0].(int)
					z.AddRR(&dns.MX{Hdr: hdr(dns.TypeMX), Preference: uint16(pref), Mx: dns.Fqdn(fmt.Sprint(l[1]))})
					seen[dns.TypeMX] = true
				case "PTR":
					z.AddRR(&dns.PTR{Hdr: hdr(dns.TypePTR), Ptr: dns.Fqdn(fmt.Sprint(v))})
					seen[dns.TypePTR] = true
				case "CNAME":
					z.AddRR(&dns.CNAME{Hdr: hdr(dns.TypeCNAME), Target: dns.Fqdn(fmt.Sprint(v))})
					seen[dns.TypeCNAME] = true
				case "TXT", "SPF":
					if s, ok := v.(string); ok && s == "NONE" {
						continue
					}
					strs := txtStrings(v)
					if typ == "TXT" {
						z.AddRR(&dns.TXT{Hdr: hdr(dns.TypeTXT), Txt: strs})
						seen[dns.TypeTXT] = true
					} else {
						z.AddRR(&dns.SPF{Hdr: hdr(dns.TypeSPF), Txt: strs})
						seen[dns.TypeSPF] = true
						if !hasTXT {
							copies = append(copies, &dns.TXT{Hdr: hdr(dns.TypeTXT), Txt: strs})
						}
					}
				default:
					t.Fatalf("zonedata %s: unknown type %s", name, typ)
				}
			}
		}
		if len(copies) > 0 {
			z.AddRR(copies...)
			seen[dns.TypeTXT] = true
		}
	}
	return z
}

func txtStrings(v interface{}) []string {
	switch x := v.(type) {
	case []interface{}:
		out := make([]string, 0, len(x))
		for _, s := range x {
			out = append(out, fmt.Sprint(s))
		}
		return out
	default:
		return []string{fmt.Sprint(x)}
	}
}

// rfc4408Changed lists the RFC 4408 suite tests whose expectation RFC 7208
// changed, with the RFC 7208 section responsible.
var rfc4408Changed = map[string]string{}

func runSuite(t *testing.T, file string, skips map[string]string) {
	scenarios := loadSuite(t, file)
	passed, skipped, total, preferred := 0, 0, 0, 0
	t.Cleanup(func() {
		t.Logf("%s: %d passed, %d skipped (%d total; %d gave the first listed result)",
			strings.TrimSuffix(strings.TrimPrefix(file, "testdata/"), "-tests.yml"), passed, skipped, total, preferred)
	})
	for _, sc := range scenarios {
		zone := buildSuiteZone(t, sc.ZoneData)
		names := make([]string, 0, len(sc.Tests))
		for n := range sc.Tests {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, name := range names {
			tc := sc.Tests[name]
			total++
			if reason, ok := skips[name]; ok {
				skipped++
				t.Run(name, func(t *testing.T) { t.Skip(reason) })
				continue
			}
			ok := t.Run(name, func(t *testing.T) {
				ip, err := netip.ParseAddr(tc.Host)
				require.NoError(t, err)
				c := spf.Checker{Resolver: zone, DefaultExplanation: "DEFAULT", Receiver: "receiver.example"}
				res, err := c.Check(context.Background(), spf.Input{IP: ip, Helo: tc.Helo, MailFrom: tc.MailFrom})
				require.NoError(t, err)
				assert.Contains(t, tc.results(), string(res.Result), "%s: err=%v", sc.Description, res.Err)
				if tc.Explanation != nil {
					assert.Equal(t, *tc.Explanation, res.Explanation)
				}
				if string(res.Result) == tc.results()[0] {
					preferred++
				}
			})
			if ok {
				passed++
			}
		}
	}
}

func TestSuiteRFC7208(t *testing.T) {
	t.Parallel()
	runSuite(t, "testdata/rfc7208-tests.yml", nil)
}

func TestSuiteRFC4408(t *testing.T) {
	t.Parallel()
	runSuite(t, "testdata/rfc4408-tests.yml", rfc4408Changed)
}
