package study_test

import (
	"context"
	"fmt"

	"lpz/study"
)

// Rank a proxy formula on the embedded nano benchmark: open it, say how
// to capture (here a small minibatch, not cached), compile the formula and
// rank its scores against the ground truth.
func ExampleSession_Rank() {
	sess, err := study.Open("nano", "", "records")
	if err != nil {
		fmt.Println(err)
		return
	}
	sess.Capture = study.CaptureSettings{Batch: 2, Seq: 16, NoCache: true}
	p, err := study.Compile("sum(fro(W))")
	if err != nil {
		fmt.Println(err)
		return
	}
	rep, _, err := sess.Rank(context.Background(), p, sess.Bench.Archs, 2, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s on %s: n %d, ρ %s, τ %s\n", rep.Proxy, rep.Bench, rep.N, rep.Rho.Text(3), rep.Tau.Text(3))
	// Output: sum(fro(W)) on nano: n 30, ρ -0.487, τ -0.318
}

// Rank parameter count on the embedded LoNAS benchmark (sub-networks of a
// trained LLaMA-style super-network) against each of its ground truths.
func ExampleSession_SelectTruth_lonas() {
	sess, err := study.Open("lonas-nano", "", "records")
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := study.Compile("params")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, truth := range []string{"valid_ppl", "acc_cont4"} {
		if err := sess.SelectTruth(truth); err != nil {
			fmt.Println(err)
			return
		}
		rep, _, err := sess.Rank(context.Background(), p, sess.Bench.Archs, 1, nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("params against %s on %d sub-networks: ρ %s\n", rep.Truth, rep.N, rep.Rho.Text(3))
	}
	// Output:
	// params against valid_ppl on 111 sub-networks: ρ 0.778
	// params against acc_cont4 on 111 sub-networks: ρ 0.449
}
