package main

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// asn1Dir returns ../shared/asn1 beside the repository root, or skips.
func asn1Dir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "..", "shared", "asn1")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("ASN.1 modules not available (%s missing): cannot check the generated code", dir)
	}
	return dir
}

// TestGeneratedUpToDate runs the generator for every package into a
// temporary directory and compares the files byte for byte with the
// committed ones: run go generate in the package directory when it fails.
func TestGeneratedUpToDate(t *testing.T) {
	dir := asn1Dir(t)
	for _, pc := range packages {
		t.Run(pc.Key, func(t *testing.T) {
			src := dir
			if pc.TestData {
				src = "testdata"
			}
			tmp := t.TempDir()
			if err := run(src, pc.Key, tmp); err != nil {
				t.Fatal(err)
			}
			generated, err := filepath.Glob(filepath.Join(tmp, "*_gen.go"))
			if err != nil {
				t.Fatal(err)
			}
			files := map[string][]byte{}
			for _, f := range generated {
				if files[filepath.Base(f)], err = os.ReadFile(f); err != nil {
					t.Fatal(err)
				}
			}
			if len(files) == 0 {
				t.Fatal("generator wrote no files")
			}
			pkgDir := filepath.Join("..", "..", filepath.FromSlash(pc.Dir))
			committed, err := filepath.Glob(filepath.Join(pkgDir, "*_gen.go"))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for n := range files {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				got, err := os.ReadFile(filepath.Join(pkgDir, n))
				if err != nil {
					t.Errorf("%s: not committed (%v); run go generate in %s", n, err, pkgDir)
					continue
				}
				if !bytes.Equal(got, files[n]) {
					t.Errorf("%s differs from the generator's output; run go generate in %s", n, pkgDir)
				}
			}
			for _, c := range committed {
				if _, ok := files[filepath.Base(c)]; !ok {
					t.Errorf("%s is no longer generated; delete it", c)
				}
			}
		})
	}
}

// TestGenerateDeterministic checks that two runs give the same output.
func TestGenerateDeterministic(t *testing.T) {
	dir := asn1Dir(t)
	a, err := Generate(dir, "h225")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate(dir, "h225")
	if err != nil {
		t.Fatal(err)
	}
	for n := range a {
		if !bytes.Equal(a[n], b[n]) {
			t.Errorf("%s differs between runs", n)
		}
	}
}
