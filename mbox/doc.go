// Package mbox reads and appends to mbox files, the single-file mailbox
// format of /var/spool/mail/$USER that Postfix, sendmail, procmail, mutt,
// Dovecot and Python's mailbox module share (RFC 4155).
//
// # Format
//
// Each message starts with a From_ line, "From <envelope sender> <date>",
// the date in UTC asctime form ("Sun Nov 29 17:22:41 2026"), and ends with
// an empty line. Lines of the message that would look like a From_ line are
// quoted. This package writes the mboxrd variant: every line matching
// ">*From " gets one more '>' ([Writer]), so reading ([Reader],
// FormatMboxrd) restores the message exactly. Readers can also undo mboxo
// quoting (only "From " -> ">From ", ambiguous) or leave bodies raw.
//
// Deviations and choices:
//
//   - Any line starting with "From " begins a new message, whether or not
//     the rest looks like a sender and a date. This is how mboxrd files are
//     meant to be read and matches Python's mailbox module; it splits
//     unquoted mboxo files written by careless programs at such lines.
//   - Content-Length header fields (the mboxcl variants of Solaris and
//     older System V) are ignored.
//   - Line ends are kept as they are. A message without a final line end
//     gets one (the only change a round trip makes). The empty separator
//     line must be "\n"; "\r\n" counts as content, as in Python.
//   - The envelope sender of a bounce (empty MAIL FROM) is written as
//     "MAILER-DAEMON".
//
// # Appending
//
// [Mailbox.Append] locks the file (fcntl and flock by default; dot-locks
// "<path>.lock" for spools, [Spool]), notes its size, writes the message,
// and fsyncs before returning (the directory too when the mailbox was
// empty, so a newly created file survives a crash). If anything fails, the file is truncated
// back to the noted size and synced, so a failed append leaves the mailbox
// untouched. A process killed part way (or a power cut) still leaves a
// partial message at the end; the next Append completes the separator
// first so the new message stays intact and readable. Symbolic links and
// files with several hard links are refused as mailboxes.
//
// # Dot-locks
//
// LockDotlock interoperates with liblockfile (mutt, procmail) and Postfix
// local: the lock is "<path>.lock", created with O_EXCL and holding the
// PID, and one older than Mailbox.DotlockStale (default 5 minutes) is
// taken as abandoned and removed. Two processes breaking the same stale
// lock must not both end up holding it, so breaking is guarded:
//
//   - A Mailbox holding a dot-lock keeps the lock file open with an
//     exclusive flock(2) until it has removed it. A lock whose flock is
//     held belongs to a live process and is never broken, whatever its
//     age; the kernel drops the flock of a process that dies.
//   - A breaker opens the lock file, judges that file stale, takes its
//     flock without waiting (excluding the holder and other breakers of
//     the same file), checks that "<path>.lock" still names it, renames
//     it to a unique name ("<path>.lock.stale.<pid>.<random>") and checks
//     that the renamed file is the one it judged (device and inode). Only
//     then is it removed. Otherwise another program replaced the lock in
//     between, and it is put back with link(2), which never replaces a
//     lock created meanwhile.
//   - Releasing removes the lock only if it is still the holder's file.
//
// So Mailboxes (in one process or several) never hold one dot-lock at
// once, as long as the stale lock file can be opened: a stale lock that
// cannot be (a symbolic link, a file without read permission) is judged
// by lstat and renamed away without the flock, and the inode check then
// narrows the race without closing it. A crash leaves at worst a stale lock, broken later, or, between
// the rename and the removal, the already broken lock under its unique
// name. Other programs remove stale locks by name without these checks:
// against them the race is narrowed, not closed, and a Mailbox that holds
// a dot-lock longer than their stale age (Read holds it while its callback
// runs) may lose it to them. Without flock (unsupported platform or file
// system) locks are judged by age alone, as other dot-lock users do.
//
// # Limits
//
// [Limits]: MaxMessageSize (default 64 MiB) and MaxLineLength (default
// 1 MiB) apply to reading and writing and give [ErrTooLarge] and
// [ErrLineTooLong]; MaxMailboxSize (off by default) gives [ErrMailboxFull].
// Readers stream bodies with a fixed buffer; a message that breaks a limit
// while being read fails, and [Reader.Next] skips the rest of it.
//
// # Concurrency
//
// A [Mailbox] is safe for concurrent use; its calls are serialised within
// the process, and the locks exclude other processes. POSIX fcntl locks
// do not exclude other goroutines of the same process, so two Mailbox
// values for one file in one process also need LockFlock (in the default)
// or LockDotlock. [Reader] and [Writer] are not safe for concurrent use.
// Kernel locks are available on Linux, the BSDs and macOS; elsewhere only
// LockDotlock and LockNone work.
package mbox
