package runtime

// Model code versions. They are part of every capture cache key: bump one
// whenever a change to that family's model, initialisation or capture would
// change the captured tensors, so stale cache entries are never reused.
const (
	GPT2ModelVersion      = "gpt2-flex/1"
	FlexiBERTModelVersion = "flexibert/1"
)
