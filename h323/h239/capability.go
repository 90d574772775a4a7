package h239

import (
	"errors"

	"github.com/roomgate/roomgate/h323/h245"
)

// Object identifiers of H.239 §7–8.
var (
	oidControl       = []uint32{0, 0, 8, 239, 1, 1} // h239ControlCapability
	oidExtendedVideo = []uint32{0, 0, 8, 239, 1, 2} // h239ExtendedVideoCapability
	oidMessage       = []uint32{0, 0, 8, 239, 2}    // H.239 generic messages
)

// paramRoleLabel is the role label parameter of h239ExtendedVideoCapability
// (H.239 Table 5), a booleanArray of Role bits.
const paramRoleLabel = 1

// Role is the H.239 role label bit mask.
type Role int64

// Role labels (H.239 Table 6).
const (
	RolePresentation Role = 1
	RoleLive         Role = 2
)

var errNotExtendedVideo = errors.New("h239: not an H.239 extended video capability")

// ControlCapability returns the genericControlCapability a terminal
// supporting H.239 puts in its capability table.
func ControlCapability() h245.Capability {
	g := h245.GenericCapability{CapabilityIdentifier: h245.StandardIdentifier(oidControl...)}
	return h245.Capability{GenericControlCapability: &g}
}

// IsControlCapability reports whether c is the H.239 control capability.
func IsControlCapability(c *h245.Capability) bool {
	g := c.GenericControlCapability
	return g != nil && g.CapabilityIdentifier.IsStandard(oidControl...)
}

// ExtendedVideo returns an extendedVideoCapability carrying the video
// capabilities vs with the role label r, for the capability table and for
// the dataType of the content channel's OpenLogicalChannel.
func ExtendedVideo(r Role, vs ...h245.VideoCapability) h245.VideoCapability {
	ext := h245.GenericCapability{
		CapabilityIdentifier: h245.StandardIdentifier(oidExtendedVideo...),
		Collapsing:           []h245.GenericParameter{h245.ParamBooleanArray(paramRoleLabel, int64(r))},
	}
	return h245.VideoCapability{ExtendedVideoCapability: &h245.ExtendedVideoCapability{
		VideoCapability:          vs,
		VideoCapabilityExtension: []h245.GenericCapability{ext},
	}}
}

// ParseExtendedVideo returns the role label and video capabilities of an
// H.239 extended video capability.
func ParseExtendedVideo(v *h245.VideoCapability) (Role, []h245.VideoCapability, error) {
	e := v.ExtendedVideoCapability
	if e == nil {
		return 0, nil, errNotExtendedVideo
	}
	for i := range e.VideoCapabilityExtension {
		g := &e.VideoCapabilityExtension[i]
		if !g.CapabilityIdentifier.IsStandard(oidExtendedVideo...) {
			continue
		}
		var r Role
		if p, ok := h245.FindParam(g.Collapsing, paramRoleLabel); ok {
			n, _ := p.ParameterValue.Uint()
			r = Role(n)
		}
		return r, e.VideoCapability, nil
	}
	return 0, nil, errNotExtendedVideo
}
