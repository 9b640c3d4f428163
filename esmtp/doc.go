// Package esmtp is the codec for SMTP service extensions (RFC 5321 §4.1.1.1,
// RFC 1869 lineage): a typed registry linking each EHLO keyword to the
// MAIL and RCPT parameters it allows, EHLO reply building and parsing,
// parameter parsing and validation, RFC 3463 enhanced status codes, xtext,
// and RFC 3464 delivery status notifications. It does no I/O; package smtp
// uses it on the wire.
//
// # Extensions
//
// [Registry] lists the known extensions: SIZE (RFC 1870), 8BITMIME
// (RFC 6152), BINARYMIME and CHUNKING (RFC 3030), PIPELINING (RFC 2920),
// DSN (RFC 3461: RET, ENVID, NOTIFY, ORCPT), SMTPUTF8 (RFC 6531), AUTH
// (RFC 4954, with MAIL's AUTH= parameter), STARTTLS (RFC 3207),
// ENHANCEDSTATUSCODES (RFC 2034), REQUIRETLS (RFC 8689) and HELP.
// [Capabilities] holds what a server announces; unknown keywords are kept
// in order. [ParseEHLO] and [ParseEHLOReply] read a reply,
// [Capabilities.Lines] and [Capabilities.AppendReply] write one.
//
// [ParseMailParams] and [ParseRcptParams] check parameters against the
// announced capabilities and return [*ParamError] values carrying the reply
// a server sends: 501 5.5.4 for bad syntax or a duplicate, 555 5.5.4 for a
// parameter no announced extension defines (RFC 5321 §4.1.1.11), 504 5.5.4
// for a value that is not implemented (BODY=BINARYMIME without BINARYMIME),
// 552 5.3.4 for SIZE over the limit (RFC 1870 §6).
//
// # Enhanced status codes
//
// [EnhancedCode] is class.subject.detail; [ParseEnhancedCode] is strict
// (RFC 3463 §2), [SplitEnhancedCode] takes one off the front of a reply
// text. [EnhancedCode.Title] and [EnhancedCode.Describe] give the meaning
// from RFC 3463 and the later entries of the IANA registry (RFC 3886, 4468,
// 4954, 5248, 6531, 6710, 7293, 7372, 7505, 8617, 8689).
//
// # Delivery status notifications
//
// [Report] is an RFC 3464 DSN: per-message fields, per-recipient fields
// (Action failed, delayed, delivered, relayed, expanded; Status;
// Final-Recipient; Diagnostic-Code; Remote-MTA; Last-Attempt-Date, ...),
// a human-readable text and the returned headers or message.
// [Report.Bytes] builds the multipart/report (RFC 6522) with
// report-type=delivery-status; [ParseReport] reads one.
//
// Deviation: the MIME package of this module is being written alongside
// this one, so esmtp builds and parses the small fixed multipart/report
// container itself. The builder writes 7-bit-safe text parts and the
// parser is tolerant: it unfolds header lines, accepts LF line endings,
// matches content types case-insensitively, finds message/delivery-status
// (or message/global-delivery-status, RFC 6533) in any part, and undoes
// quoted-printable and base64 transfer encoding of the text and status
// parts (the returned message is kept as sent). It is not a general MIME
// parser; nested multiparts are not descended into.
//
// # Limits
//
// At most [MaxParams] parameters per command, 1024 lines per EHLO reply;
// ParseReport reads at most [MaxReportSize] octets and
// [MaxReportRecipients] recipient groups.
//
// # Concurrency
//
// All functions are safe for concurrent use; values are not synchronised.
package esmtp
