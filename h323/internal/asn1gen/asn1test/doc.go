// Package asn1test is generated from testdata/ASN1GEN-TEST.asn, a module
// of constructs the H.323 modules use little or not at all (extension
// addition groups, DEFAULT, extensible ENUMERATED and INTEGER, recursion,
// combined FROM and SIZE constraints, parameterised and open types). Its
// tests check the generated coders against encodings worked out by hand
// from ITU-T X.691.
package asn1test

//go:generate go run .. -asn1 ../testdata -pkg asn1test -out .
