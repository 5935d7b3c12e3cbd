package study_test

import (
	"fmt"

	"lpz/study"
)

// Rank against another of a benchmark's ground truths: the embedded nano
// benchmark carries valid_ppl (its default) and valid_loss.
func ExampleSession_SelectTruth() {
	sess, err := study.Open("nano", "", "records")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range sess.Bench.TruthDefs {
		fmt.Printf("%s: %s\n", d.Name, d.Desc)
	}
	if err := sess.SelectTruth("valid_loss"); err != nil {
		fmt.Println(err)
		return
	}
	a := sess.Bench.Archs[0]
	fmt.Printf("%s: %s %.3f\n", a.ID, sess.Bench.TruthName, a.Truth)
	fmt.Println(sess.SelectTruth("valid_los"))
	// Output:
	// valid_ppl: perplexity on the validation windows: exp of the mean next-token NLL
	// valid_loss: mean next-token NLL in nats on the validation windows
	// nano_000: valid_loss 2.448
	// --truth valid_los: benchmark nano has no such ground truth; did you mean "valid_loss"? (its truths: valid_ppl, valid_loss; lpz bench show describes them)
}
