#include "models/bert.hpp"

#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/stat.h>

#include "models/safetensors.hpp"
#include "models/torch_pickle.hpp"

namespace cast::models {

namespace F = torch::nn::functional;

BertConfig BertConfig::from_json(const std::string& text, const std::string& where) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw std::runtime_error(where + ": config.json is not a JSON object");
  BertConfig c;
  auto get = [&](const char* k, auto& v) {
    if (j.contains(k) && !j[k].is_null()) v = j[k].get<std::decay_t<decltype(v)>>();
  };
  get("vocab_size", c.vocab_size);
  get("hidden_size", c.hidden_size);
  get("num_hidden_layers", c.num_hidden_layers);
  get("num_attention_heads", c.num_attention_heads);
  get("intermediate_size", c.intermediate_size);
  get("max_position_embeddings", c.max_position_embeddings);
  get("type_vocab_size", c.type_vocab_size);
  get("pad_token_id", c.pad_token_id);
  get("layer_norm_eps", c.layer_norm_eps);
  get("hidden_dropout_prob", c.hidden_dropout_prob);
  get("attention_probs_dropout_prob", c.attention_probs_dropout_prob);
  get("initializer_range", c.initializer_range);
  get("hidden_act", c.hidden_act);
  if (c.hidden_act != "gelu")
    throw std::runtime_error(where + ": hidden_act '" + c.hidden_act + "' is not supported (only erf 'gelu')");
  if (c.hidden_size % c.num_attention_heads != 0)
    throw std::runtime_error(where + ": hidden_size is not a multiple of num_attention_heads");
  return c;
}

std::string BertConfig::to_json() const {
  nlohmann::json j = {{"architectures", {"BertForMaskedLM"}}, {"model_type", "bert"},
                      {"vocab_size", vocab_size}, {"hidden_size", hidden_size},
                      {"num_hidden_layers", num_hidden_layers}, {"num_attention_heads", num_attention_heads},
                      {"intermediate_size", intermediate_size}, {"max_position_embeddings", max_position_embeddings},
                      {"type_vocab_size", type_vocab_size}, {"pad_token_id", pad_token_id},
                      {"layer_norm_eps", layer_norm_eps}, {"hidden_dropout_prob", hidden_dropout_prob},
                      {"attention_probs_dropout_prob", attention_probs_dropout_prob},
                      {"initializer_range", initializer_range}, {"hidden_act", hidden_act},
                      {"position_embedding_type", "absolute"}, {"tie_word_embeddings", true}};
  return j.dump(2);
}

BertEmbeddingsImpl::BertEmbeddingsImpl(const BertConfig& c) : dropout(c.hidden_dropout_prob) {
  word_embeddings = register_module("word_embeddings", torch::nn::Embedding(c.vocab_size, c.hidden_size));
  position_embeddings = register_module("position_embeddings", torch::nn::Embedding(c.max_position_embeddings, c.hidden_size));
  token_type_embeddings = register_module("token_type_embeddings", torch::nn::Embedding(c.type_vocab_size, c.hidden_size));
  LayerNorm = register_module("LayerNorm", torch::nn::LayerNorm(
      torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps)));
}

torch::Tensor BertEmbeddingsImpl::forward(const torch::Tensor& ids) {
  const int64_t L = ids.size(1);
  auto pos = torch::arange(L, ids.options().dtype(torch::kLong));
  auto x = word_embeddings(ids) + position_embeddings(pos).unsqueeze(0) +
           token_type_embeddings->weight[0].view({1, 1, -1});
  return torch::dropout(LayerNorm(x), dropout, is_training());
}

BertSelfAttentionImpl::BertSelfAttentionImpl(const BertConfig& c)
    : heads(c.num_attention_heads), head_dim(c.hidden_size / c.num_attention_heads),
      dropout(c.attention_probs_dropout_prob) {
  query = register_module("query", LoRALinear(c.hidden_size, c.hidden_size));
  key = register_module("key", LoRALinear(c.hidden_size, c.hidden_size));
  value = register_module("value", LoRALinear(c.hidden_size, c.hidden_size));
}

torch::Tensor BertSelfAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& mask_add) {
  const int64_t B = x.size(0), L = x.size(1);
  auto split = [&](const torch::Tensor& t) { return t.view({B, L, heads, head_dim}).transpose(1, 2); };
  auto q = split(query(x)), k = split(key(x)), v = split(value(x));
  torch::Tensor ctx;
#if defined(TORCH_VERSION_MAJOR) && TORCH_VERSION_MAJOR >= 2
  // Fused attention (flash / memory-efficient kernels on CUDA).
  ctx = at::scaled_dot_product_attention(q, k, v, mask_add.defined() ? c10::optional<at::Tensor>(mask_add.to(q.dtype()))
                                                                     : c10::optional<at::Tensor>(),
                                         is_training() ? dropout : 0.0);
#else
  auto scores = torch::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(head_dim));
  if (mask_add.defined()) scores = scores + mask_add.to(scores.dtype());
  auto p = torch::dropout(torch::softmax(scores, -1), dropout, is_training());
  ctx = torch::matmul(p, v);
#endif
  return ctx.transpose(1, 2).reshape({B, L, heads * head_dim});
}

BertDenseLNImpl::BertDenseLNImpl(int64_t in, int64_t out, double eps, double p) : dropout(p) {
  dense = register_module("dense", torch::nn::Linear(in, out));
  LayerNorm = register_module("LayerNorm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({out}).eps(eps)));
}

torch::Tensor BertDenseLNImpl::forward(const torch::Tensor& h, const torch::Tensor& residual) {
  return LayerNorm(torch::dropout(dense(h), dropout, is_training()) + residual);
}

BertAttentionImpl::BertAttentionImpl(const BertConfig& c) {
  self = register_module("self", BertSelfAttention(c));
  output = register_module("output", BertDenseLN(c.hidden_size, c.hidden_size, c.layer_norm_eps, c.hidden_dropout_prob));
}

torch::Tensor BertAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& mask_add) {
  return output(self(x, mask_add), x);
}

BertIntermediateImpl::BertIntermediateImpl(const BertConfig& c) {
  dense = register_module("dense", torch::nn::Linear(c.hidden_size, c.intermediate_size));
}

BertLayerImpl::BertLayerImpl(const BertConfig& c) {
  attention = register_module("attention", BertAttention(c));
  intermediate = register_module("intermediate", BertIntermediate(c));
  output = register_module("output", BertDenseLN(c.intermediate_size, c.hidden_size, c.layer_norm_eps, c.hidden_dropout_prob));
}

torch::Tensor BertLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& mask_add) {
  auto h = attention(x, mask_add);
  return output(intermediate(h), h);
}

namespace {
struct Container : torch::nn::Module {};
}  // namespace

BertModelImpl::BertModelImpl(const BertConfig& c) : config(c) {
  embeddings = register_module("embeddings", BertEmbeddings(c));
  auto encoder = register_module("encoder", std::make_shared<Container>());
  layers = encoder->register_module("layer", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) layers->push_back(BertLayer(c));
}

BertOutputs BertModelImpl::forward(const torch::Tensor& ids, const torch::Tensor& mask) {
  BertOutputs out;
  out.embeddings_output = embeddings(ids);
  auto x = out.embeddings_output;
  // HF: (1 - mask) * finfo(dtype).min, broadcast over heads and query positions. An undefined
  // mask means no padding: no additive mask at all, which lets fused kernels take the fast path.
  torch::Tensor mask_add;
  if (mask.defined())
    mask_add = (1.0 - mask.to(x.dtype())).view({mask.size(0), 1, 1, mask.size(1)}) *
               std::numeric_limits<float>::lowest();
  for (const auto& layer : *layers) x = layer->as<BertLayer>()->forward(x, mask_add);
  out.last_hidden_state = x;
  return out;
}

BertForMaskedLMImpl::BertForMaskedLMImpl(const BertConfig& c) {
  bert = register_module("bert", BertModel(c));
  auto cls = register_module("cls", std::make_shared<Container>());
  auto predictions = cls->register_module("predictions", std::make_shared<Container>());
  auto transform = predictions->register_module("transform", std::make_shared<Container>());
  transform_dense = transform->register_module("dense", torch::nn::Linear(c.hidden_size, c.hidden_size));
  transform_LayerNorm = transform->register_module(
      "LayerNorm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps)));
  decoder_bias = predictions->register_parameter("bias", torch::zeros({c.vocab_size}));
}

torch::Tensor BertForMaskedLMImpl::mlm_logits(const torch::Tensor& hidden) {
  auto h = transform_LayerNorm(torch::gelu(transform_dense(hidden)));
  return F::linear(h, bert->embeddings->word_embeddings->weight, decoder_bias);
}

void init_bert_weights(torch::nn::Module& m, double std) {
  torch::NoGradGuard g;
  for (auto& kv : m.named_parameters()) {
    const std::string& name = kv.key();
    auto& p = kv.value();
    if (name.find("lora_") != std::string::npos) continue;
    if (name.find("LayerNorm.weight") != std::string::npos) p.fill_(1.0);
    else if (name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0) p.zero_();
    else p.normal_(0.0, std);
  }
}

void set_text_encoder_mode(BertModel& bert, const std::string& mode, int64_t r, double alpha,
                           double dropout, const std::vector<std::string>& targets) {
  if (mode != "frozen" && mode != "lora" && mode != "full")
    throw std::invalid_argument("text encoder mode '" + mode + "'; valid: frozen, lora, full");
  if (mode == "lora") {
    for (const auto& layer : *bert->layers) {
      auto self = layer->as<BertLayer>()->attention->self;
      for (const auto& t : targets) {
        if (t == "query") self->query->enable_lora(r, alpha, dropout);
        else if (t == "key") self->key->enable_lora(r, alpha, dropout);
        else if (t == "value") self->value->enable_lora(r, alpha, dropout);
        else throw std::invalid_argument("LoRA target '" + t + "'; valid: query, key, value");
      }
    }
  }
  for (auto& kv : bert->named_parameters()) {
    const bool is_lora = kv.key().find("lora_") != std::string::npos;
    kv.value().set_requires_grad(mode == "full" || (mode == "lora" && is_lora));
  }
}

namespace {
std::string peft_to_ours(std::string k) {
  const std::string prefix = "base_model.model.";
  if (k.rfind(prefix, 0) == 0) k = k.substr(prefix.size());
  for (const char* ab : {"lora_A", "lora_B"}) {
    const std::string from = std::string(".") + ab + ".default.weight";
    auto p = k.find(from);
    if (p != std::string::npos) k = k.substr(0, p) + "." + ab;
    const std::string from2 = std::string(".") + ab + ".weight";
    p = k.find(from2);
    if (p != std::string::npos) k = k.substr(0, p) + "." + ab;
  }
  return k;
}
std::string legacy(std::string k) {
  auto rep = [&](const std::string& a, const std::string& b) {
    if (k.size() >= a.size() && k.compare(k.size() - a.size(), a.size(), a) == 0)
      k = k.substr(0, k.size() - a.size()) + b;
  };
  rep(".gamma", ".weight");
  rep(".beta", ".bias");
  return k;
}
// A checkpoint's tensors under our parameter names: peft and legacy names mapped, reachable
// with and without the "bert." prefix.
std::map<std::string, const torch::Tensor*> index_by_our_names(const std::map<std::string, torch::Tensor>& tensors) {
  std::map<std::string, const torch::Tensor*> by_name;
  for (const auto& [k0, t] : tensors) {
    std::string k = legacy(peft_to_ours(k0));
    by_name[k] = &t;
    if (k.rfind("bert.", 0) == 0) by_name.emplace(k.substr(5), &t);
    else by_name.emplace("bert." + k, &t);
  }
  return by_name;
}
std::string shape_str(const torch::Tensor& t) {
  std::ostringstream os;
  os << t.sizes();
  return os.str();
}
}  // namespace

void load_bert_state(torch::nn::Module& model, const std::map<std::string, torch::Tensor>& tensors,
                     const std::string& where, bool allow_missing_mlm_head) {
  const auto by_name = index_by_our_names(tensors);
  torch::NoGradGuard g;
  for (auto& kv : model.named_parameters()) {
    const std::string& name = kv.key();
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      const bool lora = name.find("lora_") != std::string::npos;
      const bool head = name.rfind("cls.", 0) == 0;
      if (lora || (head && allow_missing_mlm_head)) continue;
      throw std::runtime_error(where + ": checkpoint has no tensor '" + name + "'");
    }
    const torch::Tensor& src = *it->second;
    if (src.sizes() != kv.value().sizes())
      throw std::runtime_error(where + ": tensor '" + name + "' has shape " + shape_str(src) +
                               " in the checkpoint but the model expects " + shape_str(kv.value()));
    kv.value().copy_(src.to(kv.value().dtype()));
  }
}

std::map<std::string, torch::Tensor> bert_state(torch::nn::Module& model, bool include_lora) {
  std::map<std::string, torch::Tensor> out;
  for (auto& kv : model.named_parameters()) {
    const bool lora = kv.key().find("lora_") != std::string::npos;
    if (lora && !include_lora) continue;
    out[kv.key()] = kv.value().detach();
  }
  return out;
}

void load_lora_adapter(torch::nn::Module& model, const std::map<std::string, torch::Tensor>& tensors,
                       const std::string& where) {
  const auto by_name = index_by_our_names(tensors);
  torch::NoGradGuard g;
  int loaded = 0;
  for (auto& kv : model.named_parameters()) {
    if (kv.key().find("lora_") == std::string::npos) continue;
    auto it = by_name.find(kv.key());
    if (it == by_name.end()) throw std::runtime_error(where + ": adapter has no tensor for '" + kv.key() + "'");
    if (it->second->sizes() != kv.value().sizes())
      throw std::runtime_error(where + ": adapter tensor '" + kv.key() + "' has shape " + shape_str(*it->second) +
                               " but the model expects " + shape_str(kv.value()) + " (different r?)");
    kv.value().copy_(it->second->to(kv.value().dtype()));
    ++loaded;
  }
  if (loaded == 0) throw std::runtime_error(where + ": the model has no LoRA adapters enabled to load into");
}

std::map<std::string, torch::Tensor> lora_state_peft(torch::nn::Module& model) {
  std::map<std::string, torch::Tensor> out;
  for (auto& kv : model.named_parameters()) {
    const std::string& k = kv.key();
    for (const char* ab : {".lora_A", ".lora_B"})
      if (k.size() > 7 && k.compare(k.size() - 7, 7, ab) == 0) {
        std::string name = k.rfind("bert.", 0) == 0 ? k : "bert." + k;
        out["base_model.model." + name + ".default.weight"] = kv.value().detach();
      }
  }
  return out;
}

BertConfig load_bert_config(const std::string& dir) {
  std::ifstream cf(dir + "/config.json");
  if (!cf) throw std::runtime_error(dir + ": no config.json (expected a Hugging Face BERT checkpoint directory)");
  std::stringstream ss;
  ss << cf.rdbuf();
  return BertConfig::from_json(ss.str(), dir + "/config.json");
}

BertForMaskedLM load_bert_checkpoint(const std::string& dir) {
  BertForMaskedLM m(load_bert_config(dir));
  std::string weights;
  auto tensors = load_hf_weights(dir, &weights);  // model.safetensors, else pytorch_model.bin
  load_bert_state(*m, tensors, weights);
  m->eval();
  return m;
}

void save_bert_checkpoint(BertForMaskedLM& model, const std::string& dir) {
  ::mkdir(dir.c_str(), 0755);
  std::ofstream(dir + "/config.json") << model->bert->config.to_json() << "\n";
  save_safetensors(dir + "/model.safetensors", bert_state(*model, false));
}

}  // namespace cast::models
