package imap

import (
	"bufio"
	"strings"
)

func newStringReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }
