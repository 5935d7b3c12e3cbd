package bench

import "strings"

// Where the benchmark data comes from. The same text is in SOURCES.md; the
// project README can quote either. Load errors end with the matching hint so
// that a user on any machine knows what to fetch and where to put it.

const (
	// FlexiBERTRepo, FlexiBERTCommit and FlexiBERTPath locate the FlexiBERT
	// benchmark upstream (training-free-nas, Serianni & Kalita).
	FlexiBERTRepo    = "https://github.com/aaronserianni/training-free-nas"
	FlexiBERTCommit  = "2d76e01b9586cad7340e8268dadba3056efd070b"
	FlexiBERTPath    = "data/BERT_benchmark.json"
	FlexiBERTLicence = "CC BY 4.0"

	// GPT2Repo, GPT2Branch, GPT2Commit and GPT2Path locate the
	// LiteTransformerSearch GPT-2 / WikiText-103 benchmark upstream (archai).
	GPT2Repo    = "https://github.com/microsoft/archai"
	GPT2Branch  = "neurips-lts"
	GPT2Commit  = "47770415327900684ed95c0bc9bf7cd0d0047fad"
	GPT2Path    = "archai/nlp/nas/saved_logs/random_GPT2_wt103/"
	GPT2Licence = "MIT"
)

// FlexiBERTSourceHint says how to obtain the flexibert benchmark files.
const FlexiBERTSourceHint = "get BERT_benchmark.json from " + FlexiBERTRepo +
	" (commit " + FlexiBERTCommit + ", file " + FlexiBERTPath + ", licence " +
	FlexiBERTLicence + ") and put it at DATA/flexibert/BERT_benchmark.json, " +
	"where DATA is --data, else $LPZ_DATA, else ./data"

// GPT2SourceHint says how to obtain the gpt2-wt103 benchmark files.
const GPT2SourceHint = "get the directory " + GPT2Path + " from " + GPT2Repo +
	" (branch " + GPT2Branch + ", commit " + GPT2Commit + ", licence " +
	GPT2Licence + ") and put its contents (config_I/jK/model_config.yaml, " +
	"ppl_summary.yaml, params_summary.yaml) at DATA/gpt2-wt103/, " +
	"where DATA is --data, else $LPZ_DATA, else ./data"

// Names lists the benchmarks Load knows, in a stable order.
var Names = []string{"flexibert", "gpt2-wt103"}

// Embedded lists the benchmarks built into the binary (LoadAny), the
// default first: they need no data directory.
var Embedded = []string{MiniName, NanoName, LonasNanoName}

// Known names every --bench value LoadAny accepts, for messages: a user who
// mistypes a name is usually looking for one of these.
var Known = strings.Join(Names, ", ") + ", " + strings.Join(Embedded, ", ") + ", or a directory from lpz bench build"
