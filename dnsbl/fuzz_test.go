package dnsbl

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func FuzzParseLocalList(f *testing.F) {
	f.Add([]byte(sampleList))
	f.Add([]byte("192.0.2.0/24\n# c\n@x.example\n.y.example\n"))
	f.Add([]byte("::ffff:1.2.3.4/120\r\n"))
	f.Add([]byte("a@b@c\n\xff\xfe\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseLocalList(bytes.NewReader(data), &LocalLimits{MaxEntries: 1000})
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				if pe.Line < 1 || !errors.Is(err, ErrLocalList) {
					t.Fatalf("bad ParseError: %+v", pe)
				}
			}
			return
		}
		if l.Len() > 1000 {
			t.Fatalf("%d entries over the limit", l.Len())
		}
		// Every entry matches itself.
		for _, line := range strings.Split(string(data), "\n") {
			if i := strings.IndexByte(line, '#'); i >= 0 {
				line = line[:i]
			}
			e := strings.TrimSpace(line)
			if e == "" {
				continue
			}
			if a, err := netip.ParseAddr(e); err == nil {
				if _, ok := l.MatchIP(a); !ok {
					t.Fatalf("address %q does not match itself", e)
				}
			}
			if p, err := netip.ParsePrefix(e); err == nil {
				if _, ok := l.MatchIP(p.Addr()); !ok {
					t.Fatalf("network %q does not match its address", e)
				}
			}
		}
	})
}

func FuzzInterpret(f *testing.F) {
	f.Add([]byte{127, 0, 0, 2}, false)
	f.Add([]byte{127, 0, 0, 2, 127, 0, 0, 4, 127, 0, 0, 10}, false)
	f.Add([]byte{127, 255, 255, 254}, true)
	f.Add([]byte{192, 0, 2, 1}, false)
	f.Add([]byte{127, 0, 10, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 2}, true)
	f.Fuzz(func(t *testing.T, data []byte, allow bool) {
		// The first 4 bytes per answer are IPv4, a 0 marker byte pair
		// makes the next 16 an IPv6 answer.
		var addrs []netip.Addr
		for len(data) >= 4 && len(addrs) < 64 {
			if data[0] == 0 && data[1] == 0 && len(data) >= 18 {
				addrs = append(addrs, netip.AddrFrom16([16]byte(data[2:18])))
				data = data[18:]
				continue
			}
			addrs = append(addrs, netip.AddrFrom4([4]byte(data[:4])))
			data = data[4:]
		}
		lists := []*List{
			{Zone: "zen.test", Allow: allow, Codes: zenCodes},
			{Zone: "plain.test", Allow: allow, Weight: 3},
		}
		for _, l := range lists {
			res, err := Interpret(l, addrs)
			valid := true
			for _, a := range addrs {
				a = a.Unmap()
				if !a.Is4() || a.As4()[0] != 127 || (a.As4()[1] == 255 && a.As4()[2] == 255) {
					valid = false
				}
			}
			if !valid {
				if err == nil || res.Listed || res.Weight != 0 {
					t.Fatalf("invalid answer %v interpreted as %+v, %v", addrs, res, err)
				}
				if !errors.Is(err, ErrBadAnswer) && !errors.Is(err, ErrRefused) {
					t.Fatalf("unexpected error %v", err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("valid answer %v: %v", addrs, err)
			}
			if len(addrs) == 0 && res.Listed {
				t.Fatal("empty answer listed")
			}
			if res.Weight != 0 && !res.Listed {
				t.Fatalf("weight without listing: %+v", res)
			}
			if allow && res.Weight > 0 || !allow && res.Weight < 0 {
				t.Fatalf("weight sign wrong for allow=%v: %+v", allow, res)
			}
		}
	})
}
