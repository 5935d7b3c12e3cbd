package mctask

import (
	"bytes"
	"testing"
)

// FuzzParseJSONL checks that any input either fails with an error or gives
// a task that every other call accepts.
func FuzzParseJSONL(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		task, err := ParseJSONL(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		if len(task.Items) == 0 {
			t.Fatal("a task with no items parsed without error")
		}
		for i, it := range task.Items {
			if err := it.check(); err != nil {
				t.Fatalf("item %d parsed but is unscorable: %v", i, err)
			}
		}
		reqs := task.Requests()
		loglik := make([]float64, len(reqs))
		for i := range loglik {
			loglik[i] = -float64(len(reqs[i].Continuation))
		}
		res, err := task.Score(loglik)
		if err != nil {
			t.Fatal(err)
		}
		if res.N != len(task.Items) || res.Acc < 0 || res.Acc > 1 || res.AccNorm < 0 || res.AccNorm > 1 {
			t.Fatalf("result out of range: %+v", res)
		}
	})
}
