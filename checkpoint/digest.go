package checkpoint

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DirDigest is the hex SHA-256 of the named files' names and contents, so
// that a cache key holding it changes when a checkpoint does. A path that
// is a directory stands for every file below it, in lexical order, named by
// its slash-separated path inside the directory; names starting with a dot
// (renameio's temporary files, the .cache of a Hugging Face download) are
// left out. A file path is named by its base name, so moving a checkpoint
// keeps its digest. Paths are taken in the order given. Symbolic links to
// files, as in a Hugging Face cache snapshot, are followed. It reads every
// byte of every file.
func DirDigest(paths ...string) (string, error) {
	h := sha256.New()
	for _, p := range paths {
		files, err := digestFiles(p)
		if err != nil {
			return "", err
		}
		writeFrame(h, uint64(len(files)))
		for _, f := range files {
			if err := digestFile(h, f.name, f.path); err != nil {
				return "", err
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

type namedFile struct{ name, path string }

// digestFiles lists the files path stands for, with the names they are
// hashed under.
func digestFiles(path string) ([]namedFile, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	if !info.IsDir() {
		return []namedFile{{filepath.Base(path), path}}, nil
	}
	var files []namedFile
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != path && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(path, p)
		files = append(files, namedFile{filepath.ToSlash(rel), p})
		return err
	})
	if err != nil {
		return nil, fileError(path, err)
	}
	return files, nil
}

// digestFile hashes one file's name and contents, each after its length so
// that no two lists of files hash the same bytes.
func digestFile(h hash.Hash, name, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fileError(path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fileError(path, err)
	}
	if !info.Mode().IsRegular() {
		return &Error{File: path, Msg: "not a regular file"}
	}
	writeFrame(h, uint64(len(name)))
	io.WriteString(h, name)
	writeFrame(h, uint64(info.Size()))
	n, err := io.Copy(h, f)
	if err != nil {
		return fileError(path, err)
	}
	if n != info.Size() {
		return &Error{File: path, Msg: fmt.Sprintf("read %d bytes of a %d-byte file: it changed while hashed", n, info.Size())}
	}
	return nil
}

func writeFrame(h hash.Hash, n uint64) {
	h.Write(binary.LittleEndian.AppendUint64(nil, n))
}
