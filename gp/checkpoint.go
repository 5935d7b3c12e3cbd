package gp

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/google/renameio/v2"

	"lpz/lang"
)

// Checkpoint is the resumable state of a search: the population, the set
// of canonical hashes already seen, the counters, the history, the hall of
// fame and the random generator's state. Resuming from it gives the same
// final result as an uninterrupted run with the same configuration.
type Checkpoint struct {
	Version     int            `json:"version"`
	Gen         int            `json:"gen"`
	BestGen     int            `json:"best_gen"` // last improvement of the best (patience)
	Seed        uint64         `json:"seed"`
	Pop         int            `json:"pop"`
	Fitness     string         `json:"fitness,omitempty"`         // empty: rho (checkpoints before the field)
	Share       float64        `json:"immigrant_share,omitempty"` // Config.Immigrants (0 before the field)
	RNG         []byte         `json:"rng"`
	Population  []Individual   `json:"population"`
	Seen        []uint64       `json:"seen"`
	Rejections  map[string]int `json:"rejections"`
	Evaluations int            `json:"evaluations"`
	Children    int            `json:"children"`
	Immigrants  int            `json:"immigrants,omitempty"`
	ArchEvals   int64          `json:"arch_evals"`
	History     []GenStats     `json:"history"`
	Hall        []Individual   `json:"hall"`
	// What was searched and how (empty in checkpoints written before the
	// fields): a resumed run must match both, or it would silently go on
	// with another search's population.
	Problem     string `json:"problem,omitempty"` // Problem.Fingerprint
	ProblemDesc string `json:"problem_desc,omitempty"`
	Settings    string `json:"settings,omitempty"` // search.settings
}

const checkpointVersion = 1

func (s *search) save(path string, gen int) error {
	rng, err := s.pcg.MarshalBinary()
	if err != nil {
		return err
	}
	cp := Checkpoint{Version: checkpointVersion, Gen: gen, BestGen: s.bestGen, Seed: s.cfg.Seed, Pop: s.cfg.Pop, Fitness: s.cfg.Fitness, Share: s.cfg.Immigrants, RNG: rng,
		Population: s.pop, Rejections: s.res.Rejections, Evaluations: s.res.Evaluations,
		Children: s.res.Children, Immigrants: s.res.Immigrants, ArchEvals: s.res.ArchEvals, History: s.res.History,
		Problem: s.prob.Fingerprint(), ProblemDesc: s.prob.Describe(), Settings: s.settings()}
	for k := range s.seen {
		cp.Seen = append(cp.Seen, k)
	}
	sort.Slice(cp.Seen, func(i, j int) bool { return cp.Seen[i] < cp.Seen[j] })
	for _, h := range hallOfFame(s.hof) {
		cp.Hall = append(cp.Hall, h.Individual)
	}
	data, err := json.Marshal(&cp)
	if err != nil {
		return err
	}
	// Replaced whole or not at all: a stop mid-write keeps the last checkpoint.
	return renameio.WriteFile(path, data, 0o644)
}

// LoadCheckpoint reads a checkpoint file.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cp Checkpoint
	if err := json.Unmarshal(data, &cp); err != nil {
		return nil, fmt.Errorf("%s: not a search checkpoint: %v", path, err)
	}
	if cp.Version != checkpointVersion {
		return nil, fmt.Errorf("%s: checkpoint version %d, this lpz reads %d", path, cp.Version, checkpointVersion)
	}
	return &cp, nil
}

// restore loads the state; it returns the first generation to run.
func (s *search) restore(cp *Checkpoint) (int, error) {
	if cp.Seed != s.cfg.Seed || cp.Pop != s.cfg.Pop {
		return 0, fmt.Errorf("gp: the checkpoint is of a search with seed %d and population %d, not seed %d and population %d", cp.Seed, cp.Pop, s.cfg.Seed, s.cfg.Pop)
	}
	fitness := cp.Fitness
	if fitness == "" {
		fitness = FitnessRho
	}
	if fitness != s.cfg.Fitness {
		return 0, fmt.Errorf("gp: the checkpoint is of a search with fitness %s, not %s", fitness, s.cfg.Fitness)
	}
	if cp.Share != s.cfg.Immigrants {
		return 0, fmt.Errorf("gp: the checkpoint is of a search with immigrant share %v, not %v (--immigrants)", cp.Share, s.cfg.Immigrants)
	}
	if cp.Problem != "" && cp.Problem != s.prob.Fingerprint() {
		return 0, fmt.Errorf("gp: the checkpoint is of a search on %s, not on %s (resume with the benchmark, --sample, --seed, --inputs and capture settings of the interrupted run)", cp.ProblemDesc, s.prob.Describe())
	}
	if cp.Settings != "" && cp.Settings != s.settings() {
		return 0, fmt.Errorf("gp: the checkpoint is of a search with %s, not %s (resume with the flags of the interrupted run)", cp.Settings, s.settings())
	}
	if err := s.pcg.UnmarshalBinary(cp.RNG); err != nil {
		return 0, err
	}
	parse := func(ind Individual) (Individual, error) {
		e, err := lang.ParseExpr(ind.Text)
		if err != nil {
			return ind, fmt.Errorf("gp: checkpoint formula %q: %v", ind.Text, err)
		}
		c, err := s.gen.Check(e)
		if err != nil {
			return ind, fmt.Errorf("gp: checkpoint formula %q: %v", ind.Text, err)
		}
		ind.Expr = c.Expr
		ind.Key = Key(c.Expr)
		if cp.Fitness == "" {
			ind.Fitness = ind.Rho
		}
		return ind, nil
	}
	for _, ind := range cp.Population {
		p, err := parse(ind)
		if err != nil {
			return 0, err
		}
		s.pop = append(s.pop, p)
	}
	if len(s.pop) == 0 {
		return 0, fmt.Errorf("gp: the checkpoint has an empty population")
	}
	for _, ind := range cp.Hall {
		h, err := parse(ind)
		if err != nil {
			return 0, err
		}
		s.hof[h.Complexity] = h
	}
	for _, k := range cp.Seen {
		s.seen[k] = true
	}
	for k, v := range cp.Rejections {
		s.res.Rejections[k] = v
	}
	s.res.Evaluations, s.res.Children, s.res.ArchEvals = cp.Evaluations, cp.Children, cp.ArchEvals
	s.res.Immigrants = cp.Immigrants
	s.res.History = append(s.res.History, cp.History...)
	s.res.Generations = cp.Gen
	s.bestGen = cp.BestGen
	s.evals0 = cp.Evaluations
	s.sortPop()
	return cp.Gen + 1, nil
}

// settings are the search settings a trajectory depends on, as text (the
// rules by a hash of their text: another rules file is another search).
// Generations, workers, early rejection, the memo and the stopping rules
// are left out: they change where a search stops or how fast it runs, not
// which children it makes.
func (s *search) settings() string {
	rules := "none"
	if s.rules != nil {
		rules = fmt.Sprintf("%x", sha256.Sum256([]byte(s.rules.String())))[:12]
	}
	shape := fmt.Sprintf("paper tree with %d unary ops", s.cfg.Unary)
	if s.cfg.Shape == Free {
		shape = fmt.Sprintf("free trees of depth %d", s.cfg.Depth)
	}
	return fmt.Sprintf("%s, strategy %s, cx %v, mut %v, ratio %v, rules %s", shape, s.cfg.Strategy, s.cfg.Cx, s.cfg.Mut, s.cfg.Ratio, rules)
}
