// Package mailkit is an embeddable Go SDK for building mail systems.
//
// mailkit ships no binaries. It is a set of focused packages, each a pure
// protocol or policy engine, that other programs import to compose a custom
// MTA, a submission service, a mailbox server or a spam-policy daemon, or to
// unit-test the mail logic of their own services. See README.md for the map
// of packages and how they compose.
package mailkit
