package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
)

// GLUETasks are the eight task scores of a FlexiBERT record, kept in
// Arch.Extra (the ground truth "glue" is their mean).
var GLUETasks = []string{"cola", "mnli", "mrpc", "qnli", "qqp", "rte", "sst", "sts"}

type rawFlexiLayer struct {
	OpType  *string         `json:"operation_type"`
	OpParam json.RawMessage `json:"operation_parameter"`
	Heads   *int            `json:"num_operation_heads"`
	FFNDim  *int            `json:"feed_forward_dimension"`
	NumFFN  *int            `json:"num_feed_forward"`
}

type rawFlexiRecord struct {
	ID          *int                `json:"id"`
	TimeToTrain *float64            `json:"time_to_train"`
	Scores      map[string]*float64 `json:"scores"`
	HParams     *struct {
		Overrides *struct {
			HiddenSize *int `json:"hidden_size"`
			NASConfig  *struct {
				Layers []rawFlexiLayer `json:"encoder_layers"`
			} `json:"nas_config"`
		} `json:"model_hparam_overrides"`
	} `json:"hparams"`
}

func loadFlexiBERT(dir string) (*Benchmark, error) {
	file := filepath.Join(dir, "BERT_benchmark.json")
	b := &Benchmark{
		Name:           "flexibert",
		Family:         FamilyFlexiBERT,
		HigherIsBetter: true,
		TruthName:      "glue",
		TruthDefs:      slices.Clone(flexiTruthDefs),
		Source: Source{Repo: FlexiBERTRepo, Commit: FlexiBERTCommit, Path: FlexiBERTPath,
			Licence: FlexiBERTLicence, Dir: dir, Hint: FlexiBERTSourceHint},
	}
	lerr := func(rec, msg string, err error) error {
		return &LoadError{Bench: b.Name, File: file, Record: rec, Msg: msg, Hint: FlexiBERTSourceHint, Err: err}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, lerr("", "cannot read", err)
	}
	var recs []rawFlexiRecord
	if err := json.Unmarshal(data, &recs); err != nil {
		return nil, lerr("", "malformed JSON (expected a list of records)", err)
	}
	if len(recs) == 0 {
		return nil, lerr("", "no records", nil)
	}
	seen := make(map[int]int, len(recs))
	b.Archs = make([]Arch, 0, len(recs))
	for i, r := range recs {
		where := fmt.Sprintf("record #%d", i)
		if r.ID == nil {
			return nil, lerr(where, "id missing", nil)
		}
		where = fmt.Sprintf("record #%d (id %d)", i, *r.ID)
		if j, dup := seen[*r.ID]; dup {
			return nil, lerr(where, fmt.Sprintf("duplicate id (also record #%d)", j), nil)
		}
		seen[*r.ID] = i
		if r.HParams == nil || r.HParams.Overrides == nil {
			return nil, lerr(where, "hparams.model_hparam_overrides missing", nil)
		}
		ov := r.HParams.Overrides
		if ov.HiddenSize == nil || *ov.HiddenSize < 2 {
			return nil, lerr(where, "hparams.model_hparam_overrides.hidden_size missing or not a positive integer", nil)
		}
		if ov.NASConfig == nil || len(ov.NASConfig.Layers) == 0 {
			return nil, lerr(where, "hparams.model_hparam_overrides.nas_config.encoder_layers missing or empty", nil)
		}
		cfg := &FlexiBERTConfig{HiddenSize: *ov.HiddenSize, Layers: make([]FlexiLayer, len(ov.NASConfig.Layers))}
		for l, rl := range ov.NASConfig.Layers {
			fl, msg := parseFlexiLayer(rl, cfg.HiddenSize)
			if msg != "" {
				return nil, lerr(where, fmt.Sprintf("encoder_layers[%d]: %s", l, msg), nil)
			}
			cfg.Layers[l] = fl
		}
		if r.Scores == nil {
			return nil, lerr(where, "scores missing", nil)
		}
		a := Arch{ID: strconv.Itoa(*r.ID), Flexi: cfg, Extra: make(map[string]float64, len(GLUETasks)+1)}
		for _, k := range append([]string{"glue"}, GLUETasks...) {
			v, ok := r.Scores[k]
			if !ok || v == nil {
				return nil, lerr(where, "scores."+k+" missing", nil)
			}
			if math.IsNaN(*v) || math.IsInf(*v, 0) {
				return nil, lerr(where, "scores."+k+" is not finite", nil)
			}
			if k == "glue" {
				a.Truth = *v
			} else {
				a.Extra[k] = *v
			}
		}
		if r.TimeToTrain != nil {
			a.Extra["time_to_train"] = *r.TimeToTrain
		}
		b.Archs = append(b.Archs, a)
	}
	return b, nil
}

// parseFlexiLayer validates one encoder layer; msg is non-empty on error.
// operation_parameter may be a JSON string or an integer (the DSC kernel size
// 5 or 9); it is stored as a string.
func parseFlexiLayer(rl rawFlexiLayer, hidden int) (FlexiLayer, string) {
	var fl FlexiLayer
	if rl.OpType == nil {
		return fl, "operation_type missing"
	}
	fl.OpType = *rl.OpType
	p := bytes.TrimSpace(rl.OpParam)
	switch {
	case len(p) == 0 || string(p) == "null":
		return fl, "operation_parameter missing"
	case p[0] == '"':
		if err := json.Unmarshal(p, &fl.OpParam); err != nil {
			return fl, "operation_parameter: " + err.Error()
		}
	default:
		n, err := strconv.Atoi(string(p))
		if err != nil {
			return fl, fmt.Sprintf("operation_parameter %s is neither a string nor an integer", p)
		}
		fl.OpParam = strconv.Itoa(n)
	}
	if rl.Heads == nil || *rl.Heads < 1 {
		return fl, "num_operation_heads missing or not positive"
	}
	fl.Heads = *rl.Heads
	if rl.FFNDim == nil || *rl.FFNDim < 1 {
		return fl, "feed_forward_dimension missing or not positive"
	}
	fl.FFNDim = *rl.FFNDim
	if rl.NumFFN == nil || *rl.NumFFN < 1 {
		return fl, "num_feed_forward missing or not positive"
	}
	fl.NumFFN = *rl.NumFFN
	switch fl.OpType {
	case "SA":
		if fl.OpParam != "SDP" && fl.OpParam != "WMA" {
			return fl, fmt.Sprintf("operation_parameter %q is not SDP or WMA for SA", fl.OpParam)
		}
	case "LT":
		if fl.OpParam != "DFT" && fl.OpParam != "DCT" {
			return fl, fmt.Sprintf("operation_parameter %q is not DFT or DCT for LT", fl.OpParam)
		}
	case "DSC":
		k, err := strconv.Atoi(fl.OpParam)
		if err != nil || k < 1 || k%2 == 0 {
			return fl, fmt.Sprintf("operation_parameter %q is not an odd kernel size for DSC", fl.OpParam)
		}
		if fl.Heads < 2 {
			return fl, fmt.Sprintf("DSC needs num_operation_heads >= 2 (got %d)", fl.Heads)
		}
	default:
		return fl, fmt.Sprintf("operation_type %q is not SA, LT or DSC", fl.OpType)
	}
	if hidden%fl.Heads != 0 {
		return fl, fmt.Sprintf("num_operation_heads %d does not divide the hidden size", fl.Heads)
	}
	return fl, ""
}

// FlexiMode selects how a FlexiBERT record is turned into a model.
type FlexiMode string

const (
	// ModeRecords builds the model as the record defines it: H = the record's
	// hidden_size and, per layer, I = feed_forward_dimension (the extra
	// num_feed_forward-1 linears are I×I). With H = E = 128 there is no
	// embeddings_project.
	ModeRecords FlexiMode = "records"
	// ModeUpstreamProxy builds it as the upstream proxy code did
	// (training-free-nas BERT_metrics.ipynb): H = 256 and I = 1024 for every
	// record, whatever it says. This reproduces the "Number of Parameters"
	// column of BERT_results_activation.csv.
	ModeUpstreamProxy FlexiMode = "upstream-proxy"
)

// ParseFlexiMode accepts "records" or "upstream-proxy".
func ParseFlexiMode(s string) (FlexiMode, error) {
	switch FlexiMode(s) {
	case ModeRecords, ModeUpstreamProxy:
		return FlexiMode(s), nil
	}
	return "", fmt.Errorf("bench: unknown FlexiBERT mode %q (want %q or %q)", s, ModeRecords, ModeUpstreamProxy)
}

// ELECTRA-small defaults the FlexiBERT models were built with.
const (
	FlexiVocab        = 30522
	FlexiMaxPositions = 512
	FlexiTypeVocab    = 2
	FlexiEmbedding    = 128 // E
	FlexiProxyHidden  = 256 // H in upstream-proxy mode
	FlexiProxyFFN     = 1024
)

// FlexiParamCount is the exact parameter count of a FlexiBERT model
// (../shared/docs/FLEXIBERT_MODEL.md §9).
type FlexiParamCount struct {
	Hidden     int     // H used
	Embeddings int64   // word + position + type tables, embedding LN, embeddings_project (if E ≠ H)
	Ops        []int64 // per layer: token-mixing op incl. ElectraSelfOutput dense+LN where it exists
	FFNs       []int64 // per layer: feed-forward block incl. its LN
	Total      int64
}

// Encoder returns the parameters of the encoder layers (everything except
// the embedding block).
func (p FlexiParamCount) Encoder() int64 { return p.Total - p.Embeddings }

// FlexiParams counts the parameters of cfg built in the given mode.
func FlexiParams(cfg *FlexiBERTConfig, mode FlexiMode) (FlexiParamCount, error) {
	var p FlexiParamCount
	var H int64
	switch mode {
	case ModeRecords:
		H = int64(cfg.HiddenSize)
	case ModeUpstreamProxy:
		H = FlexiProxyHidden
	default:
		return p, fmt.Errorf("bench: unknown FlexiBERT mode %q", mode)
	}
	p.Hidden = int(H)
	const E = FlexiEmbedding
	p.Embeddings = FlexiVocab*E + FlexiMaxPositions*E + FlexiTypeVocab*E + 2*E
	if H != E {
		p.Embeddings += E*H + H
	}
	p.Total = p.Embeddings
	selfOut := H*H + H + 2*H // ElectraSelfOutput: dense + LN
	for l, fl := range cfg.Layers {
		h := int64(fl.Heads)
		if h < 1 || H%h != 0 {
			return p, fmt.Errorf("layer %d: %d heads do not divide H = %d", l, h, H)
		}
		var op int64
		switch fl.OpType {
		case "SA":
			op = 3*(H*H+H) + selfOut
			switch fl.OpParam {
			case "SDP":
			case "WMA":
				op += H * H // W_w, no bias
			default:
				return p, fmt.Errorf("layer %d: SA parameter %q", l, fl.OpParam)
			}
		case "LT":
			if fl.OpParam != "DFT" && fl.OpParam != "DCT" {
				return p, fmt.Errorf("layer %d: LT parameter %q", l, fl.OpParam)
			}
			op = H*H + H // input linear only: no dense, no LN
		case "DSC":
			k, err := strconv.ParseInt(fl.OpParam, 10, 64)
			if err != nil || k < 1 {
				return p, fmt.Errorf("layer %d: DSC kernel %q", l, fl.OpParam)
			}
			n := max(h/2, 1) // conv_head_ratio 2
			d := H / h
			A := n * d
			op = 3*(H*A+A) + // query, key, value
				H*k + A*H + A + // separable conv: depthwise, pointwise, bias
				A*n*k + n*k + // conv_kernel_layer
				H*A + A + // conv_out_layer
				selfOut
		default:
			return p, fmt.Errorf("layer %d: operation type %q", l, fl.OpType)
		}
		I := int64(FlexiProxyFFN)
		if mode == ModeRecords {
			I = int64(fl.FFNDim)
		}
		nff := int64(fl.NumFFN)
		if nff < 1 {
			return p, fmt.Errorf("layer %d: num_feed_forward %d", l, nff)
		}
		ffn := H*I + I + (nff-1)*(I*I+I) + I*H + H + 2*H
		p.Ops = append(p.Ops, op)
		p.FFNs = append(p.FFNs, ffn)
		p.Total += op + ffn
	}
	return p, nil
}
