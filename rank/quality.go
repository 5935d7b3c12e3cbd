package rank

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// Stat is a rank statistic that may be undefined: a correlation over
// fewer than MinPoints points or with a constant side does not exist, and
// is neither 0 nor an error. Undefined is NaN in Go, null in JSON and
// "undefined" in text, wherever lpz reports a statistic.
type Stat float64

// Undefined returns the undefined Stat.
func Undefined() Stat { return Stat(math.NaN()) }

// Defined reports whether s is a number (not NaN or ±Inf).
func (s Stat) Defined() bool {
	return !math.IsNaN(float64(s)) && !math.IsInf(float64(s), 0)
}

// Text formats s with digits decimals, or as "undefined".
func (s Stat) Text(digits int) string {
	if !s.Defined() {
		return "undefined"
	}
	return fmt.Sprintf("%.*f", digits, float64(s))
}

// MarshalJSON writes an undefined Stat as null: encoding/json refuses NaN,
// and a report must not be lost to one undefined cell.
func (s Stat) MarshalJSON() ([]byte, error) {
	if !s.Defined() {
		return []byte("null"), nil
	}
	return json.Marshal(float64(s))
}

// UnmarshalJSON reads null back as undefined.
func (s *Stat) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*s = Undefined()
		return nil
	}
	var f float64
	if err := json.Unmarshal(data, &f); err != nil {
		return err
	}
	*s = Stat(f)
	return nil
}

// Quality is how well a proxy's scores rank a set of architectures against
// their ground truth, under Correlate's sign convention (a good proxy has
// ρ > 0 whichever way the truth is better).
type Quality struct {
	N       int  `json:"n"`       // architectures ranked (those with a finite score)
	Invalid int  `json:"invalid"` // architectures left out: score NaN or ±Inf
	Rho     Stat `json:"rho"`     // Spearman ρ
	Tau     Stat `json:"tau"`     // Kendall τ-b
	// Within is the mean Spearman ρ inside the strata (architectures of
	// one size), where counting parameters is no help; StrataUsed is the
	// number of strata it averages (see WithinStratum).
	Within     Stat `json:"within_stratum_rho"`
	StrataUsed int  `json:"strata_used"`
}

// Assess measures scores against truth: strata[i] names the stratum of
// point i, and scores that are NaN or ±Inf are left out (counted in
// Invalid). It also returns the per-stratum results of WithinStratum.
// Undefined statistics are not errors; errors are for mismatched lengths
// and non-finite truth.
func Assess(scores, truth []float64, strata []string, higherIsBetter bool) (Quality, []StratumResult, error) {
	q, per, _, err := assess(scores, truth, strata, higherIsBetter)
	return q, per, err
}

// assess is Assess also saying why ρ and τ are undefined ("" when they
// are defined).
func assess(scores, truth []float64, strata []string, higherIsBetter bool) (q Quality, per []StratumResult, undefined string, err error) {
	if len(truth) != len(scores) || len(strata) != len(scores) {
		return q, nil, "", fmt.Errorf("rank: length mismatch (%d scores, %d truths, %d strata)", len(scores), len(truth), len(strata))
	}
	var s, t []float64
	var st []string
	for i, v := range scores {
		if Stat(v).Defined() {
			s, t, st = append(s, v), append(t, truth[i]), append(st, strata[i])
		}
	}
	q = Quality{N: len(s), Invalid: len(scores) - len(s)}
	c := CorrelateBoth(s, t, higherIsBetter)
	q.Rho, q.Tau = Stat(c.Spearman), Stat(c.Kendall) // NaN when undefined
	switch err := errors.Join(c.SpearmanErr, c.KendallErr); {
	case err == nil:
	case errors.Is(err, ErrTooFew):
		undefined = fmt.Sprintf("fewer than %d architectures", MinPoints)
	case errors.Is(err, ErrUndefined):
		undefined = "constant scores or ground truth"
	default:
		return q, nil, "", err
	}
	mean, per, used, err := WithinStratum(s, t, st, higherIsBetter)
	if err != nil && !errors.Is(err, ErrUndefined) {
		return q, nil, "", err
	}
	q.Within, q.StrataUsed = Stat(mean), used
	return q, per, undefined, nil
}
