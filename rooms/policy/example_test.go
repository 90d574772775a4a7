package policy_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/roomgate/roomgate/rooms/directory"
	"github.com/roomgate/roomgate/rooms/policy"
)

// A join handler asks the limiter first, checks the password, and reports the
// outcome back.
func ExampleLimiter() {
	l, err := policy.NewLimiter(policy.LimiterConfig{PerSource: 2})
	if err != nil {
		panic(err)
	}
	m := directory.Meeting{ID: "123456789", Password: "s3cret", HardwarePassword: "654321"}
	src := netip.MustParseAddr("192.0.2.10")
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

	join := func(given string, roomSystem bool) {
		if ok, wait := l.Allow(src, m.ID, now); !ok {
			fmt.Printf("%q: 429, retry after %v\n", given, wait)
			return
		}
		if policy.CheckPassword(m, given, roomSystem) {
			l.Succeed(src, m.ID)
			fmt.Printf("%q: joined\n", given)
			return
		}
		l.Fail(src, m.ID, now)
		fmt.Printf("%q: 401 wrong_password\n", given)
	}
	join("654321", false) // the hardware password is for room systems only
	join("s3cret", false) // right: the earlier failure is forgiven
	join("654321", true)  // a room system may use it
	join("guess1", false)
	join("guess2", false)
	join("s3cret", false) // two failures in the window: refused, even if right
	now = now.Add(30 * time.Second)
	join("s3cret", false)
	// Output:
	// "654321": 401 wrong_password
	// "s3cret": joined
	// "654321": joined
	// "guess1": 401 wrong_password
	// "guess2": 401 wrong_password
	// "s3cret": 429, retry after 1m0s
	// "s3cret": 429, retry after 30s
}
