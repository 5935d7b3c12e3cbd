package gp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"lpz/lang"
	"lpz/rank"
	"lpz/stdlib"
)

// Config is the search configuration; zero fields take the paper's
// defaults (DefaultConfig), except Immigrants, where 0 is the paper's loop.
type Config struct {
	Pop      int     // population size (80)
	Gens     int     // generations, one offspring each (1000)
	Cx       float64 // crossover probability (0.5)
	Mut      float64 // mutation probability (0.5)
	Ratio    float64 // parents drawn from the top Ratio of the population (0.10)
	Seed     uint64  // 42
	Shape    Shape
	Unary    int // unary ops per branch (2)
	Depth    int // Free shape: maximum depth (4)
	Strategy string
	// Immigrants is the share of GP offspring drawn as fresh random trees
	// instead of from parents (0.25; 0 is the paper's loop, where every
	// child has parents). The top-Ratio parent pool converges on one
	// family of formulas; immigrants keep sampling the whole space, and
	// one that enters the pool becomes a parent. On gpt2-wt103 (3 seeds)
	// they raised the winners' sample ρ from 0.965 to 0.977, above random
	// search's 0.973.
	Immigrants float64
	// Fitness is what selection maximises: FitnessRho (Spearman ρ over the
	// sample, the paper's) or FitnessWithin (mean within-stratum ρ: for
	// benchmarks such as FlexiBERT whose truth is mostly depth and width,
	// a proxy should also order architectures of one size).
	Fitness string
	NoRPS   bool
	Rules   *lang.RuleSet // nil: stdlib.Rules()
	Workers int           // architectures evaluated in parallel (1)
	// Early rejection: evaluate the architectures in slices of EarlyFrac,
	// cheapest first, and skip the rest as soon as ρ over all of them
	// provably cannot exceed the worst fitness in the population (see
	// bound.go).
	Early     bool
	EarlyFrac float64 // 0.2
	MemoBytes int64   // memo budget; 0: 512 MiB; < 0: no memo
	// MemoTensors also keeps expensive tensor-valued subtrees (exp,
	// softmax, logsoftmax) in the memo, not only scalar and list-of-scalar
	// values. Off by default: on 440 MB of synthetic captures it was slower
	// (4.2 vs 5.5 evaluations/s: big values churn the LRU).
	MemoTensors bool
	// Seeds are formulas put in the initial population first (if valid).
	Seeds []lang.Expr
	// Early stop: generations without improvement of the best, wall time.
	Patience  int
	TimeLimit time.Duration
	// Checkpoint writes the state every CheckpointEvery generations.
	Checkpoint      string
	CheckpointEvery int
	Resume          *Checkpoint
	// Progress is called after every generation (and once at the start).
	Progress func(Progress)
	// MaxAttempts is the number of attempts at a child before the next
	// attempt draws a fresh random tree (100); after 100×MaxAttempts the
	// search stops as exhausted.
	MaxAttempts int
	// StopAfter stops the loop after this many generations as if killed
	// (tests of checkpoint/resume); 0 means never.
	StopAfter int
}

// Strategies.
const (
	StrategyGP     = "gp"
	StrategyRandom = "random"
)

// Fitness kinds.
const (
	FitnessRho    = "rho"
	FitnessWithin = "within"
)

// DefaultConfig is the paper's setting plus a quarter of immigrants.
func DefaultConfig() Config {
	return Config{Pop: 80, Gens: 1000, Cx: 0.5, Mut: 0.5, Ratio: 0.10, Immigrants: 0.25, Seed: 42, Unary: 2, Depth: 4,
		Strategy: StrategyGP, Fitness: FitnessRho, Workers: 1, Early: true, EarlyFrac: 0.2}
}

func (c *Config) fill() {
	d := DefaultConfig()
	if c.Pop <= 0 {
		c.Pop = d.Pop
	}
	if c.Gens < 0 {
		c.Gens = 0
	}
	if c.Ratio <= 0 {
		c.Ratio = d.Ratio
	}
	if c.Unary <= 0 {
		c.Unary = d.Unary
	}
	if c.Depth <= 0 {
		c.Depth = d.Depth
	}
	if c.Strategy == "" {
		c.Strategy = StrategyGP
	}
	if c.Workers <= 0 {
		c.Workers = 1
	}
	if c.Fitness == "" {
		c.Fitness = FitnessRho
	}
	if c.EarlyFrac <= 0 || c.EarlyFrac >= 1 {
		c.EarlyFrac = d.EarlyFrac
	}
	if c.MemoBytes == 0 {
		c.MemoBytes = 512 << 20
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 100
	}
}

// costOrder returns the problem with its architectures sorted by the bytes
// of their inputs, cheapest first (stable). ρ does not depend on the order;
// early rejection does: the slices it decides on are then the cheap ones
// (on gpt2-wt103 the smallest tenth of a sample holds a few per cent of its
// W and G).
func costOrder(p *Problem) *Problem {
	cost := make([]int64, len(p.Archs))
	idx := make([]int, len(p.Archs))
	for i, a := range p.Archs {
		idx[i] = i
		for _, v := range a.Inputs {
			cost[i] += v.Bytes()
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return cost[idx[a]] < cost[idx[b]] })
	q := *p
	q.Archs = make([]Arch, len(p.Archs))
	for k, i := range idx {
		q.Archs[k] = p.Archs[i]
	}
	return &q
}

// Individual is one evaluated proxy.
type Individual struct {
	Expr lang.Expr `json:"-"`
	Text string    `json:"formula"`
	Key  uint64    `json:"-"`
	Rho  float64   `json:"rho"` // Spearman ρ on the sample
	Tau  float64   `json:"tau"`
	// Fitness is what selection compares: Rho, or the mean within-stratum
	// ρ with Config.Fitness = FitnessWithin.
	Fitness    float64 `json:"fitness"`
	Complexity int     `json:"complexity"`
	Gen        int     `json:"generation"` // when it was found (0: initial population)
}

// GenStats is one generation of the history.
type GenStats struct {
	Gen    int     `json:"gen"`
	Best   float64 `json:"best"`
	Median float64 `json:"median"`
	Evals  int     `json:"evals"`
}

// Progress is what the progress callback sees.
type Progress struct {
	Gen, Gens   int
	Best        Individual
	Evals       int
	EvalsPerSec float64
	Rejected    int
	Elapsed     time.Duration
}

// Result is the outcome of a search.
type Result struct {
	Population  []Individual   `json:"population"` // final population, best first
	HallOfFame  []HallEntry    `json:"hall_of_fame"`
	History     []GenStats     `json:"history"`
	Rejections  map[string]int `json:"rejections"`  // per reason: type, rule, duplicate, constant, nonfinite, runtime, early, fixpoint
	Evaluations int            `json:"evaluations"` // candidates evaluated (fully or up to an early rejection)
	Children    int            `json:"children"`    // candidates proposed
	Generations int            `json:"generations"`
	Immigrants  int            `json:"immigrants,omitempty"` // offspring that were fresh random trees (Config.Immigrants)
	Stopped     string         `json:"stopped"`              // gens, patience, time-limit, exhausted, interrupted
	// Checkpointed: an interrupted search wrote Config.Checkpoint with the
	// state after its last completed generation.
	Checkpointed bool          `json:"checkpointed,omitempty"`
	Elapsed      time.Duration `json:"elapsed_ns"`
	NodeEvals    int64         `json:"node_evals"` // op applications computed
	MemoHits     int64         `json:"memo_hits"`
	MemoMisses   int64         `json:"memo_misses"`
	BytesRead    int64         `json:"bytes_read"`
	ArchEvals    int64         `json:"arch_evals"` // candidate × architecture evaluations
}

// Best is the best individual of the final population.
func (r *Result) Best() Individual { return r.Population[0] }

// Complexity is the sum of the op costs of e plus its number of terminals
// (numbers and literals count 1).
func Complexity(e lang.Expr, table *stdlib.Table) int {
	n := 0
	lang.Walk(e, func(x lang.Expr) bool {
		if c, ok := x.(*lang.Call); ok {
			if op, ok := table.Lookup(c.Op); ok {
				n += op.Cost
			} else {
				n++
			}
		} else {
			n++
		}
		return true
	})
	return n
}

// search is the state of one run.
type search struct {
	cfg      Config
	prob     *Problem
	gen      *Generator
	rules    *lang.RuleSet
	ev       *evaluator
	pcg      *rand.PCG
	r        *rand.Rand
	truth    []float64
	strata   []string
	pop      []Individual
	seen     map[uint64]bool
	res      *Result
	hof      map[int]Individual
	start    time.Time
	gensRun  int
	maxDepth int // deeper children are rejected ("size")
	maxChain int // Paper: most unary ops (but sum) on a root-to-leaf path
	bestGen  int // generation of the last improvement of the best (patience)
	evals0   int // evaluations before a resume (for evals/s)
	// fresh lists the keys added to seen in the current generation, so an
	// interrupted generation can be undone (see genStart).
	fresh []uint64
}

// genStart is what a generation changes before it completes: undoing an
// interrupted one leaves the state of the last completed generation, so
// the checkpoint written on interruption resumes to the same result as an
// uninterrupted run.
type genStart struct {
	rng                               []byte
	children, evaluations, immigrants int
	archEvals                         int64
	rejections                        map[string]int
}

func (s *search) markGeneration() (genStart, error) {
	rng, err := s.pcg.MarshalBinary()
	if err != nil {
		return genStart{}, err
	}
	s.fresh = s.fresh[:0]
	rej := make(map[string]int, len(s.res.Rejections))
	for k, v := range s.res.Rejections {
		rej[k] = v
	}
	return genStart{rng: rng, children: s.res.Children, evaluations: s.res.Evaluations, immigrants: s.res.Immigrants,
		archEvals: s.res.ArchEvals, rejections: rej}, nil
}

func (s *search) undoGeneration(g genStart) error {
	for _, k := range s.fresh {
		delete(s.seen, k)
	}
	s.fresh = s.fresh[:0]
	s.res.Children, s.res.Evaluations, s.res.Immigrants, s.res.ArchEvals = g.children, g.evaluations, g.immigrants, g.archEvals
	s.res.Rejections = g.rejections
	return s.pcg.UnmarshalBinary(g.rng)
}

// Run searches for a proxy.
func Run(ctx context.Context, prob *Problem, cfg Config) (*Result, error) {
	s, err := newSearch(prob, cfg)
	if err != nil {
		return nil, err
	}
	cfg = s.cfg
	first := 1
	if cfg.Resume != nil {
		if first, err = s.restore(cfg.Resume); err != nil {
			return nil, err
		}
	} else if err := s.initPopulation(ctx); err != nil {
		if ctx.Err() == nil || len(s.pop) == 0 {
			return nil, err
		}
		// Interrupted while filling the population: what was evaluated is
		// reported, but no checkpoint is written (a resumed run would
		// continue with too small a population).
		s.sortPop()
		s.res.Stopped = "interrupted"
		s.report(0)
		return s.finish(), nil
	}
	s.res.Stopped = "gens"
	if cfg.Resume == nil {
		s.bestGen = 0
	}
	s.report(first - 1)
	if err := s.evolve(ctx, first); err != nil {
		return nil, err
	}
	// StopAfter stands for a kill, which writes nothing; a cancelled
	// context is an orderly stop that keeps its state.
	if s.res.Stopped == "interrupted" && ctx.Err() != nil && cfg.Checkpoint != "" {
		if err := s.save(cfg.Checkpoint, s.res.Generations); err != nil {
			return nil, fmt.Errorf("gp: writing the checkpoint of the interrupted search: %w", err)
		}
		s.res.Checkpointed = true
	}
	return s.finish(), nil
}

// newSearch sets a search up: its generator, rules, evaluator and random
// source, with cfg's defaults filled in.
func newSearch(prob *Problem, cfg Config) (*search, error) {
	cfg.fill()
	if len(prob.Archs) < 3 {
		return nil, fmt.Errorf("gp: need at least 3 architectures, have %d", len(prob.Archs))
	}
	g, err := NewGenerator(stdlib.Default, prob.Terminals, cfg.Shape, cfg.Unary, cfg.Depth)
	if err != nil {
		return nil, err
	}
	prob = costOrder(prob)
	s := &search{cfg: cfg, prob: prob, gen: g, seen: map[uint64]bool{}, hof: map[int]Individual{},
		res: &Result{Rejections: map[string]int{}}, start: time.Now()}
	if !cfg.NoRPS {
		s.rules = cfg.Rules
		if s.rules == nil {
			if s.rules, err = stdlib.Rules(); err != nil {
				return nil, err
			}
		}
	}
	s.ev = &evaluator{table: stdlib.Default, archs: prob.Archs, workers: cfg.Workers}
	if cfg.MemoBytes > 0 {
		s.ev.memo = newMemo(cfg.MemoBytes)
		s.ev.memo.tensors = cfg.MemoTensors
	}
	s.truth = make([]float64, len(prob.Archs))
	s.strata = make([]string, len(prob.Archs))
	for i, a := range prob.Archs {
		s.truth[i], s.strata[i] = a.Truth, a.Stratum
	}
	// Crossover and mutation must not grow trees beyond the search space:
	// the paper's tree has Unary ops per branch under g, an aggregation of
	// each branch when their families differ, and the outer sum.
	s.maxDepth = cfg.Unary + 4
	s.maxChain = cfg.Unary + 1
	if cfg.Shape == Free {
		s.maxDepth = cfg.Depth + 2
	}
	s.pcg = rand.NewPCG(cfg.Seed, 0x6770) // "gp"
	s.r = rand.New(s.pcg)
	return s, nil
}

// evolve runs generations first… of the steady-state loop (one offspring
// each) until the budget, a stopping rule or ctx ends it; res.Stopped says
// which.
func (s *search) evolve(ctx context.Context, first int) error {
	bestFit := s.pop[0].Fitness
	for gen := first; gen <= s.cfg.Gens; gen++ {
		if ctx.Err() != nil {
			s.res.Stopped = "interrupted"
			break
		}
		if s.cfg.TimeLimit > 0 && time.Since(s.start) > s.cfg.TimeLimit {
			s.res.Stopped = "time-limit"
			break
		}
		if s.cfg.Patience > 0 && gen-1-s.bestGen >= s.cfg.Patience {
			s.res.Stopped = "patience"
			break
		}
		mark, err := s.markGeneration()
		if err != nil {
			return err
		}
		child, err := s.offspring(ctx, gen)
		if err != nil {
			if errors.Is(err, errExhausted) {
				s.res.Stopped = "exhausted"
				break
			}
			if ctx.Err() != nil {
				if err := s.undoGeneration(mark); err != nil {
					return err
				}
				s.res.Stopped = "interrupted"
				break
			}
			return err
		}
		// Steady state: the child replaces the worst if it is better.
		if worst := len(s.pop) - 1; child.Fitness > s.pop[worst].Fitness {
			s.pop[worst] = child
			s.sortPop()
		}
		if s.pop[0].Fitness > bestFit {
			bestFit, s.bestGen = s.pop[0].Fitness, gen
		}
		s.res.Generations = gen
		s.report(gen)
		if s.cfg.Checkpoint != "" && s.cfg.CheckpointEvery > 0 && gen%s.cfg.CheckpointEvery == 0 {
			if err := s.save(s.cfg.Checkpoint, gen); err != nil {
				return err
			}
		}
		if s.cfg.StopAfter > 0 && gen >= s.cfg.StopAfter {
			s.res.Stopped = "interrupted"
			break
		}
	}
	return nil
}

var errExhausted = errors.New("gp: no new valid child found (search space exhausted?)")

func (s *search) finish() *Result {
	r := s.res
	r.Population = append([]Individual(nil), s.pop...)
	r.HallOfFame = hallOfFame(s.hof)
	r.Elapsed = time.Since(s.start)
	r.NodeEvals = s.ev.nodeEvals.Load()
	r.BytesRead = s.ev.bytesRead.Load()
	if s.ev.memo != nil {
		r.MemoHits, r.MemoMisses = s.ev.memo.hits.Load(), s.ev.memo.misses.Load()
	}
	return r
}

func (s *search) report(gen int) {
	rhos := make([]float64, len(s.pop))
	for i, p := range s.pop {
		rhos[i] = p.Fitness
	}
	sort.Float64s(rhos)
	med := rhos[len(rhos)/2]
	if len(rhos)%2 == 0 {
		med = (rhos[len(rhos)/2-1] + rhos[len(rhos)/2]) / 2
	}
	st := GenStats{Gen: gen, Best: s.pop[0].Fitness, Median: med, Evals: s.res.Evaluations}
	if n := len(s.res.History); n > 0 && s.res.History[n-1].Gen == gen {
		s.res.History[n-1] = st
	} else {
		s.res.History = append(s.res.History, st)
	}
	if s.cfg.Progress != nil {
		el := time.Since(s.start)
		rej := 0
		for _, v := range s.res.Rejections {
			rej += v
		}
		s.cfg.Progress(Progress{Gen: gen, Gens: s.cfg.Gens, Best: s.pop[0], Evals: s.res.Evaluations,
			EvalsPerSec: float64(s.res.Evaluations-s.evals0) / el.Seconds(), Rejected: rej, Elapsed: el})
	}
}

// sortPop orders the population by fitness, best first; ties by text so
// the order is deterministic.
func (s *search) sortPop() {
	sort.SliceStable(s.pop, func(i, j int) bool {
		if s.pop[i].Fitness != s.pop[j].Fitness {
			return s.pop[i].Fitness > s.pop[j].Fitness
		}
		return s.pop[i].Text < s.pop[j].Text
	})
}

func (s *search) initPopulation(ctx context.Context) error {
	for _, e := range s.cfg.Seeds {
		if len(s.pop) >= s.cfg.Pop {
			break
		}
		if ind, reason := s.consider(ctx, e, 0, math.Inf(-1)); reason == "" {
			s.pop = append(s.pop, ind)
		}
	}
	fails := 0
	for len(s.pop) < s.cfg.Pop {
		if err := ctx.Err(); err != nil {
			return err
		}
		ind, reason := s.consider(ctx, s.gen.Random(s.r), 0, math.Inf(-1))
		if reason != "" {
			if fails++; fails > 100*s.cfg.MaxAttempts {
				return fmt.Errorf("gp: could not fill a population of %d (got %d valid proxies; rejections %v)", s.cfg.Pop, len(s.pop), s.res.Rejections)
			}
			continue
		}
		fails = 0
		s.pop = append(s.pop, ind)
	}
	s.sortPop()
	return nil
}

// offspring produces one valid, new, evaluated child (Algorithm 1: invalid
// children are regenerated).
func (s *search) offspring(ctx context.Context, gen int) (Individual, error) {
	k := max(2, int(math.Ceil(s.cfg.Ratio*float64(len(s.pop)))))
	k = min(k, len(s.pop))
	threshold := s.pop[len(s.pop)-1].Fitness
	// Whether this generation's child is an immigrant is drawn once, so
	// the share of offspring is Immigrants (per attempt, the GP children's
	// many duplicate rejections would inflate it). The draw is skipped at 0
	// so that the paper's setting keeps its random stream and results.
	immigrant := s.cfg.Strategy == StrategyGP && s.cfg.Immigrants > 0 && s.r.Float64() < s.cfg.Immigrants
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return Individual{}, err
		}
		if attempt >= 100*s.cfg.MaxAttempts {
			return Individual{}, errExhausted
		}
		var child lang.Expr
		if s.cfg.Strategy == StrategyRandom || attempt >= s.cfg.MaxAttempts || immigrant {
			child = s.gen.Random(s.r)
		} else {
			p1 := s.pop[s.r.IntN(k)].Expr
			child = p1
			changed := false
			if s.r.Float64() < s.cfg.Cx {
				p2 := s.pop[s.r.IntN(k)].Expr
				if c, ok := s.gen.Crossover(s.r, p1, p2); ok {
					child, changed = c, true
				}
			}
			if s.r.Float64() < s.cfg.Mut || !changed {
				child = s.gen.Mutate(s.r, child)
			}
		}
		ind, reason := s.consider(ctx, child, gen, threshold)
		if immigrant && (reason == "" || reason == "early") {
			s.res.Immigrants++
		}
		if reason == "" {
			return ind, nil
		}
		if reason == "cancelled" {
			return Individual{}, ctx.Err()
		}
		if reason == "early" {
			// A valid child that provably cannot enter the population:
			// it is this generation's offspring (not regenerated), so the
			// run is the same as with full evaluation.
			return Individual{Rho: math.Inf(-1), Fitness: math.Inf(-1)}, nil
		}
	}
}

// canonical brings e to its canonical form: RPS rewrites (unless NoRPS),
// scalar sums dropped, arguments of commutative ops ordered; repeated until
// stable. It returns the checked canonical tree or a rejection reason.
func (s *search) canonical(e lang.Expr) (*lang.Checked, string) {
	cur := e
	for round := 0; round < 8; round++ {
		if s.rules != nil {
			out, _, err := s.rules.Canonical(cur)
			if err != nil {
				return nil, "fixpoint"
			}
			cur = out
		}
		c, err := s.gen.Check(cur)
		if err != nil {
			return nil, "type"
		}
		next := normalise(s.gen.Table, c, c.Expr)
		if lang.Equal(next, cur) {
			return c, ""
		}
		cur = next
	}
	c, err := s.gen.Check(cur)
	if err != nil {
		return nil, "type"
	}
	return c, ""
}

// normalise drops an aggregation of a scalar (the identity: sum(x) of a
// scalar x is x) and orders the arguments of commutative ops (+ and *) by
// their text.
func normalise(t *stdlib.Table, c *lang.Checked, e lang.Expr) lang.Expr {
	call, ok := e.(*lang.Call)
	if !ok {
		return e
	}
	args := make([]lang.Expr, len(call.Args))
	for i, a := range call.Args {
		args[i] = normalise(t, c, a)
	}
	op, ok := t.Lookup(call.Op)
	if !ok {
		return &lang.Call{Op: call.Op, Args: args, Pos: call.Pos}
	}
	if op.Class == stdlib.Aggregation && len(args) == 1 && c.Types[call.Args[0]].Kind == lang.Scalar {
		return args[0]
	}
	if op.Commutative && len(args) == 2 && lang.Print(args[1]) < lang.Print(args[0]) {
		args[0], args[1] = args[1], args[0]
	}
	return &lang.Call{Op: call.Op, Args: args, Pos: call.Pos}
}

// consider canonicalises, filters and evaluates one candidate. reason is
// "" when it is valid (ind is then set).
func (s *search) consider(ctx context.Context, e lang.Expr, gen int, threshold float64) (ind Individual, reason string) {
	s.res.Children++
	defer func() {
		if reason != "" && reason != "cancelled" {
			s.res.Rejections[reason]++
		}
	}()
	c, reason := s.canonical(e)
	if reason != "" {
		return Individual{}, reason
	}
	if c.Type().Kind != lang.Scalar {
		return Individual{}, "type"
	}
	if depth(c.Expr) > s.maxDepth || (s.cfg.Shape == Paper && s.maxChain > 0 && unaryChain(s.gen.Table, c.Expr) > s.maxChain) {
		return Individual{}, "size"
	}
	hasInput := false
	lang.Walk(c.Expr, func(x lang.Expr) bool {
		if _, ok := x.(*lang.Ref); ok {
			hasInput = true
		}
		return !hasInput
	})
	if !hasInput {
		return Individual{}, "constant"
	}
	if s.rules != nil {
		if r, _ := s.rules.Rejected(c.Expr); r != nil {
			return Individual{}, "rule"
		}
	}
	key := Key(c.Expr)
	if s.seen[key] {
		return Individual{}, "duplicate"
	}
	s.seen[key] = true
	s.fresh = append(s.fresh, key)
	s.res.Evaluations++
	root := s.ev.build(c, c.Expr)
	n := len(s.prob.Archs)
	scores := make([]float64, n)
	errs := make([]*archError, n)
	// Architectures are in cost order (cheapest first, see costOrder);
	// after each slice the bound may prove that the rest cannot lift ρ to
	// the population's worst, and the expensive tail is never computed.
	step := n
	if s.cfg.Early && s.cfg.Fitness == FitnessRho && !math.IsInf(threshold, -1) {
		step = max(2, int(math.Ceil(s.cfg.EarlyFrac*float64(n))))
	}
	for lo := 0; lo < n; {
		hi := min(n, lo+step)
		s.ev.scoreRange(ctx, root, lo, hi, scores, errs)
		s.res.ArchEvals += int64(hi - lo)
		if ae := firstError(errs, lo, hi); ae != nil {
			return Individual{}, ae.reason
		}
		lo = hi
		if lo < n {
			if ub, ok := spearmanUpperBound(scores[:lo], s.truth, lo, s.prob.HigherIsBetter); ok && ub < threshold-1e-9 {
				return Individual{}, "early"
			}
		}
	}
	if nearlyConstant(scores) {
		return Individual{}, "constant"
	}
	rho, tau, err := rank.Correlate(scores, s.truth, s.prob.HigherIsBetter)
	if err != nil || math.IsNaN(rho) {
		return Individual{}, "constant"
	}
	fit := rho
	if s.cfg.Fitness == FitnessWithin {
		w, _, _, err := rank.WithinStratum(scores, s.truth, s.strata, s.prob.HigherIsBetter)
		if err != nil || math.IsNaN(w) {
			return Individual{}, "constant"
		}
		fit = w
	}
	text := lang.Print(c.Expr)
	ind = Individual{Expr: c.Expr, Text: text, Key: key, Rho: rho, Tau: tau, Fitness: fit, Complexity: Complexity(c.Expr, stdlib.Default), Gen: gen}
	if h, ok := s.hof[ind.Complexity]; !ok || fit > h.Fitness || (fit == h.Fitness && text < h.Text) {
		s.hof[ind.Complexity] = ind
	}
	return ind, ""
}

// nearlyConstant reports scores whose spread is within floating-point noise
// of their magnitude (e.g. Σ softmax = 1 up to rounding): their ranks would
// be noise.
func nearlyConstant(x []float64) bool {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range x {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	return hi-lo <= 1e-9*math.Max(math.Abs(lo), math.Abs(hi))
}

// depth is the number of nodes on the longest root-to-leaf path.
func depth(e lang.Expr) int {
	d := 0
	if c, ok := e.(*lang.Call); ok {
		for _, a := range c.Args {
			d = max(d, depth(a))
		}
	}
	return d + 1
}

// unaryChain is the largest number of unary ops other than aggregations
// (the paper's outer Σ) on a root-to-leaf path.
func unaryChain(t *stdlib.Table, e lang.Expr) int {
	c, ok := e.(*lang.Call)
	if !ok {
		return 0
	}
	n := 0
	for _, a := range c.Args {
		n = max(n, unaryChain(t, a))
	}
	if op, ok := t.Lookup(c.Op); len(c.Args) == 1 && !(ok && op.Class == stdlib.Aggregation) {
		n++
	}
	return n
}
