package spf_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/dnsutil/dnstest"
	"github.com/mailkit-go/mailkit/internal/spfsuite"
	"github.com/mailkit-go/mailkit/spf"
)

// buildSuiteZone turns a scenario's zonedata into a dnstest.Zone; a
// TIMEOUT name times out for the types not listed before it.
func buildSuiteZone(t testing.TB, data map[string][]any) *dnstest.Zone {
	t.Helper()
	rrs, timeouts, err := spfsuite.Records(data, "")
	require.NoError(t, err)
	z := dnstest.NewZone()
	z.AddRR(rrs...)
	for _, to := range timeouts {
		if to.Types == nil {
			z.SetFault(to.Name, dns.TypeANY, dnstest.FaultTimeout)
		}
		for _, ty := range to.Types {
			z.SetFault(to.Name, ty, dnstest.FaultTimeout)
		}
	}
	return z
}

// rfc4408Changed lists the RFC 4408 suite tests whose expectation RFC 7208
// changed, with the RFC 7208 section responsible.
var rfc4408Changed = map[string]string{}

func runSuite(t *testing.T, file string, skips map[string]string) {
	scenarios, err := spfsuite.Load(file)
	require.NoError(t, err)
	passed, skipped, total, preferred := 0, 0, 0, 0
	t.Cleanup(func() {
		t.Logf("%s: %d passed, %d skipped (%d total; %d gave the first listed result)",
			strings.TrimSuffix(strings.TrimPrefix(file, "testdata/"), "-tests.yml"), passed, skipped, total, preferred)
	})
	for _, sc := range scenarios {
		zone := buildSuiteZone(t, sc.ZoneData)
		for _, name := range sc.TestNames() {
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
				assert.Contains(t, tc.Results(), string(res.Result), "%s: err=%v", sc.Description, res.Err)
				if tc.Explanation != nil {
					assert.Equal(t, *tc.Explanation, res.Explanation)
				}
				if string(res.Result) == tc.Results()[0] {
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
