package imapclient

import (
	"context"
	"fmt"

	"github.com/mailkit-go/mailkit/imap"
)

// sortCharset is the charset named in SORT and THREAD commands; search
// strings are sent as they are (UTF-8).
const sortCharset = "UTF-8"

func (c *Client) sort(ctx context.Context, name string, keys []imap.SortCriterion, crit *imap.SearchCriteria) ([]uint32, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("imapclient: %s without sort criteria", name)
	}
	out := []uint32{}
	cmd := &command{}
	cmd.onUntagged = func(n string, _ uint32, vals []imap.Value) bool {
		if n != "SORT" {
			return false
		}
		for _, v := range vals {
			num := atoi(v)
			if num <= 0 || num > 1<<32-1 {
				cmd.err = fmt.Errorf("%w: bad number in SORT response", ErrProtocol)
				return true
			}
			out = append(out, uint32(num))
		}
		return true
	}
	err := c.execute(ctx, cmd, name, func(e *imap.Encoder) {
		e.SP().Raw(imap.FormatSortCriteria(keys)).SP().Raw(sortCharset).SP().Raw(searchString(crit))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Sort returns the sequence numbers of the messages matching crit (nil:
// all) ordered by keys (SORT, RFC 5256; DISPLAYFROM and DISPLAYTO need
// SORT=DISPLAY, RFC 5957). The server must announce SORT.
func (c *Client) Sort(ctx context.Context, keys []imap.SortCriterion, crit *imap.SearchCriteria) ([]uint32, error) {
	return c.sort(ctx, "SORT", keys, crit)
}

// UIDSort is Sort returning UIDs (UID SORT).
func (c *Client) UIDSort(ctx context.Context, keys []imap.SortCriterion, crit *imap.SearchCriteria) ([]uint32, error) {
	return c.sort(ctx, "UID SORT", keys, crit)
}

func (c *Client) thread(ctx context.Context, name string, alg imap.ThreadAlgorithm, crit *imap.SearchCriteria) ([]imap.Thread, error) {
	if !imap.IsAtom(string(alg)) {
		return nil, fmt.Errorf("imapclient: bad thread algorithm %q", alg)
	}
	out := []imap.Thread{}
	cmd := &command{}
	cmd.onUntagged = func(n string, _ uint32, vals []imap.Value) bool {
		if n != "THREAD" {
			return false
		}
		ts, err := threadsFromValues(vals)
		if err != nil {
			cmd.err = err
			return true
		}
		out = append(out, ts...)
		return true
	}
	err := c.execute(ctx, cmd, name, func(e *imap.Encoder) {
		e.SP().Raw(string(alg)).SP().Raw(sortCharset).SP().Raw(searchString(crit))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Thread returns the threads of the messages matching crit (nil: all),
// numbered with sequence numbers (THREAD, RFC 5256). alg is usually
// [imap.ThreadReferences] or [imap.ThreadOrderedSubject]; the server must
// announce THREAD=alg. A [imap.Thread] with Num 0 groups messages whose
// common parent is not in the mailbox.
func (c *Client) Thread(ctx context.Context, alg imap.ThreadAlgorithm, crit *imap.SearchCriteria) ([]imap.Thread, error) {
	return c.thread(ctx, "THREAD", alg, crit)
}

// UIDThread is Thread numbered with UIDs (UID THREAD).
func (c *Client) UIDThread(ctx context.Context, alg imap.ThreadAlgorithm, crit *imap.SearchCriteria) ([]imap.Thread, error) {
	return c.thread(ctx, "UID THREAD", alg, crit)
}

// threadsFromValues converts the thread lists of a THREAD response, read
// as generic values, following RFC 5256 §5:
//
//	thread-list    = "(" (thread-members / thread-nested) ")"
//	thread-members = nz-number *(SP nz-number) [SP thread-nested]
//	thread-nested  = 2*thread-list
func threadsFromValues(vals []imap.Value) ([]imap.Thread, error) {
	out := make([]imap.Thread, 0, len(vals))
	for _, v := range vals {
		t, err := threadFromValue(v)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

var errBadThread = fmt.Errorf("%w: bad THREAD response", ErrProtocol)

func threadFromValue(v imap.Value) (imap.Thread, error) {
	l, ok := v.([]imap.Value)
	if !ok || len(l) == 0 {
		return imap.Thread{}, errBadThread
	}
	if _, nested := l[0].([]imap.Value); nested {
		kids, err := nestedThreads(l)
		return imap.Thread{Children: kids}, err
	}
	var root imap.Thread
	cur := &root
	for i, x := range l {
		if _, isList := x.([]imap.Value); isList {
			kids, err := nestedThreads(l[i:])
			if err != nil {
				return imap.Thread{}, err
			}
			cur.Children = kids
			return root, nil
		}
		n := atoi(x)
		if n <= 0 || n > 1<<32-1 {
			return imap.Thread{}, errBadThread
		}
		if i > 0 {
			cur.Children = []imap.Thread{{}}
			cur = &cur.Children[0]
		}
		cur.Num = uint32(n)
	}
	return root, nil
}

// nestedThreads converts thread-nested: two or more thread lists.
func nestedThreads(l []imap.Value) ([]imap.Thread, error) {
	if len(l) < 2 {
		return nil, errBadThread
	}
	kids := make([]imap.Thread, 0, len(l))
	for _, x := range l {
		if _, ok := x.([]imap.Value); !ok {
			return nil, errBadThread
		}
		t, err := threadFromValue(x)
		if err != nil {
			return nil, err
		}
		kids = append(kids, t)
	}
	return kids, nil
}
