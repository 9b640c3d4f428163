// Package maildir stores mail in Maildir directories that Dovecot, Courier,
// Postfix (virtual and local delivery), mutt and other software read and
// write too.
//
// # Format
//
// The layout follows D. J. Bernstein's specification
// (https://cr.yp.to/proto/maildir.html) with the conventions Dovecot adds:
//
//   - A Maildir is a directory with tmp/, new/ and cur/. [Create] makes one,
//     [Open] opens one.
//   - [Maildir.Deliver] writes a message to tmp/ under a unique name, fsyncs
//     the file, hard-links it into new/ (falling back to a checked rename
//     where hard links are unsupported), removes the tmp/ name and fsyncs
//     new/ before returning. A message in new/ or cur/ is therefore always
//     complete, and a nil error means it is durable. [Maildir.Append]
//     stores straight into cur/ with flags.
//   - Unique names are "<seconds>.M<microseconds>P<pid>Q<counter>R<random>.<host>"
//     (Dovecot's layout plus 16 random hex digits, so a fixed injected clock
//     or reused PIDs cannot collide); the clock, host name, PID and random
//     source are [Options] fields. Dovecot's ",S=<size>,W=<size with CRLF>"
//     fields follow, and in cur/ the info ":2,<flags>".
//   - Flags ([Flags], [Info]): D(raft), F(lagged), P(assed), R(eplied),
//     S(een), T(rashed) in ASCII order. Other characters, such as Dovecot's
//     keyword letters a-z, are preserved in Info.Extra but not interpreted
//     (the dovecot-keywords file is not read).
//   - The key of a message ([Name.Key]) is the unique part before the first
//     ',' or ':'. It survives flag changes and the new/ -> cur/ move, so it
//     is a stable identifier without a uidlist. Dovecot's dovecot-uidlist
//     is neither read nor written; Dovecot assigns IMAP UIDs to our
//     messages when it next scans the directory.
//   - Maildir++ folders are directories ".Name" below the root, nested
//     levels joined by "." (".Lists.Go"), each level in IMAP modified UTF-7
//     ([EncodeMailboxName], [FolderDir], [FolderName]). Folder names in this
//     API use "/" as the hierarchy separator, like Dovecot's default
//     namespace; a level containing "." is rejected.
//   - Files in tmp/ are never listed. [Maildir.CleanTmp] removes leftovers
//     of crashed deliveries older than 36 hours.
//
// # Limits
//
// [Limits]: MaxMessageSize (default 64 MiB; larger deliveries fail with
// [ErrTooLarge] and leave nothing behind) and MaxList (default 1,000,000;
// bounds listings and lookups, [ErrTooMany]). A key lookup scans new/ and
// cur/, so per-message operations cost O(messages in the folder).
//
// # Concurrency
//
// A [Maildir] is safe for concurrent use. Several goroutines and processes
// may deliver into one Maildir at once: names are unique, tmp/ files are
// created with O_EXCL and published with link(2), which never replaces an
// existing file. Flag changes and moves are single rename(2) calls; when
// another process renamed a message first, operations look it up again
// (a bounded number of times). An open message stays readable when it is
// renamed or removed meanwhile. No locks are taken, as the format intends.
//
// Errors are the sentinels in errors.go, wrapped with context; test with
// errors.Is.
package maildir
