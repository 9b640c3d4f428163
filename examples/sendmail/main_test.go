package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/mime"
)

func TestRun(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	got, err := run(context.Background(), []string{"-subject", "Grüße", "-to", "bob@example.org, dan@example.org"}, &out)
	require.NoError(t, err)
	require.Len(t, got, 1)
	m := got[0]

	// The envelope decides delivery: carol (Bcc) is a recipient but in no header.
	assert.Equal(t, "alice@example.com", m.From)
	assert.Equal(t, []string{"bob@example.org", "dan@example.org", "carol@example.net"}, m.To)
	assert.True(t, m.TLS)
	assert.Equal(t, "alice@example.com", m.AuthUser)
	assert.NotContains(t, string(m.Data), "carol@example.net")

	// The message the builder made arrives intact.
	root, err := mime.ParseBytes(m.Data, nil)
	require.NoError(t, err)
	subj, err := mime.DecodeHeader(m.Header.Get("Subject"))
	require.NoError(t, err)
	assert.Equal(t, "Grüße", subj)
	assert.Equal(t, "multipart/mixed", root.MediaType)
	require.Len(t, root.Children, 2)
	assert.Equal(t, "report.csv", root.Children[1].FileName())
}

func TestCompose(t *testing.T) {
	t.Parallel()
	msg, err := compose("a@example.com", []string{"b@example.org"}, "Hi", "text\n")
	require.NoError(t, err)
	root, err := mime.ParseBytes(msg, nil)
	require.NoError(t, err)
	text, err := root.Children[0].Text()
	require.NoError(t, err)
	assert.Equal(t, "text\r\n", text)
}

func TestRunBadFlag(t *testing.T) {
	t.Parallel()
	_, err := run(context.Background(), []string{"-nosuchflag"}, &bytes.Buffer{})
	assert.Error(t, err)
}
