package mctask

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// randomText is n random lowercase letters: every span of 8 or more bytes
// almost surely occurs once, so a span's position can be found back.
func randomText(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + r.IntN(26))
	}
	return b
}

func TestContinuationDeterministic(t *testing.T) {
	text := randomText(5000, 1)
	a, err := Continuation(text, 50, 64, 16, 4, 7)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Continuation(text, 50, 64, 16, 4, 7)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same arguments gave different tasks")
	}
	c, _ := Continuation(text, 50, 64, 16, 4, 8)
	if reflect.DeepEqual(a.Items, c.Items) {
		t.Fatal("seeds 7 and 8 gave the same items")
	}
	if a.Name != "cont4" || a.Format != "cont" {
		t.Errorf("name %q format %q, want cont4, cont", a.Name, a.Format)
	}
}

// checkContinuationItem checks one item against the text it came from.
func checkContinuationItem(t *testing.T, text []byte, it Item, ctxLen, contLen, choices int) {
	t.Helper()
	var i, start int
	if _, err := fmt.Sscanf(it.ID, "%d@%d", &i, &start); err != nil {
		t.Fatalf("id %q: %v", it.ID, err)
	}
	passageEnd := start + ctxLen + contLen
	if len(it.Contexts) != 1 || it.Contexts[0] != string(text[start:start+ctxLen]) {
		t.Fatalf("item %s: context %q is not the text at its start", it.ID, it.Contexts)
	}
	if len(it.Continuations) != choices || it.Continuations[it.Answer] != string(text[start+ctxLen:passageEnd]) {
		t.Fatalf("item %s: answer %d is not the true continuation", it.ID, it.Answer)
	}
	seen := map[string]bool{}
	for j, c := range it.Continuations {
		if len(c) != contLen || seen[c] {
			t.Fatalf("item %s: choice %d %q has length %d or repeats another", it.ID, j, c, len(c))
		}
		seen[c] = true
		if j == it.Answer {
			continue
		}
		d := bytes.Index(text, []byte(c))
		if d < 0 || (d+contLen > start && d < passageEnd) {
			t.Fatalf("item %s: distractor %d at %d overlaps the passage [%d,%d)", it.ID, j, d, start, passageEnd)
		}
	}
}

func TestContinuationProperties(t *testing.T) {
	text := randomText(3000, 2)
	task, err := Continuation(text, 400, 40, 12, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	positions := make([]int, 4)
	for _, it := range task.Items {
		checkContinuationItem(t, text, it, 40, 12, 4)
		positions[it.Answer]++
	}
	for j, n := range positions {
		if n < 60 {
			t.Errorf("answer at position %d in %d of 400 items, want about 100: %v", j, n, positions)
		}
	}
}

// At the shortest text allowed some passages leave room for one distractor
// only, at either end of the text.
func TestContinuationShortestText(t *testing.T) {
	const ctxLen, contLen = 10, 8
	text := randomText(ctxLen+3*contLen-1, 3)
	for seed := range uint64(200) {
		task, err := Continuation(text, 5, ctxLen, contLen, 2, seed)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		for _, it := range task.Items {
			checkContinuationItem(t, text, it, ctxLen, contLen, 2)
		}
	}
}

func TestContinuationErrors(t *testing.T) {
	text := randomText(1000, 4)
	tests := []struct {
		name                        string
		text                        []byte
		n, ctxLen, contLen, choices int
		want                        string
	}{
		{"no items", text, 0, 10, 5, 4, "n (0), ctxLen (10) and contLen (5) must be positive"},
		{"one choice", text, 3, 10, 5, 1, "choices (1) at least 2"},
		{"zero contLen", text, 3, 10, 0, 4, "must be positive"},
		{"too short", text[:23], 3, 10, 5, 4, "text of 23 bytes is too short for 15-byte passages with 5-byte distractors outside them: need at least 24 bytes"},
		{"repetitive", bytes.Repeat([]byte("ab"), 500), 3, 10, 4, 4, "no distinct 4-byte distractor in 100 draws"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Continuation(tc.text, tc.n, tc.ctxLen, tc.contLen, tc.choices, 1)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestContinuationScore(t *testing.T) {
	task, err := Continuation(randomText(2000, 5), 30, 32, 8, 4, 9)
	if err != nil {
		t.Fatal(err)
	}
	// A model that knows the text gives the true continuation the highest
	// log-likelihood.
	var loglik []float64
	for _, it := range task.Items {
		for j := range it.Continuations {
			if j == it.Answer {
				loglik = append(loglik, -1)
			} else {
				loglik = append(loglik, -9)
			}
		}
	}
	res, err := task.Score(loglik)
	if err != nil || res.Acc != 1 || res.AccNorm != 1 {
		t.Fatalf("got %+v, %v; want acc 1", res, err)
	}
}
