// Package greylist implements greylisting: the first delivery attempt of an
// unknown (client, envelope sender, recipient) triplet is deferred with a
// temporary error; real MTAs retry, most spam engines do not.
//
// There is no RFC; the behaviour and defaults follow postgrey:
//
//   - Delay 300 s: a retry before it is deferred again, one after it is
//     accepted and the triplet is remembered as passed.
//   - Retry window 2 days: a triplet that did not pass within it starts
//     over.
//   - Expiry 35 days: triplets and client counters not seen for that long
//     are forgotten.
//   - Auto-allowlist after 5 successful deliveries ([Checker.Delivered])
//     from a client: it is no longer greylisted.
//   - Clients are grouped by network: IPv4 /24, IPv6 /64 (an IPv4-mapped
//     IPv6 address counts as IPv4).
//
// All are fields of [Checker]. Senders are normalised ([NormalizeSender]:
// lower case, SRS unwrapped, BATV and sub-address tags removed, VERP
// numbers replaced by "#"); recipients are lower-cased. With
// Checker.KeyBySPF, a triplet whose sender domain passed SPF is keyed on
// that domain instead of the client network, so senders that retry from
// another address of their pool are not deferred again. Static allowlists
// cover clients (prefixes), senders and recipients (addresses or domains).
//
// [Checker.Check] returns a [Decision]; [Decision.Reply] suggests the SMTP
// reply (451 4.7.1 "greylisted, please try again in N seconds") without
// importing a protocol package. Time comes from Checker.Now.
//
// # Stores
//
// State lives in a [Store]: one atomic read-modify-write operation
// (Store.Update) on a 16-byte [Key] (the first half of a SHA-256 of the
// normalised triplet, so keys are fixed-size and hard to collide on
// purpose) and a 12-byte [Record] (uint32 Unix seconds). Stores:
//
//   - [MemoryStore]: 64 sharded maps, bounded (MemoryOptions.MaxEntries,
//     default 10 million; when full an approximately least recently seen
//     record is evicted), swept of expired records. About 40-60 bytes per
//     triplet.
//   - [FileStore]: the same map backed by an append-only log on local disk
//     with a CRC-32C per record, fsynced before Update returns (unless
//     FileOptions.NoSync), compacted atomically (temporary file, fsync,
//     rename, directory fsync). A crash mid-write leaves a torn last record
//     that is ignored and cut off on the next open. A failed compaction
//     (disk full) does not fail updates; it is retried later and reported
//     by [FileStore.CompactErr]. The log holds at most about twice the
//     live records (plus CompactAfter) while compactions work. One
//     FileStore per file: an exclusive flock on path+".lock" refuses a
//     second opener, in this process or another, with [ErrStoreLocked].
//   - greylist/redisstore (a nested module, so this module gains no
//     dependency): a Redis store shared by a fleet of MX hosts.
//
// greylist/storetest holds the conformance test every store runs.
//
// # Limits
//
// A key is hashed from the triplet's fields, each preceded by its length
// in 16 bits, so a field (normalised sender, lower-cased recipient, or the
// SPF domain with KeyBySPF) may be at most [MaxFieldLen] (65535) bytes.
// [Checker.Check] and [Checker.Delivered] refuse a longer one with a
// [FieldTooLongError], which matches [ErrBadTriplet], before the store is
// touched. Earlier versions let the length wrap, so a hostile triplet could
// share the key of another one; refusing the field, rather than keying it
// some other way, keeps every key of a triplet within the limit exactly as
// it was (state in FileStores and Redis survives the upgrade) and costs
// nothing: SMTP paths are at most 256 octets (RFC 5321 §4.5.3.1), so a
// 64 KiB field is hostile input, best answered with a permanent syntax
// error (501 5.5.2 or 553 5.1.3) rather than a greylisting decision.
//
// [Checker] sweeps stores that implement [Sweeper] every SweepInterval
// (default 1 hour) from within the Check call that finds the sweep due.
//
// # Performance
//
// A decision on a known triplet with a [MemoryStore] allocates nothing:
// keys are hashed from a stack buffer the normalised parts are written to,
// and the per-call state is pooled. Its cost is two SHA-256 computations and
// two shard-locked map operations.
//
// # Concurrency
//
// A [Checker] is safe for concurrent use (its Store must be, as all stores
// here are); it must not be copied after first use. Concurrent checks of the
// same triplet are serialised by the store.
package greylist
