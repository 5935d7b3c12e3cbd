package mctask

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func mustParse(t *testing.T, jsonl string) *Task {
	t.Helper()
	task, err := ParseJSONL(strings.NewReader(jsonl), "t")
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func TestRequests(t *testing.T) {
	task := mustParse(t, `{"context":"c","choices":["a","b"],"answer":0}
{"context":"d","choices":["e","f","g"],"answer":2}`)
	wino := mustParse(t, `{"sentence":"x _ y","option1":"P","option2":"Q","answer":"1"}`)
	task.Items = append(task.Items, wino.Items...)
	want := []Request{{"c", "a"}, {"c", "b"}, {"d", "e"}, {"d", "f"}, {"d", "g"}, {"x P", " y"}, {"x Q", " y"}}
	if got := task.Requests(); !reflect.DeepEqual(got, want) {
		t.Fatalf("requests %q, want %q", got, want)
	}
}

func TestScore(t *testing.T) {
	lpz := mustParse(t, `{"context":"c","choices":["a","b"],"answer":0}
{"context":"c","choices":["a","b","c"],"answer":2}
{"context":"c","choices":["éé","abc"],"answer":1}`)
	// HellaSwag puts " " before each ending; acc_norm leaves it out of the length.
	hs := mustParse(t, `{"ctx":"c","endings":["ab","abcde"],"label":1}`)
	tests := []struct {
		name         string
		task         *Task
		loglik       []float64
		acc, accNorm float64
		correct      []bool
	}{
		{"all right", lpz, []float64{-1, -2, -3, -3, -1, -2, -1}, 1, 1, []bool{true, true, true}},
		// éé is 2 characters (4 bytes): -2/2 < -2.9/3, so acc_norm picks "abc";
		// counting bytes (-2/4 > -2.9/3) would not.
		{"norm counts characters", lpz, []float64{-1, -2, -3, -3, -1, -2, -2.9}, 2.0 / 3, 1, []bool{true, true, false}},
		{"ties go to the first", lpz, []float64{-1, -1, -5, -5, -5, -4, -4}, 1.0 / 3, 2.0 / 3, []bool{true, false, false}},
		{"-Inf is allowed", lpz, []float64{math.Inf(-1), -1, math.Inf(-1), math.Inf(-1), math.Inf(-1), -1, -1}, 0, 1.0 / 3, []bool{false, false, false}},
		// -3/2 < -7/5 picks "abcde"; counting the space (-3/3 > -7/6) would not.
		{"norm leaves out the delimiter", hs, []float64{-3, -7}, 0, 1, []bool{false}},
		{"a cut task keeps the delimiter", &Task{Items: hs.Items}, []float64{-3, -7}, 0, 1, []bool{false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := tc.task.Score(tc.loglik)
			if err != nil {
				t.Fatal(err)
			}
			want := Result{N: len(tc.task.Items), Acc: tc.acc, AccNorm: tc.accNorm, Correct: tc.correct}
			if !reflect.DeepEqual(res, want) {
				t.Fatalf("got %+v, want %+v", res, want)
			}
		})
	}
}

func TestScoreErrors(t *testing.T) {
	task := mustParse(t, `{"context":"c","choices":["a","b"],"answer":0}`)
	bad := &Task{Name: "hand", Items: []Item{{ID: "q", Contexts: []string{"c"}, Continuations: []string{"a", "b"}, Answer: 2}}}
	tests := []struct {
		name   string
		task   *Task
		loglik []float64
		want   string
	}{
		{"too few", task, []float64{-1}, "got 1 log-likelihoods for 2 requests"},
		{"too many", task, []float64{-1, -2, -3}, "got 3 log-likelihoods for 2 requests"},
		{"NaN", task, []float64{-1, math.NaN()}, `request 1 (item "1", choice 1): log-likelihood is NaN`},
		{"+Inf", task, []float64{math.Inf(1), -1}, "log-likelihood is +Inf"},
		{"no items", &Task{Name: "empty"}, nil, "empty: the task has no items"},
		{"bad item", bad, []float64{-1, -2}, `item 0 (id "q") answer 2 is out of range for 2 choices`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.task.Score(tc.loglik)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
