package checkpoint

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/google/renameio/v2"
	"github.com/nlpodyssey/safetensors"
	"github.com/x448/float16"
)

// parseSafetensors parses a whole safetensors file held in buf and checks
// that every tensor has a dtype this package converts. The views it returns
// share buf; its Names are in the order of the data in the file.
func parseSafetensors(path string, buf []byte) (safetensors.SafeTensors, error) {
	st, err := safetensors.Deserialize(buf)
	if err != nil {
		return st, diagnose(path, buf, err)
	}
	for _, name := range st.Names() {
		view, _ := st.Tensor(name)
		if !convertible(view.DType()) {
			return st, dtypeError(path, name, view.DType().String())
		}
	}
	return st, nil
}

// convertible says whether dt is read as float32. F64 is refused with the
// rest: transformers never stores LLaMA weights in float64, so such a file
// is more likely something else than a checkpoint to narrow silently.
func convertible(dt safetensors.DType) bool {
	return dt == safetensors.F32 || dt == safetensors.F16 || dt == safetensors.BF16
}

func dtypeError(path, name, dtype string) *Error {
	return &Error{File: path, Tensor: name, Msg: fmt.Sprintf("dtype %s is not supported; weights must be F32, F16 or BF16", dtype)}
}

// diagnose turns the library's rejection of a file into an Error that says
// where it went wrong. The library reports a truncated file only as
// "metadata incomplete buffer" and an unknown dtype inside its message, so
// this reads the header a second time, only to find the tensor to blame.
func diagnose(path string, buf []byte, cause error) *Error {
	e := &Error{File: path, Msg: "not a valid safetensors file: " + cause.Error(), Err: cause}
	if len(buf) < 8 {
		e.Msg = fmt.Sprintf("%d bytes, too short to hold the 8-byte header length: truncated?", len(buf))
		return e
	}
	n := binary.LittleEndian.Uint64(buf)
	if n > uint64(len(buf)-8) {
		e.Msg = fmt.Sprintf("header length %d runs past the end of the file (%d bytes): truncated?", n, len(buf))
		return e
	}
	var header map[string]json.RawMessage
	if json.Unmarshal(buf[8:8+n], &header) != nil {
		return e
	}
	dataLen := uint64(len(buf)) - 8 - n
	names := make([]string, 0, len(header))
	for name := range header {
		names = append(names, name)
	}
	slices.Sort(names)
	var end uint64
	for _, name := range names {
		var info struct {
			DType       string   `json:"dtype"`
			DataOffsets []uint64 `json:"data_offsets"`
		}
		if name == "__metadata__" || json.Unmarshal(header[name], &info) != nil || len(info.DataOffsets) != 2 {
			continue
		}
		if _, err := safetensors.ParseDType(info.DType); err != nil {
			return dtypeError(path, name, info.DType)
		}
		if info.DataOffsets[1] > dataLen {
			return &Error{File: path, Tensor: name, Err: cause, Msg: fmt.Sprintf(
				"data_offsets %v run past the end of the data (%d bytes): file truncated?", info.DataOffsets, dataLen)}
		}
		end = max(end, info.DataOffsets[1])
	}
	if end < dataLen {
		e.Msg += fmt.Sprintf(" (the tensors end at byte %d of %d bytes of data)", end, dataLen)
	}
	return e
}

// maxDim bounds a dimension so that shapes convert to int on every platform.
const maxDim = math.MaxInt32

// intShape is a safetensors shape as this package's []int.
func intShape(shape []uint64) ([]int, bool) {
	out := make([]int, len(shape))
	for i, d := range shape {
		if d > maxDim {
			return nil, false
		}
		out[i] = int(d)
	}
	return out, true
}

// toFloat32 converts a tensor of a convertible dtype; its shape is known good.
func toFloat32(view safetensors.TensorView, shape []int) Tensor {
	raw := view.Data()
	out := make([]float32, len(raw)/int(view.DType().Size()))
	switch view.DType() {
	case safetensors.F32:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	case safetensors.F16:
		for i := range out {
			out[i] = float16.Frombits(binary.LittleEndian.Uint16(raw[2*i:])).Float32()
		}
	case safetensors.BF16:
		// bfloat16 is the high half of a float32.
		for i := range out {
			out[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(raw[2*i:])) << 16)
		}
	}
	return Tensor{Shape: shape, Data: out}
}

// f32View shows a Tensor to the library's writer as F32. It encodes its
// bytes only when the writer asks for them, one tensor at a time, so that
// writing a model never holds a second copy of all its weights.
type f32View struct{ t Tensor }

func (v f32View) DType() safetensors.DType { return safetensors.F32 }
func (v f32View) DataLen() uint64          { return 4 * uint64(len(v.t.Data)) }

func (v f32View) Shape() []uint64 {
	shape := make([]uint64, len(v.t.Shape))
	for i, d := range v.t.Shape {
		shape[i] = uint64(d)
	}
	return shape
}

func (v f32View) Data() []byte {
	raw := make([]byte, 4*len(v.t.Data))
	for i, x := range v.t.Data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
	}
	return raw
}

// writeSafetensors writes tensors as one F32 safetensors file with the
// metadata transformers writes, replacing path atomically.
func writeSafetensors(path string, tensors map[string]Tensor) error {
	views := make(map[string]f32View, len(tensors))
	for name, t := range tensors {
		views[name] = f32View{t}
	}
	pending, err := renameio.NewPendingFile(path, renameio.WithPermissions(0o644))
	if err != nil {
		return fileError(path, err)
	}
	defer pending.Cleanup()
	w := bufio.NewWriterSize(pending, 1<<20)
	if err := safetensors.SerializeToWriter(views, map[string]string{"format": "pt"}, w); err != nil {
		return fileError(path, err)
	}
	if err := w.Flush(); err != nil {
		return fileError(path, err)
	}
	if err := pending.CloseAtomicallyReplace(); err != nil {
		return fileError(path, err)
	}
	return nil
}
