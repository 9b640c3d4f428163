package smtp

import (
	"context"
	"sync"
	"time"
)

// connCtx is the context a connection hands to its Backend and Session:
// it ends when the connection ends (context.Canceled) or when the
// connection's lifetime is over (context.DeadlineExceeded), like
// context.WithDeadline. Unlike context.WithDeadline it creates its channel
// and timer only when somebody asks for Done, so a backend that never
// waits on the context costs no allocation and no runtime timer per
// connection. Derived contexts (context.WithCancel, context.AfterFunc)
// call Done first and then attach to the inner context directly, so they
// cost no extra goroutine.
type connCtx struct {
	deadline time.Time

	mu       sync.Mutex
	inner    context.Context // nil until Done is called
	cancelFn context.CancelFunc
	canceled bool
	expired  bool // canceled after the deadline, before Done was called
}

var _ context.Context = (*connCtx)(nil)

func (c *connCtx) Deadline() (time.Time, bool) { return c.deadline, true }

// Done returns the inner context's channel, creating it on first use.
func (c *connCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inner == nil {
		c.inner, c.cancelFn = context.WithDeadline(context.Background(), c.deadline)
		if c.canceled {
			c.cancelFn()
		}
	}
	return c.inner.Done()
}

// Err answers without creating the inner context when nobody called Done.
func (c *connCtx) Err() error {
	c.mu.Lock()
	inner, canceled := c.inner, c.canceled
	c.mu.Unlock()
	if inner != nil {
		return inner.Err()
	}
	if canceled {
		c.mu.Lock()
		expired := c.expired
		c.mu.Unlock()
		if expired {
			return context.DeadlineExceeded
		}
		return context.Canceled
	}
	if !time.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// Value has no values of its own. Once Done was called it answers from
// the inner context, which lets the context package find the inner
// cancelCtx and attach derived contexts to it.
func (c *connCtx) Value(key any) any {
	c.mu.Lock()
	inner := c.inner
	c.mu.Unlock()
	if inner == nil {
		return nil
	}
	return inner.Value(key)
}

func (c *connCtx) String() string { return "smtp.connContext" }

// cancel ends the context with context.Canceled (unless its deadline
// passed first).
func (c *connCtx) cancel() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.canceled {
		return
	}
	c.canceled = true
	if c.cancelFn != nil {
		c.cancelFn()
	} else if !time.Now().Before(c.deadline) {
		c.expired = true
	}
}
