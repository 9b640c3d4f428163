// Package senderid implements Sender ID (RFC 4406): "spf2.0/<scopes>"
// records with the mfrom and pra scopes, the record selection rules of
// RFC 4406 §3.4, the Purported Responsible Address algorithm of RFC 4407
// §2 and the SUBMITTER SMTP parameter of RFC 4405.
//
// Evaluation runs on package spf's check_host() ([spf.Checker]); this
// package only supplies the record selector ([Select]) through
// [spf.Checker.Select], so limits, macros and explanations behave exactly
// as for SPF. Results are the RFC 4406 §4 ones, which are the SPF tokens.
//
// Record selection (RFC 4406 §3.4): when a domain publishes any "spf2.0"
// record, its "v=spf1" records are ignored; otherwise a "v=spf1" record
// stands for "spf2.0/mfrom,pra". Records without the checked scope are
// discarded; two or more remaining is a permerror, none is none. Domains
// that publish SPF but do not want it applied to the PRA should publish
// [NeutralPRARecord] ("spf2.0/pra ?all").
//
// [PRA] takes the header fields as (name, value) pairs in message order so
// it does not depend on a MIME package. Mailboxes are parsed with
// net/mail after removing comments; group syntax, several mailboxes, a
// missing domain or a domain literal make the field malformed (step 5 to
// 6). At most 10000 fields are examined.
//
// Deviations: when no PRA can be determined, [Checker.CheckPRA] returns
// permerror (RFC 4407 calls the message ill-formed and leaves the action
// to the receiver). Record selection follows RFC 4406, so it differs from
// Mail::SPF::Iterator's SPF-first policy on its "sender-id-pick-spf" test
// (see the tests).
//
// Concurrency: a [Checker] is safe for concurrent use when its fields are
// not modified.
package senderid
