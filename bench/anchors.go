//go:build anchors

// Package bench compares mailkit with the libraries users would pick instead.
// This file only pins the comparison anchors in go.mod; it is never built.
package bench

import (
	_ "blitiri.com.ar/go/spf"
	_ "github.com/emersion/go-message"
	_ "github.com/emersion/go-sasl"
	_ "github.com/emersion/go-smtp"
	_ "github.com/mailkit-go/mailkit"
	_ "github.com/miekg/dns"
)
