package h245

import "slices"

// Helpers for GenericCapability / GenericMessage parameters (H.245 §6.2.10
// and Annex), shared by the H.241 (H.264) and H.239 helpers.

// StandardIdentifier returns a CapabilityIdentifier holding the standard
// OBJECT IDENTIFIER oid.
func StandardIdentifier(oid ...uint32) CapabilityIdentifier {
	o := ObjectIdentifier(slices.Clone(oid))
	return CapabilityIdentifier{Standard: &o}
}

// IsStandard reports whether c is the standard identifier oid.
func (c *CapabilityIdentifier) IsStandard(oid ...uint32) bool {
	return c.Standard != nil && slices.Equal(*c.Standard, oid)
}

// ParamUnsignedMin returns a standard parameter id with an unsignedMin
// value (0..65535).
func ParamUnsignedMin(id, v int64) GenericParameter {
	return GenericParameter{ParameterIdentifier: ParameterIdentifier{Standard: &id},
		ParameterValue: ParameterValue{UnsignedMin: &v}}
}

// ParamUnsignedMax returns a standard parameter with an unsignedMax value.
func ParamUnsignedMax(id, v int64) GenericParameter {
	return GenericParameter{ParameterIdentifier: ParameterIdentifier{Standard: &id},
		ParameterValue: ParameterValue{UnsignedMax: &v}}
}

// ParamUnsigned32Min returns a standard parameter with an unsigned32Min
// value (0..4294967295).
func ParamUnsigned32Min(id, v int64) GenericParameter {
	return GenericParameter{ParameterIdentifier: ParameterIdentifier{Standard: &id},
		ParameterValue: ParameterValue{Unsigned32Min: &v}}
}

// ParamUnsigned32Max returns a standard parameter with an unsigned32Max
// value.
func ParamUnsigned32Max(id, v int64) GenericParameter {
	return GenericParameter{ParameterIdentifier: ParameterIdentifier{Standard: &id},
		ParameterValue: ParameterValue{Unsigned32Max: &v}}
}

// ParamBooleanArray returns a standard parameter with a booleanArray value
// (0..255, a bit mask).
func ParamBooleanArray(id, v int64) GenericParameter {
	return GenericParameter{ParameterIdentifier: ParameterIdentifier{Standard: &id},
		ParameterValue: ParameterValue{BooleanArray: &v}}
}

// ParamLogical returns a standard parameter with a logical (NULL) value:
// present means true.
func ParamLogical(id int64) GenericParameter {
	return GenericParameter{ParameterIdentifier: ParameterIdentifier{Standard: &id},
		ParameterValue: ParameterValue{Logical: &struct{}{}}}
}

// StandardID returns the standard parameter identifier of p, or -1.
func (p *GenericParameter) StandardID() int64 {
	if p.ParameterIdentifier.Standard == nil {
		return -1
	}
	return *p.ParameterIdentifier.Standard
}

// Uint returns the value of an integer-valued parameter (booleanArray,
// unsignedMin/Max, unsigned32Min/Max) and whether it has one.
func (v *ParameterValue) Uint() (int64, bool) {
	for _, p := range []*int64{v.BooleanArray, v.UnsignedMin, v.UnsignedMax, v.Unsigned32Min, v.Unsigned32Max} {
		if p != nil {
			return *p, true
		}
	}
	return 0, false
}

// FindParam returns the first parameter with standard identifier id.
func FindParam(ps []GenericParameter, id int64) (*GenericParameter, bool) {
	for i := range ps {
		if ps[i].StandardID() == id {
			return &ps[i], true
		}
	}
	return nil, false
}
