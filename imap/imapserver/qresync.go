package imapserver

import (
	"context"
	"sort"

	"github.com/mailkit-go/mailkit/imap"
)

// QResyncSession is the optional QRESYNC extension (RFC 7162 §3.2), on top
// of CONDSTORE. With it the server announces QRESYNC and accepts ENABLE
// QRESYNC (which enables CONDSTORE too), SELECT and EXAMINE with
// (QRESYNC (uidvalidity modseq [known-uids [(seqs uids)]])) and UID FETCH
// with the VANISHED modifier; once QRESYNC is enabled, expunges are
// reported as "* VANISHED uids" instead of "* n EXPUNGE", so the
// session's [Update]s of kind [UpdateExpunge] must carry the UID.
// [ExpungeLog] keeps what [QResyncSession.Vanished] needs.
type QResyncSession interface {
	CondStoreSession
	// Vanished returns the UIDs in within (nil: any) of the selected
	// mailbox expunged with a mod-sequence above since. When the session
	// no longer knows (see [ExpungeLog]), it may return more: every UID
	// in within below UIDNEXT that is not in the mailbox (RFC 7162
	// §3.2.5.1 allows UIDs the client never saw).
	Vanished(ctx context.Context, since uint64, within imap.SeqSet) (imap.SeqSet, error)
}

// DefaultExpungeLogSize is the number of expunged UIDs an [ExpungeLog]
// keeps when its Max is 0.
const DefaultExpungeLogSize = 10000

// ExpungeLog remembers the UIDs expunged from one mailbox with the
// mod-sequence of their expunge, for [QResyncSession.Vanished]. It is
// bounded: beyond Max UIDs the oldest are forgotten, and a question about
// changes since a mod-sequence older than what it still knows gets the
// superset answer (every UID below UIDNEXT that is not in the mailbox),
// which costs O(messages) and may be larger on the wire but is never
// wrong. A backend that starts without its history (after a restart)
// sets Floor to the mailbox's HIGHESTMODSEQ at that time.
//
// It is not safe for concurrent use: the backend guards it with the
// mailbox's lock.
type ExpungeLog struct {
	// Max bounds the UIDs kept (0: [DefaultExpungeLogSize]).
	Max int
	// Floor is the mod-sequence up to which expunges may have been
	// forgotten; Vanished is exact only for since >= Floor.
	Floor uint64

	uids    []uint32
	modseqs []uint64 // ascending, parallel to uids
}

// Add records uids as expunged at modseq (not below earlier ones).
func (l *ExpungeLog) Add(modseq uint64, uids ...uint32) {
	for _, u := range uids {
		l.uids = append(l.uids, u)
		l.modseqs = append(l.modseqs, modseq)
	}
	limit := l.Max
	if limit <= 0 {
		limit = DefaultExpungeLogSize
	}
	if n := len(l.uids); n > limit {
		drop := n - limit/2 // forget in batches, not one per expunge
		l.Floor = max(l.Floor, l.modseqs[drop-1])
		l.uids = append(l.uids[:0:0], l.uids[drop:]...)
		l.modseqs = append(l.modseqs[:0:0], l.modseqs[drop:]...)
	}
}

// Len reports how many expunged UIDs the log holds.
func (l *ExpungeLog) Len() int { return len(l.uids) }

// Vanished answers [QResyncSession.Vanished]: the UIDs in within (nil:
// any) expunged with a mod-sequence above since; when since is below
// Floor, every UID in within below uidNext that is not in existing (the
// mailbox's UIDs, ascending).
func (l *ExpungeLog) Vanished(since uint64, within imap.SeqSet, uidNext uint32, existing []uint32) imap.SeqSet {
	if uidNext <= 1 {
		return nil
	}
	top := uidNext - 1
	if since >= l.Floor {
		i := sort.Search(len(l.modseqs), func(i int) bool { return l.modseqs[i] > since })
		var found []uint32
		for _, u := range l.uids[i:] {
			if within == nil || within.Contains(u, top) {
				found = append(found, u)
			}
		}
		sort.Slice(found, func(a, b int) bool { return found[a] < found[b] })
		var out imap.SeqSet
		for k, u := range found {
			if k == 0 || found[k-1] != u {
				out.AddNum(u)
			}
		}
		return out
	}
	// The gaps between existing UIDs, intersected with within.
	var gaps imap.SeqSet
	next := uint32(1)
	for _, u := range existing {
		if u > next {
			gaps = append(gaps, imap.SeqRange{Start: next, Stop: u - 1})
		}
		next = u + 1
	}
	if next <= top {
		gaps = append(gaps, imap.SeqRange{Start: next, Stop: top})
	}
	if within == nil {
		return gaps
	}
	w := within.Resolve(top)
	var out imap.SeqSet
	i, j := 0, 0
	for i < len(gaps) && j < len(w) {
		lo, hi := max(gaps[i].Start, w[j].Start), min(gaps[i].Stop, w[j].Stop)
		if lo <= hi {
			out = append(out, imap.SeqRange{Start: lo, Stop: hi})
		}
		if gaps[i].Stop < w[j].Stop {
			i++
		} else {
			j++
		}
	}
	return out
}

// writeVanished writes "* VANISHED [(EARLIER) ]uids" (RFC 7162 §3.2.10).
func (c *conn) writeVanished(earlier bool, uids imap.SeqSet) {
	if len(uids) == 0 {
		return
	}
	c.enc.Raw("* VANISHED ")
	if earlier {
		c.enc.Raw("(EARLIER) ")
	}
	c.enc.Raw(uids.String()).CRLF()
}

// qresyncSelect answers the QRESYNC parameter of SELECT (RFC 7162
// §3.2.5) after the mailbox was opened: the UIDs expunged since q.ModSeq
// as VANISHED (EARLIER), then the messages changed since as FETCH with
// UID, FLAGS and MODSEQ. Nothing when the UIDVALIDITY differs.
func (c *conn) qresyncSelect(ctx context.Context, q *imap.QResyncParams, data *imap.SelectData) error {
	if q.UIDValidity != data.UIDValidity || data.HighestModSeq == 0 {
		return nil
	}
	// The sequence match data only lets a server narrow the VANISHED
	// answer; ours is exact, so it is not needed.
	v, err := c.qrSess.Vanished(ctx, q.ModSeq, q.KnownUIDs)
	if err != nil {
		return err
	}
	c.writeVanished(true, v)
	if data.NumMessages == 0 {
		return nil
	}
	set := q.KnownUIDs
	if set == nil {
		set = imap.SeqSet{{Start: 1, Stop: 0}}
	}
	opts := &imap.FetchOptions{UID: true, Flags: true, ModSeq: true, ChangedSince: q.ModSeq}
	return c.sess.Fetch(ctx, &FetchWriter{c: c, uid: true}, imap.NumUID, set, opts)
}
