package study

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"lpz/bench"
	"lpz/interp"
	"lpz/rank"
)

// MinRanked is the fewest scored architectures a ranking is computed on.
const MinRanked = 3

// Rank scores p over archs (see Score) and ranks the finite scores against
// the benchmark's ground truth; the architectures with non-finite scores
// are left out and named in the report. When ctx is cancelled, the report
// is of the architectures scored so far (nil when fewer than MinRanked)
// and the error is ctx's. scored counts the architectures scored, valid or
// not.
func (s *Session) Rank(ctx context.Context, p *interp.Program, archs []bench.Arch, workers int, progress func(done int)) (rep *rank.Report, scored int, err error) {
	scores, invalid, err := s.Score(ctx, p, archs, workers, progress)
	scored = len(scores) + len(invalid)
	if err != nil && (ctx.Err() == nil || len(scores) < MinRanked) {
		return nil, scored, err
	}
	var valid []bench.Arch
	for _, a := range archs {
		if _, ok := scores[a.ID]; ok {
			valid = append(valid, a)
		}
	}
	rep, rerr := rank.NewReportFromMap(s.Bench, valid, scores, p.String())
	if rerr != nil {
		return nil, scored, rerr
	}
	rep.LeaveOut(invalid)
	if NeedsCapture(p) {
		rep.Backend, rep.Capture = s.Describe()
	}
	return rep, scored, err
}

// RankFile ranks the scores of a score file over archs: YAML "id: value"
// lines (what WriteScores writes) or CSV "id,value" rows; column picks a
// CSV column by its header, or a YAML entry's inner key.
func (s *Session) RankFile(archs []bench.Arch, path, column string) (*rank.Report, error) {
	var scores map[string]float64
	var err error
	if column != "" {
		scores, err = bench.ReadScoresColumn(path, column)
	} else {
		scores, err = bench.ReadScores(path)
	}
	if err != nil {
		return nil, err
	}
	return rank.NewReportFromMap(s.Bench, archs, scores, path)
}

// WriteScores saves a ranking's scores as YAML "id: value" lines in
// benchmark order, under a comment saying what produced them: the form
// bench.ReadScores reads (lpz rank --save-scores, then --scores).
func WriteScores(path string, r *rank.Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# lpz rank scores: proxy %s, benchmark %s, data %s", r.Proxy, r.Bench, r.Data)
	if r.Capture != "" {
		fmt.Fprintf(&b, ", capture %s, backend %s", r.Capture, r.Backend)
	}
	b.WriteByte('\n')
	for i, id := range r.IDs {
		fmt.Fprintf(&b, "%s: %s\n", id, strconv.FormatFloat(r.Scores[i], 'g', -1, 64))
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
