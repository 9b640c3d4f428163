package bench

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	blitiri "blitiri.com.ar/go/spf"

	"github.com/mailkit-go/mailkit/spf"
)

// spfMapResolver is a fast in-memory resolver shared by both engines, so
// that the benchmark measures the SPF engines and not a DNS layer. It
// returns stored slices (callers must not modify them) and a shared
// not-found error.
type spfMapResolver struct {
	txt   map[string][]string
	ip    map[string][]netip.Addr
	ipa   map[string][]net.IPAddr
	mx    map[string][]*net.MX
	ptr   map[string][]string
	notFd *net.DNSError
}

func newSPFMapResolver() *spfMapResolver {
	return &spfMapResolver{
		txt: map[string][]string{}, ip: map[string][]netip.Addr{}, ipa: map[string][]net.IPAddr{},
		mx: map[string][]*net.MX{}, ptr: map[string][]string{},
		notFd: &net.DNSError{Err: "no such host", Name: "x", IsNotFound: true},
	}
}

func canonName(s string) string { return strings.ToLower(strings.TrimSuffix(s, ".")) }

func (r *spfMapResolver) addTXT(name, txt string) {
	r.txt[canonName(name)] = append(r.txt[canonName(name)], txt)
}
func (r *spfMapResolver) addIP(name string, addrs ...string) {
	for _, a := range addrs {
		ip := netip.MustParseAddr(a)
		r.ip[canonName(name)] = append(r.ip[canonName(name)], ip)
		r.ipa[canonName(name)] = append(r.ipa[canonName(name)], net.IPAddr{IP: ip.AsSlice()})
	}
}
func (r *spfMapResolver) addMX(name, host string, pref uint16) {
	r.mx[canonName(name)] = append(r.mx[canonName(name)], &net.MX{Host: host + ".", Pref: pref})
}

func (r *spfMapResolver) LookupTXT(_ context.Context, name string) ([]string, error) {
	if v, ok := r.txt[canonName(name)]; ok {
		return v, nil
	}
	return nil, r.notFd
}

func (r *spfMapResolver) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	all, ok := r.ip[canonName(host)]
	if !ok {
		return nil, r.notFd
	}
	if network == "ip" {
		return all, nil
	}
	// Records are stored IPv4 first, then IPv6: return the matching run
	// without allocating.
	split := len(all)
	for i, a := range all {
		if a.Is6() {
			split = i
			break
		}
	}
	out := all[:split]
	if network == "ip6" {
		out = all[split:]
	}
	if len(out) == 0 {
		return nil, r.notFd
	}
	return out, nil
}

func (r *spfMapResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	if v, ok := r.ipa[canonName(host)]; ok {
		return v, nil
	}
	return nil, r.notFd
}

func (r *spfMapResolver) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	if v, ok := r.mx[canonName(name)]; ok {
		return v, nil
	}
	return nil, r.notFd
}

func (r *spfMapResolver) LookupAddr(_ context.Context, addr string) ([]string, error) {
	if v, ok := r.ptr[addr]; ok {
		return v, nil
	}
	return nil, r.notFd
}

// spfBenchZone holds big-provider style records: include chains three
// deep, long ip4/ip6 lists, mx, a, redirect, exists with %{i}, and a
// policy that needs exactly 10 DNS-querying terms.
func spfBenchZone() *spfMapResolver {
	r := newSPFMapResolver()
	// Google style: redirect to a long ip4 list.
	r.addTXT("gmail.example", "v=spf1 redirect=_spf.google.example")
	r.addTXT("_spf.google.example", "v=spf1 include:_netblocks.google.example include:_netblocks2.google.example include:_netblocks3.google.example ~all")
	r.addTXT("_netblocks.google.example", "v=spf1 ip4:35.190.247.0/24 ip4:64.233.160.0/19 ip4:66.102.0.0/20 ip4:66.249.80.0/20 ip4:72.14.192.0/18 ip4:74.125.0.0/16 ip4:108.177.8.0/21 ip4:173.194.0.0/16 ip4:209.85.128.0/17 ip4:216.58.192.0/19 ip4:216.239.32.0/19 ~all")
	r.addTXT("_netblocks2.google.example", "v=spf1 ip6:2001:4860:4000::/36 ip6:2404:6800:4000::/36 ip6:2607:f8b0:4000::/36 ip6:2800:3f0:4000::/36 ip6:2a00:1450:4000::/36 ip6:2c0f:fb50:4000::/36 ~all")
	r.addTXT("_netblocks3.google.example", "v=spf1 ip4:172.217.0.0/19 ip4:172.217.32.0/20 ip4:172.217.128.0/19 ip4:172.217.160.0/20 ip4:172.217.192.0/19 ip4:172.253.56.0/21 ip4:172.253.112.0/20 ip4:108.177.96.0/19 ip4:35.191.0.0/16 ip4:130.211.0.0/22 ~all")
	// Microsoft style: include chain three deep ending in ip lists.
	r.addTXT("outlook.example", "v=spf1 include:spf.protection.outlook.example -all")
	r.addTXT("spf.protection.outlook.example", "v=spf1 include:spfa.protection.outlook.example include:spfb.protection.outlook.example -all")
	r.addTXT("spfa.protection.outlook.example", "v=spf1 ip4:40.92.0.0/15 ip4:40.107.0.0/16 ip4:52.100.0.0/14 ip4:104.47.0.0/17 ip6:2a01:111:f400::/48 ip6:2a01:111:f403::/49 -all")
	r.addTXT("spfb.protection.outlook.example", "v=spf1 ip4:157.55.9.128/25 ip4:65.55.169.0/24 ip4:207.46.100.0/24 ip4:207.46.163.0/24 ip4:23.103.132.0/22 ip6:2a01:111:f403:8000::/50 -all")
	// Small company: mx and a, then an ESP include.
	r.addTXT("shop.example", "v=spf1 mx a include:servers.esp.example -all")
	r.addMX("shop.example", "mx1.shop.example", 10)
	r.addMX("shop.example", "mx2.shop.example", 20)
	r.addIP("mx1.shop.example", "198.51.100.10", "2001:db8:10::10")
	r.addIP("mx2.shop.example", "198.51.100.11", "2001:db8:10::11")
	r.addIP("shop.example", "198.51.100.20")
	r.addTXT("servers.esp.example", "v=spf1 ip4:203.0.113.0/26 ip4:203.0.113.128/26 a:relay.esp.example ~all")
	r.addIP("relay.esp.example", "203.0.113.200")
	// exists with %{i}: per-IP allow list.
	r.addTXT("dyn.example", "v=spf1 exists:%{i}._allow.dyn.example -all")
	r.addIP("192.0.2.55._allow.dyn.example", "127.0.0.2")
	// 10-lookup worst case: nine misses, then the tenth term matches.
	r.addTXT("worst.example", "v=spf1 a:w1.worst.example a:w2.worst.example mx:w3.worst.example include:w4.worst.example a:w5.worst.example exists:%{i}.w6.worst.example a:w7.worst.example mx:w8.worst.example a:w9.worst.example include:w10.worst.example -all")
	for _, n := range []string{"w1", "w2", "w5", "w7", "w9"} {
		r.addIP(n+".worst.example", "198.18.0.1")
	}
	r.addMX("w3.worst.example", "m.w3.worst.example", 10)
	r.addIP("m.w3.worst.example", "198.18.0.3")
	r.addMX("w8.worst.example", "m.w8.worst.example", 10)
	r.addIP("m.w8.worst.example", "198.18.0.8")
	r.addTXT("w4.worst.example", "v=spf1 ip4:198.18.4.0/24 -all")
	r.addIP("192.0.2.99.w6.worst.example", "127.0.0.2")
	r.addTXT("w10.worst.example", "v=spf1 ip4:198.18.10.0/24 ip4:192.0.2.0/24 -all")
	return r
}

type spfCase struct {
	ip     string
	helo   string
	sender string
	want   string
}

// spfMix is a realistic mix of passes and failures over the zone above.
var spfMix = []spfCase{
	{"209.85.220.41", "mail-sor-f41.google.example", "alice@gmail.example", "pass"},
	{"172.217.164.5", "mail.google.example", "alice@gmail.example", "pass"},
	{"2a00:1450:4864:20::52a", "mail.google.example", "alice@gmail.example", "pass"},
	{"192.0.2.1", "evil.example", "alice@gmail.example", "softfail"},
	{"40.107.22.33", "mail.outlook.example", "bob@outlook.example", "pass"},
	{"207.46.163.77", "mail.outlook.example", "bob@outlook.example", "pass"},
	{"2a01:111:f403:8000::5", "mail.outlook.example", "bob@outlook.example", "pass"},
	{"192.0.2.2", "evil.example", "bob@outlook.example", "fail"},
	{"198.51.100.11", "mx2.shop.example", "orders@shop.example", "pass"},
	{"203.0.113.200", "relay.esp.example", "news@shop.example", "pass"},
	{"192.0.2.3", "evil.example", "news@shop.example", "fail"},
	{"192.0.2.55", "host.dyn.example", "u@dyn.example", "pass"},
	{"192.0.2.56", "host.dyn.example", "u@dyn.example", "fail"},
}

var spfWorst = []spfCase{
	{"192.0.2.99", "w.worst.example", "x@worst.example", "pass"},
}

type spfEngine struct {
	name  string
	check func(ctx context.Context, c *spfCase, ip netip.Addr, nip net.IP) string
}

func spfEngines(r *spfMapResolver) []spfEngine {
	plain := &spf.Checker{Resolver: r}
	cached := &spf.Checker{Resolver: r, Cache: spf.NewCache(0)}
	opts := []blitiri.Option{blitiri.WithResolver(r), blitiri.WithContext(context.Background())}
	return []spfEngine{
		{"mailkit", func(ctx context.Context, c *spfCase, ip netip.Addr, _ net.IP) string {
			res, _ := plain.Check(ctx, spf.Input{IP: ip, Helo: c.helo, MailFrom: c.sender})
			return string(res.Result)
		}},
		{"mailkit-cache", func(ctx context.Context, c *spfCase, ip netip.Addr, _ net.IP) string {
			res, _ := cached.Check(ctx, spf.Input{IP: ip, Helo: c.helo, MailFrom: c.sender})
			return string(res.Result)
		}},
		{"blitiri", func(_ context.Context, c *spfCase, _ netip.Addr, nip net.IP) string {
			res, _ := blitiri.CheckHostWithSender(nip, c.helo, c.sender, opts...)
			return string(res)
		}},
	}
}

// TestSPFEnginesAgree makes sure both engines compute the expected result
// on every benchmark input, so the comparison is apples to apples.
func TestSPFEnginesAgree(t *testing.T) {
	r := spfBenchZone()
	for _, e := range spfEngines(r) {
		for _, set := range [][]spfCase{spfMix, spfWorst} {
			for i := range set {
				c := &set[i]
				ip := netip.MustParseAddr(c.ip)
				got := e.check(context.Background(), c, ip, net.IP(ip.AsSlice()))
				if got != c.want {
					t.Errorf("%s: %s from %s: got %s, want %s", e.name, c.sender, c.ip, got, c.want)
				}
			}
		}
	}
}

func runSPF(b *testing.B, e spfEngine, set []spfCase) {
	ips := make([]netip.Addr, len(set))
	nips := make([]net.IP, len(set))
	for i := range set {
		ips[i] = netip.MustParseAddr(set[i].ip)
		nips[i] = net.IP(ips[i].AsSlice())
	}
	ctx := context.Background()
	b.ReportAllocs()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	b.ResetTimer()
	start := time.Now()
	for n := 0; n < b.N; n++ {
		for i := range set {
			e.check(ctx, &set[i], ips[i], nips[i])
		}
	}
	el := time.Since(start)
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	checks := float64(b.N * len(set))
	b.ReportMetric(checks/el.Seconds(), "checks/s")
	b.ReportMetric(float64(el.Nanoseconds())/checks, "ns/check")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/checks, "allocs/check")
}

// benchSPF runs the named engine over the named input set ("mix" or
// "worst10"). One op is one pass over the set; checks/s, ns/check and
// allocs/check are per check.
func benchSPF(b *testing.B, set, engine string) {
	cases := spfMix
	if set == "worst10" {
		cases = spfWorst
	}
	for _, e := range spfEngines(spfBenchZone()) {
		if e.name == engine {
			runSPF(b, e, cases)
			return
		}
	}
	b.Fatalf("unknown engine %q", engine)
}

// The provider mix (13 inputs), each engine. Classic benchmarks are easily
// skewed by load on a shared machine; TestSPFCompare interleaves the
// engines for the ratios.
func BenchmarkSPFMixMailkit(b *testing.B)      { benchSPF(b, "mix", "mailkit") }
func BenchmarkSPFMixMailkitCache(b *testing.B) { benchSPF(b, "mix", "mailkit-cache") }
func BenchmarkSPFMixBlitiri(b *testing.B)      { benchSPF(b, "mix", "blitiri") }

// The 10-lookup worst case, each engine.
func BenchmarkSPFWorst10Mailkit(b *testing.B)      { benchSPF(b, "worst10", "mailkit") }
func BenchmarkSPFWorst10MailkitCache(b *testing.B) { benchSPF(b, "worst10", "mailkit-cache") }
func BenchmarkSPFWorst10Blitiri(b *testing.B)      { benchSPF(b, "worst10", "blitiri") }

// processCPU is the CPU time (user+system) the process used so far,
// garbage collector threads included. It is not affected by how much of
// the machine other processes take, unlike wall-clock time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestSPFCompare runs the engines side by side in one run and logs
// checks/s, allocs/check and the ratios against blitiri. The engines are
// measured in interleaved rounds of ~250 ms and the best round of each
// is kept, so that load from other processes on a shared machine
// distorts the ratio as little as possible. Each round is measured twice:
// checks per wall-clock second and checks per second of process CPU time
// (getrusage, GC threads included), the figure least affected by the
// load of a shared machine. It takes about 15 s, so it only runs with
// MAILKIT_BENCH_SPF=1:
//
//	MAILKIT_BENCH_SPF=1 go test -run TestSPFCompare -v .
func TestSPFCompare(t *testing.T) {
	if os.Getenv("MAILKIT_BENCH_SPF") != "1" {
		t.Skip("set MAILKIT_BENCH_SPF=1 to run the side-by-side SPF comparison")
	}
	r := spfBenchZone()
	engines := spfEngines(r)
	const rounds = 6
	for _, set := range []struct {
		name  string
		cases []spfCase
	}{{"mix", spfMix}, {"worst10", spfWorst}} {
		ips := make([]netip.Addr, len(set.cases))
		nips := make([]net.IP, len(set.cases))
		for i := range set.cases {
			ips[i] = netip.MustParseAddr(set.cases[i].ip)
			nips[i] = net.IP(ips[i].AsSlice())
		}
		type m struct{ cps, cpuCPS, allocs float64 }
		best := map[string]m{}
		ctx := context.Background()
		for round := 0; round < rounds; round++ {
			for _, e := range engines {
				var ms0, ms1 runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&ms0)
				checks := 0
				cpu0 := processCPU()
				start := time.Now()
				for time.Since(start) < 250*time.Millisecond {
					for i := range set.cases {
						e.check(ctx, &set.cases[i], ips[i], nips[i])
					}
					checks += len(set.cases)
				}
				el := time.Since(start)
				cpu := processCPU() - cpu0
				runtime.ReadMemStats(&ms1)
				b := best[e.name]
				if x := float64(checks) / el.Seconds(); x > b.cps {
					b.cps = x
				}
				if cpu > 0 {
					if x := float64(checks) / cpu.Seconds(); x > b.cpuCPS {
						b.cpuCPS = x
					}
				}
				b.allocs = float64(ms1.Mallocs-ms0.Mallocs) / float64(checks)
				best[e.name] = b
			}
		}
		base := best["blitiri"]
		for _, e := range engines {
			x := best[e.name]
			line := fmt.Sprintf("%-8s %-14s %8.0f checks/s %8.0f checks/CPU-s %6.1f allocs/check", set.name, e.name, x.cps, x.cpuCPS, x.allocs)
			if e.name != "blitiri" {
				line += fmt.Sprintf("  speed x%.2f (CPU x%.2f), allocs %.3f of blitiri", x.cps/base.cps, x.cpuCPS/base.cpuCPS, x.allocs/base.allocs)
			}
			t.Log(line)
		}
	}
}
