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
// report-type=delivery-status through the encoder of package mime: a
// text/plain part (7bit, or quoted-printable/base64 as mime chooses for
// non-ASCII text on a 7-bit path), the message/delivery-status part
// (message/global-delivery-status of RFC 6533, sent 8bit, when a field
// value is UTF-8), and the returned content as text/rfc822-headers
// (RET=HDRS) or message/rfc822 (RET=FULL, 7bit or 8bit, never base64).
// Status field values are folded at 78 columns where they have spaces.
// The output is deterministic: a caller-chosen [Report.Boundary] is passed
// to the encoder as the boundary parameter (it must be valid and absent
// from the parts, or Bytes fails); without one the boundary comes from the
// encoder's randomness, which Bytes seeds with a SHA-256 hash of the
// content.
// mime writes Content-Type as the first header field of the report.
//
// [ParseReport] reads a report with the mime decoder, so it is as tolerant
// as that decoder (LF line endings, folding, case-insensitive types,
// quoted-printable and base64 parts, missing close delimiters, see package
// mime). It finds the first message/delivery-status or
// message/global-delivery-status part in the multipart tree, descending
// into nested multiparts (an Outlook report's multipart/alternative) but
// not into returned messages, takes the first text/plain part as Text
// (converted to UTF-8), and keeps a returned message/rfc822 (or
// message/global) as sent, a text/rfc822-headers (or message/global-headers)
// part transfer-decoded. Each status group is read by the mime header
// parser; folded values are unfolded and runs of white space collapsed.
//
// # Limits
//
// At most [MaxParams] parameters per command, 1024 lines per EHLO reply;
// ParseReport reads at most [MaxReportSize] octets and
// [MaxReportRecipients] recipient groups, with the mime decoder limited to
// nesting depth 16 and 1000 parts; a mime limit error is returned wrapped
// in [ErrReportSyntax].
//
// # Concurrency
//
// All functions are safe for concurrent use; values are not synchronised.
package esmtp
