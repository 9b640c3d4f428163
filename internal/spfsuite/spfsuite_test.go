package spfsuite

import (
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

func TestRecords(t *testing.T) {
	t.Parallel()
	var data map[string][]any
	require.NoError(t, yaml.Unmarshal([]byte(`
b.example:
  - SPF: v=spf1 -all
  - MX: [10, mx.b.example]
  - TIMEOUT
a.example:
  - TXT: [one, two]
  - SPF: NONE
c.example:
  - TIMEOUT
`), &data))
	rrs, timeouts, err := Records(data, "s1.suite.test.")
	require.NoError(t, err)
	var got []string
	for _, rr := range rrs {
		got = append(got, rr.String())
	}
	assert.Equal(t, []string{
		"a.example.s1.suite.test.\t300\tIN\tTXT\t\"one\" \"two\"",
		"b.example.s1.suite.test.\t300\tIN\tSPF\t\"v=spf1 -all\"",
		"b.example.s1.suite.test.\t300\tIN\tMX\t10 mx.b.example.s1.suite.test.",
		"b.example.s1.suite.test.\t300\tIN\tTXT\t\"v=spf1 -all\"",
	}, got)
	assert.Equal(t, []Timeout{
		{Name: "b.example", Types: []uint16{dns.TypeA, dns.TypeAAAA, dns.TypePTR, dns.TypeTXT, dns.TypeCNAME}},
		{Name: "c.example"},
	}, timeouts)
}

func TestRecordsErrors(t *testing.T) {
	t.Parallel()
	cases := map[string]map[string][]any{
		"unknown string": {"x": {"SLOW"}},
		"unknown type":   {"x": {map[string]any{"HINFO": "x"}}},
		"bad address":    {"x": {map[string]any{"A": "300.1.1.1"}}},
		"bad MX":         {"x": {map[string]any{"MX": "mx.example"}}},
		"bad preference": {"x": {map[string]any{"MX": []any{-1, "mx.example"}}}},
		"not a map":      {"x": {42}},
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, _, err := Records(data, "")
			assert.Error(t, err)
		})
	}
}

func TestResults(t *testing.T) {
	t.Parallel()
	var s Scenario
	require.NoError(t, yaml.Unmarshal([]byte(`
tests:
  one: {host: 192.0.2.1, result: pass}
  two: {host: 192.0.2.1, result: [permerror, fail]}
`), &s))
	assert.Equal(t, []string{"one", "two"}, s.TestNames())
	assert.Equal(t, []string{"pass"}, s.Tests["one"].Results())
	assert.Equal(t, []string{"permerror", "fail"}, s.Tests["two"].Results())
}
