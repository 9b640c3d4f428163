module github.com/mailkit-go/mailkit/bench

go 1.25.0

replace github.com/mailkit-go/mailkit => ../

require (
	blitiri.com.ar/go/spf v1.6.0
	github.com/emersion/go-message v0.18.2
	github.com/emersion/go-sasl v0.0.0-20241020182733-b788ff22d5a6
	github.com/emersion/go-smtp v0.26.0
	github.com/mailkit-go/mailkit v0.0.0-00010101000000-000000000000
	github.com/miekg/dns v1.1.73
	golang.org/x/sys v0.47.0
)

require (
	golang.org/x/net v0.57.0 // indirect
	golang.org/x/text v0.40.0 // indirect
)
