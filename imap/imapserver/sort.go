package imapserver

import (
	"context"
	"strings"

	"github.com/mailkit-go/mailkit/imap"
)

// errBadCharset answers a SEARCH, SORT or THREAD charset other than
// US-ASCII and UTF-8.
var errBadCharset = &Error{Type: StatusNO, Code: "BADCHARSET (US-ASCII UTF-8)", Text: "Unsupported charset"}

func supportedCharset(cs string) bool {
	return strings.EqualFold(cs, "UTF-8") || strings.EqualFold(cs, "US-ASCII")
}

// readCharsetAndKeys reads "charset SP search-keys" (the tail of SORT and
// THREAD, RFC 5256 §5) and the end of the line.
func (c *conn) readCharsetAndKeys() (*imap.SearchCriteria, error) {
	charset, err := arg(c, c.dec.AString)
	if err != nil {
		return nil, err
	}
	if err := c.dec.SP(); err != nil {
		return nil, err
	}
	crit, cs2, err := c.dec.SearchCriteria()
	if err != nil {
		return nil, err
	}
	if cs2 != "" {
		return nil, bad("CHARSET is given before the search keys in " + c.cmd)
	}
	if err := c.endLine(); err != nil {
		return nil, err
	}
	if !supportedCharset(charset) {
		return nil, errBadCharset
	}
	c.savedCriteria(crit, c.searchRes)
	return crit, nil
}

// cmdSort is SORT and UID SORT (RFC 5256 §3) with SORT RETURN (RFC 5267
// §3, ESORT): "SORT [RETURN (options) SP] (criteria) SP charset SP keys".
func cmdSort(ctx context.Context, c *conn, tag string, uid bool) (err error) {
	if c.sortSess == nil {
		return bad("SORT not supported")
	}
	if err := c.dec.SP(); err != nil {
		return err
	}
	ret, esort, err := c.readSearchReturn()
	if err != nil {
		return err
	}
	if ret.save {
		defer func() { c.saveFailed(err) }()
	}
	keys, err := c.dec.SortCriteria()
	if err != nil {
		return err
	}
	crit, err := c.readCharsetAndKeys()
	if err != nil {
		return err
	}
	nums, err := c.sortSess.Sort(ctx, kindOf(uid), keys, crit)
	if err != nil {
		return err
	}
	if ret.update {
		if err := c.addContext(tag, uid, keys, crit, nums); err != nil {
			return err
		}
	}
	if ret.save {
		if err := c.saveSort(ctx, kindOf(uid), ret, nums); err != nil {
			return err
		}
	}
	if esort {
		if !ret.saveOnly() {
			c.writeESearch(tag, uid, ret, nums, true)
		}
		return nil
	}
	c.enc.Raw("* SORT")
	for _, n := range nums {
		c.enc.SP().Number(n)
	}
	c.enc.CRLF()
	return nil
}

// cmdThread is THREAD and UID THREAD (RFC 5256 §3): "THREAD algorithm SP
// charset SP keys".
func cmdThread(ctx context.Context, c *conn, tag string, uid bool) error {
	if c.thrSess == nil {
		return bad("THREAD not supported")
	}
	a, err := arg(c, c.dec.Atom)
	if err != nil {
		return err
	}
	alg := imap.ThreadAlgorithm(strings.ToUpper(a))
	if alg != imap.ThreadOrderedSubject && alg != imap.ThreadReferences {
		return bad("unknown thread algorithm " + sanitize(a))
	}
	crit, err := c.readCharsetAndKeys()
	if err != nil {
		return err
	}
	threads, err := c.thrSess.Thread(ctx, kindOf(uid), alg, crit)
	if err != nil {
		return err
	}
	c.enc.Raw("* THREAD")
	if len(threads) > 0 {
		c.enc.SP().WriteThreads(threads)
	}
	c.enc.CRLF()
	return nil
}
