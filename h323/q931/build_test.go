package q931

import (
	"bytes"
	"reflect"
	"testing"
)

func TestConstructors(t *testing.T) {
	cr := NewCallReference(0x77f4, false)
	crr := NewCallReference(0x77f4, true)
	uu := []byte{0x20, 0xa8}
	called := CalledPartyNumber{PartyNumber{TypeOfNumber: NumberTypeSubscriber, NumberingPlan: PlanE164, Digits: "9246526"}}
	calling := CallingPartyNumber{PartyNumber{NumberingPlan: PlanE164, HasPresentation: true, Digits: "17"}}
	build := func(f func() (*Message, error)) func() (*Message, error) { return f }
	cases := []struct {
		name string
		new  func() (*Message, error)
		want string
	}{
		{"setup-default-bearer-sorted", build(func() (*Message, error) {
			// Given out of order; New sorts by identifier.
			return NewSetup(cr, uu, called, Display{Text: "gw"}, calling)
		}), "08 02 77 f4 05  04 03 88 90 a5  28 02 67 77  6c 04 01 80 31 37  70 08 c1 39 32 34 36 35 32 36  7e 00 03 05 20 a8"},
		{"setup-bearer-replaced", build(func() (*Message, error) {
			return NewSetup(cr, nil, BearerCapability{InformationCapability: CapabilityAudio3k1, InformationRate: TransferRate64k, Layer1Protocol: Layer1G711Mu})
		}), "08 02 77 f4 05  04 03 90 90 a2"},
		{"call-proceeding", build(func() (*Message, error) { return NewCallProceeding(crr, uu) }), "08 02 f7 f4 02 7e 00 03 05 20 a8"},
		{"alerting-progress", build(func() (*Message, error) {
			return NewAlerting(crr, uu, ProgressIndicator{Description: ProgressInbandAvailable})
		}), "08 02 f7 f4 01 1e 02 80 88 7e 00 03 05 20 a8"},
		{"connect", build(func() (*Message, error) { return NewConnect(crr, uu) }), "08 02 f7 f4 07 7e 00 03 05 20 a8"},
		{"progress", build(func() (*Message, error) { return NewProgress(crr, nil) }), "08 02 f7 f4 03"},
		{"release-complete-busy", build(func() (*Message, error) { return NewReleaseComplete(crr, CauseUserBusy, uu) }), "08 02 f7 f4 5a 08 02 80 91 7e 00 03 05 20 a8"},
		{"facility", build(func() (*Message, error) { return NewFacility(cr, uu) }), "08 02 77 f4 62 7e 00 03 05 20 a8"},
		{"notify", build(func() (*Message, error) { return NewNotify(cr, NotifyUserResumed, uu) }), "08 02 77 f4 6e 27 01 81 7e 00 03 05 20 a8"},
		{"information-keypad", build(func() (*Message, error) { return NewInformation(cr, uu, Keypad{Digits: "5#"}) }), "08 02 77 f4 7b 2c 02 35 23 7e 00 03 05 20 a8"},
		{"status", build(func() (*Message, error) { return NewStatus(crr, CauseStatusEnquiryResponse, 10) }), "08 02 f7 f4 7d 08 02 80 9e 14 01 0a"},
		{"status-inquiry", build(func() (*Message, error) { return NewStatusInquiry(cr) }), "08 02 77 f4 75"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := c.new()
			if err != nil {
				t.Fatal(err)
			}
			out, err := m.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			want := unhex(t, c.want)
			if !bytes.Equal(out, want) {
				t.Fatalf("got  %x\nwant %x", out, want)
			}
			var back Message
			if _, err := back.Unmarshal(out); err != nil {
				t.Fatal(err)
			}
			for _, ie := range back.IEs {
				if _, _, err := DecodeElement(ie); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestSetupAccessors(t *testing.T) {
	m, err := NewSetup(NewCallReference(1, false), []byte{1, 2},
		CalledPartyNumber{PartyNumber{Digits: "123456789"}},
		CallingPartyNumber{PartyNumber{Digits: "42"}})
	if err != nil {
		t.Fatal(err)
	}
	called, err := m.CalledPartyNumber()
	if err != nil || called.Digits != "123456789" {
		t.Fatalf("called %+v %v", called, err)
	}
	calling, err := m.CallingPartyNumber()
	if err != nil || calling.Digits != "42" {
		t.Fatalf("calling %+v %v", calling, err)
	}
	bc, err := m.BearerCapability()
	if err != nil || !reflect.DeepEqual(bc, DefaultBearerCapability()) {
		t.Fatalf("bearer %+v %v", bc, err)
	}
	uu, err := m.UserUser()
	if err != nil || !bytes.Equal(uu.Data, []byte{1, 2}) {
		t.Fatalf("uu %+v %v", uu, err)
	}
	// Set replaces in place and keeps the order.
	if err := m.Set(CalledPartyNumber{PartyNumber{Digits: "7"}}); err != nil {
		t.Fatal(err)
	}
	if called, _ := m.CalledPartyNumber(); called.Digits != "7" || len(m.IEs) != 4 {
		t.Fatalf("after Set: %+v, %d elements", called, len(m.IEs))
	}
}

func TestSetBeforeShift(t *testing.T) {
	m := &Message{CallRef: NewCallReference(1, false), Type: Facility,
		IEs: []IE{{ID: IDShift | 6}, {ID: 0x01, Contents: []byte{0xff}}}}
	if err := m.Set(Display{Text: "x"}); err != nil {
		t.Fatal(err)
	}
	if m.IEs[0].ID != IDDisplay {
		t.Fatalf("display not inserted before the shift: %+v", m.IEs)
	}
	out, _ := m.Marshal()
	var back Message
	if _, err := back.Unmarshal(out); err != nil {
		t.Fatal(err)
	}
	if d, err := back.Display(); err != nil || d.Text != "x" {
		t.Fatalf("display %+v %v", d, err)
	}
}

func BenchmarkUnmarshalSetup(b *testing.B) {
	m, _ := NewSetup(NewCallReference(1, false), make([]byte, 150),
		CalledPartyNumber{PartyNumber{Digits: "123456789"}}, Display{Text: "room"})
	buf, _ := m.Marshal()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		var m Message
		if _, err := m.Unmarshal(buf); err != nil {
			b.Fatal(err)
		}
		if _, err := m.UserUser(); err != nil {
			b.Fatal(err)
		}
	}
}
