// BERT, LoRA and safetensors against Hugging Face transformers' own outputs
// (../shared/fixtures/hf_bert_tiny_shared: a 2-layer BertForMaskedLM, eval mode, fp32).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "models/bert.hpp"
#include "models/safetensors.hpp"
#include "test_support.hpp"

using namespace cast::models;
using Catch::Matchers::Contains;

namespace {
const std::string kDir = "fixtures/hf_bert_tiny_shared";
double max_abs(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }
}  // namespace

TEST_CASE("BERT forward equals transformers: hidden states, embeddings, MLM logits, LoRA") {
  REQUIRE_SHARED(kDir + "/model.safetensors");
  torch::NoGradGuard g;
  const std::string dir = shared_dir() + "/" + kDir;
  auto model = load_bert_checkpoint(dir);
  auto expected = load_safetensors(dir + "/expected.safetensors");
  auto ids = expected.at("input_ids"), mask = expected.at("attention_mask");
  auto out = model->bert->forward(ids, mask);
  auto valid = mask.unsqueeze(-1).to(torch::kBool);
  // Padded positions are compared too: transformers computes them the same way.
  CHECK(max_abs(out.embeddings_output, expected.at("embeddings_output")) < 1e-4);
  CHECK(max_abs(out.last_hidden_state, expected.at("last_hidden_state")) < 1e-4);
  auto logits = model->mlm_logits(out.last_hidden_state.slice(0, 0, 2).slice(1, 0, 32));
  CHECK(max_abs(logits, expected.at("mlm_logits_first2_first32")) < 1e-4);
  (void)valid;

  // The peft adapter (r = 4, alpha = 8, query and value).
  set_text_encoder_mode(model->bert, "lora", 4, 8.0, 0.0, {"query", "value"});
  load_lora_adapter(*model, load_safetensors(dir + "/lora_adapter.safetensors"), "adapter");
  auto lora_out = model->bert->forward(ids, mask);
  CHECK(max_abs(lora_out.last_hidden_state, expected.at("lora_last_hidden_state")) < 1e-4);
  CHECK(max_abs(lora_out.last_hidden_state, expected.at("last_hidden_state")) > 1e-3);  // the adapter matters
  // Export under peft's names and read back: the same tensors.
  auto exported = lora_state_peft(*model);
  CHECK(exported.size() == 8);
  CHECK(exported.count("base_model.model.bert.encoder.layer.1.attention.self.value.lora_B.default.weight") == 1);
  // Merging folds the adapter into the weights without changing the output.
  for (const auto& layer : *model->bert->layers) {
    layer->as<BertLayer>()->attention->self->query->merge();
    layer->as<BertLayer>()->attention->self->value->merge();
  }
  CHECK(max_abs(model->bert->forward(ids, mask).last_hidden_state, expected.at("lora_last_hidden_state")) < 1e-4);
}

TEST_CASE("freeze modes train exactly the intended parameters") {
  BertConfig c;
  c.vocab_size = 50; c.hidden_size = 16; c.num_hidden_layers = 2; c.num_attention_heads = 2; c.intermediate_size = 32;
  auto count = [](BertModel& m) {
    int64_t n = 0;
    for (auto& p : m->parameters()) if (p.requires_grad()) n += p.numel();
    return n;
  };
  BertModel frozen(c), lora(c), full(c);
  set_text_encoder_mode(frozen, "frozen", 0, 0, 0, {});
  set_text_encoder_mode(lora, "lora", 4, 8, 0, {"query", "value"});
  set_text_encoder_mode(full, "full", 0, 0, 0, {});
  CHECK(count(frozen) == 0);
  CHECK(count(lora) == 2 * 2 * (4 * 16 + 16 * 4));  // layers x {q, v} x (A + B)
  int64_t all = 0;
  for (auto& p : full->parameters()) all += p.numel();
  CHECK(count(full) == all);
  // A fresh adapter is a no-op (B = 0) and A is bounded by 1/sqrt(in).
  auto q = lora->layers[0]->as<BertLayer>()->attention->self->query;
  CHECK(q->lora_B.abs().max().item<double>() == 0.0);
  CHECK(q->lora_A.abs().max().item<double>() <= 1.0 / std::sqrt(16.0) + 1e-7);
  CHECK_THROWS_WITH(set_text_encoder_mode(full, "half", 0, 0, 0, {}), Contains("frozen, lora, full"));
}

TEST_CASE("a checkpoint written by cast loads back identically; bad checkpoints are named") {
  BertConfig c;
  c.vocab_size = 40; c.hidden_size = 8; c.num_hidden_layers = 1; c.num_attention_heads = 2; c.intermediate_size = 16;
  BertForMaskedLM m(c);
  init_bert_weights(*m, 0.02);
  m->eval();
  const std::string dir = "/tmp/cast-test-bert-" + std::to_string(::getpid());
  save_bert_checkpoint(m, dir);
  auto back = load_bert_checkpoint(dir);
  torch::NoGradGuard g;
  auto ids = torch::randint(0, 40, {2, 7}, torch::kLong);
  auto mask = torch::ones({2, 7}, torch::kLong);
  CHECK(max_abs(m->bert->forward(ids, mask).last_hidden_state, back->bert->forward(ids, mask).last_hidden_state) == 0.0);
  // A mis-shaped tensor: the message names it and both shapes.
  auto state = bert_state(*m, false);
  state["bert.encoder.layer.0.attention.self.query.weight"] = torch::zeros({8, 9});
  save_safetensors(dir + "/model.safetensors", state);
  CHECK_THROWS_WITH(load_bert_checkpoint(dir), Contains("attention.self.query.weight") && Contains("[8, 9]") && Contains("[8, 8]"));
  state.erase("bert.encoder.layer.0.attention.self.query.weight");
  save_safetensors(dir + "/model.safetensors", state);
  CHECK_THROWS_WITH(load_bert_checkpoint(dir), Contains("no tensor 'bert.encoder.layer.0.attention.self.query.weight'"));
  std::system(("rm -rf " + dir).c_str());
}
