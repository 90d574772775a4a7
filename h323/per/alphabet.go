package per

import (
	"fmt"
	"math/bits"
	"slices"
	"sort"
)

// Alphabet is an effective permitted alphabet (§30.5): the characters a
// PER-visible FROM constraint allows, or the full set of a string kind,
// together with the derived bits per character and whether characters are
// encoded by value or by index. An Alphabet is immutable and safe for
// concurrent use; generated code builds each one once.
type Alphabet struct {
	spans   []span // sorted, disjoint, non-adjacent
	n       int    // number of characters N
	bits    int    // b for ALIGNED: power of two ≥ ceil(log2 N) (§30.5.2)
	indexed bool   // encode index in the sorted alphabet (§30.5.4)
}

// span is the inclusive character range lo..hi; first is the index of lo.
type span struct {
	lo, hi uint32
	first  int
}

// NewAlphabet returns the alphabet of the characters of chars, as written
// in FROM("..."): order and duplicates do not matter. Ranges written as
// FROM("a".."z") can be given with NewAlphabetRanges.
func NewAlphabet(chars string) *Alphabet {
	var b []rune
	for _, r := range chars {
		b = append(b, r, r)
	}
	return NewAlphabetRanges(b...)
}

// NewAlphabetRanges returns the alphabet of the inclusive ranges lo0, hi0,
// lo1, hi1, ... as in FROM("0".."9" | "A".."F"). It panics on an odd count
// or an empty result, which are programming errors in generated code.
func NewAlphabetRanges(bounds ...rune) *Alphabet {
	if len(bounds)%2 != 0 || len(bounds) == 0 {
		panic(fmt.Sprintf("per: NewAlphabetRanges needs lo, hi pairs, got %d values", len(bounds)))
	}
	var sp []span
	for i := 0; i < len(bounds); i += 2 {
		lo, hi := bounds[i], bounds[i+1]
		if lo < 0 || hi < lo {
			panic(fmt.Sprintf("per: bad alphabet range %d..%d", lo, hi))
		}
		sp = append(sp, span{lo: uint32(lo), hi: uint32(hi)})
	}
	sort.Slice(sp, func(i, j int) bool { return sp[i].lo < sp[j].lo })
	merged := sp[:1]
	for _, s := range sp[1:] {
		last := &merged[len(merged)-1]
		if s.lo <= last.hi+1 {
			last.hi = max(last.hi, s.hi)
			continue
		}
		merged = append(merged, s)
	}
	a := &Alphabet{spans: slices.Clip(merged)}
	for i := range a.spans {
		a.spans[i].first = a.n
		a.n += int(a.spans[i].hi-a.spans[i].lo) + 1
	}
	// §30.5.2: B = ceil(log2 N); ALIGNED uses the smallest power of two ≥ B
	// (2^0 = 1 counts, so a one-character alphabet takes 1 bit).
	b := bits.Len(uint(a.n - 1))
	a.bits = 1
	for a.bits < b {
		a.bits *= 2
	}
	// §30.5.4: values are used as they are when the largest one fits in b
	// bits, otherwise each character is replaced by its index.
	a.indexed = uint64(a.spans[len(a.spans)-1].hi) > 1<<a.bits-1
	return a
}

// printableChars is the PrintableString character set (X.680 §41.4).
const printableChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?"

// fullAlphabets are the immutable alphabets of the string kinds.
var fullAlphabets = [...]*Alphabet{
	IA5String:       NewAlphabetRanges(0, 127),
	PrintableString: NewAlphabet(printableChars),
	NumericString:   NewAlphabet(" 0123456789"),
	VisibleString:   NewAlphabetRanges(32, 126),
	BMPStringKind:   NewAlphabetRanges(0, 0xffff),
}

// KindAlphabet returns the full alphabet of a known-multiplier string kind
// (used when a string type has no FROM constraint). Unknown kinds yield
// nil. The result is shared and immutable.
func KindAlphabet(k StringKind) *Alphabet {
	if k < 0 || int(k) >= len(fullAlphabets) {
		return nil
	}
	return fullAlphabets[k]
}

// Bits returns the number of bits per character in the ALIGNED variant.
func (a *Alphabet) Bits() int { return a.bits }

// Indexed reports whether characters are encoded by their index in the
// sorted alphabet rather than by their value (§30.5.4).
func (a *Alphabet) Indexed() bool { return a.indexed }

// Len returns the number of characters.
func (a *Alphabet) Len() int { return a.n }

// Contains reports whether c is in the alphabet.
func (a *Alphabet) Contains(c rune) bool {
	_, ok := a.code(uint32(c))
	return ok
}

// code returns the encoded form of character c: its value, or its index.
func (a *Alphabet) code(c uint32) (uint32, bool) {
	i := sort.Search(len(a.spans), func(i int) bool { return a.spans[i].hi >= c })
	if i == len(a.spans) || c < a.spans[i].lo {
		return 0, false
	}
	if !a.indexed {
		return c, true
	}
	return uint32(a.spans[i].first) + c - a.spans[i].lo, true
}

// char maps an encoded value back to a character.
func (a *Alphabet) char(v uint32) (uint32, bool) {
	if !a.indexed {
		_, ok := a.code(v)
		return v, ok
	}
	if v >= uint32(a.n) {
		return 0, false
	}
	i := sort.Search(len(a.spans), func(i int) bool { return a.spans[i].first > int(v) }) - 1
	return a.spans[i].lo + v - uint32(a.spans[i].first), true
}
