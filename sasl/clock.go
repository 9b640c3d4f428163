package sasl

import "time"

func timeNow(now func() time.Time) time.Time {
	if now == nil {
		return time.Now()
	}
	return now()
}
