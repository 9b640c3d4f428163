package main

// zone is what the demo's DNS server (dnstest) serves: the local domain
// example.test, the remote domain remote.test (both with MX hosts on
// 127.0.0.1 and SPF records) and the DNS blocklist bl.test, which lists
// the RFC 5782 test point 127.0.0.2.
const zone = `
$ORIGIN test.
$TTL 300
@             IN SOA ns hostmaster ( 1 3600 600 86400 60 )
example       IN MX  10 mx.example
example       IN TXT "v=spf1 mx -all"
mx.example    IN A   127.0.0.1
mx.example    IN TXT "v=spf1 a -all"
remote        IN MX  10 mx.remote
remote        IN TXT "v=spf1 ip4:127.0.0.1 -all"
mx.remote     IN A   127.0.0.1
mx.remote     IN TXT "v=spf1 a -all"
2.0.0.127.bl  IN A   127.0.0.2
2.0.0.127.bl  IN TXT "listed: RFC 5782 test point"
`

// Names used throughout the demo.
const (
	localDomain  = "example.test"
	remoteDomain = "remote.test"
	mxHost       = "mx.example.test" // our MTA
	remoteMXHost = "mx.remote.test"  // the next hop
	blocklist    = "bl.test"
	password     = "secret"
	alice        = "alice@example.test"
	bob          = "bob@example.test"
	carol        = "carol@remote.test" // writes to bob through our MX
	dave         = "dave@remote.test"  // alice writes to him: forwarded
	frank        = "frank@remote.test" // alice writes to him too: unknown there, bounced
)
