package h245_test

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/h323/h245"
)

// paramIDs lists the standard identifiers of ps in order.
func paramIDs(ps []h245.GenericParameter) []int64 {
	var ids []int64
	for i := range ps {
		ids = append(ids, ps[i].StandardID())
	}
	return ids
}

func TestH264Capability(t *testing.T) {
	cases := []struct {
		name string
		in   h245.H264Capability
		ids  []int64 // collapsing parameter order on the wire
	}{
		{"baseline-level-3.1-only", h245.H264Capability{Profile: h245.H264ProfileBaseline, Level: h245.H264Level31}, []int64{41, 42}},
		{"high-1080p-custom", h245.H264Capability{Profile: h245.H264ProfileBaseline | h245.H264ProfileHigh, Level: h245.H264Level4,
			MaxBitRate: 30000, CustomMaxMBPS: 490, CustomMaxFS: 32, CustomMaxDPB: 20, CustomMaxBRandCPB: 120, MaxStaticMBPS: 490},
			[]int64{41, 42, 3, 4, 5, 6, 7}},
		{"all-parameters", h245.H264Capability{Profile: h245.H264ProfileMain, Level: h245.H264Level51, MaxBitRate: 1,
			CustomMaxMBPS: 1, CustomMaxFS: 2, CustomMaxDPB: 3, CustomMaxBRandCPB: 4, MaxStaticMBPS: 5, MaxRcmdNALUSize: 1400,
			MaxNALUnitSize: 65535, SampleAspectRatiosSupported: 13, AdditionalModesSupported: 1, AdditionalDisplayCapabilities: 3},
			[]int64{41, 42, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vc := c.in.VideoCapability()
			if got := paramIDs(vc.GenericVideoCapability.Collapsing); !reflect.DeepEqual(got, c.ids) {
				t.Fatalf("parameter order %v, want %v", got, c.ids)
			}
			// Through PER inside an OLC and back.
			olc := h245.OpenLogicalChannel{ForwardLogicalChannelNumber: 2,
				ForwardLogicalChannelParameters: h245.OpenLogicalChannelForwardLogicalChannelParameters{
					DataType: h245.DataType{VideoData: &vc},
					MultiplexParameters: h245.OpenLogicalChannelForwardLogicalChannelParametersMultiplexParameters{
						H2250LogicalChannelParameters: &h245.H2250LogicalChannelParameters{SessionID: 2}}}}
			b, err := olc.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			var back h245.OpenLogicalChannel
			if err := back.Unmarshal(b); err != nil {
				t.Fatal(err)
			}
			g := back.ForwardLogicalChannelParameters.DataType.VideoData.GenericVideoCapability
			if !h245.IsH264(g) || g.CapabilityIdentifier.Standard.String() != "0.0.8.241.0.0.1" {
				t.Fatalf("identifier %+v", g.CapabilityIdentifier)
			}
			got, err := h245.ParseH264(g)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.in {
				t.Fatalf("parsed %+v, want %+v", got, c.in)
			}
		})
	}
}

func TestParseH264Errors(t *testing.T) {
	good := h245.H264Capability{Profile: 64, Level: 71}.GenericCapability()
	wrongType := good
	wrongType.Collapsing = []h245.GenericParameter{h245.ParamUnsignedMin(41, 64), h245.ParamUnsignedMin(42, 71)}
	noLevel := good
	noLevel.Collapsing = good.Collapsing[:1]
	other := good
	other.CapabilityIdentifier = h245.StandardIdentifier(0, 0, 8, 239, 1, 1)
	unknownParam := good
	unknownParam.Collapsing = append([]h245.GenericParameter{h245.ParamUnsignedMin(99, 1)}, good.Collapsing...)
	cases := []struct {
		name string
		g    h245.GenericCapability
		want string // error substring, "" for success
	}{
		{"unknown-parameter-ignored", unknownParam, ""},
		{"profile-not-booleanArray", wrongType, "parameter 41"},
		{"level-missing", noLevel, "lacks profile or level"},
		{"not-h264", other, "not an H.264"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := h245.ParseH264(&c.g)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestUnicastAddress(t *testing.T) {
	cases := []struct {
		name, in, out string
		v6            bool
	}{
		{"ipv4", "192.0.2.1:5004", "192.0.2.1:5004", false},
		{"ipv4-mapped", "[::ffff:192.0.2.1]:5004", "192.0.2.1:5004", false},
		{"ipv6", "[2001:db8::5]:5006", "[2001:db8::5]:5006", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ta := h245.MustTransportAddress(netip.MustParseAddrPort(c.in))
			if (ta.UnicastAddress.IP6Address != nil) != c.v6 {
				t.Fatalf("wrong alternative %+v", ta.UnicastAddress)
			}
			ap, err := ta.AddrPort()
			if err != nil || ap.String() != c.out {
				t.Fatalf("AddrPort = %v, %v", ap, err)
			}
		})
	}
	bad := []h245.TransportAddress{
		{},
		{UnicastAddress: &h245.UnicastAddress{IPAddress: &h245.UnicastAddressIPAddress{Network: []byte{1}, TsapIdentifier: 1}}},
		{UnicastAddress: &h245.UnicastAddress{IPAddress: &h245.UnicastAddressIPAddress{Network: []byte{1, 2, 3, 4}, TsapIdentifier: -1}}},
		{UnicastAddress: &h245.UnicastAddress{Nsap: &[]byte{1}}},
	}
	for i, ta := range bad {
		if _, err := ta.AddrPort(); err == nil {
			t.Errorf("bad address %d accepted", i)
		}
	}
	if _, err := h245.NewTransportAddress(netip.AddrPort{}); err == nil {
		t.Error("zero AddrPort accepted")
	}
}
