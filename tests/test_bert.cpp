// BERT, LoRA and safetensors against Hugging Face transformers' own outputs
// (../shared/fixtures/hf_bert_tiny_shared: a 2-layer BertForMaskedLM, eval mode, fp32).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>

#include "models/bert.hpp"
#include "models/safetensors.hpp"
#include "train/mlm.hpp"
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

TEST_CASE("MLM masking: 15% of regular tokens, 80/10/10, specials never chosen") {
  std::mt19937_64 rng(7);
  std::size_t chosen = 0, masked = 0, kept = 0, regular = 0;
  for (int rep = 0; rep < 200; ++rep) {
    std::vector<std::int64_t> ids = {2};
    for (int i = 0; i < 500; ++i) ids.push_back(5 + (i % 90));
    ids.push_back(3);
    std::vector<std::int64_t> orig = ids, labels;
    cast::mask_tokens(ids, labels, 100, 4, 5, 0.15, rng);
    CHECK(labels.front() == -100);
    CHECK(labels.back() == -100);
    CHECK(ids.front() == 2);
    for (std::size_t i = 1; i + 1 < ids.size(); ++i) {
      ++regular;
      if (labels[i] == -100) { CHECK(ids[i] == orig[i]); continue; }
      ++chosen;
      CHECK(labels[i] == orig[i]);
      masked += ids[i] == 4;
      kept += ids[i] == orig[i];
    }
  }
  CHECK(chosen / double(regular) == Approx(0.15).margin(0.005));
  CHECK(masked / double(chosen) == Approx(0.8).margin(0.01));
  CHECK(kept / double(chosen) == Approx(0.1 + 0.1 / 95).margin(0.01));  // 10% kept + random hits of itself
}

TEST_CASE("MLM masking with a Hugging Face vocabulary: [CLS], [SEP], [MASK], [unusedN] stay put") {
  // bert-base-uncased's layout: [PAD] 0, [unused0..98] 1-99, [UNK] 100, [CLS] 101, [SEP] 102, [MASK] 103.
  std::vector<std::string> vocab = {"[PAD]"};
  for (int i = 0; i < 99; ++i) vocab.push_back("[unused" + std::to_string(i) + "]");
  for (const char* t : {"[UNK]", "[CLS]", "[SEP]", "[MASK]"}) vocab.push_back(t);
  for (int i = 0; i < 50; ++i) vocab.push_back("w" + std::to_string(i));
  vocab.push_back("[");  // a bracket alone is an ordinary token
  const auto special = cast::special_tokens(vocab);
  REQUIRE(std::count(special.begin(), special.end(), 1) == 104);
  CHECK(special[154] == 0);
  std::mt19937_64 rng(3);
  std::size_t chosen = 0, random_drawn = 0;
  for (int rep = 0; rep < 300; ++rep) {
    std::vector<std::int64_t> ids = {101};
    for (int i = 0; i < 60; ++i) ids.push_back(i % 3 == 0 ? 102 : 104 + (i % 51));
    ids.push_back(102);
    std::vector<std::int64_t> orig = ids, labels;
    cast::mask_tokens(ids, labels, static_cast<std::int64_t>(vocab.size()), 103, 5, 0.15, rng, &special);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (orig[i] < 104) {
        CHECK(labels[i] == -100);  // a special is never a target
        CHECK(ids[i] == orig[i]);
        continue;
      }
      if (labels[i] == -100) continue;
      ++chosen;
      if (ids[i] != 103 && ids[i] != orig[i]) {
        ++random_drawn;
        CHECK(ids[i] >= 104);  // the random replacement is a regular token
      }
    }
  }
  CHECK(chosen > 500);
  CHECK(random_drawn > 20);
}

TEST_CASE("MLM pretraining lowers the loss, and resuming equals running straight through") {
  // A toy language: repeated templated sentences over 40 tokens.
  std::vector<std::string> vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  for (int i = 0; i < 40; ++i) vocab.push_back("w" + std::to_string(i));
  std::vector<std::vector<std::int32_t>> train, val;
  for (int s = 0; s < 96; ++s) {
    std::vector<std::int32_t> t = {2};
    for (int k = 0; k < 12; ++k) t.push_back(5 + (s % 8) * 4 + (k % 4));  // 4-token motifs
    t.push_back(3);
    (s % 6 == 0 ? val : train).push_back(t);
  }
  cast::MlmOptions o;
  o.model.hidden_size = 32; o.model.num_hidden_layers = 1; o.model.num_attention_heads = 2; o.model.intermediate_size = 64;
  o.model.hidden_dropout_prob = 0; o.model.attention_probs_dropout_prob = 0;
  o.model.max_position_embeddings = 16;
  o.max_length = 16; o.batch_size = 8; o.epochs = 30; o.lr = 3e-3; o.warmup_steps = 10; o.progress = false;
  const std::string a = "/tmp/cast-test-mlm-a-" + std::to_string(::getpid());
  const std::string b = "/tmp/cast-test-mlm-b-" + std::to_string(::getpid());
  o.out_dir = a;
  auto straight = cast::pretrain_mlm(train, val, vocab, o);
  REQUIRE(straight.size() == 30);
  CHECK(straight.back().val_loss < straight.front().val_loss - 0.5);
  CHECK(straight.back().val_accuracy > 0.3);
  // Interrupted after 5 epochs, then resumed to the end.
  auto o3 = o;
  o3.out_dir = b;
  o3.stop_after_epoch = 11;
  cast::pretrain_mlm(train, val, vocab, o3);
  auto resumed = cast::pretrain_mlm(train, val, vocab, [&] { auto x = o; x.out_dir = b; return x; }());
  REQUIRE(resumed.size() == 30);
  CHECK(resumed.back().val_loss == Approx(straight.back().val_loss).epsilon(1e-5));

  // Continued pretraining from `a` with twice the positions: at learning rate 0 the model is
  // the checkpoint's, so it scores the same held-out loss, and positions 16..31 repeat 0..15.
  auto o4 = o;
  o4.init_dir = a;
  o4.out_dir = "/tmp/cast-test-mlm-c-" + std::to_string(::getpid());
  o4.model.max_position_embeddings = 32;
  o4.max_length = 32;
  o4.epochs = 1;
  o4.lr = 0;
  auto cont = cast::pretrain_mlm(train, val, vocab, o4);
  REQUIRE(cont.size() == 1);
  CHECK(cont[0].val_loss == Approx(straight.back().val_loss).epsilon(1e-5));
  auto src = cast::models::load_safetensors(a + "/model.safetensors");
  auto ext = cast::models::load_safetensors(o4.out_dir + "/model.safetensors");
  const std::string pe = "bert.embeddings.position_embeddings.weight";
  REQUIRE(src.count(pe) == 1);
  REQUIRE(ext.at(pe).size(0) == 32);
  CHECK(torch::equal(ext.at(pe).slice(0, 0, 16), src.at(pe)));
  CHECK(torch::equal(ext.at(pe).slice(0, 16, 32), src.at(pe)));
  auto too_short = o4;
  too_short.model.max_position_embeddings = 8;
  too_short.max_length = 8;
  too_short.out_dir.clear();
  CHECK_THROWS_WITH(cast::pretrain_mlm(train, val, vocab, too_short), Catch::Contains("more than the 8 asked for"));
  std::system(("rm -rf " + a + " " + b + " " + o4.out_dir).c_str());
}
