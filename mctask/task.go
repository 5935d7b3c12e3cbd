package mctask

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// Item is one question: each choice i is scored as the log-likelihood of
// Continuations[i] given its context. Most tasks have one context for all
// choices (len(Contexts) == 1); WinoGrande has one context per choice
// (lm-eval's partial scoring), and then len(Contexts) == len(Continuations).
type Item struct {
	ID            string
	Contexts      []string
	Continuations []string
	Answer        int // index of the correct choice

	// delim is what the reader put in front of every choice to make its
	// continuation (lm-eval's target delimiter, " "). acc_norm divides by
	// the length of the choice without it, as lm-eval does. It lives on the
	// item so that a task cut down to some of its items keeps it.
	delim string
}

// Task is a list of items read from one file or built by [Continuation].
type Task struct {
	Name   string // short name: the file's base name, or "cont4"
	Source string // where the items came from, used in error messages
	Format string // the input format detected (see the package doc), or "cont"
	Items  []Item
}

// Request is one log-likelihood to compute: log p(Continuation | Context).
type Request struct {
	Context, Continuation string
}

// Result is a task's accuracy. Correct[i] says whether item i's highest
// log-likelihood choice is its answer (the acc rule).
type Result struct {
	N       int
	Acc     float64
	AccNorm float64
	Correct []bool
}

// context is the context of choice j: its own when the item has one per
// choice, else the shared one. An item without contexts (only a hand-built
// one can be) scores its continuations unconditioned.
func (it Item) context(j int) string {
	switch {
	case len(it.Contexts) == len(it.Continuations):
		return it.Contexts[j]
	case len(it.Contexts) > 0:
		return it.Contexts[0]
	}
	return ""
}

// check says what makes an item unscorable, or nil.
func (it Item) check() error {
	n := len(it.Continuations)
	if n < 2 {
		return fmt.Errorf("has %d choices, needs at least 2", n)
	}
	if len(it.Contexts) != 1 && len(it.Contexts) != n {
		return fmt.Errorf("has %d contexts for %d choices (want 1, or one per choice)", len(it.Contexts), n)
	}
	if it.Answer < 0 || it.Answer >= n {
		return fmt.Errorf("answer %d is out of range for %d choices", it.Answer, n)
	}
	for j, c := range it.Continuations {
		if c == "" {
			return fmt.Errorf("choice %d is empty: it has nothing to score", j)
		}
	}
	return nil
}

// Requests lists every (item, choice) pair: items in order, and within an
// item its choices in order. [Task.Score] expects its log-likelihoods in
// the same order.
func (t *Task) Requests() []Request {
	out := make([]Request, 0, t.numRequests())
	for _, it := range t.Items {
		for j, c := range it.Continuations {
			out = append(out, Request{Context: it.context(j), Continuation: c})
		}
	}
	return out
}

func (t *Task) numRequests() int {
	n := 0
	for _, it := range t.Items {
		n += len(it.Continuations)
	}
	return n
}

// Score turns the log-likelihoods (nats, one per request, in the order of
// [Task.Requests]) into accuracy: the fraction of items whose highest
// log-likelihood choice is the answer (acc), and the same with each
// log-likelihood divided by its choice's length (acc_norm; see the package
// doc for the length). Ties go to the first maximum. A NaN or +Inf
// log-likelihood is an error; -Inf (probability zero) is allowed.
func (t *Task) Score(loglik []float64) (Result, error) {
	if len(t.Items) == 0 {
		return Result{}, fmt.Errorf("mctask: %s: the task has no items", t.Name)
	}
	if want := t.numRequests(); len(loglik) != want {
		return Result{}, fmt.Errorf("mctask: %s: got %d log-likelihoods for %d requests", t.Name, len(loglik), want)
	}
	res := Result{N: len(t.Items), Correct: make([]bool, len(t.Items))}
	var hits, normHits int
	k := 0
	for i, it := range t.Items {
		if err := it.check(); err != nil {
			return Result{}, fmt.Errorf("mctask: %s: item %d (id %q) %w", t.Name, i, it.ID, err)
		}
		ll := loglik[k : k+len(it.Continuations)]
		if j, err := finite(ll); err != nil {
			return Result{}, fmt.Errorf("mctask: %s: request %d (item %q, choice %d): %w", t.Name, k+j, it.ID, j, err)
		}
		k += len(ll)
		pick := argmax(ll, func(j int) float64 { return ll[j] })
		pickNorm := argmax(ll, func(j int) float64 { return ll[j] / it.normLength(j) })
		res.Correct[i] = pick == it.Answer
		if res.Correct[i] {
			hits++
		}
		if pickNorm == it.Answer {
			normHits++
		}
	}
	res.Acc = float64(hits) / float64(res.N)
	res.AccNorm = float64(normHits) / float64(res.N)
	return res, nil
}

// finite reports the first log-likelihood no model can produce.
func finite(ll []float64) (int, error) {
	for j, v := range ll {
		if math.IsNaN(v) || math.IsInf(v, 1) {
			return j, errors.New("log-likelihood is " + fmt.Sprint(v))
		}
	}
	return 0, nil
}

// argmax is the first index of the largest score(j), j < len(ll): strict
// comparison keeps the earliest of equal maxima, as numpy's argmax does.
func argmax(ll []float64, score func(j int) float64) int {
	best, bestScore := 0, score(0)
	for j := 1; j < len(ll); j++ {
		if s := score(j); s > bestScore {
			best, bestScore = j, s
		}
	}
	return best
}

// normLength is acc_norm's divisor: lm-eval's len(choice), the number of
// characters (code points) of the choice without the target delimiter. An
// empty choice counts as one character so that no division is by zero.
func (it Item) normLength(j int) float64 {
	n := utf8.RuneCountInString(strings.TrimPrefix(it.Continuations[j], it.delim))
	return float64(max(n, 1))
}
