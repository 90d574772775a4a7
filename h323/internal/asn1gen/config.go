package main

// PkgConf says which ASN.1 modules go into which Go package.
type PkgConf struct {
	Key     string   // -pkg flag value
	Dir     string   // directory relative to the h323 folder
	Name    string   // Go package name
	Modules []string // ASN.1 modules emitted into the package
	PDUs    []string // types that get Marshal / Unmarshal
	// TestData: the modules are in the generator's testdata directory,
	// not in ../shared/asn1.
	TestData bool
}

// modulePath is the import path of the h323 folder.
const modulePath = "github.com/roomgate/roomgate/h323/"

// packages is the module → package map. ASN.1 modules import each other in
// cycles Go forbids (H323-MESSAGES imports H.235 and H.245; H235-SRTP
// imports H323-MESSAGES), so H235-SRTP gets a package of its own.
var packages = []PkgConf{
	{Key: "h245", Dir: "h245", Name: "h245", Modules: []string{"MULTIMEDIA-SYSTEM-CONTROL"},
		PDUs: []string{"MultimediaSystemControlMessage", "OpenLogicalChannel"}},
	{Key: "h235", Dir: "h235", Name: "h235", Modules: []string{"H235-SECURITY-MESSAGES"},
		PDUs: []string{"ClearToken", "CryptoToken", "H235Key"}},
	{Key: "h225", Dir: "h225", Name: "h225", Modules: []string{"H323-MESSAGES", "RAS-PROTOCOL-TUNNEL"},
		PDUs: []string{"H323-UserInformation", "RasMessage"}},
	{Key: "srtp", Dir: "h235/srtp", Name: "srtp", Modules: []string{"H235-SRTP"},
		PDUs: []string{"SrtpCryptoCapability", "SrtpKeys"}},
	{Key: "h460", Dir: "h460", Name: "h460", Modules: []string{"SIGNALLING-TRAVERSAL", "MEDIA-TRAVERSAL"},
		PDUs: []string{"IncomingCallIndication", "LRQKeepAliveData", "TraversalParameters"}},
	{Key: "h282", Dir: "h282", Name: "h282", Modules: []string{"RDC-PROTOCOL"},
		PDUs: []string{"RDCPDU"}},
	{Key: "asn1test", Dir: "internal/asn1gen/asn1test", Name: "asn1test", Modules: []string{"ASN1GEN-TEST"}, TestData: true,
		PDUs: []string{"Seq", "SeqV1", "Ch", "ChV1", "En", "Tree", "Expr", "Def", "Digits", "Dtmf", "TbcdHolder",
			"ValueConstrained", "Big", "Unconstrained", "ExtInt", "List", "Name", "Oid", "Holder"}},
}

func pkgByKey(key string) *PkgConf {
	for i := range packages {
		if packages[i].Key == key {
			return &packages[i]
		}
	}
	return nil
}

func pkgOfModule(mod string) *PkgConf {
	for i := range packages {
		for _, m := range packages[i].Modules {
			if m == mod {
				return &packages[i]
			}
		}
	}
	return nil
}
