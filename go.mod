module github.com/mailkit-go/mailkit

go 1.24.0

require (
	github.com/miekg/dns v1.1.66
	github.com/stretchr/testify v1.11.1
	golang.org/x/net v0.43.0
	golang.org/x/text v0.28.0
	gopkg.in/yaml.v3 v3.0.1
)

require (
	github.com/davecgh/go-spew v1.1.1 // indirect
	github.com/pmezard/go-difflib v1.0.0 // indirect
	golang.org/x/mod v0.26.0 // indirect
	golang.org/x/sync v0.16.0 // indirect
	golang.org/x/sys v0.35.0 // indirect
	golang.org/x/tools v0.35.0 // indirect
)
