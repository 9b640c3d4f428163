package interop

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapclient"
)

// TestIMAPCompressWithDovecot: our client switches Dovecot (imap_zlib)
// and our server to COMPRESS=DEFLATE (RFC 4978) after logging in over
// STARTTLS, then APPENDs a 256 KiB message, FETCHes it back whole and
// runs a SEARCH, all compressed; both servers return the message byte for
// byte, stop announcing COMPRESS once it is active, and refuse a second
// one.
func TestIMAPCompressWithDovecot(t *testing.T) {
	requireInterop(t)
	ctx := imapInteropCtx(t)
	folder := fmt.Sprintf("MailkitCompress-%d", time.Now().UnixNano())
	var body strings.Builder
	body.WriteString("From: a@example.test\r\nSubject: compressed\r\n\r\n")
	for i := 0; body.Len() < 256<<10; i++ {
		fmt.Fprintf(&body, "line %06d of a long and very compressible message body\r\n", i)
	}
	msg := body.String()

	dove, err := imapclient.DialStartTLS(ctx, peerAddr(portIMAP), &imapclient.Options{TLSConfig: peersTLSConfig(t, "localhost")})
	require.NoError(t, err)
	defer dove.Close()
	require.NoError(t, dove.Login(ctx, "alice@"+peersDomain, peersPassword))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = dove.Unselect(ctx)
		_ = dove.Delete(ctx, folder)
	})
	env := imapStartOurServer(t)
	ours := ourIMAPClient(t, ctx, env)

	for name, c := range map[string]*imapclient.Client{"dovecot": dove, "mailkit": ours} {
		require.True(t, c.Has("COMPRESS=DEFLATE"), "%s announces COMPRESS=DEFLATE after login", name)
		require.NoError(t, c.Compress(ctx), "%s COMPRESS DEFLATE", name)
		require.Error(t, c.Compress(ctx), "%s: a second COMPRESS", name)
		require.NoError(t, c.Create(ctx, folder), name)
		ad, err := c.Append(ctx, folder, strings.NewReader(msg), int64(len(msg)), nil)
		require.NoError(t, err, "%s APPEND over compression", name)
		_, err = c.Select(ctx, folder, nil)
		require.NoError(t, err)
		var got bytes.Buffer
		err = c.UIDFetch(ctx, imap.SeqSetOf(ad.UID), &imap.FetchOptions{Sections: []*imap.FetchSection{{Peek: true}}},
			&imapclient.FetchHandler{Body: func(seq uint32, s *imap.FetchSection, size int64, r io.Reader) error {
				_, err := io.Copy(&got, r)
				return err
			}})
		require.NoError(t, err, "%s FETCH over compression", name)
		assert.Equal(t, len(msg), got.Len(), "%s: size of BODY[]", name)
		assert.True(t, got.String() == msg, "%s: BODY[] is the appended message", name)
		found, err := c.Search(ctx, &imap.SearchCriteria{Header: []imap.SearchHeader{{Key: "Subject", Value: "compressed"}}})
		require.NoError(t, err)
		assert.Equal(t, []uint32{1}, found, name)
		require.NoError(t, c.Noop(ctx))
	}
}
