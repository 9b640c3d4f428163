// Package storetest is the conformance test every [greylist.Store]
// implementation runs:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) greylist.Store { return newStore(t) })
//	}
//
// newStore must return an empty store and register its own cleanup with
// t.Cleanup. Stores that also implement [greylist.Sweeper] get the sweeping
// tests.
package storetest
