package senderid_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/mailkit-go/mailkit/senderid"
)

type praVector struct {
	Name    string     `yaml:"name"`
	Rule    string     `yaml:"rule"`
	Headers [][]string `yaml:"headers"`
	PRA     string     `yaml:"pra"`
	Step    int        `yaml:"step"`
	Error   bool       `yaml:"error"`
}

func loadPRAVectors(t testing.TB) []praVector {
	data, err := os.ReadFile("testdata/pra-vectors.yml")
	require.NoError(t, err)
	var vs []praVector
	require.NoError(t, yaml.Unmarshal(data, &vs))
	return vs
}

func fields(h [][]string) []senderid.Field {
	out := make([]senderid.Field, len(h))
	for i, kv := range h {
		out[i] = senderid.Field{Name: kv[0], Value: kv[1]}
	}
	return out
}

func TestPRAVectors(t *testing.T) {
	t.Parallel()
	vs := loadPRAVectors(t)
	require.GreaterOrEqual(t, len(vs), 15)
	steps := map[int]bool{}
	for _, v := range vs {
		require.NotEmpty(t, v.Rule, v.Name)
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			got, err := senderid.PRA(fields(v.Headers))
			if v.Error {
				assert.ErrorIs(t, err, senderid.ErrNoPRA, v.Rule)
				return
			}
			require.NoError(t, err, v.Rule)
			assert.Equal(t, v.PRA, got.Address, v.Rule)
			assert.Equal(t, senderid.PRAStep(v.Step), got.Step, v.Rule)
		})
		steps[v.Step] = true
	}
	for s := 1; s <= 4; s++ {
		assert.True(t, steps[s], "no vector for step %d", s)
	}
}
