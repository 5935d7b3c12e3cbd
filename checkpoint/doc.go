// Package checkpoint reads and writes Hugging Face LLaMA checkpoint
// directories and PEFT LoRA adapter directories as float32 tensors.
//
// A LLaMA checkpoint is a directory holding config.json (transformers'
// LlamaConfig, see LlamaConfig) and its weights in safetensors: one
// model.safetensors, or shards listed by model.safetensors.index.json,
// whose "weight_map" maps each tensor name to its shard file. A
// safetensors file is an 8-byte little-endian header length, a JSON header
// giving each tensor's dtype, shape and data_offsets, and the raw
// little-endian data; github.com/nlpodyssey/safetensors parses and writes
// it. Tensors keep their Hugging Face names and orientation
// (model.layers.{i}.self_attn.q_proj.weight is (out, in); LlamaShapes lists
// them all). F32, F16 and BF16 weights are read, any other dtype (F64
// included: transformers never stores LLaMA weights so) is refused;
// WriteLlama writes F32.
//
// A LoRA adapter is a directory holding adapter_config.json (see
// LoraConfig) and adapter_model.safetensors, with PEFT's names
// base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight (r, in)
// and ….lora_B.weight (out, r); the adapted weight is W + Scale()·B·A.
// The projections adapted may be q_proj, k_proj, v_proj, gate_proj and
// up_proj, the ones the runtime's LoRA implements.
//
// Readers check a directory completely: every tensor present with its
// exact shape, none beyond (but the rotary inv_freq buffers of old
// checkpoints, which are dropped), no data past the end of a file, and a
// config of a model the runtime implements: multi-head attention (no
// grouped-query), SiLU, no biases, plain RoPE. Every error of a function
// that reads or writes files is an *Error naming the file and, when there
// is one, the tensor. Writers check what they write the same way and
// replace a checkpoint so that a crash leaves the old one, the new one, or
// none, never a mix.
//
// Meta's LLaMA-2-7B as published by transformers (meta-llama/Llama-2-7b-hf)
// is such a directory: config.json with hidden_size 4096, 32 layers and 32
// heads, torch_dtype "float16", and two F16 shards of about 13.5 GB together
// (other uploads hold BF16). ReadLlama maps one shard at a time and holds
// its 6.7 billion weights as float32, about 27 GB. LLaMA-2-70B and
// LLaMA 3 use grouped-query attention and are refused.
package checkpoint
