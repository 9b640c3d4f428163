// Package maildirbackend serves Maildir directories (package maildir) over
// POP3: it implements pop3.Backend, one Maildir (the INBOX) per user.
//
// Unique ids are the stable maildir keys (Name.Key), so they survive the
// new/ -> cur/ moves and flag changes other software (Dovecot, mutt) makes;
// a key that is not a valid POP3 unique-id (more than 70 characters, for a
// long host name) is replaced by the hex SHA-256 prefix of it; a key listed
// twice (a message moved by another reader while the directories were
// read) is listed once. Sizes are the CRLF sizes POP3 sends: Dovecot's
// ",W=" field when the file name has one (plus the CRLF the server adds
// when the last line is unterminated, found by reading the last byte),
// otherwise computed by reading the file once at login. Messages are
// opened by the path seen at login, and looked up by key only when another
// reader renamed them meanwhile.
//
// # Deviations
//
//   - Locking is per Backend value, inside this process: a second POP3 login
//     of the same user through the same Backend gets [IN-USE]; Maildir has no
//     lock that other processes honour (the format needs none for delivery).
//   - Maildir cannot remove several messages atomically. Delete removes the
//     messages one by one (each removal is atomic), ignores messages that
//     are already gone, and returns an error if any removal failed, leaving
//     the others removed.
//   - New messages are not moved to cur/ when retrieved: POP3 has no "seen"
//     state and leaving them lets other readers see them as new.
//
// # Concurrency
//
// A Backend is safe for concurrent use by the pop3 server's connections.
package maildirbackend
