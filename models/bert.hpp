// BERT exactly as Hugging Face's BertModel / BertForMaskedLM (SPEC §2.4-2.5): post-LN, erf
// GELU, LayerNorm eps from the config (1e-12), absolute positions, token type 0. Module and
// parameter names equal HF's, so a checkpoint's keys map one to one ("bert." optional,
// legacy gamma/beta accepted). No file I/O here beyond the checkpoint helpers at the end.
#pragma once
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "models/lora.hpp"

namespace cast::models {

struct BertConfig {
  int64_t vocab_size = 30522, hidden_size = 768, num_hidden_layers = 12, num_attention_heads = 12,
          intermediate_size = 3072, max_position_embeddings = 512, type_vocab_size = 2, pad_token_id = 0;
  double layer_norm_eps = 1e-12, hidden_dropout_prob = 0.1, attention_probs_dropout_prob = 0.1,
         initializer_range = 0.02;
  std::string hidden_act = "gelu";
  static BertConfig from_json(const std::string& json_text, const std::string& where);
  std::string to_json() const;  // a config.json transformers reads (BertForMaskedLM)
};

struct BertEmbeddingsImpl : torch::nn::Module {
  explicit BertEmbeddingsImpl(const BertConfig& c);
  torch::Tensor forward(const torch::Tensor& ids);
  torch::nn::Embedding word_embeddings{nullptr}, position_embeddings{nullptr}, token_type_embeddings{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
  double dropout;
};
TORCH_MODULE(BertEmbeddings);

struct BertSelfAttentionImpl : torch::nn::Module {
  explicit BertSelfAttentionImpl(const BertConfig& c);
  // mask_add: [B, 1, 1, L] additive mask (0 or a large negative).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask_add);
  LoRALinear query{nullptr}, key{nullptr}, value{nullptr};
  int64_t heads, head_dim;
  double dropout;
};
TORCH_MODULE(BertSelfAttention);

struct BertDenseLNImpl : torch::nn::Module {  // HF's BertSelfOutput / BertOutput
  BertDenseLNImpl(int64_t in, int64_t out, double eps, double dropout);
  torch::Tensor forward(const torch::Tensor& h, const torch::Tensor& residual);
  torch::nn::Linear dense{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
  double dropout;
};
TORCH_MODULE(BertDenseLN);

struct BertAttentionImpl : torch::nn::Module {
  explicit BertAttentionImpl(const BertConfig& c);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask_add);
  BertSelfAttention self{nullptr};
  BertDenseLN output{nullptr};
};
TORCH_MODULE(BertAttention);

struct BertIntermediateImpl : torch::nn::Module {
  explicit BertIntermediateImpl(const BertConfig& c);
  torch::Tensor forward(const torch::Tensor& x) { return torch::gelu(dense(x)); }
  torch::nn::Linear dense{nullptr};
};
TORCH_MODULE(BertIntermediate);

struct BertLayerImpl : torch::nn::Module {
  explicit BertLayerImpl(const BertConfig& c);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask_add);
  BertAttention attention{nullptr};
  BertIntermediate intermediate{nullptr};
  BertDenseLN output{nullptr};
};
TORCH_MODULE(BertLayer);

struct BertOutputs {
  torch::Tensor last_hidden_state;  // [B, L, H]
  torch::Tensor embeddings_output;  // [B, L, H]
};

struct BertModelImpl : torch::nn::Module {
  explicit BertModelImpl(const BertConfig& c);
  // ids, mask: [B, L] int64; mask 1 = token, 0 = padding; an undefined mask means no padding.
  BertOutputs forward(const torch::Tensor& ids, const torch::Tensor& mask);
  BertEmbeddings embeddings{nullptr};
  torch::nn::ModuleList layers{nullptr};  // registered as encoder.layer
  BertConfig config;
};
TORCH_MODULE(BertModel);

struct BertForMaskedLMImpl : torch::nn::Module {
  explicit BertForMaskedLMImpl(const BertConfig& c);
  // MLM logits [B, L, V] (decoder tied to the word embeddings).
  torch::Tensor mlm_logits(const torch::Tensor& hidden);
  BertModel bert{nullptr};
  torch::nn::Linear transform_dense{nullptr};
  torch::nn::LayerNorm transform_LayerNorm{nullptr};
  torch::Tensor decoder_bias;
};
TORCH_MODULE(BertForMaskedLM);

// Mean of the hidden states over the real tokens (mask 1), [B, L, H] -> [B, H]: the text vector
// of an MLM-only encoder, whose [CLS] is never trained.
inline torch::Tensor masked_mean(const torch::Tensor& hidden, const torch::Tensor& mask) {
  auto w = mask.to(hidden.dtype()).unsqueeze(-1);
  return (hidden * w).sum(1) / w.sum(1).clamp_min(1.0);
}

// HF's _init_weights: normal(0, initializer_range) for Linear and Embedding weights, zero bias
// (padding row zero), LayerNorm 1/0. LoRA tensors keep their own init.
void init_bert_weights(torch::nn::Module& m, double std);

// Which parameters train: "frozen" (none of the encoder), "lora" (only lora_A/B; adapters are
// added to `targets`, e.g. {"query", "value"}), "full" (all).
void set_text_encoder_mode(BertModel& bert, const std::string& mode, int64_t r, double alpha,
                           double dropout, const std::vector<std::string>& targets);

// Copies tensors into the model's parameters by name; accepts keys with or without "bert.",
// legacy gamma/beta, and ignores buffers such as position_ids and pooler/NSP heads.
// Throws std::runtime_error naming the tensor and both shapes on a mismatch, or the first
// missing tensor. LoRA tensors are loaded from peft names when present.
void load_bert_state(torch::nn::Module& model, const std::map<std::string, torch::Tensor>& tensors,
                     const std::string& where, bool allow_missing_mlm_head = true);
std::map<std::string, torch::Tensor> bert_state(torch::nn::Module& model, bool include_lora);
// Loads only the LoRA tensors (peft names accepted); every enabled adapter must be present.
void load_lora_adapter(torch::nn::Module& model, const std::map<std::string, torch::Tensor>& tensors,
                       const std::string& where);
// The LoRA tensors under peft's names ("...query.lora_A.default.weight"), for peft to load.
std::map<std::string, torch::Tensor> lora_state_peft(torch::nn::Module& model);

// A Hugging Face checkpoint directory: config.json + model.safetensors (+ vocab.txt, copied by
// the caller).
BertForMaskedLM load_bert_checkpoint(const std::string& dir);
// Only its config.json (an error naming the directory when there is none).
BertConfig load_bert_config(const std::string& dir);
void save_bert_checkpoint(BertForMaskedLM& model, const std::string& dir);

}  // namespace cast::models
