package imapserver_test

// The imaptest scripts (testdata/imaptest, MIT licence, see SOURCE there)
// run against imapserver with the imapmem backend through the shared
// interpreter in imap/internal/imaptest.

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap/imapmem"
	"github.com/mailkit-go/mailkit/imap/imapserver"
	"github.com/mailkit-go/mailkit/imap/internal/imaptest"
)

// imaptestPass lists the scripts that pass; the test fails if one of them
// regresses. Every script whose "capabilities:" the server announces
// passes; the others (notify: NOTIFY; urlauth, urlauth2,
// urlauth-binary: URLAUTH) are skipped.
var imaptestPass = []string{
	"esearch", "fetch-envelope", "append", "atoms", "close", "copy",
	"expunge", "expunge2", "fetch", "fetch-body", "fetch-body-message-rfc822",
	"fetch-body-message-rfc822-mime", "fetch-body-message-rfc822-x2",
	"fetch-body-mime", "fetch-bodystructure", "id", "list", "logout", "move",
	"mutf7", "nil", "pipeline", "pipeline-connections", "search-addresses",
	"search-body", "search-date", "search-flags", "search-header",
	"search-sets", "search-size", "select", "store", "subscribe", "uidplus",
	"uidvalidity", "uidvalidity-rename",
	"esort", "sort-addresses", "sort-arrival", "sort-date",
	"sort-display-from", "sort-display-to", "sort-size", "sort-subject",
	"listext",
	"append-binary", "fetch-binary-mime", "fetch-binary-mime-base64",
	"fetch-binary-mime-qp", "multiappend", "catenate",
	"catenate-multiappend",
	"thread", "thread2", "thread3", "thread4", "thread5", "thread6",
	"thread7", "thread8", "thread-orderedsubject", "thread-orderedsubject2",
	"esearch-condstore",
	"search-partial", "sort-partial", "search-context-update",
	"search-context-update2", "search-context-update3",
}

// imaptestSuite runs the scripts against a fresh imapmem-backed server
// per script.
func imaptestSuite() *imaptest.Suite {
	return &imaptest.Suite{
		Dir:  filepath.Join("testdata", "imaptest"),
		Name: "imapserver+imapmem",
		Caps: []string{"IMAP4REV1", "LITERAL+", "ID", "ENABLE", "IDLE", "NAMESPACE", "UNSELECT", "UIDPLUS", "CHILDREN", "MOVE", "SASL-IR", "ESEARCH", "SORT", "SORT=DISPLAY", "ESORT", "THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES", "BINARY", "MULTIAPPEND", "CATENATE", "LIST-EXTENDED", "CONDSTORE", "QRESYNC", "SEARCHRES", "STATUS=SIZE", "CONTEXT=SEARCH", "CONTEXT=SORT"},
		Pass: imaptestPass,
		Start: func(t *testing.T) string {
			be := imapmem.New()
			require.NoError(t, be.AddUser("testuser", "pass"))
			srv := &imapserver.Server{Backend: be, AllowInsecureAuth: true}
			l, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			go func() { _ = srv.Serve(l) }()
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = srv.Shutdown(ctx)
			})
			return l.Addr().String()
		},
	}
}

func TestImaptestScripts(t *testing.T) {
	imaptestSuite().Run(t)
}

// TestImaptestRunnerDetectsMismatch makes sure the interpreter fails on
// wrong expectations, wrong statuses and forbidden replies.
func TestImaptestRunnerDetectsMismatch(t *testing.T) {
	imaptestSuite().RunMismatch(t)
}
