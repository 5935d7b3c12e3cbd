package bench

import "testing"

func TestPaperRows(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range PaperRows {
		for _, b := range Names {
			p := r.ProxyFor(b)
			if p == "" {
				t.Errorf("%s: no proxy on %s", r.Name, b)
			}
			if seen[b+"/"+p] {
				t.Errorf("%s: proxy %s used twice on %s", r.Name, p, b)
			}
			seen[b+"/"+p] = true
		}
		for b, pub := range r.Paper {
			if _, ok := map[string]bool{"gpt2-wt103": true, "flexibert": true}[b]; !ok || !pub.Known() {
				t.Errorf("%s: published entry for %q: %+v", r.Name, b, pub)
			}
		}
	}
	// The transcribed cells (issue 7), spot-checked.
	get := func(name, b string) Published {
		for _, r := range PaperRows {
			if r.Name == name {
				return r.Paper[b]
			}
		}
		t.Fatalf("no row %s", name)
		return Published{}
	}
	if p := get("Decoder.Params", "gpt2-wt103"); *p.Rho != 0.967 || *p.Tau != 0.847 {
		t.Errorf("Decoder.Params: %v %v", *p.Rho, *p.Tau)
	}
	if p := get("No.Params", "flexibert"); *p.Rho != 0.590 || *p.Tau != 0.454 {
		t.Errorf("No.Params: %v %v", *p.Rho, *p.Tau)
	}
	if p := get("Synflow", "gpt2-wt103"); p.Known() {
		t.Errorf("Synflow has an invented published value: %+v", p)
	}
}

func TestReferencesFor(t *testing.T) {
	n := 0
	for _, b := range Names {
		for _, r := range ReferencesFor(b) {
			if r.Bench != b || r.File == "" || r.Proxy == "" {
				t.Errorf("%+v", r)
			}
			n++
		}
	}
	if n != len(References) {
		t.Errorf("%d of %d references belong to a known benchmark", n, len(References))
	}
}
