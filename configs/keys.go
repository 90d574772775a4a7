package configs

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// unknownKey walks a YAML document against the Config struct and reports the first
// key the struct does not have, with its line and the closest known key, before the
// strict decoder would say only "field x not found in type configs.SIPConfig".
func unknownKey(name string, root *yaml.Node) error {
	n := root
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		n = n.Content[0]
	}
	return walkKeys(name, n, reflect.TypeFor[Config](), "")
}

func walkKeys(name string, n *yaml.Node, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" { // merge key: its mapping's keys belong here
				if err := walkKeys(name, v, t, path); err != nil {
					return err
				}
				continue
			}
			ft, ok := fields[k.Value]
			if !ok {
				return &Error{File: name, Line: k.Line, Msg: unknownKeyMsg(k.Value, path, fields)}
			}
			if err := walkKeys(name, v, ft, join(path, k.Value)); err != nil {
				return err
			}
		}
	case (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && n.Kind == yaml.SequenceNode:
		for i, e := range n.Content {
			if err := walkKeys(name, e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	// Scalars, maps and type mismatches are left to the decoder.
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// yamlFields maps a struct's YAML keys to their types (inline structs flattened).
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		key, opts, _ := strings.Cut(tag, ",")
		if key == "-" {
			continue
		}
		if slices.Contains(strings.Split(opts, ","), "inline") {
			maps.Copy(out, yamlFields(f.Type))
			continue
		}
		if key == "" {
			key = strings.ToLower(f.Name)
		}
		out[key] = f.Type
	}
	return out
}

func unknownKeyMsg(key, path string, fields map[string]reflect.Type) string {
	where := "at the top level"
	if path != "" {
		where = "in " + path
	}
	msg := fmt.Sprintf("unknown key %q %s", key, where)
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if s := closest(key, keys); s != "" {
		return msg + fmt.Sprintf("; did you mean %q?", s)
	}
	return msg + " (known keys: " + strings.Join(keys, ", ") + ")"
}

// closest returns the candidate nearest to s by edit distance (adjacent swaps count
// as one edit), or "" when none is near enough to be a likely typo: at most a third
// of the longer word's letters, and at least 1, may differ. Ties go to the first
// candidate.
func closest(s string, candidates []string) string {
	s = strings.ToLower(s)
	best, bestD := "", -1
	for _, c := range candidates {
		d := editDistance(s, c)
		limit := max(1, max(len(s), len(c))/3)
		if d <= limit && (bestD < 0 || d < bestD) {
			best, bestD = c, d
		}
	}
	return best
}

// maxKeyLen bounds the words editDistance compares (a key is a line of YAML at most;
// longer ones are no typo of a known key).
const maxKeyLen = 64

// editDistance is the optimal string alignment distance of a and b: insertions,
// deletions, substitutions and swaps of adjacent bytes.
func editDistance(a, b string) int {
	if len(a) > maxKeyLen || len(b) > maxKeyLen {
		return max(len(a), len(b))
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
