package per

import (
	"errors"
	"strings"
	"testing"
)

func TestErrorsByBlame(t *testing.T) {
	tests := []struct {
		name       string
		run        func() error
		structural bool
		syntaxIs   error
	}{
		{"BadSizeRange", func() error { return NewEncoder().PutOctetString(nil, SizeRange{Lb: 3, Ub: 1, HasUb: true}) }, true, nil},
		{"NegativeLb", func() error { _, err := NewDecoder([]byte{1}).GetLength(SizeRange{Lb: -1}); return err }, true, nil},
		{"UnknownStringKind", func() error { return NewEncoder().PutKnownString("a", StringKind(99), SizeRange{}, nil) }, true, nil},
		{"BMPKindViaKnownString", func() error {
			_, err := NewDecoder([]byte{1, 0, 0x41}).GetKnownString(BMPStringKind, SizeRange{}, nil)
			return err
		}, true, nil},
		{"ZeroRootChoice", func() error { return NewEncoder().PutChoiceIndex(0, 0, false) }, true, nil},
		{"EmptyBitmap", func() error { return NewEncoder().PutExtensionBitmap(nil) }, true, nil},
		{"Truncated", func() error { _, err := NewDecoder([]byte{5, 1}).GetOctetString(SizeRange{}); return err }, false, ErrTruncated},
		{"Limit", func() error {
			_, err := NewDecoder([]byte{5, 1, 2, 3, 4, 5}, WithMaxLen(4)).GetOctetString(SizeRange{})
			return err
		}, false, ErrLimit},
		{"Depth", func() error { return NewDecoder(nil, WithMaxDepth(0)).Enter() }, false, ErrDepth},
		{"TrailingOctets", func() error { d := NewDecoder([]byte{0x80, 0}); d.GetBit(); return d.Finish() }, false, ErrRange},
		{"EmptyInput", func() error { return NewDecoder(nil).Finish() }, false, ErrTruncated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			var se *StructuralError
			var syn *SyntaxError
			switch {
			case tc.structural && !errors.As(err, &se):
				t.Fatalf("err = %v, want *StructuralError", err)
			case !tc.structural && (!errors.As(err, &syn) || !errors.Is(err, tc.syntaxIs)):
				t.Fatalf("err = %v, want *SyntaxError wrapping %v", err, tc.syntaxIs)
			}
			if !strings.HasPrefix(err.Error(), "per: ") {
				t.Errorf("message %q lacks the package prefix", err)
			}
		})
	}
	if NewDecoder([]byte{0}).Finish() != nil {
		t.Error("0x00 is the complete encoding of an empty value")
	}
}

func TestAlphabetContains(t *testing.T) {
	p := KindAlphabet(PrintableString)
	for _, c := range "Az09 '()+,-./:=?" {
		if !p.Contains(c) {
			t.Errorf("PrintableString lacks %q", c)
		}
	}
	for _, c := range "!*@_é" {
		if p.Contains(c) {
			t.Errorf("PrintableString has %q", c)
		}
	}
	if KindAlphabet(StringKind(-1)) != nil {
		t.Error("unknown kind has an alphabet")
	}
}
