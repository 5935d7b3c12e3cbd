package lang

import "fmt"

// Kind is the shape class of a value; see DESIGN.md §2.
type Kind int

const (
	Invalid Kind = iota
	Scalar
	Tensor
	ListScalar // list<scalar, F>: one number per module, behaves as a vector across modules
	ListTensor // list<tensor, F>: one tensor per module (ragged)
)

// Type is a value type. Family is set for lists only: it names what the list
// is indexed by (blocks, weights, softmax, input, ...). Lists combine entry
// by entry only within one family.
type Type struct {
	Kind   Kind
	Family string
}

var (
	ScalarType = Type{Kind: Scalar}
	TensorType = Type{Kind: Tensor}
)

// ListOf returns list<elem, family> for a scalar or tensor element kind.
func ListOf(elem Kind, family string) Type {
	if elem == Scalar {
		return Type{Kind: ListScalar, Family: family}
	}
	return Type{Kind: ListTensor, Family: family}
}

// IsList reports whether t is one of the list kinds.
func (t Type) IsList() bool { return t.Kind == ListScalar || t.Kind == ListTensor }

// Elem is the kind of one entry: the type itself for non-lists.
func (t Type) Elem() Kind {
	switch t.Kind {
	case ListScalar:
		return Scalar
	case ListTensor:
		return Tensor
	}
	return t.Kind
}

func (t Type) String() string {
	switch t.Kind {
	case Scalar:
		return "scalar"
	case Tensor:
		return "tensor"
	case ListScalar:
		return fmt.Sprintf("list<scalar,%s>", t.Family)
	case ListTensor:
		return fmt.Sprintf("list<tensor,%s>", t.Family)
	}
	return "invalid"
}
