//go:build race

package mime

// raceEnabled: sync.Pool drops items at random under the race detector.
const raceEnabled = true
