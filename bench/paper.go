package bench

// The published numbers that `lpz table` puts beside ours, and where the
// earlier implementations' per-architecture values of each baseline live in
// the reference files (README of ../shared/bench, reference/).

// PaperSource cites the tables the published values come from.
const PaperSource = "Dong et al., \"LPZero: Language Model Zero-cost Proxy Search from Zero\", EMNLP 2024 (arXiv:2410.04808): " +
	"Table 2 (FlexiBERT, 500 architectures, GLUE) and Table 3 (GPT-2 on WikiText-103, 200 architectures, validation perplexity)"

// Published is one published (ρ, τ) pair; nil means the value is not known
// to this project (not transcribed), never zero.
type Published struct {
	Rho *float64 `json:"rho"`
	Tau *float64 `json:"tau"`
}

// Known reports whether any published value is known.
func (p Published) Known() bool { return p.Rho != nil || p.Tau != nil }

func val(x float64) *float64 { return &x }

// PaperRhoMetric is the correlation the paper's "ρ" column holds, per
// benchmark. GPT-2 (Table 3): Spearman's ρ — ranking the LPZero code's
// score files reproduces the published cells (No.Params 0.737, SNIP 0.970,
// GradNorm 0.957/0.958, LPZero 0.980). FlexiBERT (Table 2): Pearson's r —
// the training-free-nas / LPZero BERT runner (lpzero/runner/eval_rank.py,
// eval_rank_gpt2.py) computes `rho, _ = pearsonr(...)` and `kendalltau`, and
// on the reference CSV Pearson r of "Number of Parameters" against GLUE is
// 0.590 and τ-b 0.454, exactly the published No.Params cells, while its
// Spearman ρ is 0.652 ("Head Confidence": r 0.669 vs the published 0.666).
var PaperRhoMetric = map[string]string{"gpt2-wt103": "spearman", "flexibert": "pearson"}

// PaperRow is one baseline row of the paper's Tables 2 and 3.
type PaperRow struct {
	// Name is the row label as the paper writes it.
	Name string
	// Proxy is the proxy statement (in corpus/baselines/, or corpus/paper.lpz
	// for LPZero) that implements the row, per benchmark name; Default when
	// the benchmark has no entry.
	Proxy   map[string]string
	Default string
	// Paper holds the published values by benchmark name (a missing
	// benchmark: unknown).
	Paper map[string]Published
}

// ProxyFor is the proxy name of the row on a benchmark.
func (r PaperRow) ProxyFor(bench string) string {
	if p, ok := r.Proxy[bench]; ok {
		return p
	}
	return r.Default
}

// PaperRows are the baselines of the paper's Table 1 in the order of its
// Tables 2 and 3. Published values: the ones transcribed in this project's
// issue 7 from Tables 2 and 3; every other cell is unknown (nil) until
// someone transcribes it from the paper — do not fill in guesses.
var PaperRows = []PaperRow{
	{Name: "Synaptic Diversity", Default: "synaptic_diversity"},
	{Name: "Synaptic Saliency", Default: "synaptic_saliency"},
	{Name: "Activation Distance", Default: "activation_distance"},
	{Name: "Jacobian Cosine", Default: "jacobian_cosine"},
	{Name: "Head Importance", Default: "head_importance"},
	{Name: "Attention Confidence", Default: "attention_confidence",
		Paper: map[string]Published{"flexibert": {Rho: val(0.666)}}},
	{Name: "Softmax Confidence", Default: "softmax_confidence"},
	{Name: "GradNorm", Default: "grad_norm",
		Paper: map[string]Published{"gpt2-wt103": {Rho: val(0.958)}}},
	{Name: "SNIP", Default: "snip",
		Paper: map[string]Published{"gpt2-wt103": {Rho: val(0.970)}, "flexibert": {Rho: val(0.173)}}},
	{Name: "Fisher", Default: "fisher"},
	{Name: "GraSP", Default: "grasp"},
	{Name: "Synflow", Default: "synflow"},
	{Name: "LogSynflow", Default: "logsynflow"},
	{Name: "EZNAS", Default: "eznas"},
	{Name: "No.Params", Default: "no_params",
		Paper: map[string]Published{"gpt2-wt103": {Rho: val(0.737)}, "flexibert": {Rho: val(0.590), Tau: val(0.454)}}},
	{Name: "Decoder.Params", Default: "decoder_params",
		Paper: map[string]Published{"gpt2-wt103": {Rho: val(0.967), Tau: val(0.847)}}},
	{Name: "LPZero", Proxy: map[string]string{"gpt2-wt103": "gpt2_paper", "flexibert": "flexibert_paper", LonasNanoName: "llama_paper"},
		Paper: map[string]Published{"gpt2-wt103": {Rho: val(0.980)}, "flexibert": {Rho: val(0.748)}}},
}

// ReferenceScores says where an earlier implementation's per-architecture
// values of one of our proxies are, relative to the reference directory
// (../shared/bench/reference): a YAML `id: value` file, or a CSV column.
type ReferenceScores struct {
	Proxy  string // our proxy name
	Bench  string
	File   string
	Column string // CSV column; empty for YAML id: value files
	// Negate flips the stored sign (LPZero's GPT-2 file is stored negated).
	Negate bool
	// Note says what differs between the two definitions, if anything known.
	Note string
}

const (
	flexiCSV  = "flexibert/BERT_results_activation_lpzero.csv"
	flexiGrad = "reference gradients are of Σ last hidden state (no loss), lpz G of the masked-LM loss"
)

func gpt2Ref(proxy, file, note string) ReferenceScores {
	return ReferenceScores{Proxy: proxy, Bench: "gpt2-wt103", File: "gpt2-wt103/" + file + "_scores_seed_1111.yaml", Note: note}
}

func flexiRef(proxy, column, note string) ReferenceScores {
	return ReferenceScores{Proxy: proxy, Bench: "flexibert", File: flexiCSV, Column: column, Note: note}
}

// References maps the reference files' columns to our proxies. Unmapped on
// purpose: the CSV's "Jacobian Score" (a covariance score, not the cosine),
// the "Normalized" columns (per-module means of the same values) and
// gpt2-wt103 head_confidence (its definition in the LPZero code is not
// documented).
var References = []ReferenceScores{
	gpt2Ref("activation_distance", "activation_distance", "reference sums the kernel's entries, no log-determinant"),
	gpt2Ref("activation_distance_ref", "activation_distance", "same definition; reference rows are the tokens of one sample"),
	gpt2Ref("attention_confidence", "attention_confidence", ""),
	gpt2Ref("eznas", "eznas", "reference logdet fails on non-square matrices (values count matrices)"),
	gpt2Ref("fisher", "fisher", "reference hooks every Linear/Conv1D output, lpz the FFN activations"),
	gpt2Ref("grad_norm", "grad_norm", ""),
	gpt2Ref("grasp", "grasp", ""),
	gpt2Ref("head_importance", "head_importance", ""),
	gpt2Ref("jacobian_cosine", "jacobian_cosine", "reference Jacobian w.r.t. the position-embedding table"),
	gpt2Ref("logsynflow", "logsynflow", ""),
	{Proxy: "gpt2_paper", Bench: "gpt2-wt103", File: "gpt2-wt103/lpzero_scores_seed_1111.yaml", Negate: true, Note: "stored with the opposite sign"},
	{Proxy: "gpt2_code", Bench: "gpt2-wt103", File: "gpt2-wt103/lpzero_scores_seed_1111.yaml", Negate: true, Note: "stored with the opposite sign; the code's reading of the formula"},
	gpt2Ref("no_params", "num_parameters", ""),
	gpt2Ref("snip", "snip", ""),
	gpt2Ref("synaptic_diversity", "synaptic_diversity", ""),
	gpt2Ref("synaptic_saliency", "synaptic_saliency", ""),
	gpt2Ref("synflow", "synflow", ""),
	flexiRef("synaptic_diversity", "Synaptic Diversity", flexiGrad),
	flexiRef("synaptic_saliency", "Synaptic Saliency", flexiGrad),
	flexiRef("activation_distance", "Activation Distance", "reference sums the kernel's entries, no log-determinant"),
	flexiRef("activation_distance_ref", "Activation Distance", "reference rows are the tokens of one sample"),
	flexiRef("no_params", "Number of Parameters", "reference built every model with hidden size 256"),
	flexiRef("head_importance", "Head Importance", flexiGrad),
	flexiRef("attention_confidence", "Head Confidence", "reference hooks the query/key/value projection outputs, lpz H the heads' context"),
	flexiRef("softmax_confidence_ref", "Head Softmax Confidence", "reference hooks registered after the forward pass"),
	flexiRef("flexibert_paper", "lpzero", ""),
	flexiRef("flexibert_code", "lpzero", "the code's reading of the formula"),
}

// ReferencesFor lists the reference mappings of a benchmark.
func ReferencesFor(bench string) []ReferenceScores {
	var out []ReferenceScores
	for _, r := range References {
		if r.Bench == bench {
			out = append(out, r)
		}
	}
	return out
}
