package h323

import (
	"reflect"
	"strings"

	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/q931"
)

// H.225.0 §7.3.9 / Table 5 relates the ReleaseComplete-UUIE reason and the
// Q.931 cause: a side that gets only one of them derives the other from
// these tables.

// reasonCause is H.225.0 Table 5 (reason → Q.931 cause), by the reason's
// ASN.1 name.
var reasonCause = map[string]q931.CauseValue{
	"noBandwidth":                 q931.CauseNoCircuitAvailable,      // 34
	"gatekeeperResources":         q931.CauseResourceUnavailable,     // 47
	"unreachableDestination":      q931.CauseNoRouteToDestination,    // 3
	"destinationRejection":        q931.CauseNormalClearing,          // 16
	"invalidRevision":             q931.CauseIncompatibleDestination, // 88
	"noPermission":                q931.CauseInterworkingUnspecified, // 127
	"unreachableGatekeeper":       q931.CauseNetworkOutOfOrder,       // 38
	"gatewayResources":            q931.CauseSwitchingCongestion,     // 42
	"badFormatAddress":            q931.CauseInvalidNumberFormat,     // 28
	"adaptiveBusy":                q931.CauseTemporaryFailure,        // 41
	"inConf":                      q931.CauseUserBusy,                // 17
	"undefinedReason":             q931.CauseNormalUnspecified,       // 31
	"facilityCallDeflection":      q931.CauseNormalClearing,          // 16
	"securityDenied":              q931.CauseCallRejected,            // 21
	"calledPartyNotRegistered":    q931.CauseSubscriberAbsent,        // 20
	"callerNotRegistered":         q931.CauseNormalUnspecified,       // 31
	"newConnectionNeeded":         q931.CauseResourceUnavailable,     // 47
	"nonStandardReason":           q931.CauseInterworkingUnspecified, // 127
	"replaceWithConferenceInvite": q931.CauseNormalUnspecified,       // 31
	"genericDataReason":           q931.CauseNormalUnspecified,       // 31
	"neededFeatureNotSupported":   q931.CauseNormalUnspecified,       // 31
	"tunnelledSignallingRejected": q931.CauseInterworkingUnspecified, // 127
	"invalidCID":                  q931.CauseInvalidCallReference,    // 81
	"securityError":               q931.CauseCallRejected,            // 21
	"hopCountExceeded":            q931.CauseNoRouteToDestination,    // 3
}

// CauseForReason is the Q.931 cause H.225.0 Table 5 gives a
// ReleaseComplete reason (31 normal, unspecified for nil or unknown ones).
func CauseForReason(r *h225.ReleaseCompleteReason) q931.CauseValue {
	if c, ok := reasonCause[ReasonName(r)]; ok {
		return c
	}
	return q931.CauseNormalUnspecified
}

// ReasonForCause is the ReleaseComplete reason we send with a cause when
// the caller gives none (the inverse of Table 5 for the causes a gateway
// uses); nil when the cause says it all (normal clearing).
func ReasonForCause(c q931.CauseValue) *h225.ReleaseCompleteReason {
	n := &struct{}{}
	switch c {
	case q931.CauseNormalClearing:
		return nil
	case q931.CauseUnallocatedNumber, q931.CauseSubscriberAbsent:
		return &h225.ReleaseCompleteReason{CalledPartyNotRegistered: n}
	case q931.CauseNoRouteToDestination, q931.CauseDestinationOutOfOrder:
		return &h225.ReleaseCompleteReason{UnreachableDestination: n}
	case q931.CauseUserBusy:
		return &h225.ReleaseCompleteReason{InConf: n}
	case q931.CauseCallRejected:
		return &h225.ReleaseCompleteReason{DestinationRejection: n}
	case q931.CauseInvalidNumberFormat:
		return &h225.ReleaseCompleteReason{BadFormatAddress: n}
	case q931.CauseNoCircuitAvailable:
		return &h225.ReleaseCompleteReason{NoBandwidth: n}
	case q931.CauseSwitchingCongestion:
		return &h225.ReleaseCompleteReason{GatewayResources: n}
	case q931.CauseTemporaryFailure:
		return &h225.ReleaseCompleteReason{AdaptiveBusy: n}
	case q931.CauseResourceUnavailable:
		return &h225.ReleaseCompleteReason{GatekeeperResources: n}
	case q931.CauseIncompatibleDestination:
		return &h225.ReleaseCompleteReason{InvalidRevision: n}
	}
	return &h225.ReleaseCompleteReason{UndefinedReason: n}
}

// ReasonName is the ASN.1 name of the alternative of r ("" for nil).
func ReasonName(r *h225.ReleaseCompleteReason) string {
	if r == nil {
		return ""
	}
	rv := reflect.ValueOf(r).Elem()
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Field(i)
		if f.Kind() == reflect.Pointer && !f.IsNil() {
			tag := rv.Type().Field(i).Tag.Get("json")
			name, _, _ := strings.Cut(tag, ",")
			return name
		}
	}
	return ""
}
