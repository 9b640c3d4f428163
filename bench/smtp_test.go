package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
	"golang.org/x/sys/unix"

	"github.com/mailkit-go/mailkit/smtp"
)

// ---- sinks: servers that accept and discard every message ----

type mkSink struct{}

func (mkSink) NewSession(ctx context.Context, c *smtp.ConnInfo) (smtp.Session, error) {
	return mkSinkSession{}, nil
}

type mkSinkSession struct{}

func (mkSinkSession) Mail(ctx context.Context, from string, o *smtp.MailOptions) error { return nil }
func (mkSinkSession) Rcpt(ctx context.Context, to string, o *smtp.RcptOptions) error   { return nil }
func (mkSinkSession) Data(ctx context.Context, r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}
func (mkSinkSession) Reset(ctx context.Context)        {}
func (mkSinkSession) Logout(ctx context.Context) error { return nil }

type gsSink struct{}

func (gsSink) NewSession(c *gosmtp.Conn) (gosmtp.Session, error) { return gsSinkSession{}, nil }

type gsSinkSession struct{}

func (gsSinkSession) Reset()                                        {}
func (gsSinkSession) Logout() error                                 { return nil }
func (gsSinkSession) Mail(from string, o *gosmtp.MailOptions) error { return nil }
func (gsSinkSession) Rcpt(to string, o *gosmtp.RcptOptions) error   { return nil }
func (gsSinkSession) Data(r io.Reader) error                        { _, err := io.Copy(io.Discard, r); return err }

// startSink starts the named server on 127.0.0.1:0 and returns its
// address and a stop function. "smtp-sink" uses $MAILKIT_BENCH_SMTP_SINK
// (Postfix's smtp-sink, e.g. 127.0.0.1:2599) and is skipped without it.
func startSink(b *testing.B, name string) (string, func()) {
	b.Helper()
	if name == "smtp-sink" {
		addr := os.Getenv("MAILKIT_BENCH_SMTP_SINK")
		if addr == "" {
			b.Skip("set MAILKIT_BENCH_SMTP_SINK=127.0.0.1:2599 to include Postfix's smtp-sink")
		}
		return addr, func() {}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	switch name {
	case "go-smtp":
		s := gosmtp.NewServer(gsSink{})
		s.Domain = "bench.test"
		s.AllowInsecureAuth = true
		s.MaxRecipients = 1000
		s.MaxMessageBytes = 64 << 20
		s.ErrorLog = nopLogger{}
		go func() { _ = s.Serve(l) }()
		return l.Addr().String(), func() { s.Close() }
	default: // mailkit
		s := &smtp.Server{Backend: mkSink{}, Hostname: "bench.test", OpenRelay: true,
			Limits: smtp.Limits{Connections: 100000, ConnectionsPerIP: 100000, Recipients: 1000, MessageBytes: 64 << 20}}
		go func() { _ = s.Serve(l) }()
		return l.Addr().String(), func() { s.Close() }
	}
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...interface{}) {}
func (nopLogger) Println(...interface{})        {}

// ---- the load generator (ours; pipelines when asked) ----

var benchMsg = func() []byte {
	var b bytes.Buffer
	b.WriteString("From: bench@example.test\r\nTo: bench@example.test\r\nSubject: bench\r\n\r\n")
	line := strings.Repeat("x", 78) + "\r\n"
	for b.Len() < 10240 {
		b.WriteString(line)
	}
	return b.Bytes()
}()

type lgConn struct {
	c net.Conn
	r *bufio.Reader
	w *bufio.Writer
}

func lgDial(addr string) (*lgConn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	l := &lgConn{c: c, r: bufio.NewReader(c), w: bufio.NewWriterSize(c, 16<<10)}
	if err := l.expect('2'); err != nil { // greeting
		c.Close()
		return nil, err
	}
	l.w.WriteString("EHLO load.test\r\n")
	if err := l.flushExpect('2'); err != nil {
		c.Close()
		return nil, err
	}
	return l, nil
}

// expect reads one reply and checks its first digit.
func (l *lgConn) expect(d byte) error {
	for {
		line, err := l.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) < 4 || line[0] != d {
			return fmt.Errorf("unexpected reply %q", line)
		}
		if line[3] == ' ' {
			return nil
		}
	}
}

func (l *lgConn) flushExpect(d byte) error {
	if err := l.w.Flush(); err != nil {
		return err
	}
	return l.expect(d)
}

// send sends one message with 1 recipient, lock-step or pipelined.
func (l *lgConn) send(pipelined bool) error {
	cmds := []string{"MAIL FROM:<bench@example.test>\r\n", "RCPT TO:<bench@example.test>\r\n", "DATA\r\n"}
	codes := []byte{'2', '2', '3'}
	if pipelined {
		for _, c := range cmds {
			l.w.WriteString(c)
		}
		if err := l.w.Flush(); err != nil {
			return err
		}
		for _, d := range codes {
			if err := l.expect(d); err != nil {
				return err
			}
		}
	} else {
		for i, c := range cmds {
			l.w.WriteString(c)
			if err := l.flushExpect(codes[i]); err != nil {
				return err
			}
		}
	}
	l.w.Write(benchMsg)
	l.w.WriteString(".\r\n")
	return l.flushExpect('2')
}

func (l *lgConn) quit() {
	l.w.WriteString("QUIT\r\n")
	_ = l.flushExpect('2')
	l.c.Close()
}

// runLoad sends n messages over `workers` parallel sessions.
func runLoad(addr, shape string, n, workers int) error {
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	per := (n + workers - 1) / workers
	for w := 0; w < workers; w++ {
		cnt := per
		if rem := n - w*per; rem < cnt {
			cnt = rem
		}
		if cnt <= 0 {
			break
		}
		wg.Add(1)
		go func(cnt int) {
			defer wg.Done()
			var l *lgConn
			var err error
			for i := 0; i < cnt; i++ {
				if l == nil {
					if l, err = lgDial(addr); err != nil {
						errs <- err
						return
					}
				}
				if err = l.send(shape == "pipelined"); err != nil {
					errs <- err
					return
				}
				if shape == "newconn" {
					l.quit()
					l = nil
				}
			}
			if l != nil {
				l.quit()
			}
		}(cnt)
	}
	wg.Wait()
	close(errs)
	return <-errs
}

var serverNames = []string{"smtp-sink", "go-smtp", "mailkit"}

// BenchmarkSMTPServer: messages per second accepted by each server under
// three load shapes, 20 parallel sessions, 10 KiB messages, our own load
// generator (lock-step or pipelined). x_smtp-sink is the ratio to
// Postfix's smtp-sink (run first, only when MAILKIT_BENCH_SMTP_SINK is
// set), x_go-smtp the ratio of mailkit to go-smtp, both measured in the
// same run.
func BenchmarkSMTPServer(b *testing.B) {
	for _, shape := range []string{"newconn", "reused", "pipelined"} {
		rates := map[string]float64{}
		for _, name := range serverNames {
			b.Run(shape+"/"+name, func(b *testing.B) {
				addr, stop := startSink(b, name)
				defer stop()
				b.ResetTimer()
				start := time.Now()
				if err := runLoad(addr, shape, b.N, 20); err != nil {
					b.Fatal(err)
				}
				rate := float64(b.N) / time.Since(start).Seconds()
				rates[name] = rate
				b.ReportMetric(rate, "msgs/s")
				if name == "mailkit" && rates["go-smtp"] > 0 {
					b.ReportMetric(rate/rates["go-smtp"], "x_go-smtp")
				}
				if name != "smtp-sink" && rates["smtp-sink"] > 0 {
					b.ReportMetric(rate/rates["smtp-sink"], "x_smtp-sink")
				}
			})
		}
		if rates["smtp-sink"] > 0 && rates["mailkit"] > 0 {
			b.Logf("%s: mailkit/smtp-sink = %.2f, go-smtp/smtp-sink = %.2f", shape,
				rates["mailkit"]/rates["smtp-sink"], rates["go-smtp"]/rates["smtp-sink"])
		}
	}
}

// idleConns opens n connections to addr, reads each greeting (so the
// server sits idle in its read) and returns them.
func idleConns(b *testing.B, addr string, n int, greet bool) []net.Conn {
	conns := make([]net.Conn, 0, n)
	buf := make([]byte, 512)
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		if greet {
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := c.Read(buf); err != nil {
				b.Fatal(err)
			}
		}
		conns = append(conns, c)
	}
	return conns
}

func memInUse() uint64 {
	for i := 0; i < 3; i++ {
		runtime.GC()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse + ms.StackInuse
}

// BenchmarkSMTPIdleConnMemory: bytes of heap and stack per idle connection
// (greeted, waiting for EHLO), measured in-process as the difference
// against the same number of connections to a listener that holds them
// without serving (which cancels out the client side and the sockets).
// $MAILKIT_BENCH_IDLE sets the count (default 5000).
func BenchmarkSMTPIdleConnMemory(b *testing.B) {
	n := 5000
	if v, err := strconv.Atoi(os.Getenv("MAILKIT_BENCH_IDLE")); err == nil && v > 0 {
		n = v
	}
	// Baseline: a listener that accepts and holds.
	measureBase := func() float64 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer l.Close()
		var held []net.Conn
		var mu sync.Mutex
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				held = append(held, c)
				mu.Unlock()
			}
		}()
		before := memInUse()
		conns := idleConns(b, l.Addr().String(), n, false)
		for {
			mu.Lock()
			k := len(held)
			mu.Unlock()
			if k == n {
				break
			}
			time.Sleep(time.Millisecond)
		}
		after := memInUse()
		for _, c := range conns {
			c.Close()
		}
		l.Close()
		<-done
		for _, c := range held {
			c.Close()
		}
		return float64(after) - float64(before)
	}
	per := map[string]float64{}
	for _, name := range []string{"go-smtp", "mailkit"} {
		b.Run(name, func(b *testing.B) {
			// One measurement whatever b.N is: n connections are the unit.
			for i := 0; i < 1; i++ {
				base := measureBase()
				addr, stop := startSink(b, name)
				before := memInUse()
				conns := idleConns(b, addr, n, true)
				time.Sleep(100 * time.Millisecond) // let every server goroutine park in Read
				after := memInUse()
				for _, c := range conns {
					c.Close()
				}
				stop()
				bytesPer := (float64(after) - float64(before) - base) / float64(n)
				per[name] = bytesPer
				b.ReportMetric(bytesPer, "B/idle-conn")
				if name == "mailkit" && per["go-smtp"] > 0 {
					b.ReportMetric(bytesPer/per["go-smtp"], "x_go-smtp")
				}
			}
		})
	}
}

// BenchmarkSMTPClient: messages per second sent by one client over one
// reused connection into the same sink (our server, or smtp-sink with
// MAILKIT_BENCH_SMTP_SINK), 3 recipients and 10 KiB per message. Our
// client pipelines the envelope and, when offered, uses BDAT; go-smtp's
// client works lock-step.
func BenchmarkSMTPClient(b *testing.B) {
	sinkName := "mailkit"
	if os.Getenv("MAILKIT_BENCH_SMTP_SINK") != "" {
		sinkName = "smtp-sink"
	}
	rcpts := []string{"a@example.test", "b@example.test", "c@example.test"}
	rates := map[string]float64{}
	for _, client := range []string{"go-smtp", "mailkit"} {
		b.Run(client+"->"+sinkName, func(b *testing.B) {
			addr, stop := startSink(b, sinkName)
			defer stop()
			ctx := context.Background()
			b.ResetTimer()
			start := time.Now()
			switch client {
			case "go-smtp":
				c, err := gosmtp.Dial(addr)
				if err != nil {
					b.Fatal(err)
				}
				if err := c.Hello("client.test"); err != nil {
					b.Fatal(err)
				}
				for i := 0; i < b.N; i++ {
					if err := c.Mail("bench@example.test", nil); err != nil {
						b.Fatal(err)
					}
					for _, r := range rcpts {
						if err := c.Rcpt(r, nil); err != nil {
							b.Fatal(err)
						}
					}
					w, err := c.Data()
					if err != nil {
						b.Fatal(err)
					}
					if _, err := w.Write(benchMsg); err != nil {
						b.Fatal(err)
					}
					if err := w.Close(); err != nil {
						b.Fatal(err)
					}
				}
				_ = c.Quit()
			default:
				c, err := smtp.Dial(ctx, addr, &smtp.ClientOptions{LocalName: "client.test", TLS: smtp.TLSNone})
				if err != nil {
					b.Fatal(err)
				}
				env := &smtp.Envelope{From: "bench@example.test", To: rcpts}
				for i := 0; i < b.N; i++ {
					if _, err := c.Send(ctx, env, bytes.NewReader(benchMsg)); err != nil {
						b.Fatal(err)
					}
				}
				_ = c.Quit(ctx)
			}
			rate := float64(b.N) / time.Since(start).Seconds()
			rates[client] = rate
			b.ReportMetric(rate, "msgs/s")
			if client == "mailkit" && rates["go-smtp"] > 0 {
				b.ReportMetric(rate/rates["go-smtp"], "x_go-smtp")
			}
		})
	}
}

// smtpSourcePath is Postfix's smtp-source, the lock-step C load generator
// the issue names as the reference client ($MAILKIT_BENCH_SMTP_SOURCE
// overrides the path).
func smtpSourcePath(b *testing.B) string {
	p := os.Getenv("MAILKIT_BENCH_SMTP_SOURCE")
	if p == "" {
		p = "/usr/sbin/smtp-source"
	}
	if _, err := os.Stat(p); err != nil {
		b.Skip("smtp-source not found (install postfix or set MAILKIT_BENCH_SMTP_SOURCE)")
	}
	return p
}

// cpuSeconds returns the user+system CPU time of process pid (0: this
// process) from /proc, or -1 when it cannot be read.
func cpuSeconds(pid int) float64 {
	path := "/proc/self/stat"
	if pid > 0 {
		path = "/proc/" + strconv.Itoa(pid) + "/stat"
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return -1
	}
	// Fields after the command name in parentheses; utime and stime are
	// fields 14 and 15 (1-based), in clock ticks (100 per second on Linux).
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return -1
	}
	u, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return (u + st) / 100
}

// BenchmarkSMTPServerSource: the same servers driven by Postfix's
// smtp-source in its own process (lock-step, a new connection per
// message, 20 sessions, 10 KiB, 1 recipient):
//
//	smtp-source -s 20 -m N -l 10240 -t bench@example.test ADDR
//
// Besides msgs/s it reports the server's CPU time per message
// (cpu-us/msg): for our server and go-smtp the CPU of this test process
// while smtp-source runs (only the server works in it then), for smtp-sink
// that of the process $MAILKIT_BENCH_SMTP_SINK_PID when given. CPU per
// message is steadier than wall time on a shared machine.
//
// With MAILKIT_BENCH_SOURCE_CPUS (a CPU list such as "0") smtp-source runs
// pinned to those CPUs through taskset, and the benchmark refuses to run
// unless this process (and smtp-sink, when its PID is given) is pinned to
// other CPUs: each server then has the same CPUs of its own and the load
// generator cannot take them, as when the clients are on other machines.
// Run it as
//
//	taskset -c 1 /usr/sbin/smtp-sink -u nobody 127.0.0.1:2699 1000 & SINK=$!
//	MAILKIT_BENCH_SOURCE_CPUS=0 MAILKIT_BENCH_SMTP_SINK=127.0.0.1:2699 \
//	  MAILKIT_BENCH_SMTP_SINK_PID=$SINK taskset -c 1 go test -run x -bench SMTPServerSource
//
// (Go sets GOMAXPROCS from the CPUs a process may use, so the Go servers
// then run with GOMAXPROCS=1, as smtp-sink runs in one thread.)
func BenchmarkSMTPServerSource(b *testing.B) {
	src := smtpSourcePath(b)
	pin := sourcePinning(b)
	rates := map[string]float64{}
	cpus := map[string]float64{}
	for _, name := range serverNames {
		b.Run(name, func(b *testing.B) {
			addr, stop := startSink(b, name)
			defer stop()
			pid := 0
			if name == "smtp-sink" {
				pid = -1
				if v, err := strconv.Atoi(os.Getenv("MAILKIT_BENCH_SMTP_SINK_PID")); err == nil {
					pid = v
				}
			}
			source := func(n int) *exec.Cmd {
				args := []string{"-s", "20", "-m", strconv.Itoa(n), "-l", "10240", "-t", "bench@example.test", addr}
				if pin.source != "" {
					args = append([]string{"-c", pin.source, src}, args...)
				}
				return exec.Command(pin.taskset(src), args...)
			}
			// Warm up every server alike (pools, heap, page cache of
			// smtp-source) with 200 untimed messages.
			if out, err := source(200).CombinedOutput(); err != nil {
				b.Fatalf("smtp-source warm-up: %v: %s", err, out)
			}
			cmd := source(b.N)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			runtime.GC()
			cpu0 := -1.0
			if pid >= 0 {
				cpu0 = cpuSeconds(pid)
			}
			b.ResetTimer()
			start := time.Now()
			if err := cmd.Run(); err != nil {
				b.Fatalf("smtp-source: %v: %s", err, out.Bytes())
			}
			elapsed := time.Since(start)
			b.StopTimer()
			rate := float64(b.N) / elapsed.Seconds()
			rates[name] = rate
			b.ReportMetric(rate, "msgs/s")
			if cpu0 >= 0 {
				if cpu1 := cpuSeconds(pid); cpu1 >= 0 {
					us := (cpu1 - cpu0) * 1e6 / float64(b.N)
					cpus[name] = us
					b.ReportMetric(us, "cpu-us/msg")
				}
			}
			if name != "smtp-sink" && rates["smtp-sink"] > 0 {
				b.ReportMetric(rate/rates["smtp-sink"], "x_smtp-sink")
			}
			if name == "mailkit" && rates["go-smtp"] > 0 {
				b.ReportMetric(rate/rates["go-smtp"], "x_go-smtp")
			}
		})
	}
}

// pinning is the CPU placement of BenchmarkSMTPServerSource.
type pinning struct {
	source string // CPU list for smtp-source; "" leaves it to the kernel
}

// taskset returns the program to execute for smtp-source: taskset when
// pinned, else src itself.
func (p pinning) taskset(src string) string {
	if p.source == "" {
		return src
	}
	return "taskset"
}

// sourcePinning reads MAILKIT_BENCH_SOURCE_CPUS and checks that neither
// this process nor smtp-sink ($MAILKIT_BENCH_SMTP_SINK_PID) may run on
// those CPUs.
func sourcePinning(b *testing.B) pinning {
	list := os.Getenv("MAILKIT_BENCH_SOURCE_CPUS")
	if list == "" {
		return pinning{}
	}
	src, err := parseCPUList(list)
	if err != nil {
		b.Fatalf("MAILKIT_BENCH_SOURCE_CPUS: %v", err)
	}
	if _, err := exec.LookPath("taskset"); err != nil {
		b.Fatalf("MAILKIT_BENCH_SOURCE_CPUS needs taskset (util-linux): %v", err)
	}
	pids := map[string]int{"this process": 0}
	if v, err := strconv.Atoi(os.Getenv("MAILKIT_BENCH_SMTP_SINK_PID")); err == nil {
		pids["smtp-sink"] = v
	}
	for name, pid := range pids {
		var set unix.CPUSet
		if err := unix.SchedGetaffinity(pid, &set); err != nil {
			b.Fatalf("affinity of %s: %v", name, err)
		}
		for _, c := range src {
			if set.IsSet(c) {
				b.Fatalf("%s may run on CPU %d, which MAILKIT_BENCH_SOURCE_CPUS gives smtp-source; start it under taskset -c with other CPUs", name, c)
			}
		}
	}
	b.Logf("smtp-source on CPUs %s, servers elsewhere, GOMAXPROCS=%d", list, runtime.GOMAXPROCS(0))
	return pinning{source: list}
}

// parseCPUList parses a CPU list as taskset -c takes it: "0", "0,2",
// "1-3".
func parseCPUList(s string) ([]int, error) {
	var cpus []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("bad CPU %q in %q", lo, s)
		}
		z := a
		if isRange {
			if z, err = strconv.Atoi(hi); err != nil || z < a {
				return nil, fmt.Errorf("bad CPU range %q in %q", part, s)
			}
		}
		for c := a; c <= z; c++ {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}
