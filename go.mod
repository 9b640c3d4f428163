module github.com/mailkit-go/mailkit

go 1.24.0

require (
	github.com/miekg/dns v1.1.66
	github.com/stretchr/testify v1.11.1
	golang.org/x/net v0.43.0
	golang.org/x/text v0.28.0
	gopkg.in/yaml.v3 v3.0.1
)
