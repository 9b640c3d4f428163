package smtp_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mailkit-go/mailkit/smtp"
)

// suggested is an error that suggests an SMTP reply, as *mx.Error and
// greylist decisions do.
type suggested struct {
	code int
	err  error
}

func (s *suggested) Error() string { return fmt.Sprintf("suggested %d", s.code) }
func (s *suggested) Unwrap() error { return s.err }
func (s *suggested) Reply() (int, string, string) {
	return s.code, fmt.Sprintf("%d.0.0", s.code/100), "suggested"
}

// asReply stands for an *smtp.Error through an As method only, as
// errors.As supports and IsTemporary did before it walked the chain itself.
type asReply struct{ e *smtp.Error }

func (a asReply) Error() string { return "as " + a.e.Error() }
func (a asReply) As(target any) bool {
	if p, ok := target.(**smtp.Error); ok {
		*p = a.e
		return true
	}
	return false
}

func TestIsTemporary(t *testing.T) {
	t.Parallel()
	e451 := &smtp.Error{Code: 451, Enhanced: smtp.EnhancedCode{Class: 4, Subject: 3, Detail: 0}, Message: "try later"}
	e550 := &smtp.Error{Code: 550, Enhanced: smtp.EnhancedCode{Class: 5, Subject: 1, Detail: 1}, Message: "no such user"}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"451", e451, true},
		{"550", e550, false},
		{"wrapped 550", fmt.Errorf("deliver: %w", e550), false},
		{"network error", refused, true},
		{"deadline", context.DeadlineExceeded, true},
		{"suggested 556 (null MX)", &suggested{code: 556}, false},
		{"suggested 451", &suggested{code: 451}, true},
		{"wrapped suggested 556", fmt.Errorf("route: %w", &suggested{code: 556}), false},
		{"suggested 556 around a network error", &suggested{code: 556, err: refused}, false},
		{"outer 451 decides over inner 550", &suggested{code: 451, err: e550}, true},
		{"joined: first 550 decides", errors.Join(e550, &suggested{code: 451}), false},
		{"joined: plain error then 556", errors.Join(errors.New("x"), &suggested{code: 556}), false},
		{"550 through an As method", asReply{e550}, false},
		{"wrapped 550 through an As method", fmt.Errorf("send: %w", asReply{e550}), false},
		{"451 through an As method", asReply{e451}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, smtp.IsTemporary(tc.err))
		})
	}
}
