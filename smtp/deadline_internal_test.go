package smtp

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestNextDeadline(t *testing.T) {
	t.Parallel()
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	far := base.Add(time.Hour)
	const timeout = 5 * time.Minute // slack 1s
	tests := []struct {
		name       string
		cur, due   time.Time
		limit      time.Time
		want       time.Time
		wantChange bool
	}{
		{name: "unset", cur: time.Time{}, due: base, limit: far, want: base.Add(time.Second), wantChange: true},
		{name: "within slack", cur: base.Add(time.Second), due: base.Add(500 * time.Millisecond), limit: far},
		{name: "exactly due", cur: base, due: base, limit: far},
		{name: "current too early", cur: base, due: base.Add(time.Millisecond), limit: far, want: base.Add(time.Millisecond + time.Second), wantChange: true},
		{name: "current too late", cur: base.Add(3 * time.Second), due: base, limit: far, want: base.Add(time.Second), wantChange: true},
		{name: "capped by lifetime", cur: time.Time{}, due: far.Add(time.Minute), limit: far, want: far, wantChange: true},
		{name: "at lifetime", cur: far, due: far.Add(time.Minute), limit: far},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := nextDeadline(tt.cur, tt.due, tt.limit, timeout)
			if !tt.wantChange {
				assert.True(t, got.IsZero(), "got %v", got)
				return
			}
			assert.Equal(t, tt.want, got)
			assert.False(t, got.Before(tt.due) && got.Before(tt.limit), "deadline before due")
		})
	}
	assert.Equal(t, 100*time.Millisecond/16, deadlineSlack(100*time.Millisecond))
}
