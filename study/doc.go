// Package study is lpz's pipeline as a library: everything the lpz
// commands do is a call of this package, and cli/ only parses flags and
// prints. Data flows one way:
//
//	bench (configs, ground truth) → runtime (models, capture) → cache
//	  → interp (formulas over captured inputs) → rank (ρ, τ) → gp (search)
//
// A study starts from a benchmark:
//
//   - [Open], [OpenArch]: load a benchmark (published, embedded, or built by
//     lpz bench build) as a [Session]; [SelectArchs] and [FindArch] pick
//     its architectures.
//   - [Session.Inputs]: one architecture's inputs, its scalars and the
//     capture channels a formula reads, captured once through the on-disk
//     cache ([Session.Capturer], [CaptureSettings]) or provided by the
//     caller ([Session.Channels]).
//   - [Compile], [Session.Score], [Session.Rank]: a proxy formula scored
//     over architectures and ranked against the ground truth
//     (rank.Report, whose rank.Quality is the one quality type);
//     package lpz/parallel is the one worker pool (cancellation, progress) the
//     pipeline's loops share.
//   - [Session.Problem], [Session.Search]: evolve a proxy (package gp) on a
//     fitness sample of the architectures ([SampleSize], [ParseTerminals],
//     [SeedFormulas] from the corpus), then measure the winners on every
//     architecture and on those held out ([SearchReport]);
//     [Session.Ablation] compares search settings over seeds.
//   - [TableRows], [Session.ScoreTable], [Session.TableReport]: the paper's
//     baseline proxies side by side with its published tables
//     ([CompareReference] against the earlier implementations' values).
//   - [Build]: ground truth of one's own — train every architecture of a
//     search space on a text and write a benchmark the rest reads.
//   - [Session.CaptureAll], [Shard], [ParseShard]: fill the capture cache
//     ahead of time; [ListCache], [CacheBudget], [PruneCache]: what it holds.
//   - [Session.RankFile], [WriteScores]: per-architecture score files, the
//     --scores / --save-scores format; [Session.ArchInputs]: one
//     architecture's inputs for a formula (lpz eval --arch, the REPL).
//   - [ThisBinary], [PeakRSSMB]: what produced a result, for reports.
//
// Host tensors cross into the library as gorgonia.org/tensor values through
// package lpz/gtensor; package lpz/repl/benchrepl puts a session in the
// REPL.
package study
