package imapclient_test

import (
	"bufio"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapclient"
)

var threadMsgs = []string{
	"From: Zoe <zoe@x>\r\nSubject: Hello\r\nMessage-ID: <1@x>\r\nDate: Fri, 22 Feb 2008 01:00:00 +0000\r\n\r\none\r\n",
	"From: adam@x\r\nSubject: Re: hello\r\nMessage-ID: <2@x>\r\nIn-Reply-To: <1@x>\r\nDate: Fri, 22 Feb 2008 03:00:00 +0000\r\n\r\ntwo\r\n",
	"From: Yves <bob@x>\r\nSubject: Other\r\nMessage-ID: <3@x>\r\nDate: Fri, 22 Feb 2008 02:00:00 +0000\r\n\r\nthree\r\n",
	"From: carl@x\r\nSubject: Re: Re: hello\r\nMessage-ID: <4@x>\r\nReferences: <1@x> <2@x>\r\nDate: Fri, 22 Feb 2008 04:00:00 +0000\r\n\r\nfour\r\n",
}

func TestSortAndThread(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.dial(t, nil)
	assert.True(t, c.Has("SORT"))
	assert.True(t, c.Has("THREAD=REFERENCES"))
	appendMsg(t, c, "INBOX", "Subject: gone\r\n\r\nx\r\n", imap.FlagDeleted)
	for _, m := range threadMsgs {
		appendMsg(t, c, "INBOX", m)
	}
	_, err := c.Select(ctxT(t), "INBOX", nil)
	require.NoError(t, err)
	_, err = c.Expunge(ctxT(t))
	require.NoError(t, err)

	got, err := c.Sort(ctxT(t), []imap.SortCriterion{{Key: imap.SortSubject}, {Key: imap.SortDate, Reverse: true}}, nil)
	require.NoError(t, err)
	assert.Equal(t, []uint32{4, 2, 1, 3}, got)
	got, err = c.UIDSort(ctxT(t), []imap.SortCriterion{{Key: imap.SortDisplayFrom}}, &imap.SearchCriteria{Header: []imap.SearchHeader{{Key: "SUBJECT", Value: "hello"}}})
	require.NoError(t, err)
	assert.Equal(t, []uint32{3, 5, 2}, got, "adam@x, carl@x, Zoe as UIDs")
	got, err = c.Sort(ctxT(t), []imap.SortCriterion{{Key: imap.SortDate}}, &imap.SearchCriteria{Header: []imap.SearchHeader{{Key: "SUBJECT", Value: "nothing"}}})
	require.NoError(t, err)
	assert.Empty(t, got)
	_, err = c.Sort(ctxT(t), nil, nil)
	assert.Error(t, err)

	threads, err := c.Thread(ctxT(t), imap.ThreadReferences, nil)
	require.NoError(t, err)
	assert.Equal(t, []imap.Thread{
		{Num: 1, Children: []imap.Thread{{Num: 2, Children: []imap.Thread{{Num: 4}}}}},
		{Num: 3},
	}, threads)
	threads, err = c.UIDThread(ctxT(t), imap.ThreadOrderedSubject, nil)
	require.NoError(t, err)
	assert.Equal(t, []imap.Thread{
		{Num: 2, Children: []imap.Thread{{Num: 3}, {Num: 5}}},
		{Num: 4},
	}, threads)

	res, err := c.ESort(ctxT(t), imapclient.SortReturn{Min: true, Max: true, All: true, Count: true}, []imap.SortCriterion{{Key: imap.SortDate, Reverse: true}}, nil)
	require.NoError(t, err)
	assert.Equal(t, &imapclient.SortResult{Min: 4, Max: 1, All: []uint32{4, 2, 3, 1}, Count: 4}, res)
	res, err = c.UIDESort(ctxT(t), imapclient.SortReturn{}, []imap.SortCriterion{{Key: imap.SortDate, Reverse: true}}, nil)
	require.NoError(t, err)
	assert.Equal(t, &imapclient.SortResult{UID: true, All: []uint32{5, 3, 4, 2}}, res)
	res, err = c.ESort(ctxT(t), imapclient.SortReturn{Min: true, Count: true}, []imap.SortCriterion{{Key: imap.SortDate}}, &imap.SearchCriteria{Header: []imap.SearchHeader{{Key: "SUBJECT", Value: "nothing"}}})
	require.NoError(t, err)
	assert.Equal(t, &imapclient.SortResult{}, res)

	_, err = c.Thread(ctxT(t), "SHUFFLE", nil)
	var se *imapclient.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "BAD", se.Type)
	_, err = c.Thread(ctxT(t), "NOT AN ATOM", nil)
	assert.Error(t, err)
	require.NoError(t, c.Noop(ctxT(t)), "the connection still works")
}

// replyServer greets and answers the first command with untagged, then
// the tagged OK; later commands get a tagged OK only.
func replyServer(t *testing.T, untagged string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		br := bufio.NewReader(c)
		if _, err := c.Write([]byte("* OK [CAPABILITY IMAP4rev1 SORT THREAD=REFERENCES] test\r\n")); err != nil {
			return
		}
		for first := true; ; first = false {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			tag, _, _ := strings.Cut(line, " ")
			out := tag + " OK done\r\n"
			if first {
				out = strings.ReplaceAll(untagged, "$tag", tag) + out
			}
			if _, err := c.Write([]byte(out)); err != nil {
				return
			}
		}
	}()
	return l.Addr().String()
}

func TestThreadResponses(t *testing.T) {
	t.Parallel()
	good := map[string][]imap.Thread{
		"* THREAD\r\n": {},
		"* THREAD (2)(3 6 (4 23)(44 7 96))\r\n": {
			{Num: 2},
			{Num: 3, Children: []imap.Thread{{Num: 6, Children: []imap.Thread{
				{Num: 4, Children: []imap.Thread{{Num: 23}}},
				{Num: 44, Children: []imap.Thread{{Num: 7, Children: []imap.Thread{{Num: 96}}}}},
			}}}},
		},
		"* THREAD ((1)(2))\r\n":                        {{Children: []imap.Thread{{Num: 1}, {Num: 2}}}},
		"* THREAD (1)\r\n* THREAD (2)\r\n":             {{Num: 1}, {Num: 2}},
		"* THREAD (1 ((2)(3))(4))\r\n":                 {{Num: 1, Children: []imap.Thread{{Children: []imap.Thread{{Num: 2}, {Num: 3}}}, {Num: 4}}}},
		"* SEARCH 9\r\n* THREAD (1 2)\r\n":             {{Num: 1, Children: []imap.Thread{{Num: 2}}}},
		"* THREAD (4294967295)\r\n":                    {{Num: 4294967295}},
		"* THREAD (1 2 3 4 5 6 7 8 9 10 (11)(12))\r\n": nil, // checked by shape below
	}
	for reply, want := range good {
		t.Run(strings.TrimSpace(reply), func(t *testing.T) {
			t.Parallel()
			c, err := imapclient.Dial(ctxT(t), replyServer(t, reply), nil)
			require.NoError(t, err)
			defer c.Close()
			got, err := c.Thread(ctxT(t), imap.ThreadReferences, nil)
			require.NoError(t, err)
			if want != nil {
				assert.Equal(t, want, got)
			} else {
				require.Len(t, got, 1)
				assert.Equal(t, "(1 2 3 4 5 6 7 8 9 10 (11)(12))", imap.FormatThreads(got))
			}
			require.NoError(t, c.Noop(ctxT(t)))
		})
	}
	for _, reply := range []string{
		"* THREAD (0)\r\n", "* THREAD (1 (2))\r\n", "* THREAD ((1))\r\n", "* THREAD ()\r\n",
		"* THREAD (a)\r\n", "* THREAD 1\r\n", "* THREAD (1 (2) 3)\r\n", "* THREAD (4294967296)\r\n",
		"* THREAD ((1)(2) 3)\r\n",
	} {
		t.Run("bad "+strings.TrimSpace(reply), func(t *testing.T) {
			t.Parallel()
			c, err := imapclient.Dial(ctxT(t), replyServer(t, reply), nil)
			require.NoError(t, err)
			defer c.Close()
			_, err = c.Thread(ctxT(t), imap.ThreadReferences, nil)
			assert.True(t, errors.Is(err, imapclient.ErrProtocol), "%v", err)
		})
	}
}

func TestSortResponses(t *testing.T) {
	t.Parallel()
	c, err := imapclient.Dial(ctxT(t), replyServer(t, "* SORT 3 1 2\r\n"), nil)
	require.NoError(t, err)
	defer c.Close()
	got, err := c.Sort(ctxT(t), []imap.SortCriterion{{Key: imap.SortArrival}}, nil)
	require.NoError(t, err)
	assert.Equal(t, []uint32{3, 1, 2}, got)

	for _, reply := range []string{"* SORT 0\r\n", "* SORT x\r\n", "* SORT 4294967296\r\n"} {
		c, err := imapclient.Dial(ctxT(t), replyServer(t, reply), nil)
		require.NoError(t, err)
		_, err = c.Sort(ctxT(t), []imap.SortCriterion{{Key: imap.SortArrival}}, nil)
		assert.True(t, errors.Is(err, imapclient.ErrProtocol), "%q: %v", reply, err)
		_ = c.Close()
	}
}

func TestESortResponses(t *testing.T) {
	t.Parallel()
	keys := []imap.SortCriterion{{Key: imap.SortArrival}}
	good := map[string]*imapclient.SortResult{
		"* ESEARCH (TAG \"$tag\") UID MIN 7 MAX 2 ALL 7,3:5,9:8,2 COUNT 7\r\n":    {UID: true, Min: 7, Max: 2, All: []uint32{7, 3, 4, 5, 9, 8, 2}, Count: 7},
		"* ESEARCH (TAG \"other\") ALL 1\r\n* ESEARCH (TAG \"$tag\") COUNT 0\r\n": {},
		"* ESEARCH (TAG \"$tag\") MODSEQ 5 COUNT 1\r\n":                           {Count: 1},
	}
	for reply, want := range good {
		t.Run(strings.TrimSpace(reply), func(t *testing.T) {
			t.Parallel()
			c, err := imapclient.Dial(ctxT(t), replyServer(t, reply), nil)
			require.NoError(t, err)
			defer c.Close()
			got, err := c.ESort(ctxT(t), imapclient.SortReturn{All: true}, keys, nil)
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
	for _, reply := range []string{
		"* ESEARCH (TAG \"$tag\") ALL 1:4294967295\r\n", "* ESEARCH (TAG \"$tag\") ALL 0\r\n",
		"* ESEARCH (TAG \"$tag\") ALL 1,a\r\n", "* ESEARCH (TAG \"$tag\") MIN x\r\n",
		"* ESEARCH (TAG \"$tag\") MIN\r\n", "* ESEARCH (TAG \"$tag\") COUNT 4294967296\r\n",
	} {
		t.Run("bad "+strings.TrimSpace(reply), func(t *testing.T) {
			t.Parallel()
			c, err := imapclient.Dial(ctxT(t), replyServer(t, reply), nil)
			require.NoError(t, err)
			defer c.Close()
			_, err = c.ESort(ctxT(t), imapclient.SortReturn{All: true}, keys, nil)
			assert.True(t, errors.Is(err, imapclient.ErrProtocol), "%v", err)
		})
	}
	assert.Equal(t, "RETURN (MIN MAX ALL COUNT)", imapclient.SortReturn{Min: true, Max: true, All: true, Count: true}.String())
	assert.Equal(t, "RETURN ()", imapclient.SortReturn{}.String())
}
