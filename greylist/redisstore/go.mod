module github.com/mailkit-go/mailkit/greylist/redisstore

go 1.24.0

replace github.com/mailkit-go/mailkit => ../..

require (
	github.com/mailkit-go/mailkit v0.0.0-00010101000000-000000000000
	github.com/redis/go-redis/v9 v9.17.3
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/dgryski/go-rendezvous v0.0.0-20200823014737-9f7001d12a5f // indirect
)
