// The seven Table-1 models behind one interface (SPEC §0-5): each maps a batch of structures
// (coGN graphs) and their texts (token ids) to one prediction per structure.
//   cogn             coGN + linear head
//   bert             text encoder + linear head on [CLS]
//   crysmmnet-frozen concat of 64-d projections of coGN readout and [CLS], frozen text encoder
//   crysmmnet-lora   the same, text encoder through LoRA adapters
//   multimat         coGN after CLIP pretraining against text, fine-tuned alone
//   cast-scratch     cross-attention fusion (node queries, token keys/values), no pretraining
//   cast             the same after masked-node-prediction pretraining
#pragma once
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/bert.hpp"
#include "models/cogn.hpp"
#include "models/fusion.hpp"

namespace cast {

struct ModelBatch {
  models::GraphBatch graphs;
  torch::Tensor token_ids, token_mask;  // [B, L] int64 (undefined for structure-only models)
  torch::Tensor targets;                // [B] standardised
  std::vector<std::size_t> rows;        // dataset record indices, for messages and predictions
  ModelBatch to(const torch::Device& d) const;
};

struct ModelConfig {
  std::string kind = "cogn";
  std::string text_encoder;             // HF checkpoint directory
  std::string text_mode;                // frozen | lora | full (default per model)
  std::string text_pooling = "cls";     // BERT-only: cls (the paper) | mean (over tokens)
  bool load_text_weights = true;        // false: architecture from config.json only (weights come later)
  int64_t lora_r = 8;
  double lora_alpha = 8, lora_dropout = 0.0;
  models::CoGNOptions cogn;
  models::FusionOptions fusion;
};

const std::vector<std::string>& model_kinds();
// What each model is, in a line (for 'cast models').
std::string model_summary(const std::string& kind);

// Each model's working defaults: what 'cast train --model M' uses when the option is not given,
// and what the Table 1 recipe relies on. `small_encoder`: the text encoder is the small domain
// LM of the demo and small profiles (2 x 128), which BERT-only fine-tunes in full, mean-pooled,
// at 1e-3 to learn at all (DEVIATIONS 18); MatSciBERT at paper size keeps the paper's [CLS].
struct ModelDefaults {
  std::string text_mode, text_pooling = "cls";
  double lr_text = 0;                  // 0: the trainer's
  std::string pretraining;             // "mnp" | "contrastive": the model is defined by it (needs --init-from)
};
ModelDefaults model_defaults(const std::string& kind, bool small_encoder);
bool model_uses_text(const std::string& kind);
bool model_uses_graph(const std::string& kind);

class Regressor : public torch::nn::Module {
 public:
  // Predictions [B] in standardised units.
  virtual torch::Tensor predict(const ModelBatch& b) = 0;
  // Parameters of the pretrained text encoder (their own learning rate); others are "new".
  virtual std::vector<torch::Tensor> text_parameters() { return {}; }
  std::vector<torch::Tensor> new_parameters();
};

// Throws std::invalid_argument listing the valid kinds for an unknown one.
void require_model_kind(const std::string& kind);
std::shared_ptr<Regressor> make_regressor(const ModelConfig& cfg);

// Masked-node prediction logits [N, 118] of a CAST model (fused node states -> linear).
torch::Tensor mnp_logits(Regressor& cast_model, const ModelBatch& b);
// Attention maps of a CAST model's fusion for one batch: per layer [B, heads, Nmax, L].
std::vector<torch::Tensor> cast_attention(Regressor& cast_model, const ModelBatch& b);
// A CAST model's forward pass in its parts (cast calibrate times them): the graph encoder's node
// states, the text encoder's token states, and the fusion, readout and head on given ones
// (predict(b) == fuse_and_head(graph(), text())); b must outlive them.
struct CastForwardParts {
  std::function<torch::Tensor()> graph, text;
  std::function<torch::Tensor(const torch::Tensor& nodes, const torch::Tensor& tokens)> fuse_and_head;
};
CastForwardParts cast_forward_parts(Regressor& cast_model, const ModelBatch& b);

// MultiMat's contrastive pair (SPEC §4): coGN readout -> Linear(128, 128); frozen text
// encoder [CLS] -> MLP(H, 512, 512, 128). The coGN is registered as "cogn" so that a coGN
// regressor can start from its weights.
struct ContrastivePairImpl : torch::nn::Module {
  explicit ContrastivePairImpl(const ModelConfig& cfg);
  std::pair<torch::Tensor, torch::Tensor> embed(const ModelBatch& b);  // graph, text: [B, 128]
  models::CoGN cogn{nullptr};
  models::BertModel bert{nullptr};
  torch::nn::Linear graph_proj{nullptr};
  torch::nn::Sequential text_mlp{nullptr};
};
TORCH_MODULE(ContrastivePair);

// 64-d projection head of CrysMMNet: p = Linear(in, 64)(x); LN(Dropout(Linear(64, 64)(GELU(p))) + p).
struct ProjectionHeadImpl : torch::nn::Module {
  ProjectionHeadImpl(int64_t in, int64_t out = 64, double dropout = 0.1);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Linear proj{nullptr}, fc{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  double dropout;
};
TORCH_MODULE(ProjectionHead);

}  // namespace cast
