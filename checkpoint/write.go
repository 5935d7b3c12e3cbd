package checkpoint

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/google/renameio/v2"
)

// layout names the files of one kind of checkpoint directory.
type layout struct {
	config  string // the JSON file a reader starts from
	weights string // the one safetensors file written
}

// writeCheckpoint writes config and tensors into dir so that a crash never
// leaves a mixed or half-written checkpoint there. The config file is the
// commit record: it is removed before anything else changes and written
// last, and every file is replaced by rename, so dir holds either the old
// checkpoint, the new one, or weights without a config, which no reader
// takes for a checkpoint. Other files in dir (a tokenizer) are left alone;
// stale names files of an older checkpoint to remove with the old config.
func writeCheckpoint(dir string, files layout, config any, tensors map[string]Tensor, stale []string) error {
	configPath := filepath.Join(dir, files.config)
	data, err := json.MarshalIndent(config, "", "  ")
	if err != nil {
		return fileError(configPath, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fileError(dir, err)
	}
	for _, path := range append([]string{configPath}, stale...) {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fileError(path, err)
		}
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	if err := writeSafetensors(filepath.Join(dir, files.weights), tensors); err != nil {
		return err
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	if err := renameio.WriteFile(configPath, append(data, '\n'), 0o644); err != nil {
		return fileError(configPath, err)
	}
	return syncDir(dir)
}

// syncDir makes the renames and removals in dir durable, and so ordered
// across a crash. File systems that cannot sync a directory say EINVAL;
// there the order is the file system's.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fileError(dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fileError(dir, err)
	}
	return nil
}
