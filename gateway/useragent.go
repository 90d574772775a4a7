package gateway

import (
	"regexp"
	"strings"
)

// Endpoint is what a room system's User-Agent (SIP) or vendor identifier (H.323)
// reveals about it.
type Endpoint struct {
	Vendor, Product, Version string
}

// vendors maps User-Agent fragments to vendor names, most specific first.
var vendors = []struct{ match, vendor string }{
	{"polycom", "Polycom"}, {"poly/", "Polycom"}, {"realpresence", "Polycom"},
	{"tandberg", "Tandberg"}, {"cisco", "Cisco"}, {"lifesize", "LifeSize"},
	{"huawei", "Huawei"}, {"aver", "AVer"}, {"telyhd", "TelyHD"}, {"tely", "TelyHD"},
	{"yealink", "Yealink"}, {"avaya", "Avaya"}, {"radvision", "Radvision"},
	{"baresip", "baresip"}, {"linphone", "Linphone"}, {"sipp", "SIPp"},
}

var reVersion = regexp.MustCompile(`^v?[0-9]+(\.[0-9A-Za-z-]+)+$`)

// ParseUserAgent guesses vendor, product and version from a SIP User-Agent such as
// "PolycomRealPresenceGroup/6.2.2", "TANDBERG/257 (TE4.1.1.273710)" or "baresip v1.0.0".
func ParseUserAgent(ua string) Endpoint {
	ua = strings.TrimSpace(ua)
	if ua == "" {
		return Endpoint{}
	}
	var e Endpoint
	low := strings.ToLower(ua)
	for _, v := range vendors {
		if strings.Contains(low, v.match) {
			e.Vendor = v.vendor
			break
		}
	}
	if i := strings.IndexByte(ua, '/'); i > 0 && !strings.ContainsAny(ua[:i], " ") {
		// "Product/Version (comment)"
		e.Product = ua[:i]
		rest, comment, _ := strings.Cut(ua[i+1:], " ")
		e.Version = rest
		if e.Vendor != "" && strings.EqualFold(e.Product, e.Vendor) && !strings.Contains(rest, ".") {
			// "TANDBERG/257 (TE4.1.1.273710)": vendor/model (version)
			e.Product = rest
			e.Version = strings.Trim(comment, "() ")
		}
	} else {
		// "Product words 1.2.3 (comment)": the version is the last dotted number.
		e.Product = ua
		words := strings.Fields(ua)
		for k := len(words) - 1; k > 0; k-- {
			if reVersion.MatchString(words[k]) {
				e.Version = strings.TrimPrefix(words[k], "v")
				e.Product = strings.Join(words[:k], " ")
				break
			}
		}
	}
	if len(e.Product) > 64 {
		e.Product = e.Product[:64]
	}
	return e
}
