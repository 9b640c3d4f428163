// Package redisstore is a [greylist.Store] on Redis, so a fleet of MX hosts
// can share one greylist. It lives in its own module so that the mailkit
// module does not depend on a Redis client.
//
// Each record is a Redis string under Prefix + the 16-byte key, holding the
// 12-byte record (big-endian uint32 First, Last, Count), with a TTL (default
// 35 days, greylist.DefaultExpiry) refreshed on every write: Redis expires
// records itself, so the store does not implement greylist.Sweeper.
//
// Update is an optimistic transaction (WATCH, GET, MULTI/SET/EXEC), retried
// up to MaxRetries times when another client changed the key in between;
// the update function may therefore run more than once.
//
// A Store is safe for concurrent use.
package redisstore
