// The trainer and the seven models on a tiny in-memory dataset built from the fixtures.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "common/file_io.hpp"
#include "crystal/readers.hpp"
#include "models/bert.hpp"
#include "consistency.hpp"
#include "models/autocast.hpp"
#include "test_support.hpp"
#include "text/describer.hpp"
#include "text/normalizer.hpp"
#include "text/vocab_trainer.hpp"
#include "graph/node_features.hpp"
#include "train/graph_batch.hpp"
#include "train/prefetch.hpp"
#include "train/pretrain.hpp"
#include "train/trainer.hpp"

using namespace cast;
using Catch::Matchers::Contains;

namespace {

// 24 records: four crystals, each at six lattice scales; target = volume per atom (Å^3).
// A tiny random BERT with a vocabulary trained on the records' descriptions is written to
// a temporary directory as the text encoder.
struct TinyWorld {
  Dataset d;
  std::string encoder;
  TinyWorld() {
    encoder = "/tmp/cast-test-encoder-" + std::to_string(::getpid());
    std::vector<std::string> texts;
    int k = 0;
    for (const char* f : {"NaCl-Fm-3m-225.cif", "TiO2-rutile-P4_2mnm-136.cif", "POSCAR-Si-primitive-227", "SrTiO3-Pm-3m-221.cif"}) {
      Structure base = read_structure(fixture(f));
      for (int s = 0; s < 6; ++s) {
        Structure st = base;
        Mat3 m = st.lattice.m;
        const double scale = 0.94 + 0.03 * s;
        for (auto& row : m) for (double& x : row) x *= scale;
        st.lattice = Lattice(m);
        DatasetRecord r;
        r.id = std::string(f) + "-" + std::to_string(s);
        r.split = (k % 3 == 0) ? Split::Val : (k % 3 == 1 ? Split::Test : Split::Train);
        if (k < 3) r.split = Split::Train;
        r.target = std::fabs(st.lattice.volume()) / static_cast<double>(st.size());
        auto fs = featurize_structure(st);
        r.graph = fs.graph;
        r.nsites = fs.nsites;
        r.text = text::describe_structure(st).text;
        texts.push_back(text::TextNormalizer::builtin().normalize(r.text));
        d.records.push_back(std::move(r));
        ++k;
      }
    }
    d.task = "toy";
    text::VocabTrainerOptions vo;
    vo.vocab_size = 300;
    auto tokens = text::train_wordpiece_vocab(texts, vo);
    auto vocab = std::make_shared<const text::Vocab>(text::Vocab::from_tokens(tokens));
    text::BertTokenizer tok(vocab);
    for (std::size_t i = 0; i < d.records.size(); ++i) d.records[i].token_ids = tok.encode(texts[i], 48).ids;
    models::BertConfig c;
    c.vocab_size = static_cast<int64_t>(tokens.size());
    c.hidden_size = 32; c.num_hidden_layers = 1; c.num_attention_heads = 2; c.intermediate_size = 64;
    torch::manual_seed(1);
    models::BertForMaskedLM lm(c);
    models::init_bert_weights(*lm, 0.02);
    models::save_bert_checkpoint(lm, encoder);
    text::write_vocab(tokens, encoder + "/vocab.txt");
  }
  ~TinyWorld() { std::system(("rm -rf " + encoder).c_str()); }
  TrainConfig config(const std::string& kind) const {
    TrainConfig c;
    c.model.kind = kind;
    c.model.text_encoder = encoder;
    c.model.cogn.units = 32;
    c.model.cogn.blocks = 2;
    c.model.fusion.heads = 4;
    c.model.fusion.layers = 2;
    c.model.fusion.ffn = 64;
    c.model.fusion.dropout = 0.0;
    c.epochs = 8;
    c.batch_size = 8;
    c.warmup_steps = 2;
    c.cycles = 1;
    c.lr = 2e-3;
    c.lr_text = 1e-3;
    c.progress = false;
    return c;
  }
};
const TinyWorld& world() {
  static TinyWorld w;
  return w;
}
}  // namespace

TEST_CASE("every model learns the toy task: the training loss falls by at least half") {
  for (const char* kind : {"cogn", "bert", "crysmmnet-frozen", "crysmmnet-lora", "cast-scratch"}) {
    INFO(kind);
    auto c = world().config(kind);
    c.epochs = 40;
    // A random 32-wide encoder has little to adapt through rank-8 adapters: fit the text-only
    // model with the whole encoder trainable (LoRA is exercised by crysmmnet-lora and cast).
    if (std::string(kind) == "bert") {
      c.model.text_mode = "full";
      c.lr_text = 3e-3;
      c.epochs = 80;
    }
    auto r = train_model(world().d, c);
    REQUIRE(r.epochs.size() == static_cast<std::size_t>(c.epochs));
    CHECK(r.epochs.back().train_loss < 0.5 * r.epochs.front().train_loss);
    CHECK(std::isfinite(r.test_mae));
  }
}

TEST_CASE("two CPU runs with one seed give identical numbers; another seed does not") {
  auto c = world().config("cast-scratch");
  auto a = train_model(world().d, c);
  auto b = train_model(world().d, c);
  CHECK(a.test_mae == b.test_mae);
  CHECK(a.val_mae == b.val_mae);
  c.seed = 1;
  auto other = train_model(world().d, c);
  CHECK(other.test_mae != a.test_mae);
}

TEST_CASE("an interrupted run resumes to the same result; foreign checkpoints are refused") {
  const std::string dir = "/tmp/cast-test-run-" + std::to_string(::getpid());
  auto c = world().config("crysmmnet-lora");
  auto straight = train_model(world().d, c);
  c.out_dir = dir;
  c.stop_after_epoch = 3;
  train_model(world().d, c);
  c.stop_after_epoch = 0;
  auto resumed = train_model(world().d, c);
  CHECK(resumed.epochs.size() == straight.epochs.size());
  CHECK(resumed.test_mae == Approx(straight.test_mae).epsilon(1e-6));
  auto other = world().config("cogn");
  other.out_dir = dir;
  CHECK_THROWS_WITH(train_model(world().d, other), Contains("checkpoint of model 'crysmmnet-lora', not 'cogn'"));
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("a non-finite loss stops the run naming the step and the entries") {
  Dataset d = world().d;
  d.records[0].target = std::nan("");
  auto c = world().config("cogn");
  CHECK_THROWS_WITH(train_model(d, c), Contains("loss is nan at epoch 1, step 0") && Contains("entries"));
  // One entry a batch and one entry whose graph carries a NaN distance (a NaN target spoils the
  // normaliser, hence every step): the losses are read back from the device several steps at a
  // time, and the error still names the step and the entry that went wrong first, nothing saved.
  d = world().d;
  for (auto& e : d.records[0].graph.edge_distance) e = std::nanf("");
  const std::string dir = "/tmp/cast-test-nonfinite";
  std::system(("rm -rf " + dir).c_str());
  c.batch_size = 1;
  c.out_dir = dir;
  std::string message;
  try {
    train_model(d, c);
  } catch (const std::exception& e) {
    message = e.what();
  }
  INFO(message);
  CHECK_THAT(message, Contains("(entries " + d.records[0].id + ", ...)"));
  const auto at = message.find(", step "), comma = message.find(", batch ");
  REQUIRE(at != std::string::npos);
  REQUIRE(comma != std::string::npos);
  const std::string step = message.substr(at + 7, comma - at - 7);
  const std::string batch = message.substr(comma + 8, message.find(' ', comma + 8) - comma - 8);
  CHECK(step == batch);  // epoch 1: one step a batch
  CHECK_FALSE(file_exists(dir + "/last/model.pt"));
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("batches respect the count, atom and token limits") {
  auto c = world().config("cogn");
  c.batch_size = 5;
  c.max_atoms = 7;
  std::vector<std::size_t> order(world().d.records.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::size_t seen = 0;
  for (const auto& b : make_batches(world().d, order, c)) {
    std::size_t atoms = 0;
    for (auto i : b) atoms += world().d.records[i].graph.num_nodes();
    CHECK(b.size() <= 5);
    CHECK((atoms <= 7 || b.size() == 1));
    seen += b.size();
  }
  CHECK(seen == order.size());
}

namespace {
// A CAST model's fusion on three records: the graph encoder's node states and random tokens of
// the batch's shape and mask (the checks below need no text encoder), computed without grad.
struct FusionProbe {
  std::shared_ptr<Regressor> model;
  ModelBatch b;
  models::CrossAttentionFusionImpl* fusion = nullptr;  // owned by model
  torch::Tensor nodes, tokens;
};

FusionProbe fusion_probe() {
  FusionProbe p;
  auto c = world().config("cast-scratch");
  p.model = make_regressor(c.model);
  p.model->eval();
  p.b = build_batch(world().d, {0, 7, 13}, true, 0.0, 1.0);
  torch::NoGradGuard g;
  // Reach the fusion module through its registered name.
  p.fusion = p.model->named_children()["fusion"]->as<models::CrossAttentionFusion>();
  if (p.fusion) p.nodes = p.model->named_children()["cogn"]->as<models::CoGN>()->node_states(p.b.graphs);
  torch::manual_seed(3);
  p.tokens = torch::randn({3, p.b.token_ids.size(1), 32});
  return p;
}
}  // namespace

TEST_CASE("fusion: padded tokens get zero attention and rows sum to one") {
  auto p = fusion_probe();
  torch::NoGradGuard g;
  REQUIRE(dynamic_cast<Regressor*>(p.model.get()));
  p.model->predict(p.b);
  REQUIRE(p.fusion);
  p.fusion->forward(p.nodes, p.b.graphs.graph_index, 3, p.tokens, p.b.token_mask, true);
  REQUIRE(p.fusion->attention.size() == 2);
  for (const auto& a : p.fusion->attention) {
    auto pad = p.b.token_mask.eq(0).view({3, 1, 1, -1}).expand_as(a);
    CHECK(a.masked_select(pad).abs().max().item<double>() == 0.0);
    CHECK((a.sum(-1) - 1).abs().max().item<double>() < 1e-5);
  }
}

TEST_CASE("fusion: the fused attention path gives what the explicit one gives") {
  // Under LibTorch >= 2 the cross-attention uses scaled_dot_product_attention unless the weights
  // are kept (Figure 3, cast explain), which takes the explicit softmax path; both must agree.
  // (Under 1.x both calls take the explicit path.)
  auto p = fusion_probe();
  torch::NoGradGuard g;
  REQUIRE(p.fusion);
  auto fused = p.fusion->forward(p.nodes, p.b.graphs.graph_index, 3, p.tokens, p.b.token_mask, false);
  auto explicit_ = p.fusion->forward(p.nodes, p.b.graphs.graph_index, 3, p.tokens, p.b.token_mask, true);
  REQUIRE(fused.sizes() == explicit_.sizes());
  CHECK((fused - explicit_).abs().max().item<double>() < 1e-5);
}

TEST_CASE("masked nodes leak no element information into the graph encoder") {
  // Rutile: mask the Ti node; then pretend it was another element: nothing downstream changes.
  auto base = world().d.records[6];  // a rutile record
  REQUIRE(base.graph.num_nodes() == 2);
  models::CoGNOptions o;
  o.units = 32;
  o.blocks = 2;
  torch::manual_seed(0);
  models::CoGN cogn(o);
  torch::NoGradGuard g;
  auto run = [&](int Z) {
    CrystalGraph graph = base.graph;
    graph.Z[0] = Z;
    auto b = collate_graphs({&graph});
    std::mt19937_64 rng(1);
    // Mask node 0 only: probability 0 then the at-least-one rule picks a node; force node 0.
    auto labels = torch::full({2}, -100, torch::kLong);
    labels[0] = b.element_index[0].item<int64_t>();
    auto masked = labels.ne(-100);
    b.element_index = b.element_index.masked_fill(masked, kMaskElementIndex);
    b.node_features = b.node_features.masked_fill(masked.unsqueeze(-1), 0.0);
    return cogn->node_states(b);
  };
  auto ti = run(22), zr = run(40);
  CHECK((ti - zr).abs().max().item<double>() == 0.0);
  // mask_nodes itself: at least one node per structure, features zeroed, index 118.
  std::vector<const CrystalGraph*> graphs;
  for (const auto& r : world().d.records) graphs.push_back(&r.graph);
  auto b = collate_graphs(graphs);
  std::mt19937_64 rng(3);
  auto labels = mask_nodes(b, 0.0, rng);
  CHECK(labels.ne(-100).sum().item<int64_t>() == static_cast<int64_t>(graphs.size()));  // exactly one each at p = 0
  auto m = labels.ne(-100);
  CHECK(b.element_index.masked_select(m).eq(kMaskElementIndex).all().item<bool>());
  CHECK(b.node_features.index({m}).abs().sum().item<double>() == 0.0);
}

TEST_CASE("MNP and contrastive pretraining lower their losses and write weights a run starts from") {
  const std::string dir = "/tmp/cast-test-pretrain-" + std::to_string(::getpid());
  auto c = world().config("cast");
  c.epochs = 25;
  c.out_dir = dir + "-mnp";
  auto mnp = pretrain_mnp(world().d, c);
  CHECK(mnp.train_loss.back() < mnp.train_loss.front());
  REQUIRE(file_exists(mnp.weights));
  auto ft = world().config("cast");
  ft.init_from = mnp.weights;
  ft.epochs = 2;
  CHECK_NOTHROW(train_model(world().d, ft));
  auto cc = world().config("multimat");
  cc.epochs = 25;
  cc.out_dir = dir + "-clip";
  auto clip = pretrain_contrastive(world().d, cc);
  CHECK(clip.train_loss.back() < clip.train_loss.front());
  auto mm = world().config("multimat");
  mm.init_from = clip.weights;
  mm.epochs = 2;
  CHECK_NOTHROW(train_model(world().d, mm));
  std::system(("rm -rf " + dir + "-mnp " + dir + "-clip").c_str());
}

TEST_CASE("LoRA adapters train at the new-module rate, fine-tuned encoder weights at the text rate") {
  auto c = world().config("crysmmnet-lora");
  c.lr = 5e-4;
  c.lr_text = 5e-5;
  auto model = make_regressor(c.model);
  // LoRA mode: the encoder's own weights are frozen, so no text-rate group member; the adapters
  // are new parameters.
  CHECK(model->text_parameters().empty());
  int adapters = 0;
  for (auto& kv : model->named_parameters())
    if (kv.key().find("lora_") != std::string::npos) {
      ++adapters;
      bool is_new = false;
      for (auto& p : model->new_parameters()) is_new = is_new || p.is_same(kv.value());
      CHECK(is_new);
    }
  CHECK(adapters > 0);
  auto opt = make_optimizer(*model, c);
  set_learning_rates(*opt, c, 1.0);
  CHECK(static_cast<torch::optim::AdamWOptions&>(opt->param_groups()[0].options()).lr() == Approx(5e-4));
  // Full fine-tuning: every encoder weight is in the text group.
  c.model.text_mode = "full";
  auto full = make_regressor(c.model);
  std::size_t encoder = 0;
  for (auto& kv : full->named_parameters())
    if (kv.key().rfind("bert.", 0) == 0) ++encoder;
  CHECK(full->text_parameters().size() == encoder);
}

namespace {
bool same(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.defined() != b.defined()) return false;
  return !a.defined() || (a.sizes() == b.sizes() && a.dtype() == b.dtype() && torch::equal(a, b));
}
bool same(const ModelBatch& a, const ModelBatch& b) {
  return a.rows == b.rows && same(a.targets, b.targets) && same(a.token_ids, b.token_ids) &&
         same(a.token_mask, b.token_mask) && a.graphs.num_graphs == b.graphs.num_graphs &&
         a.graphs.max_nodes == b.graphs.max_nodes && same(a.graphs.element_index, b.graphs.element_index) &&
         same(a.graphs.node_features, b.graphs.node_features) && same(a.graphs.multiplicity, b.graphs.multiplicity) &&
         same(a.graphs.graph_index, b.graphs.graph_index) && same(a.graphs.edge_src, b.graphs.edge_src) &&
         same(a.graphs.edge_dst, b.graphs.edge_dst) && same(a.graphs.edge_distance, b.graphs.edge_distance);
}
}  // namespace

TEST_CASE("prefetched batches are the batches built in turn: same order, same content") {
  const auto& d = world().d;
  auto c = world().config("cast-scratch");
  c.batch_size = 3;
  std::vector<std::size_t> order(d.records.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = (i * 7) % order.size();  // a shuffled order
  const auto batches = make_batches(d, order, c);
  REQUIRE(batches.size() == 8);
  auto make = [&](std::size_t k) { return build_batch(d, batches[k], true, 1.5, 2.0); };
  std::vector<ModelBatch> direct;
  for (std::size_t k = 0; k < batches.size(); ++k) direct.push_back(make(k));
  for (std::size_t depth : {0, 1, 3}) {
    for (std::size_t workers : {1, 2}) {
      INFO("depth " << depth << ", workers " << workers);
      BatchPrefetcher p(0, batches.size(), make, depth, workers, false);
      for (std::size_t k = 0; k < batches.size(); ++k) CHECK(same(p.next(), direct[k]));
      CHECK(p.wait_seconds() >= 0);
    }
  }
  // Starting part-way (a resumed epoch) gives the tail.
  BatchPrefetcher tail(5, batches.size(), make, 2, 2, false);
  for (std::size_t k = 5; k < batches.size(); ++k) CHECK(same(tail.next(), direct[k]));
  // A failure in a worker comes out of next() for that batch, after the batches before it.
  auto failing = [&](std::size_t k) -> ModelBatch {
    if (k == 4) throw std::runtime_error("batch 4 of entries x, y is broken");
    return make(k);
  };
  BatchPrefetcher f(0, batches.size(), failing, 3, 2, false);
  for (std::size_t k = 0; k < 4; ++k) CHECK(same(f.next(), direct[k]));
  CHECK_THROWS_WITH(f.next(), Contains("batch 4 of entries x, y is broken"));
  // Destroyed with batches not taken: the workers stop (no hang, no leak under ASan).
  { BatchPrefetcher early(0, batches.size(), make, 3, 2, false); early.next(); }
}

TEST_CASE("training with prefetching gives the run without it, and records the time spent waiting for data") {
  auto c = world().config("cast-scratch");
  c.epochs = 3;
  c.prefetch = 0;
  auto a = train_model(world().d, c);
  c.prefetch = 3;
  c.prefetch_workers = 2;
  auto b = train_model(world().d, c);
  CHECK(a.test_mae == b.test_mae);
  CHECK(a.val_mae == b.val_mae);
  REQUIRE(a.epochs.size() == b.epochs.size());
  for (std::size_t e = 0; e < a.epochs.size(); ++e) {
    CHECK(a.epochs[e].train_loss == b.epochs[e].train_loss);
    CHECK(b.epochs[e].data_wait_seconds >= 0);
    CHECK(b.epochs[e].data_wait_seconds <= b.epochs[e].seconds);
    // Without prefetching every batch is built while the step waits: a time that is not zero.
    INFO("waits " << a.epochs[e].data_wait_seconds << " " << b.epochs[e].data_wait_seconds << " of " << a.epochs[e].seconds);
    CHECK(a.epochs[e].data_wait_seconds > 0);
  }
}

TEST_CASE("rel_diff: zero for equal tensors, the relative error otherwise, refuses what cannot compare") {
  auto a = torch::randn({4, 5});
  CHECK(test::rel_diff(a, a) == 0);
  CHECK(test::rel_diff(a * 1.01, a) == Approx(0.01).epsilon(1e-4));  // a * 1.01 rounded in float
  CHECK(test::rel_diff(a.to(torch::kBFloat16), a) < 1e-2);   // bf16 keeps 8 bits of mantissa
  CHECK(test::rel_diff(a.to(torch::kBFloat16), a) > 1e-5);
  CHECK_THROWS(test::rel_diff(a, torch::randn({5, 4})));
  CHECK_THROWS(test::rel_diff(torch::Tensor(), a));
  CHECK(std::isinf(test::rel_diff(a, torch::zeros({4, 5}))));
}

// The CUDA path against the CPU's: one seeded forward and backward of every model (coGN, the
// BERT, the fusion and the loss) on a batch of the tiny world, in fp32 and under bf16 autocast.
// Skipped (with a message) where LibTorch sees no CUDA device; scripts/gpu_check.sh runs it there.
TEST_CASE("CPU and CUDA agree on every model's forward and backward: 1e-3 in fp32, 2e-2 in bf16") {
  if (!torch::cuda::is_available()) {
    WARN("skipped: this LibTorch sees no CUDA device (scripts/gpu_check.sh runs it on a GPU machine)");
    return;
  }
  const auto& d = world().d;
  std::vector<std::size_t> rows;
  for (std::size_t i = 0; i < 8; ++i) rows.push_back(i * 3 % d.records.size());
  for (const auto& kind : model_kinds()) {
    auto c = world().config(kind);
    const bool text = model_uses_text(kind);
    const ModelBatch host = build_batch(d, rows, text, 10.0, 3.0);
    auto run = [&](const torch::Device& dev, bool bf16) {
      torch::manual_seed(7);
      auto m = make_regressor(c.model);
      m->to(dev);
      m->eval();  // no dropout: its streams differ between devices
      auto b = host.to(dev);
      torch::Tensor pred, loss;
      {
        models::AutocastGuard g(bf16);
        pred = m->predict(b).to(torch::kFloat);
        loss = torch::mse_loss(pred, b.targets);
      }
      loss.backward();
      return std::make_pair(pred.detach().to(torch::kCPU), test::flat_grads(*m));
    };
    const auto cpu = run(torch::kCPU, false);
    for (bool bf16 : {false, true}) {
      INFO(kind << (bf16 ? " bf16" : " fp32"));
      const auto gpu = run(torch::Device(torch::kCUDA, 0), bf16);
      const double tol = bf16 ? 2e-2 : 1e-3;
      CHECK(test::rel_diff(gpu.first, cpu.first) <= tol);
      CHECK(test::rel_diff(gpu.second, cpu.second) <= tol);
    }
  }
}
