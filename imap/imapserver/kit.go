package imapserver

import (
	"sort"
	"strings"

	"github.com/mailkit-go/mailkit/imap"
)

// This file is the backend kit: helpers that Backend implementations
// (imapmem, imapmaildir, or a caller's own) share so that LIST matching
// and the reporting of pending changes work the same everywhere. See also
// [imap.SeqSet.SeqNums] and [imap.SearchCriteria.NeedsMessage].

// MatchList reports whether mailbox name matches the LIST pattern (the
// reference already prepended): "*" matches any characters, "%" any but
// delim (RFC 3501 §6.3.8). An INBOX prefix of the pattern matches
// case-insensitively. It runs in O(len(pattern)*len(name)) time and
// O(len(name)) space, so hostile patterns like "*a*a*a...b" cannot make it
// backtrack exponentially.
func MatchList(pattern, name string, delim byte) bool {
	if len(pattern) >= 5 && strings.EqualFold(pattern[:5], "INBOX") && strings.HasPrefix(name, "INBOX") {
		pattern = "INBOX" + pattern[5:]
	}
	// cur[j]: name[:j] is matched by the pattern consumed so far.
	cur := make([]bool, len(name)+1)
	next := make([]bool, len(name)+1)
	cur[0] = true
	for i := 0; i < len(pattern); i++ {
		clear(next)
		any := false
		switch c := pattern[i]; c {
		case '*', '%':
			on := false
			for j := 0; j <= len(name); j++ {
				if cur[j] {
					on = true
				} else if on && c == '%' && name[j-1] == delim {
					on = false
				}
				next[j] = on
				any = any || on
			}
		default:
			for j := 0; j < len(name); j++ {
				if cur[j] && name[j] == c {
					next[j+1] = true
					any = true
				}
			}
		}
		if !any {
			return false
		}
		cur, next = next, cur
	}
	return cur[len(name)]
}

// MatchListAny reports whether name matches ref+p for one of patterns.
func MatchListAny(ref string, patterns []string, name string, delim byte) bool {
	for _, p := range patterns {
		if MatchList(ref+p, name, delim) {
			return true
		}
	}
	return false
}

// SubscribedParents returns, sorted, the parents of subscribed mailboxes
// that are not subscribed themselves and that a pattern containing "%"
// matches: RFC 3501 §6.3.9 says LSUB (and LIST (SUBSCRIBED)) lists them
// with \Noselect.
func SubscribedParents(subscribed map[string]bool, ref string, patterns []string, delim byte) []string {
	seen := map[string]bool{}
	var out []string
	for n := range subscribed {
		for i := 0; i < len(n); i++ {
			if n[i] != delim {
				continue
			}
			p := n[:i]
			if subscribed[p] || seen[p] {
				continue
			}
			for _, pat := range patterns {
				if strings.Contains(pat, "%") && MatchList(ref+pat, p, delim) {
					seen[p] = true
					out = append(out, p)
					break
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// UpdateKind is the kind of an [Update].
type UpdateKind int

// Kinds of [Update].
const (
	UpdateExpunge UpdateKind = iota // "* n EXPUNGE"; Seq is n
	UpdateExists                    // "* n EXISTS"; Seq is n
	UpdateFlags                     // "* seq FETCH (UID uid FLAGS (...))"
	UpdateRecent                    // "* n RECENT"; Seq is n
)

// Update is one pending untagged response a backend computed under its
// lock and writes after releasing it with [UpdateWriter.WriteUpdates].
type Update struct {
	// Kind says which untagged response to write.
	Kind UpdateKind
	// Seq is the message sequence number (EXPUNGE, FETCH) or the number
	// of messages (EXISTS, RECENT); see the [UpdateKind] constants.
	Seq uint32
	// UID is the message's UID: for UpdateFlags, and for UpdateExpunge
	// when the session implements [QResyncSession] (VANISHED).
	UID   uint32
	Flags []imap.Flag // UpdateFlags only
	// ModSeq is the message's mod-sequence after the change
	// (UpdateFlags, CONDSTORE sessions; 0: unknown). It is written as
	// MODSEQ once the client enabled CONDSTORE (RFC 7162 §3.1.12).
	ModSeq uint64
}

// WriteUpdates writes ups in order and stops at the first error.
//
// Once the client enabled QRESYNC, consecutive expunges with their UID
// set are written as one "* VANISHED uids" (RFC 7162 §3.2.10).
func (w *UpdateWriter) WriteUpdates(ups []Update) error {
	var vanished imap.SeqSet
	flush := func() error {
		if len(vanished) == 0 {
			return nil
		}
		v := vanished.Resolve(0)
		vanished = nil
		w.c.wmu.Lock()
		defer w.c.wmu.Unlock()
		w.c.writeVanished(false, v)
		return w.c.flushIfIdle()
	}
	qr := w.c.qresync.Load()
	for _, u := range ups {
		if qr && u.Kind == UpdateExpunge && u.UID != 0 {
			vanished.AddNum(u.UID)
			if u.Seq != 0 {
				w.c.wmu.Lock()
				w.c.contextExpunged(u.Seq) // before the VANISHED (context.go)
				w.c.wmu.Unlock()
			}
			continue
		}
		if err := flush(); err != nil {
			return err
		}
		var err error
		switch u.Kind {
		case UpdateExpunge:
			err = w.WriteExpunge(u.Seq)
		case UpdateExists:
			err = w.WriteExists(u.Seq)
		case UpdateFlags:
			err = w.writeFlagsModSeq(u.Seq, u.UID, u.Flags, u.ModSeq)
		case UpdateRecent:
			err = w.WriteRecent(u.Seq)
		}
		if err != nil {
			return err
		}
	}
	return flush()
}

// WriteStoreResults writes the FETCH replies of a STORE: one "* seq
// FETCH (FLAGS (...))" per update of kind UpdateFlags, with the UID too
// when kind is [imap.NumUID] (UID STORE) and MODSEQ once the client
// enabled CONDSTORE. For FLAGS.SILENT nothing is written, except with
// CONDSTORE enabled "* seq FETCH (MODSEQ (n))" (RFC 7162 §3.1.3), so
// sessions call it whether or not the STORE was silent. Other kinds are
// skipped.
func (w *FetchWriter) WriteStoreResults(kind imap.NumKind, ups []Update) error {
	cs := w.c.condStore.Load()
	for _, u := range ups {
		if u.Kind != UpdateFlags {
			continue
		}
		withModSeq := cs && u.ModSeq != 0
		if w.silent && !withModSeq {
			continue
		}
		rw := w.CreateMessage(u.Seq)
		if kind == imap.NumUID {
			rw.WriteUID(u.UID)
		}
		if !w.silent {
			rw.WriteFlags(u.Flags)
		}
		if withModSeq {
			rw.WriteModSeq(u.ModSeq)
		}
		if err := rw.Close(); err != nil {
			return err
		}
	}
	return nil
}
