package study

import (
	"context"
	"os"
	"testing"

	"lpz/interp"
)

// A cache that cannot be written (a full disk, a removed directory) costs
// only the cache: the capture is used, and lpz capture, whose job is the
// cache, fails.
func TestCaptureSurvivesAFailingCacheWrite(t *testing.T) {
	dir := t.TempDir()
	bs, err := Open("nano", "", "records")
	if err != nil {
		t.Fatal(err)
	}
	bs.Capture = CaptureSettings{Batch: 2, Seq: 16, CacheDir: dir}
	c, err := bs.Capturer()
	if err != nil {
		t.Fatal(err)
	}
	// The cache directory becomes a file: no write can succeed.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := c.Capture(context.Background(), bs.Bench.Archs[0], []string{"G"})
	if err != nil {
		t.Fatalf("a failed cache write lost the capture: %v", err)
	}
	if _, ok := in["G"]; !ok || c.Unstored() != 1 {
		t.Fatalf("inputs %v, unstored %d", in, c.Unstored())
	}
}

// An opt-in channel set's entry that lacks its channels (LLaMA entries
// written before that family captured GA, HG and GS were empty) is
// captured again, not read as a hit.
func TestEmptyOptInEntryIsCapturedAgain(t *testing.T) {
	bs, err := Open("nano", "", "records")
	if err != nil {
		t.Fatal(err)
	}
	bs.Capture = CaptureSettings{Batch: 2, Seq: 16, CacheDir: t.TempDir()}
	c, err := bs.Capturer()
	if err != nil {
		t.Fatal(err)
	}
	a := bs.Bench.Archs[0]
	key := c.key(a)
	key.Channels = "GA"
	if err := c.Cache().Put(key, inputsEntry(interp.Inputs{}, a.ID, bs.Bench.Name)); err != nil {
		t.Fatal(err)
	}
	in, err := c.Capture(context.Background(), a, []string{"GA"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := in["GA"]; !ok || c.Stats().Captured != 1 {
		t.Fatalf("inputs %v, stats %+v: the empty entry was read as a hit", in, c.Stats())
	}
}
