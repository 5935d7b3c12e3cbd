package study_test

import (
	"context"
	"fmt"

	"lpz/bench"
	"lpz/gp"
	"lpz/study"
)

// Search for a proxy on the embedded nano benchmark, from the
// architecture scalars only (nothing to capture): a fitness sample of 20
// architectures, a short search, and the winner measured on all 30.
func ExampleSession_Search() {
	sess, err := study.Open("nano", "", "records")
	if err != nil {
		fmt.Println(err)
		return
	}
	terms, err := study.ParseTerminals("params,dparams,layers,width")
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	sample, err := sess.Problem(ctx, bench.Sample(sess.Bench, 20, 7), terms, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg := gp.DefaultConfig()
	cfg.Gens, cfg.Seed = 100, 7
	rep, err := sess.Search(ctx, sample, study.SearchOptions{Config: cfg, Seed: 7, Top: 3})
	if err != nil {
		fmt.Println(err)
		return
	}
	w := rep.Winner
	fmt.Printf("%s: ρ %s on the sample of %d, %s on all %d, %s held out\n",
		w.Formula, w.Sample.Rho.Text(3), w.Sample.N, w.All.Rho.Text(3), w.All.N, w.HeldOut.Rho.Text(3))
	// Output: inv(layers) - abslog(width): ρ 0.725 on the sample of 20, 0.621 on all 30, 0.450 held out
}
