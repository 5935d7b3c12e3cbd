package checkpoint

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDirDigest(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "ckpt")
	if err := WriteLlama(ckpt, randomLlama(false, 1)); err != nil {
		t.Fatal(err)
	}
	digest := func(paths ...string) string {
		t.Helper()
		d, err := DirDigest(paths...)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	base := digest(ckpt)
	if len(base) != 64 {
		t.Fatalf("digest %q is not hex SHA-256", base)
	}
	writeFile(t, filepath.Join(ckpt, ".model.safetensors123"), []byte("a temporary file"))
	if digest(ckpt) != base {
		t.Error("a hidden temporary file changed the digest")
	}
	moved := filepath.Join(dir, "moved")
	if err := os.Rename(ckpt, moved); err != nil {
		t.Fatal(err)
	}
	if digest(moved) != base {
		t.Error("moving the checkpoint changed the digest")
	}
	config := filepath.Join(moved, "config.json")
	weights := filepath.Join(moved, "model.safetensors")
	files := digest(config, weights)
	if files == base || digest(weights, config) == files {
		t.Error("a list of files digests like the directory, or regardless of order")
	}
	if err := WriteLlama(moved, randomLlama(false, 2)); err != nil {
		t.Fatal(err)
	}
	rewritten := digest(moved)
	if rewritten == base {
		t.Error("new weights kept the digest")
	}
	if err := os.Rename(weights, filepath.Join(moved, "model2.safetensors")); err != nil {
		t.Fatal(err)
	}
	if digest(moved) == rewritten {
		t.Error("renaming a file kept the digest")
	}
	_, err := DirDigest(filepath.Join(dir, "absent"))
	wantError(t, err, "absent", "", "no such file")
}
