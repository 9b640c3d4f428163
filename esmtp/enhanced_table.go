package esmtp

// subjectNames are the RFC 3463 §3 subject sub-codes.
var subjectNames = [...]string{
	0: "Other or Undefined Status",
	1: "Addressing Status",
	2: "Mailbox Status",
	3: "Mail System Status",
	4: "Network and Routing Status",
	5: "Mail Delivery Protocol Status",
	6: "Message Content or Media Status",
	7: "Security or Policy Status",
}

// statusInfo describes one subject.detail pair of the IANA "Enumerated
// Status Codes" registry.
type statusInfo struct {
	subject, detail int
	title           string
	ref             string
}

// statusTable lists the registered subject.detail pairs (RFC 3463 and the
// later additions recorded by IANA). Values are facts from the registry; the
// titles are the registry's short names.
var statusTable = [...]statusInfo{
	{0, 0, "Other undefined Status", "RFC 3463"},
	{1, 0, "Other address status", "RFC 3463"},
	{1, 1, "Bad destination mailbox address", "RFC 3463"},
	{1, 2, "Bad destination system address", "RFC 3463"},
	{1, 3, "Bad destination mailbox address syntax", "RFC 3463"},
	{1, 4, "Destination mailbox address ambiguous", "RFC 3463"},
	{1, 5, "Destination address valid", "RFC 3463"},
	{1, 6, "Destination mailbox has moved, No forwarding address", "RFC 3463"},
	{1, 7, "Bad sender's mailbox address syntax", "RFC 3463"},
	{1, 8, "Bad sender's system address", "RFC 3463"},
	{1, 9, "Message relayed to non-compliant mailer", "RFC 3886"},
	{1, 10, "Recipient address has null MX", "RFC 7505"},
	{2, 0, "Other or undefined mailbox status", "RFC 3463"},
	{2, 1, "Mailbox disabled, not accepting messages", "RFC 3463"},
	{2, 2, "Mailbox full", "RFC 3463"},
	{2, 3, "Message length exceeds administrative limit", "RFC 3463"},
	{2, 4, "Mailing list expansion problem", "RFC 3463"},
	{3, 0, "Other or undefined mail system status", "RFC 3463"},
	{3, 1, "Mail system full", "RFC 3463"},
	{3, 2, "System not accepting network messages", "RFC 3463"},
	{3, 3, "System not capable of selected features", "RFC 3463"},
	{3, 4, "Message too big for system", "RFC 3463"},
	{3, 5, "System incorrectly configured", "RFC 3463"},
	{3, 6, "Requested priority was changed", "RFC 6710"},
	{4, 0, "Other or undefined network or routing status", "RFC 3463"},
	{4, 1, "No answer from host", "RFC 3463"},
	{4, 2, "Bad connection", "RFC 3463"},
	{4, 3, "Directory server failure", "RFC 3463"},
	{4, 4, "Unable to route", "RFC 3463"},
	{4, 5, "Mail system congestion", "RFC 3463"},
	{4, 6, "Routing loop detected", "RFC 3463"},
	{4, 7, "Delivery time expired", "RFC 3463"},
	{5, 0, "Other or undefined protocol status", "RFC 3463"},
	{5, 1, "Invalid command", "RFC 3463"},
	{5, 2, "Syntax error", "RFC 3463"},
	{5, 3, "Too many recipients", "RFC 3463"},
	{5, 4, "Invalid command arguments", "RFC 3463"},
	{5, 5, "Wrong protocol version", "RFC 3463"},
	{5, 6, "Authentication Exchange line is too long", "RFC 4954"},
	{6, 0, "Other or undefined media error", "RFC 3463"},
	{6, 1, "Media not supported", "RFC 3463"},
	{6, 2, "Conversion required and prohibited", "RFC 3463"},
	{6, 3, "Conversion required but not supported", "RFC 3463"},
	{6, 4, "Conversion with loss performed", "RFC 3463"},
	{6, 5, "Conversion Failed", "RFC 3463"},
	{6, 6, "Message content not available", "RFC 4468"},
	{6, 7, "Non-ASCII addresses not permitted for that sender/recipient", "RFC 6531"},
	{6, 8, "UTF-8 string reply is required, but not permitted by the SMTP client", "RFC 6531"},
	{6, 9, "UTF-8 header message cannot be transferred to one or more recipients, so the message must be rejected", "RFC 6531"},
	{7, 0, "Other or undefined security status", "RFC 3463"},
	{7, 1, "Delivery not authorized, message refused", "RFC 3463"},
	{7, 2, "Mailing list expansion prohibited", "RFC 3463"},
	{7, 3, "Security conversion required but not possible", "RFC 3463"},
	{7, 4, "Security features not supported", "RFC 3463"},
	{7, 5, "Cryptographic failure", "RFC 3463"},
	{7, 6, "Cryptographic algorithm not supported", "RFC 3463"},
	{7, 7, "Message integrity failure", "RFC 3463"},
	{7, 8, "Authentication credentials invalid", "RFC 4954"},
	{7, 9, "Authentication mechanism is too weak", "RFC 4954"},
	{7, 10, "Encryption Needed", "RFC 5248"},
	{7, 11, "Encryption required for requested authentication mechanism", "RFC 4954"},
	{7, 12, "A password transition is needed", "RFC 4954"},
	{7, 13, "User Account Disabled", "RFC 5248"},
	{7, 14, "Trust relationship required", "RFC 5248"},
	{7, 15, "Priority Level is too low", "RFC 6710"},
	{7, 16, "Message is too big for the specified priority", "RFC 6710"},
	{7, 17, "Mailbox owner has changed", "RFC 7293"},
	{7, 18, "Domain owner has changed", "RFC 7293"},
	{7, 19, "RRVS test cannot be completed", "RFC 7293"},
	{7, 20, "No passing DKIM signature found", "RFC 7372"},
	{7, 21, "No acceptable DKIM signature found", "RFC 7372"},
	{7, 22, "No valid author-matched DKIM signature found", "RFC 7372"},
	{7, 23, "SPF validation failed", "RFC 7372"},
	{7, 24, "SPF validation error", "RFC 7372"},
	{7, 25, "Reverse DNS validation failed", "RFC 7372"},
	{7, 26, "Multiple authentication checks failed", "RFC 7372"},
	{7, 27, "Sender address has null MX", "RFC 7505"},
	{7, 29, "ARC validation failure", "RFC 8617"},
	{7, 30, "REQUIRETLS support required", "RFC 8689"},
}

// ClassName returns the RFC 3463 §3.1 name of a class ("Success",
// "Persistent Transient Failure", "Permanent Failure"), or "" if the class
// is not 2, 4 or 5.
func ClassName(class int) string {
	switch class {
	case 2:
		return "Success"
	case 4:
		return "Persistent Transient Failure"
	case 5:
		return "Permanent Failure"
	}
	return ""
}

// SubjectName returns the RFC 3463 §3.2 name of a subject sub-code, or ""
// if the subject is not registered.
func SubjectName(subject int) string {
	if subject < 0 || subject >= len(subjectNames) {
		return ""
	}
	return subjectNames[subject]
}

// Registered reports whether the subject.detail pair of c is in the IANA
// registry of enumerated status codes. The class is not considered.
func (c EnhancedCode) Registered() bool {
	_, ok := lookupStatus(c.Subject, c.Detail)
	return ok
}

// Title returns the registry's short name for the subject.detail pair of c
// (for example "Bad destination mailbox address" for 5.1.1), or "" when the
// pair is not registered.
func (c EnhancedCode) Title() string {
	s, _ := lookupStatus(c.Subject, c.Detail)
	return s.title
}

// Reference returns the document that registered the subject.detail pair of
// c ("RFC 3463", "RFC 4954", ...), or "" when it is not registered.
func (c EnhancedCode) Reference() string {
	s, _ := lookupStatus(c.Subject, c.Detail)
	return s.ref
}

// Describe returns a one-line human description of c: the class name, and
// the registered title or, for an unregistered detail, the subject name.
// It returns "" for a code that is not [EnhancedCode.Valid].
func (c EnhancedCode) Describe() string {
	if !c.Valid() {
		return ""
	}
	if t := c.Title(); t != "" {
		return ClassName(c.Class) + ": " + t
	}
	if s := SubjectName(c.Subject); s != "" {
		return ClassName(c.Class) + ": " + s
	}
	return ClassName(c.Class)
}

func lookupStatus(subject, detail int) (statusInfo, bool) {
	for _, s := range statusTable {
		if s.subject == subject && s.detail == detail {
			return s, true
		}
	}
	return statusInfo{}, false
}
