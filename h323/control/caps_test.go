package control

import (
	"strings"
	"testing"

	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/transcode/h264"
	"github.com/roomgate/roomgate/transcode/media"
)

func TestH241Levels(t *testing.T) {
	tests := []struct {
		h241 int64
		want h264.Level
	}{
		{15, h264.Level1}, {19, h264.Level1b}, {22, h264.Level11}, {43, h264.Level2}, {64, h264.Level3},
		{71, h264.Level31}, {85, h264.Level4}, {92, h264.Level41}, {106, h264.Level5}, {120, h264.Level52},
		{80, h264.Level32}, // between 3.2 (78) and 4 (85): rounded down
		{200, h264.Level52},
	}
	for _, tt := range tests {
		got, err := LevelFromH241(tt.h241)
		if err != nil || got != tt.want {
			t.Errorf("LevelFromH241(%d) = %v, %v; want %v", tt.h241, got, err, tt.want)
		}
	}
	for _, c := range []struct {
		l    h264.Level
		h241 int64
	}{{h264.Level1, h245.H264Level1}, {h264.Level1b, h245.H264Level1b}, {h264.Level31, h245.H264Level31},
		{h264.Level4, h245.H264Level4}, {h264.Level51, h245.H264Level51}} {
		if got, err := H241Level(c.l); err != nil || got != c.h241 {
			t.Errorf("H241Level(%v) = %d, %v; want %d", c.l, got, err, c.h241)
		}
	}
	if _, err := LevelFromH241(14); err == nil {
		t.Error("H.241 level 14 accepted")
	}
	if _, err := H241Level(h264.Level(7)); err == nil {
		t.Error("level_idc 7 accepted")
	}
}

func TestOwnTCSParsesAndChooses(t *testing.T) {
	m := DefaultCaps().TerminalCapabilitySet(1)
	rc, err := ParseTCS(roundTrip(t, m).Request.TerminalCapabilitySet)
	if err != nil {
		t.Fatal(err)
	}
	if !rc.Alphanumeric || !rc.DTMF || rc.TelephoneEvent != DefaultTelephoneEventPT || !rc.PacketizationMode1 {
		t.Errorf("user input / RFC 2833 / mode 1 not found: %+v", rc)
	}
	c := Choose(rc, DefaultCaps())
	if c.Audio == nil || c.Audio.Codec != media.G722 || c.Video == nil || c.Video.Codec != media.H264 {
		t.Fatalf("choice %+v", c)
	}
	p := c.Plan(rc, DefaultCaps())
	if v, ok := p.Stream(media.RoleMain); !ok || v.H264.PacketizationMode != 1 || v.PT != DefaultH264PT || v.Direction != media.SendOnly {
		t.Errorf("choice plan video %+v", v)
	}
	if a, ok := p.Stream(media.RoleAudio); !ok || a.Codec != media.G722 || a.PT != 9 || a.TelephoneEvent != DefaultTelephoneEventPT {
		t.Errorf("choice plan audio %+v", a)
	}
	want := media.H264Limits{ProfileIDC: 66, LevelIDC: 40}
	if *c.Video.H264 != want || c.Video.MaxBitrate != 3_000_000 {
		t.Errorf("H.264 %+v at %d bit/s, want %+v at 3000000", *c.Video.H264, c.Video.MaxBitrate, want)
	}
}

// tcsOf builds a capability set from capabilities and descriptors (1-based
// entry numbers as in the message).
func tcsOf(caps []h245.Capability, sim [][]int) *h245.TerminalCapabilitySet {
	return h245.NewTerminalCapabilitySet(1, caps, sim).Request.TerminalCapabilitySet
}

func rxAudio(c media.Codec) h245.Capability {
	return h245.Capability{ReceiveAudioCapability: audioCapability(c, 20)}
}

func rxH264(hc h245.H264Capability) h245.Capability {
	v := hc.VideoCapability()
	return h245.Capability{ReceiveVideoCapability: &v}
}

func TestChoose(t *testing.T) {
	h263 := h245.Capability{ReceiveVideoCapability: &h245.VideoCapability{H263VideoCapability: &h245.H263VideoCapability{CifMPI: new(int64(1)), MaxBitRate: 3840}}}
	h261 := h245.Capability{ReceiveVideoCapability: &h245.VideoCapability{H261VideoCapability: &h245.H261VideoCapability{CifMPI: new(int64(1)), MaxBitRate: 3840}}}
	hd := rxH264(h245.H264Capability{Profile: h245.H264ProfileBaseline | h245.H264ProfileHigh, Level: h245.H264Level31,
		CustomMaxMBPS: 490, CustomMaxFS: 32, CustomMaxBRandCPB: 160, MaxBitRate: 20000})
	txOnly := h245.Capability{TransmitAudioCapability: audioCapability(media.G722, 20)}
	g729 := h245.Capability{ReceiveAudioCapability: &h245.AudioCapability{G729: new(int64(2))}}
	tests := []struct {
		name    string
		tcs     *h245.TerminalCapabilitySet
		audio   media.Codec
		video   bool
		reason  string
		h264    *media.H264Limits
		bitrate int
	}{
		{"H.263 and H.261 only: audio only with a reason", tcsOf([]h245.Capability{rxAudio(media.PCMA), h263, h261}, [][]int{{0}, {1, 2}}),
			media.PCMA, false, "only [h263VideoCapability h261VideoCapability] video, no H.264", nil, 0},
		{"no video", tcsOf([]h245.Capability{rxAudio(media.PCMU)}, [][]int{{0}}), media.PCMU, false, "no video", nil, 0},
		{"our preference among alternatives", tcsOf([]h245.Capability{rxAudio(media.PCMA), rxAudio(media.PCMU), rxAudio(media.G722)}, [][]int{{0, 1, 2}}),
			media.G722, false, "no video", nil, 0},
		{"transmit-only and unknown audio are not sent to", tcsOf([]h245.Capability{txOnly, g729, rxAudio(media.PCMA)}, [][]int{{0, 1, 2}}),
			media.PCMA, false, "no video", nil, 0},
		{"H.264 custom values in RFC 6184 units", tcsOf([]h245.Capability{rxAudio(media.PCMU), hd}, [][]int{{0}, {1}}),
			media.PCMU, true, "", &media.H264Limits{ProfileIDC: 100, LevelIDC: 31, MaxMBPS: 245000, MaxFS: 8192, MaxBRKbps: 4000}, 2_000_000},
		{"audio and video in one alternative set: audio wins", tcsOf([]h245.Capability{rxAudio(media.PCMU), hd}, [][]int{{0, 1}}),
			media.PCMU, false, "cannot be used together", nil, 0},
		{"the descriptor with both wins", tcsOf([]h245.Capability{rxAudio(media.G722), rxAudio(media.PCMU), hd}, [][]int{{0}, {1}}),
			media.G722, false, "no video", nil, 0},
	}
	// The last case gets a second descriptor: PCMU with video.
	last := tests[len(tests)-1].tcs
	last.CapabilityDescriptors = append(last.CapabilityDescriptors, h245.CapabilityDescriptor{CapabilityDescriptorNumber: 1,
		SimultaneousCapabilities: []h245.AlternativeCapabilitySet{{2}, {3}}})
	tests[len(tests)-1].audio, tests[len(tests)-1].video, tests[len(tests)-1].reason, tests[len(tests)-1].bitrate = media.PCMU, true, "", 2_000_000
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, err := ParseTCS(tt.tcs)
			if err != nil {
				t.Fatal(err)
			}
			c := Choose(rc, DefaultCaps())
			var audio media.Codec
			if c.Audio != nil {
				audio = c.Audio.Codec
			}
			if audio != tt.audio || (c.Video != nil) != tt.video {
				t.Fatalf("audio %q video %v, want %q %v", audio, c.Video != nil, tt.audio, tt.video)
			}
			if !strings.Contains(c.VideoReason, tt.reason) || (tt.reason == "") != (c.VideoReason == "") {
				t.Errorf("reason %q, want %q", c.VideoReason, tt.reason)
			}
			if c.Video != nil {
				if tt.h264 != nil && *c.Video.H264 != *tt.h264 {
					t.Errorf("H.264 %+v, want %+v", *c.Video.H264, *tt.h264)
				}
				if c.Video.MaxBitrate != tt.bitrate {
					t.Errorf("bitrate %d, want %d", c.Video.MaxBitrate, tt.bitrate)
				}
			}
		})
	}
}

// TestPolycomShortPacketizationOID: the OID one element short means
// single NAL unit mode, in a capability set and in an OLC.
func TestPolycomShortPacketizationOID(t *testing.T) {
	if mode, ok := packetizationMode(oidPolycomShort); !ok || mode != 0 {
		t.Errorf("short OID: mode %d ok %v, want 0 true", mode, ok)
	}
	tcs := tcsOf([]h245.Capability{rxAudio(media.PCMU), rxH264(h245.H264Capability{Profile: 64, Level: 71})}, [][]int{{0}, {1}})
	h := h2250Capability(false)
	o := h245.ObjectIdentifier(oidPolycomShort)
	h.MediaPacketizationCapability.RtpPayloadType = []h245.RTPPayloadType{{PayloadDescriptor: h245.RTPPayloadTypePayloadDescriptor{Oid: &o}}}
	tcs.MultiplexCapability = &h245.MultiplexCapability{H2250Capability: h}
	rc, err := ParseTCS(tcs)
	if err != nil {
		t.Fatal(err)
	}
	if rc.PacketizationMode1 {
		t.Error("Polycom's short OID taken as non-interleaved mode")
	}
	// An incoming OLC with the short OID.
	s := ready(t, true, Quirks{})
	cap := rxH264(h245.H264Capability{Profile: 64, Level: 71})
	olc, err := h245.Channel{Number: 30, SessionID: 2, DataType: h245.DataType{VideoData: cap.ReceiveVideoCapability}, PayloadType: 109}.OpenLogicalChannel()
	if err != nil {
		t.Fatal(err)
	}
	pt := int64(109)
	olc.ForwardLogicalChannelParameters.MultiplexParameters.H2250LogicalChannelParameters.MediaPacketization =
		&h245.H2250LogicalChannelParametersMediaPacketization{RtpPayloadType: &h245.RTPPayloadType{
			PayloadDescriptor: h245.RTPPayloadTypePayloadDescriptor{Oid: &o}, PayloadType: &pt}}
	s.Handle(t0, roundTrip(t, h245.Request(h245.RequestMessage{OpenLogicalChannel: &olc})))
	ic, ok := has[IncomingChannel](eventsOf(s.Drain(nil)))
	if !ok || ic.H264 == nil || ic.H264.PacketizationMode != 0 || ic.PT != 109 || ic.H264.LevelIDC != 31 {
		t.Errorf("incoming channel %+v (H.264 %+v)", ic, ic.H264)
	}
}

func eventsOf(outs []Output) []Event {
	var evs []Event
	for _, o := range outs {
		if o.Event != nil {
			evs = append(evs, o.Event)
		}
	}
	return evs
}
