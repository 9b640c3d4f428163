package mime

import (
	"strconv"
	"strings"
	"time"
)

var monthNames = map[string]time.Month{
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
	"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}

var zoneNames = map[string]int{ // offsets in minutes (RFC 5322 section 4.3)
	"ut": 0, "utc": 0, "gmt": 0, "z": 0,
	"est": -5 * 60, "edt": -4 * 60, "cst": -6 * 60, "cdt": -5 * 60,
	"mst": -7 * 60, "mdt": -6 * 60, "pst": -8 * 60, "pdt": -7 * 60,
	"cet": 60, "cest": 120, "met": 60, "mest": 120, "bst": 60, "ist": 330, "jst": 540, "eet": 120, "eest": 180,
}

// ParseDate parses an RFC 5322 date-time, accepting the obsolete forms of
// section 4.3 (two- and three-digit years, alphabetic zones, comments and
// extra whitespace, missing day of week, missing seconds) and common
// deviations (full month and day names, missing comma, asctime order "Mon
// Jan 2 15:04:05 2006", ISO 8601 "2006-01-02T15:04:05Z", "." as time
// separator, a missing zone taken as UTC). Military single-letter zones are
// taken as +0000 (RFC 5322 says their meaning is unknown).
func ParseDate(s string) (time.Time, error) {
	in := s
	s = strings.TrimSpace(stripComments(s))
	if k := strings.LastIndexByte(s, ';'); k >= 0 { // a Received field: the date follows the last ';'
		s = strings.TrimSpace(s[k+1:])
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' || r == '\r' || r == '\n' })
	var (
		day, year, hh, mm, ss = -1, -1, -1, 0, 0
		mon                   time.Month
		nums                  []int
		zone                  = 0
		haveTime              bool
	)
	for _, w := range f {
		lw := strings.ToLower(w)
		switch {
		case len(lw) >= 3 && monthNames[lw[:3]] != 0 && mon == 0 && isAlpha(lw):
			mon = monthNames[lw[:3]]
		case isAlpha(lw) && isDayName(lw):
		case strings.Count(w, ":") >= 1 && !haveTime || strings.Count(w, ".") == 2 && !haveTime && year >= 0:
			sep := ":"
			if !strings.Contains(w, ":") {
				sep = "."
			}
			tz := ""
			if k := strings.IndexAny(w, "+-"); k > 0 {
				w, tz = w[:k], w[k:]
			}
			parts := strings.Split(w, sep)
			if len(parts) < 2 || len(parts) > 3 {
				return time.Time{}, syntaxErr("date", in, -1, "bad time")
			}
			var err error
			if hh, err = atoiRange(parts[0], 0, 24); err != nil {
				return time.Time{}, syntaxErr("date", in, -1, "bad hour")
			}
			if mm, err = atoiRange(parts[1], 0, 59); err != nil {
				return time.Time{}, syntaxErr("date", in, -1, "bad minute")
			}
			if len(parts) == 3 {
				sp := parts[2]
				if k := strings.IndexByte(sp, '.'); k >= 0 {
					sp = sp[:k]
				}
				if ss, err = atoiRange(sp, 0, 60); err != nil {
					return time.Time{}, syntaxErr("date", in, -1, "bad second")
				}
			}
			haveTime = true
			if tz != "" {
				if z, ok := numericZone(tz); ok {
					zone = z
				}
			}
		case (lw[0] == '+' || lw[0] == '-') && len(lw) >= 3:
			z, ok := numericZone(lw)
			if !ok {
				return time.Time{}, syntaxErr("date", in, -1, "bad zone")
			}
			zone = z
		case isDigits(w):
			n, _ := strconv.Atoi(w)
			nums = append(nums, n)
			switch {
			case day < 0 && len(w) <= 2 && n >= 1 && n <= 31:
				day = n
			case mon == 0 && len(nums) == 2 && n >= 1 && n <= 12:
				mon = time.Month(n) // obsolete numeric month ("20 11 79")
			case year < 0:
				year = n
				switch {
				case len(w) == 2 && n < 50:
					year = 2000 + n
				case len(w) <= 3:
					year = 1900 + n
				}
			case len(w) == 4 && haveTime:
				// "+0000" without sign
				z, _ := numericZone("+" + w)
				zone = z
			}
		case len(lw) == 10 && lw[4] == '-' && lw[7] == '-':
			t, err := time.Parse("2006-01-02", lw)
			if err != nil {
				return time.Time{}, syntaxErr("date", in, -1, "bad ISO date")
			}
			year, mon, day = t.Year(), t.Month(), t.Day()
		case lw[0] >= 'a' && lw[0] <= 'z':
			k := 0
			for k < len(lw) && lw[k] >= 'a' && lw[k] <= 'z' {
				k++
			}
			if z, ok := zoneNames[lw[:k]]; ok {
				zone = z
			}
		}
	}
	if day < 0 || mon == 0 || year < 0 || !haveTime {
		return time.Time{}, syntaxErr("date", in, -1, "incomplete date")
	}
	if day > daysIn(mon, year) {
		return time.Time{}, syntaxErr("date", in, -1, "day out of range")
	}
	loc := time.FixedZone("", zone*60)
	if zone == 0 {
		loc = time.UTC
	}
	return time.Date(year, mon, day, hh, mm, ss, 0, loc), nil
}

func daysIn(m time.Month, y int) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func isDayName(s string) bool {
	if len(s) < 3 {
		return false
	}
	switch s[:3] {
	case "mon", "tue", "wed", "thu", "fri", "sat", "sun":
		return true
	}
	return false
}

func isAlpha(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return s != ""
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func atoiRange(s string, lo, hi int) (int, error) {
	if !isDigits(s) || len(s) > 2 {
		return 0, ErrSyntax
	}
	n, _ := strconv.Atoi(s)
	if n < lo || n > hi {
		return 0, ErrSyntax
	}
	return n, nil
}

func numericZone(z string) (int, bool) {
	sign := 1
	if z[0] == '-' {
		sign = -1
	}
	d := strings.ReplaceAll(z[1:], ":", "")
	if !isDigits(d) {
		return 0, false
	}
	switch len(d) {
	case 4:
	case 2:
		d += "00"
	case 3:
		d = "0" + d
	default:
		return 0, false
	}
	h, _ := strconv.Atoi(d[:2])
	m, _ := strconv.Atoi(d[2:])
	if h > 23 || m > 59 {
		return 0, false
	}
	return sign * (h*60 + m), true
}

// FormatDate formats t as an RFC 5322 date-time ("Mon, 02 Jan 2006
// 15:04:05 -0700").
func FormatDate(t time.Time) string {
	return t.Format("Mon, 02 Jan 2006 15:04:05 -0700")
}

// Date parses the Date field ([ParseDate]).
func (h *Header) Date() (time.Time, error) { return ParseDate(h.Get("Date")) }
