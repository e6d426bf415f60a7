#include "baselines/regressors.hpp"

#include <algorithm>
#include <stdexcept>

#include "common/file_io.hpp"

namespace cast {

ModelBatch ModelBatch::to(const torch::Device& d) const {
  ModelBatch b = *this;
  b.graphs = graphs.to(d);
  if (token_ids.defined()) b.token_ids = token_ids.to(d, true);
  if (token_mask.defined()) b.token_mask = token_mask.to(d, true);
  if (targets.defined()) b.targets = targets.to(d, true);
  return b;
}

const std::vector<std::string>& model_kinds() {
  static const std::vector<std::string> k = {"cogn", "bert", "crysmmnet-frozen", "crysmmnet-lora",
                                             "multimat", "cast-scratch", "cast"};
  return k;
}
bool model_uses_text(const std::string& k) { return k != "cogn" && k != "multimat"; }

std::string model_summary(const std::string& k) {
  if (k == "cogn") return "coGN structure encoder alone + linear head";
  if (k == "bert") return "text encoder alone + linear head";
  if (k == "crysmmnet-frozen") return "graph and text embeddings concatenated, text encoder frozen";
  if (k == "crysmmnet-lora") return "graph and text embeddings concatenated, text encoder fine-tuned through LoRA";
  if (k == "multimat") return "coGN after contrastive (CLIP) pretraining against text, fine-tuned alone; needs --init-from";
  if (k == "cast-scratch") return "cross-attention fusion (node queries, token keys/values), no pretraining";
  if (k == "cast") return "cross-attention fusion after masked node prediction (MNP) pretraining; needs --init-from";
  return "?";
}

ModelDefaults model_defaults(const std::string& k, bool small_encoder) {
  ModelDefaults d;
  if (k == "bert" && small_encoder) {
    d.text_mode = "full";
    d.text_pooling = "mean";
    d.lr_text = 1e-3;
  }
  if (k == "cast") d.pretraining = "mnp";
  if (k == "multimat") d.pretraining = "contrastive";
  return d;
}
bool model_uses_graph(const std::string& k) { return k != "bert"; }

std::vector<torch::Tensor> Regressor::new_parameters() {
  auto text = text_parameters();
  std::vector<torch::Tensor> out;
  for (auto& p : parameters()) {
    bool is_text = false;
    for (auto& t : text) is_text = is_text || t.is_same(p);
    if (!is_text && p.requires_grad()) out.push_back(p);
  }
  return out;
}

ProjectionHeadImpl::ProjectionHeadImpl(int64_t in, int64_t out, double p) : dropout(p) {
  proj = register_module("proj", torch::nn::Linear(in, out));
  fc = register_module("fc", torch::nn::Linear(out, out));
  norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({out})));
}
torch::Tensor ProjectionHeadImpl::forward(const torch::Tensor& x) {
  auto p = proj(x);
  return norm(torch::dropout(fc(torch::gelu(p)), dropout, is_training()) + p);
}

namespace {

models::BertModel load_text_encoder(const ModelConfig& c, const std::string& default_mode) {
  if (c.text_encoder.empty())
    throw std::invalid_argument("model '" + c.kind + "' reads text: give --text-encoder DIR (a MatSciBERT directory or "
                                "a domain LM from 'cast lm pretrain')");
  auto lm = c.load_text_weights
                ? models::load_bert_checkpoint(c.text_encoder)
                : models::BertForMaskedLM(models::BertConfig::from_json(read_file(c.text_encoder + "/config.json"),
                                                                        c.text_encoder + "/config.json"));
  auto bert = lm->bert;
  models::set_text_encoder_mode(bert, c.text_mode.empty() ? default_mode : c.text_mode, c.lora_r, c.lora_alpha,
                                c.lora_dropout, {"query", "value"});
  return bert;
}

// The pretrained encoder's own trainable weights (full fine-tuning): they get the text
// learning rate. LoRA adapters are new modules and train at the new-module rate (SPEC §0.2:
// 5e-4 new, 5e-5 pretrained); at 5e-5 an adapter barely moves in a short run.
std::vector<torch::Tensor> trainable(models::BertModel& bert) {
  std::vector<torch::Tensor> out;
  for (auto& kv : bert->named_parameters())
    if (kv.value().requires_grad() && kv.key().find("lora_") == std::string::npos) out.push_back(kv.value());
  return out;
}

class CoGNRegressor : public Regressor {
 public:
  explicit CoGNRegressor(const ModelConfig& c) { cogn = register_module("cogn", models::CoGN(c.cogn)); }
  torch::Tensor predict(const ModelBatch& b) override { return cogn->forward(b.graphs); }
  models::CoGN cogn{nullptr};
};

class BertRegressor : public Regressor {
 public:
  explicit BertRegressor(const ModelConfig& c) : mean_pooling(c.text_pooling == "mean") {
    if (c.text_pooling != "cls" && c.text_pooling != "mean")
      throw std::invalid_argument("text pooling '" + c.text_pooling + "'; valid: cls, mean");
    bert = register_module("bert", load_text_encoder(c, "lora"));
    head = register_module("head", torch::nn::Linear(bert->config.hidden_size, 1));
  }
  torch::Tensor predict(const ModelBatch& b) override {
    auto hidden = bert->forward(b.token_ids, b.token_mask).last_hidden_state;
    return head(mean_pooling ? models::masked_mean(hidden, b.token_mask) : hidden.select(1, 0)).squeeze(-1);
  }
  bool mean_pooling = false;
  std::vector<torch::Tensor> text_parameters() override { return trainable(bert); }
  models::BertModel bert{nullptr};
  torch::nn::Linear head{nullptr};
};

class CrysMMNetRegressor : public Regressor {
 public:
  CrysMMNetRegressor(const ModelConfig& c, const std::string& mode) {
    cogn = register_module("cogn", models::CoGN(c.cogn));
    bert = register_module("bert", load_text_encoder(c, mode));
    graph_head = register_module("graph_head", ProjectionHead(c.cogn.units));
    text_head = register_module("text_head", ProjectionHead(bert->config.hidden_size));
    fc1 = register_module("fc1", torch::nn::Linear(128, 64));
    fc2 = register_module("fc2", torch::nn::Linear(64, 1));
  }
  torch::Tensor predict(const ModelBatch& b) override {
    auto g = cogn->readout(b.graphs, cogn->node_states(b.graphs));
    torch::Tensor t = bert->forward(b.token_ids, b.token_mask).last_hidden_state.select(1, 0);
    auto z = torch::cat({graph_head(g), text_head(t)}, -1);
    return fc2(torch::relu(fc1(z))).squeeze(-1);
  }
  std::vector<torch::Tensor> text_parameters() override { return trainable(bert); }
  models::CoGN cogn{nullptr};
  models::BertModel bert{nullptr};
  ProjectionHead graph_head{nullptr}, text_head{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};

class CastRegressor : public Regressor {
 public:
  explicit CastRegressor(const ModelConfig& c) {
    cogn = register_module("cogn", models::CoGN(c.cogn));
    bert = register_module("bert", load_text_encoder(c, "lora"));
    auto fo = c.fusion;
    fo.dim = c.cogn.units;
    fo.text_dim = bert->config.hidden_size;
    fusion = register_module("fusion", models::CrossAttentionFusion(fo));
    head = register_module("head", torch::nn::Linear(fo.dim, 1));
    mnp_head = register_module("mnp_head", torch::nn::Linear(fo.dim, 118));
  }
  torch::Tensor node_states(const ModelBatch& b) { return cogn->node_states(b.graphs); }
  torch::Tensor token_states(const ModelBatch& b) { return bert->forward(b.token_ids, b.token_mask).last_hidden_state; }
  torch::Tensor fuse(const ModelBatch& b, const torch::Tensor& nodes, const torch::Tensor& tokens, bool keep_attention) {
    return fusion->forward(nodes, b.graphs.graph_index, b.graphs.num_graphs, tokens, b.token_mask, keep_attention,
                           b.graphs.max_nodes);
  }
  torch::Tensor head_of(const ModelBatch& b, const torch::Tensor& fused) {
    return head(cogn->readout(b.graphs, fused)).squeeze(-1);
  }
  torch::Tensor fused_nodes(const ModelBatch& b, bool keep_attention = false) {
    return fuse(b, node_states(b), token_states(b), keep_attention);
  }
  torch::Tensor predict(const ModelBatch& b) override { return head_of(b, fused_nodes(b)); }
  std::vector<torch::Tensor> text_parameters() override { return trainable(bert); }
  models::CoGN cogn{nullptr};
  models::BertModel bert{nullptr};
  models::CrossAttentionFusion fusion{nullptr};
  torch::nn::Linear head{nullptr}, mnp_head{nullptr};
};

}  // namespace

torch::Tensor mnp_logits(Regressor& m, const ModelBatch& b) {
  auto* c = dynamic_cast<CastRegressor*>(&m);
  if (!c) throw std::invalid_argument("masked-node prediction needs a CAST model");
  return c->mnp_head(c->fused_nodes(b));
}

CastForwardParts cast_forward_parts(Regressor& m, const ModelBatch& b) {
  auto* c = dynamic_cast<CastRegressor*>(&m);
  if (!c) throw std::invalid_argument("the forward parts are a CAST model's");
  CastForwardParts parts;
  parts.graph = [c, &b] { return c->node_states(b); };
  parts.text = [c, &b] { return c->token_states(b); };
  parts.fuse_and_head = [c, &b](const torch::Tensor& nodes, const torch::Tensor& tokens) {
    return c->head_of(b, c->fuse(b, nodes, tokens, false));
  };
  return parts;
}

std::vector<torch::Tensor> cast_attention(Regressor& m, const ModelBatch& b) {
  auto* c = dynamic_cast<CastRegressor*>(&m);
  if (!c) throw std::invalid_argument("attention maps need a CAST model");
  c->fused_nodes(b, /*keep_attention=*/true);
  return c->fusion->attention;
}

ContrastivePairImpl::ContrastivePairImpl(const ModelConfig& c) {
  cogn = register_module("cogn", models::CoGN(c.cogn));
  bert = register_module("bert", load_text_encoder(c, "frozen"));
  graph_proj = register_module("graph_proj", torch::nn::Linear(c.cogn.units, 128));
  const int64_t h = bert->config.hidden_size;
  text_mlp = register_module("text_mlp", torch::nn::Sequential(torch::nn::Linear(h, 512), torch::nn::ReLU(),
                                                               torch::nn::Linear(512, 512), torch::nn::ReLU(),
                                                               torch::nn::Linear(512, 128)));
}

std::pair<torch::Tensor, torch::Tensor> ContrastivePairImpl::embed(const ModelBatch& b) {
  auto g = graph_proj(cogn->readout(b.graphs, cogn->node_states(b.graphs)));
  torch::Tensor cls;
  {
    torch::NoGradGuard ng;  // the text encoder is frozen, as MultiMat's precomputed embeddings
    bert->eval();
    cls = bert->forward(b.token_ids, b.token_mask).last_hidden_state.select(1, 0);
  }
  return {g, text_mlp->forward(cls)};
}

void require_model_kind(const std::string& kind) {
  if (std::find(model_kinds().begin(), model_kinds().end(), kind) != model_kinds().end()) return;
  std::string valid;
  for (const auto& k : model_kinds()) valid += (valid.empty() ? "" : ", ") + k;
  throw std::invalid_argument("unknown model '" + kind + "'; valid models: " + valid);
}

std::shared_ptr<Regressor> make_regressor(const ModelConfig& c) {
  require_model_kind(c.kind);
  if (c.kind == "cogn" || c.kind == "multimat") return std::make_shared<CoGNRegressor>(c);
  if (c.kind == "bert") return std::make_shared<BertRegressor>(c);
  if (c.kind == "crysmmnet-frozen") return std::make_shared<CrysMMNetRegressor>(c, "frozen");
  if (c.kind == "crysmmnet-lora") return std::make_shared<CrysMMNetRegressor>(c, "lora");
  return std::make_shared<CastRegressor>(c);  // cast-scratch, cast
}

}  // namespace cast
