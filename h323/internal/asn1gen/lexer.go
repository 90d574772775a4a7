package main

import (
	"fmt"
	"strings"
)

// tokKind classifies a lexical item of X.680 §12.
type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tNumber
	tCString
	tBString // 'xxx'B or 'xxx'H, kept as text
	tPunct
)

type token struct {
	kind tokKind
	text string
	line int
}

func (t token) String() string {
	if t.kind == tEOF {
		return "end of file"
	}
	return fmt.Sprintf("%q (line %d)", t.text, t.line)
}

// lex splits ASN.1 source into tokens, dropping "--" and "/* */" comments (X.680 §12.6).
func lex(src string) ([]token, error) {
	var toks []token
	line := 1
	i := 0
	n := len(src)
	for i < n {
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && i+1 < n && src[i+1] == '-':
			// A "--" comment ends at the next "--" or at the end of the line.
			i += 2
			for i < n && src[i] != '\n' {
				if src[i] == '-' && i+1 < n && src[i+1] == '-' {
					i += 2
					break
				}
				i++
			}
		case c == '/' && i+1 < n && src[i+1] == '*':
			depth := 0
			for i < n {
				if src[i] == '/' && i+1 < n && src[i+1] == '*' {
					depth++
					i += 2
					continue
				}
				if src[i] == '*' && i+1 < n && src[i+1] == '/' {
					depth--
					i += 2
					if depth == 0 {
						break
					}
					continue
				}
				if src[i] == '\n' {
					line++
				}
				i++
			}
			if depth != 0 {
				return nil, fmt.Errorf("line %d: unterminated /* comment", line)
			}
		case isLetter(c):
			j := i + 1
			for j < n {
				if isLetter(src[j]) || isDigit(src[j]) {
					j++
					continue
				}
				// A hyphen belongs to the name only when followed by a letter or digit
				// (X.680 §12.2: no "--" and no trailing hyphen).
				if src[j] == '-' && j+1 < n && (isLetter(src[j+1]) || isDigit(src[j+1])) {
					j++
					continue
				}
				break
			}
			toks = append(toks, token{tIdent, src[i:j], line})
			i = j
		case isDigit(c):
			j := i
			for j < n && isDigit(src[j]) {
				j++
			}
			toks = append(toks, token{tNumber, src[i:j], line})
			i = j
		case c == '"':
			var sb strings.Builder
			j := i + 1
			for {
				if j >= n {
					return nil, fmt.Errorf("line %d: unterminated string", line)
				}
				if src[j] == '"' {
					if j+1 < n && src[j+1] == '"' {
						sb.WriteByte('"')
						j += 2
						continue
					}
					j++
					break
				}
				if src[j] == '\n' {
					line++
				}
				sb.WriteByte(src[j])
				j++
			}
			toks = append(toks, token{tCString, sb.String(), line})
			i = j
		case c == '\'':
			j := strings.IndexByte(src[i+1:], '\'')
			if j < 0 || i+j+2 >= n {
				return nil, fmt.Errorf("line %d: unterminated bstring/hstring", line)
			}
			toks = append(toks, token{tBString, src[i : i+j+3], line})
			i += j + 3
		default:
			for _, p := range []string{"::=", "...", "..", "[[", "]]"} {
				if strings.HasPrefix(src[i:], p) {
					toks = append(toks, token{tPunct, p, line})
					i += len(p)
					goto next
				}
			}
			if strings.IndexByte("{}()[],;|^<>.&@!:-", c) >= 0 {
				toks = append(toks, token{tPunct, string(c), line})
				i++
				break
			}
			return nil, fmt.Errorf("line %d: unexpected character %q", line, c)
		next:
		}
	}
	toks = append(toks, token{kind: tEOF, line: line})
	return toks, nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
