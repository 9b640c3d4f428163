package imapserver

import (
	"context"
	"slices"

	"github.com/mailkit-go/mailkit/imap"
)

// CondStoreSession is the optional CONDSTORE extension (RFC 7162 §3.1).
// With it the server announces CONDSTORE and accepts ENABLE CONDSTORE,
// SELECT and EXAMINE with (CONDSTORE), the MODSEQ fetch item and the
// CHANGEDSINCE fetch modifier, the UNCHANGEDSINCE store modifier, the
// MODSEQ search key and the HIGHESTMODSEQ status item; without it those
// get BAD (or, for STATUS, a syntax error) and CONDSTORE is not announced.
//
// The session keeps a mod-sequence per message and a HIGHESTMODSEQ per
// mailbox (both at least 1) and also implements these parts of the basic
// interfaces:
//   - [Session.Select] and [Session.Status] fill
//     [imap.SelectData.HighestModSeq] and [imap.StatusData.HighestModSeq]
//     (0 in SelectData: the mailbox has no mod-sequences, NOMODSEQ);
//   - [Session.Fetch] answers [imap.FetchOptions.ModSeq] with
//     [FetchResponseWriter.WriteModSeq] and leaves out the messages whose
//     mod-sequence is not above [imap.FetchOptions.ChangedSince];
//   - [Session.Search] matches [imap.SearchCriteria.ModSeq] (fill
//     [imap.SearchTarget.ModSeq]);
//   - flag updates ([Update]) and STORE results carry [Update.ModSeq].
//
// The server decides when MODSEQ goes into untagged FETCH responses:
// once the client enabled CONDSTORE (RFC 7162 §3.1.2 and §3.1.12).
type CondStoreSession interface {
	// HighestModSeq returns the HIGHESTMODSEQ of the selected mailbox
	// (sent when a CONDSTORE-enabling command runs after SELECT).
	HighestModSeq(ctx context.Context) (uint64, error)
	// StoreUnchangedSince is [Session.Store] with
	// [imap.StoreFlags.UnchangedSince] set (RFC 7162 §3.1.3): messages
	// whose mod-sequence is above it are left alone and returned
	// (numbered by kind) as modified; the others are stored as Store
	// does, also when some failed.
	StoreUnchangedSince(ctx context.Context, w *FetchWriter, kind imap.NumKind, set imap.SeqSet, flags *imap.StoreFlags) (modified []uint32, err error)
	// SearchModSeq is [Session.Search] that also returns the
	// mod-sequence of each message found (modseqs[i] is that of
	// nums[i]); the server calls it when the criteria use MODSEQ.
	SearchModSeq(ctx context.Context, kind imap.NumKind, criteria *imap.SearchCriteria) (nums []uint32, modseqs []uint64, err error)
}

// WriteModSeq adds the MODSEQ item (RFC 7162 §3.1.4.1), "MODSEQ (n)",
// which [FetchResponseWriter.Close] writes last, unless the reply failed
// ([FetchResponseWriter.Fail]): so a session may call it before
// [WriteFetch].
func (w *FetchResponseWriter) WriteModSeq(modseq uint64) {
	w.modseq = modseq
}

// enableCondStore turns CONDSTORE on for the connection (RFC 7162
// §3.1.2: a CONDSTORE-enabling command); with a mailbox selected whose
// HIGHESTMODSEQ was not sent yet, it writes it as an untagged OK.
func (c *conn) enableCondStore(ctx context.Context) error {
	if c.condStore.Load() {
		return nil
	}
	c.condStore.Store(true)
	if c.state != stateSelected || c.sentHighest {
		return nil
	}
	c.sentHighest = true
	n, err := c.csSess.HighestModSeq(ctx)
	if err != nil {
		return err
	}
	c.writeHighestModSeq(n)
	return nil
}

// writeHighestModSeq writes "* OK [HIGHESTMODSEQ n]", or "* OK
// [NOMODSEQ]" when n is 0.
func (c *conn) writeHighestModSeq(n uint64) {
	if n == 0 {
		c.enc.Raw("* OK [NOMODSEQ] No permanent modsequences").CRLF()
		return
	}
	c.enc.Raw("* OK [HIGHESTMODSEQ ").Number64(int64(n)).Raw("] Highest").CRLF()
}

// needCondStore returns BAD unless the session implements CONDSTORE, and
// enables it otherwise.
func (c *conn) needCondStore(ctx context.Context) error {
	if c.csSess == nil {
		return bad("CONDSTORE not supported")
	}
	return c.enableCondStore(ctx)
}

// searchModSeq returns the MODSEQ of a SEARCH result (RFC 7162 §3.1.5,
// RFC 4731 §3.2 as updated by RFC 7162 §3.1.10): the highest mod-sequence
// of the messages found, or for an ESEARCH with MIN and/or MAX (and
// neither ALL nor COUNT) the highest of those returned. 0: none.
func searchModSeq(ret *searchReturn, nums []uint32, modseqs []uint64) uint64 {
	if len(nums) == 0 {
		return 0
	}
	if ret != nil && !ret.all && !ret.count && (ret.min || ret.max) {
		lo, hi := slices.Min(nums), slices.Max(nums)
		var m uint64
		for i, n := range nums {
			if (ret.min && n == lo) || (ret.max && n == hi) {
				m = max(m, modseqs[i])
			}
		}
		return m
	}
	return slices.Max(modseqs)
}
