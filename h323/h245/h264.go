package h245

import (
	"errors"
	"fmt"
)

// H.264 capability for H.245 per ITU-T H.241 §8.3: a GenericCapability
// (genericVideoCapability) with capabilityIdentifier 0.0.8.241.0.0.1 and
// collapsing parameters (H.241 Table 8-8 ff.).
var oidH264 = []uint32{0, 0, 8, 241, 0, 0, 1}

// H.241 parameter identifiers, in the order they are sent.
const (
	H264ParamProfile                       = 41 // booleanArray
	H264ParamLevel                         = 42 // unsignedMin
	H264ParamCustomMaxMBPS                 = 3  // unsignedMin, units of 500 MB/s
	H264ParamCustomMaxFS                   = 4  // unsignedMin, units of 256 MBs
	H264ParamCustomMaxDPB                  = 5  // unsignedMin, units of 32768 octets
	H264ParamCustomMaxBRandCPB             = 6  // unsignedMin, units of 25000 bit/s
	H264ParamMaxStaticMBPS                 = 7  // unsignedMin, units of 500 MB/s
	H264ParamMaxRcmdNALUSize               = 8  // unsigned32Max, octets
	H264ParamMaxNALUnitSize                = 9  // unsigned32Max, octets
	H264ParamSampleAspectRatiosSupported   = 10 // unsignedMax
	H264ParamAdditionalModesSupported      = 11 // booleanArray
	H264ParamAdditionalDisplayCapabilities = 12 // booleanArray
)

// H.241 profile bits of the profile parameter (a bit mask: several
// profiles may be offered at once).
const (
	H264ProfileBaseline = 64
	H264ProfileMain     = 32
	H264ProfileExtended = 16
	H264ProfileHigh     = 8
)

// H.241 level values: level_idc of H.264 Annex A mapped to the H.241
// parameter value (Table 8-9), e.g. level 3.1 is 71.
const (
	H264Level1  = 15
	H264Level1b = 19
	H264Level11 = 22
	H264Level12 = 29
	H264Level13 = 36
	H264Level2  = 43
	H264Level21 = 50
	H264Level22 = 57
	H264Level3  = 64
	H264Level31 = 71
	H264Level32 = 78
	H264Level4  = 85
	H264Level41 = 92
	H264Level42 = 99
	H264Level5  = 106
	H264Level51 = 113
)

var (
	errNotH264      = errors.New("h245: not an H.264 (H.241) generic capability")
	errH264Param    = errors.New("h245: H.241 parameter of the wrong type")
	errH264Required = errors.New("h245: H.241 capability lacks profile or level")
)

// H264Capability is the content of an H.241 H.264 capability. Zero
// optional fields are left out; the custom values are in H.241 units.
type H264Capability struct {
	Profile    int64 // bit mask of H264Profile*
	Level      int64 // H264Level*
	MaxBitRate int64 // units of 100 bit/s, 0 = absent

	CustomMaxMBPS                 int64
	CustomMaxFS                   int64
	CustomMaxDPB                  int64
	CustomMaxBRandCPB             int64
	MaxStaticMBPS                 int64
	MaxRcmdNALUSize               int64
	MaxNALUnitSize                int64
	SampleAspectRatiosSupported   int64
	AdditionalModesSupported      int64
	AdditionalDisplayCapabilities int64
}

// h264Param describes one optional H.241 parameter: its id, value kind
// and field.
type h264Param struct {
	id   int64
	make func(id, v int64) GenericParameter
	get  func(*ParameterValue) *int64
	f    func(*H264Capability) *int64
}

func getUnsignedMin(v *ParameterValue) *int64   { return v.UnsignedMin }
func getUnsignedMax(v *ParameterValue) *int64   { return v.UnsignedMax }
func getUnsigned32Max(v *ParameterValue) *int64 { return v.Unsigned32Max }
func getBooleanArray(v *ParameterValue) *int64  { return v.BooleanArray }

// h264Params lists the parameters in sending order: profile and level
// first (H.241 §8.3.2), then the optional ones by identifier.
var h264Params = [...]h264Param{
	{H264ParamProfile, ParamBooleanArray, getBooleanArray, func(c *H264Capability) *int64 { return &c.Profile }},
	{H264ParamLevel, ParamUnsignedMin, getUnsignedMin, func(c *H264Capability) *int64 { return &c.Level }},
	{H264ParamCustomMaxMBPS, ParamUnsignedMin, getUnsignedMin, func(c *H264Capability) *int64 { return &c.CustomMaxMBPS }},
	{H264ParamCustomMaxFS, ParamUnsignedMin, getUnsignedMin, func(c *H264Capability) *int64 { return &c.CustomMaxFS }},
	{H264ParamCustomMaxDPB, ParamUnsignedMin, getUnsignedMin, func(c *H264Capability) *int64 { return &c.CustomMaxDPB }},
	{H264ParamCustomMaxBRandCPB, ParamUnsignedMin, getUnsignedMin, func(c *H264Capability) *int64 { return &c.CustomMaxBRandCPB }},
	{H264ParamMaxStaticMBPS, ParamUnsignedMin, getUnsignedMin, func(c *H264Capability) *int64 { return &c.MaxStaticMBPS }},
	{H264ParamMaxRcmdNALUSize, ParamUnsigned32Max, getUnsigned32Max, func(c *H264Capability) *int64 { return &c.MaxRcmdNALUSize }},
	{H264ParamMaxNALUnitSize, ParamUnsigned32Max, getUnsigned32Max, func(c *H264Capability) *int64 { return &c.MaxNALUnitSize }},
	{H264ParamSampleAspectRatiosSupported, ParamUnsignedMax, getUnsignedMax, func(c *H264Capability) *int64 { return &c.SampleAspectRatiosSupported }},
	{H264ParamAdditionalModesSupported, ParamBooleanArray, getBooleanArray, func(c *H264Capability) *int64 { return &c.AdditionalModesSupported }},
	{H264ParamAdditionalDisplayCapabilities, ParamBooleanArray, getBooleanArray, func(c *H264Capability) *int64 { return &c.AdditionalDisplayCapabilities }},
}

// GenericCapability builds the H.245 GenericCapability: profile and
// level always, the others when non-zero.
func (c H264Capability) GenericCapability() GenericCapability {
	g := GenericCapability{CapabilityIdentifier: StandardIdentifier(oidH264...)}
	if c.MaxBitRate > 0 {
		g.MaxBitRate = &c.MaxBitRate
	}
	for i, p := range h264Params {
		v := *p.f(&c)
		if v == 0 && i >= 2 {
			continue
		}
		g.Collapsing = append(g.Collapsing, p.make(p.id, v))
	}
	return g
}

// VideoCapability wraps the capability as genericVideoCapability.
func (c H264Capability) VideoCapability() VideoCapability {
	g := c.GenericCapability()
	return VideoCapability{GenericVideoCapability: &g}
}

// IsH264 reports whether g is an H.241 H.264 capability.
func IsH264(g *GenericCapability) bool { return g.CapabilityIdentifier.IsStandard(oidH264...) }

// ParseH264 reads an H.241 capability. Unknown parameters are ignored
// (later H.241 versions add some); a known one with a value of the wrong
// type is an error, as is a missing profile or level.
func ParseH264(g *GenericCapability) (H264Capability, error) {
	var c H264Capability
	if !IsH264(g) {
		return c, errNotH264
	}
	if g.MaxBitRate != nil {
		c.MaxBitRate = *g.MaxBitRate
	}
	seen := 0
	for i := range g.Collapsing {
		gp := &g.Collapsing[i]
		id := gp.StandardID()
		for j, p := range h264Params {
			if p.id != id {
				continue
			}
			v := p.get(&gp.ParameterValue)
			if v == nil {
				return c, fmt.Errorf("parameter %d: %w", id, errH264Param)
			}
			*p.f(&c) = *v
			if j < 2 {
				seen |= 1 << j
			}
		}
	}
	if seen != 3 {
		return c, errH264Required
	}
	return c, nil
}
