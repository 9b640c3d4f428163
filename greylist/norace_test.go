//go:build !race

package greylist

const raceEnabled = false
