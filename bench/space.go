package bench

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Search spaces as data (lpz bench build samples architectures from them).
//
// A space is a small YAML file (format lpz-space/1):
//
//	name: nano                 # identifier (architecture ids are NAME_000, NAME_001, …)
//	family: gpt2               # model family of the configs: gpt2 | llama | flexibert
//	description: free text
//	depth: n_layer             # the choice that sets the number of layers; per-layer
//	                           # choices are drawn once per layer
//	layers_key: ""             # empty: every per-layer key becomes a list of length
//	                           # depth (GPT-2's n_head: [4, 2, 4]); set (FlexiBERT's
//	                           # encoder_layers): the per-layer values form one object
//	                           # per layer in a list under this key
//	fixed:                     # keys copied into every config unchanged
//	  n_token: 256
//	choices:                   # one draw per architecture, in file order
//	  n_layer: [1, 2, 3, 4]                  # a list of values, or
//	  d_model: {min: 32, max: 96, step: 16}  # an inclusive integer range, or
//	  d_embed: {by: d_model, cases: {...}}   # values that depend on an earlier draw
//	per_layer:                 # one draw per layer, in file order (same value forms)
//	  n_head: [2, 4]
//	train:                     # defaults of lpz bench build for this space (flags win)
//	  steps: 40
//	  batch: 8
//	  lr: 0.005
//	  tokenizer: bytes         # bytes (vocabulary 256) — the only one the builder needs
//
// A conditional value {by: KEY, cases: {V1: [...], V2: [...]}} draws from the
// list whose case matches the value already drawn for KEY (per-layer keys see
// the same layer's draws first, then the architecture's). The resulting key →
// value map is the family's JSON config (GPT2Config, FlexiBERTConfig,
// LlamaConfig field names), so any field of the family can be fixed or drawn.
// GPT-2: d_embed -1 (or absent) means d_model; tie_projs defaults to false
// per cluster. Configs the family rejects (e.g. n_head not dividing d_model)
// and duplicates are redrawn.
//
// Sampling is reproducible: architecture i of (space, seed) comes from
// math/rand/v2 PCG(seed, SpaceStream), drawing values in file order with
// IntN(len(values)), architectures one after another (redraws included).

// SpaceStream is the second PCG word of space sampling.
const SpaceStream = 0x6c707a2d73706163 // "lpz-spac"

// Space is a parsed search space.
type Space struct {
	Name        string
	Family      string // FamilyGPT2 | FamilyLlama | FamilyFlexiBERT
	Description string
	Depth       string
	LayersKey   string
	Fixed       map[string]any
	Choices     []SpaceChoice
	PerLayer    []SpaceChoice
	Train       map[string]any
	// Supernet is a lonas space's super-network section (LonasSpaceOf
	// reads it).
	Supernet map[string]any
	// Source is the YAML text the space was parsed from (provenance).
	Source string
}

// SpaceChoice is one drawn key.
type SpaceChoice struct {
	Key    string
	Values []any            // unconditional values
	By     string           // conditional: the key whose value selects the case
	Cases  map[string][]any // conditional values by fmt.Sprint(value of By)
}

// FamilyLlama is the LLaMA-style decoder family (RMSNorm, SwiGLU, rotary).
const FamilyLlama = "llama"

//go:embed spaces/*.yaml
var spaceFS embed.FS

// SpaceNames lists the built-in spaces.
func SpaceNames() []string {
	ents, _ := spaceFS.ReadDir("spaces")
	var names []string
	for _, e := range ents {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// LoadSpace returns a built-in space by name, or parses the YAML file at
// path if nameOrPath names a file (or ends in .yaml / .yml).
func LoadSpace(nameOrPath string) (*Space, error) {
	if st, err := os.Stat(nameOrPath); err == nil && !st.IsDir() || strings.HasSuffix(nameOrPath, ".yaml") || strings.HasSuffix(nameOrPath, ".yml") {
		data, err := os.ReadFile(nameOrPath)
		if err != nil {
			return nil, fmt.Errorf("bench: space: %w", err)
		}
		return ParseSpace(data, filepath.Base(nameOrPath))
	}
	data, err := spaceFS.ReadFile("spaces/" + nameOrPath + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("bench: unknown space %q (built in: %s; or give a YAML file)", nameOrPath, strings.Join(SpaceNames(), ", "))
	}
	return ParseSpace(data, nameOrPath+".yaml")
}

// ParseSpace parses a space's YAML (file names it in errors).
func ParseSpace(data []byte, file string) (*Space, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("bench: space %s: %w", file, err)
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("bench: space %s: want a mapping at the top", file)
	}
	s := &Space{Source: string(data), Fixed: map[string]any{}, Train: map[string]any{}}
	errf := func(n *yaml.Node, format string, a ...any) error {
		return fmt.Errorf("bench: space %s:%d: %s", file, n.Line, fmt.Sprintf(format, a...))
	}
	top := root.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		switch k.Value {
		case "name":
			s.Name = v.Value
		case "family":
			s.Family = v.Value
		case "description":
			s.Description = v.Value
		case "depth":
			s.Depth = v.Value
		case "layers_key":
			s.LayersKey = v.Value
		case "fixed", "train":
			var m map[string]any
			if err := v.Decode(&m); err != nil {
				return nil, errf(v, "%s: %v", k.Value, err)
			}
			if k.Value == "fixed" {
				s.Fixed = m
			} else {
				s.Train = m
			}
		case "supernet":
			if err := v.Decode(&s.Supernet); err != nil {
				return nil, errf(v, "supernet: %v", err)
			}
		case "choices", "per_layer":
			if v.Kind != yaml.MappingNode {
				return nil, errf(v, "%s: want a mapping of key: values", k.Value)
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				c, err := parseChoice(v.Content[j].Value, v.Content[j+1])
				if err != nil {
					return nil, errf(v.Content[j+1], "%s.%s: %v", k.Value, v.Content[j].Value, err)
				}
				if k.Value == "choices" {
					s.Choices = append(s.Choices, c)
				} else {
					s.PerLayer = append(s.PerLayer, c)
				}
			}
		default:
			return nil, errf(k, "unknown key %q (name, family, description, depth, layers_key, fixed, choices, per_layer, train, supernet)", k.Value)
		}
	}
	switch {
	case s.Name == "":
		return nil, fmt.Errorf("bench: space %s: name is missing", file)
	case s.Family != FamilyGPT2 && s.Family != FamilyLlama && s.Family != FamilyFlexiBERT && s.Family != FamilyLoNAS:
		return nil, fmt.Errorf("bench: space %s: family %q (want gpt2, llama, flexibert or lonas)", file, s.Family)
	case s.Family == FamilyLoNAS && s.Supernet == nil:
		return nil, fmt.Errorf("bench: space %s: a lonas space needs a supernet: section", file)
	case len(s.PerLayer) > 0 && s.Depth == "":
		return nil, fmt.Errorf("bench: space %s: per_layer choices need depth: KEY", file)
	}
	return s, nil
}

func parseChoice(key string, n *yaml.Node) (SpaceChoice, error) {
	c := SpaceChoice{Key: key}
	switch n.Kind {
	case yaml.SequenceNode:
		if err := n.Decode(&c.Values); err != nil {
			return c, err
		}
	case yaml.MappingNode:
		var m map[string]yaml.Node
		if err := n.Decode(&m); err != nil {
			return c, err
		}
		if by, ok := m["by"]; ok {
			c.By = by.Value
			cases, ok := m["cases"]
			if !ok {
				return c, fmt.Errorf("conditional values need cases")
			}
			var cm map[string]yaml.Node
			if err := cases.Decode(&cm); err != nil {
				return c, err
			}
			c.Cases = map[string][]any{}
			for ck, cv := range cm {
				sub, err := parseChoice(key, &cv)
				if err != nil {
					return c, fmt.Errorf("case %s: %v", ck, err)
				}
				if sub.By != "" {
					return c, fmt.Errorf("case %s: nested conditions are not supported", ck)
				}
				c.Cases[ck] = sub.Values
			}
			return c, nil
		}
		var r struct{ Min, Max, Step int }
		if err := n.Decode(&r); err != nil {
			return c, err
		}
		if r.Step <= 0 {
			r.Step = 1
		}
		if r.Max < r.Min {
			return c, fmt.Errorf("range min %d > max %d", r.Min, r.Max)
		}
		for x := r.Min; x <= r.Max; x += r.Step {
			c.Values = append(c.Values, x)
		}
	default:
		return c, fmt.Errorf("want a list, {min, max, step} or {by, cases}")
	}
	if len(c.Values) == 0 {
		return c, fmt.Errorf("no values")
	}
	return c, nil
}

// values returns the candidates of c given the draws so far.
func (c SpaceChoice) values(draws ...map[string]any) ([]any, error) {
	if c.By == "" {
		return c.Values, nil
	}
	for _, d := range draws {
		if v, ok := d[c.By]; ok {
			vals, ok := c.Cases[fmt.Sprint(v)]
			if !ok || len(vals) == 0 {
				return nil, fmt.Errorf("%s: no case for %s = %v", c.Key, c.By, v)
			}
			return vals, nil
		}
	}
	return nil, fmt.Errorf("%s: depends on %s, which is not drawn before it", c.Key, c.By)
}

// SpaceArch is one sampled architecture: its id and config (the family's
// JSON field names).
type SpaceArch struct {
	ID     string         `json:"id"`
	Config map[string]any `json:"config"`
}

// Sample draws n distinct valid architectures (see the package comment of
// the space format for the algorithm).
func (s *Space) Sample(n int, seed uint64) ([]SpaceArch, error) {
	if s.Family == FamilyLoNAS {
		return sampleLonas(s, n, seed)
	}
	r := rand.New(rand.NewPCG(seed, SpaceStream))
	seen := map[string]bool{}
	var out []SpaceArch
	tries := 0
	for len(out) < n {
		tries++
		if tries > 100*n+1000 {
			return out, fmt.Errorf("bench: space %s: found only %d distinct valid architectures of %d", s.Name, len(out), n)
		}
		cfg, err := s.draw(r)
		if err != nil {
			return nil, err
		}
		if err := ValidateSpaceConfig(s.Family, cfg); err != nil {
			continue
		}
		key, _ := json.Marshal(cfg)
		if seen[string(key)] {
			continue
		}
		seen[string(key)] = true
		out = append(out, SpaceArch{ID: fmt.Sprintf("%s_%03d", s.Name, len(out)), Config: cfg})
	}
	return out, nil
}

func (s *Space) draw(r *rand.Rand) (map[string]any, error) {
	cfg := map[string]any{}
	for k, v := range s.Fixed {
		cfg[k] = v
	}
	arch := map[string]any{}
	for _, c := range s.Choices {
		vals, err := c.values(arch)
		if err != nil {
			return nil, fmt.Errorf("bench: space %s: %v", s.Name, err)
		}
		arch[c.Key] = vals[r.IntN(len(vals))]
		cfg[c.Key] = arch[c.Key]
	}
	if s.Depth != "" {
		depth, ok := toInt(cfg[s.Depth])
		if !ok || depth <= 0 {
			return nil, fmt.Errorf("bench: space %s: depth %s = %v is not a positive integer", s.Name, s.Depth, cfg[s.Depth])
		}
		perKey := map[string][]any{}
		var layers []any
		for l := 0; l < depth; l++ {
			layer := map[string]any{}
			for _, c := range s.PerLayer {
				vals, err := c.values(layer, arch)
				if err != nil {
					return nil, fmt.Errorf("bench: space %s: %v", s.Name, err)
				}
				layer[c.Key] = vals[r.IntN(len(vals))]
				perKey[c.Key] = append(perKey[c.Key], layer[c.Key])
			}
			layers = append(layers, layer)
		}
		if s.LayersKey != "" {
			cfg[s.LayersKey] = layers
		} else {
			for k, v := range perKey {
				cfg[k] = v
			}
		}
	}
	if s.Family == FamilyGPT2 || s.Family == FamilyLlama {
		if e, ok := toInt(cfg["d_embed"]); !ok || e <= 0 {
			if s.Family == FamilyGPT2 {
				cfg["d_embed"] = cfg["d_model"]
			}
		}
	}
	if s.Family == FamilyGPT2 {
		if _, ok := cfg["tie_projs"]; !ok {
			nTok, _ := toInt(cfg["n_token"])
			var cut []int
			if raw, err := json.Marshal(cfg["cutoffs"]); err == nil {
				_ = json.Unmarshal(raw, &cut)
			}
			if c, err := CleanCutoffs(cut, nTok); err == nil {
				tp := make([]any, len(c))
				for i := range tp {
					tp[i] = i != 0
				}
				cfg["tie_projs"] = tp
			}
		}
	}
	return cfg, nil
}

func toInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case float64:
		return int(x), x == float64(int(x))
	case uint64:
		return int(x), true
	}
	return 0, false
}

// decodeConfig turns a config map into the family's struct.
func decodeConfig(cfg map[string]any, out any) error {
	raw, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	return dec.Decode(out)
}

// GPT2FromConfig decodes a gpt2-family config map.
func GPT2FromConfig(cfg map[string]any) (*GPT2Config, error) {
	var c GPT2Config
	if err := decodeConfig(cfg, &c); err != nil {
		return nil, err
	}
	if c.DEmbed <= 0 {
		c.DEmbed = c.DModel
	}
	return &c, nil
}

// FlexiFromConfig decodes a flexibert-family config map.
func FlexiFromConfig(cfg map[string]any) (*FlexiBERTConfig, error) {
	var c FlexiBERTConfig
	if err := decodeConfig(cfg, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// ValidateSpaceConfig checks that the family can build cfg.
func ValidateSpaceConfig(family string, cfg map[string]any) error {
	switch family {
	case FamilyGPT2:
		c, err := GPT2FromConfig(cfg)
		if err != nil {
			return err
		}
		for l, h := range c.NHead {
			if h <= 0 || c.DModel%h != 0 {
				return fmt.Errorf("layer %d: n_head %d does not divide d_model %d", l, h, c.DModel)
			}
		}
		_, err = GPT2Params(c)
		return err
	case FamilyFlexiBERT:
		c, err := FlexiFromConfig(cfg)
		if err != nil {
			return err
		}
		_, err = FlexiParams(c, DefaultFlexiMode)
		return err
	case FamilyLlama:
		c, err := LlamaFromConfig(cfg)
		if err != nil {
			return err
		}
		return c.Validate()
	case FamilyLoNAS:
		_, err := LonasFromConfig(cfg) // the loader checks it against its super-network
		return err
	}
	return fmt.Errorf("unknown family %q", family)
}
