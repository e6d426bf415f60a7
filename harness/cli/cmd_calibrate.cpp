// cast calibrate: the seconds of one training step of every model (and of the LM's and the
// pretraining schemes' steps) at a profile's sizes on a device, measured on synthetic batches of
// the paper's shape through the code the trainer runs (the models, build_batch, AdamW, clipping,
// bf16 autocast on CUDA), and recorded in the results store as step times: the prior of the ETA
// and of `cast reproduce --dry-run` (exec/cost_model.hpp), so the cost of the paper grid on a GPU
// is known before it is spent (scripts/gpu_check.sh runs it).
//
// One step's seconds become a rate per unit as the executor counts units (entries x epochs):
// an epoch over N entries trains on 0.8 N (one step per batch) and evaluates 0.1 N forward only,
// so seconds per unit = (0.8 step + 0.1 forward) / batch. Synthetic batch at paper size: 64
// structures of 17 asymmetric-unit nodes with 24 in-edges each (the paper's mean node count and
// cast's neighbour count) and 64 texts of max_tokens tokens (SPEC; the paper truncates at 512).
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <array>
#include <functional>
#include <numeric>
#include <random>

#include "baselines/regressors.hpp"
#include "cli/commands.hpp"
#include "common/error.hpp"
#include "common/file_io.hpp"
#include "common/system.hpp"
#include "data/dataset.hpp"
#include "models/autocast.hpp"
#include "models/bert.hpp"
#include "models/foreach_adamw.hpp"
#include "store/results_store.hpp"
#include "train/device.hpp"
#include "train/mlm.hpp"
#include "train/pretrain.hpp"
#include "train/trainer.hpp"

namespace cast::cli {

void apply_profile(const std::string& profile, TrainConfig& c, std::size_t& max_tokens);

namespace {

struct CalibrateArgs {
  std::string profile = "paper", device = "cpu", text_encoder, db = "results/cast.db", journal = "wal";
  std::vector<std::string> models;
  int steps = 10, warmup = 3, nodes = 17, edges = 24;
  std::size_t batch = 0;
  bool no_store = false;
};

// The text encoder of a profile when none is given: MatSciBERT's architecture at paper size, the
// domain LM's at demo and small (cast lm pretrain's sizes); weights are random (timing only).
models::BertConfig profile_encoder(const std::string& profile) {
  models::BertConfig c;
  if (profile == "demo") {
    c.vocab_size = 4000; c.hidden_size = 128; c.num_hidden_layers = 2; c.num_attention_heads = 2; c.intermediate_size = 512;
  } else if (profile == "small") {
    c.vocab_size = 8000; c.hidden_size = 256; c.num_hidden_layers = 4; c.num_attention_heads = 4; c.intermediate_size = 1024;
  } else {
    c.vocab_size = 31090;  // MatSciBERT's vocabulary
  }
  return c;
}

Dataset synthetic_dataset(std::size_t n, int nodes, int in_edges, std::size_t tokens, int64_t vocab, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> z(1, 83), node(0, nodes - 1);
  std::uniform_int_distribution<std::int32_t> tok(5, static_cast<std::int32_t>(vocab - 1));
  std::uniform_real_distribution<float> dist(1.6f, 5.0f);
  std::normal_distribution<double> y(0, 1);
  Dataset d;
  d.task = "calibration";
  for (std::size_t i = 0; i < n; ++i) {
    DatasetRecord r;
    r.id = "synthetic-" + std::to_string(i);
    r.target = y(rng);
    for (int k = 0; k < nodes; ++k) {
      r.graph.Z.push_back(z(rng));
      r.graph.multiplicity.push_back(1);
      r.graph.site.push_back(k);
    }
    for (int dst = 0; dst < nodes; ++dst) {  // grouped by receiver, sorted by distance
      std::vector<float> ds;
      for (int e = 0; e < in_edges; ++e) ds.push_back(dist(rng));
      std::sort(ds.begin(), ds.end());
      for (int e = 0; e < in_edges; ++e) {
        r.graph.edge_src.push_back(node(rng));
        r.graph.edge_dst.push_back(dst);
        r.graph.edge_distance.push_back(ds[static_cast<std::size_t>(e)]);
      }
    }
    r.token_ids.push_back(2);  // [CLS]
    while (r.token_ids.size() + 1 < tokens) r.token_ids.push_back(tok(rng));
    r.token_ids.push_back(3);  // [SEP]
    r.token_count = static_cast<std::int32_t>(r.token_ids.size());
    r.text = "synthetic";
    d.records.push_back(std::move(r));
  }
  return d;
}

void sync(const torch::Device& dev) {
  if (dev.is_cuda()) torch::cuda::synchronize();
}

// Mean seconds of fn over `steps` calls after `warmup` untimed ones, synchronised at both ends.
double time_steps(const torch::Device& dev, int warmup, int steps, const std::function<void()>& fn) {
  for (int i = 0; i < warmup; ++i) fn();
  sync(dev);
  const double t0 = monotonic_seconds();
  for (int i = 0; i < steps; ++i) fn();
  sync(dev);
  return (monotonic_seconds() - t0) / steps;
}

int calibrate(const CalibrateArgs& a) {
  const torch::Device dev = resolve_device(a.device);
  const bool bf16 = dev.is_cuda();
  TrainConfig base;
  std::size_t max_tokens = 512;
  apply_profile(a.profile, base, max_tokens);
  if (a.batch > 0) base.batch_size = a.batch;
  const std::size_t batch = base.batch_size;
  // A text encoder directory: the one given (its config; weights not read), else the profile's.
  std::string encoder = a.text_encoder;
  std::string tmp;
  models::BertConfig bc = profile_encoder(a.profile);
  if (encoder.empty()) {
    char templ[] = "/tmp/cast-calibrate-XXXXXX";
    if (!::mkdtemp(templ)) fail("cannot create a temporary folder for the calibration's text encoder config");
    tmp = encoder = templ;
    bc.max_position_embeddings = std::max<int64_t>(512, static_cast<int64_t>(max_tokens));
    write_file_atomic(encoder + "/config.json", bc.to_json());
  } else {
    if (!file_exists(encoder + "/config.json")) fail(encoder, ": not a text encoder directory (no config.json)");
    bc = models::BertConfig::from_json(read_file(encoder + "/config.json"), encoder + "/config.json");
  }
  const std::size_t tokens = std::min<std::size_t>(max_tokens, static_cast<std::size_t>(bc.max_position_embeddings));
  const bool small = bc.hidden_size < 768;
  std::vector<std::string> models = a.models.empty() ? model_kinds() : a.models;
  for (const auto& m : models) {
    try {
      require_model_kind(m);
    } catch (const std::invalid_argument& e) {
      throw InputError(e.what());
    }
  }
  std::printf("calibration: profile %s on %s%s, batch %zu (%d nodes x %d in-edges, %zu tokens), text encoder %s "
              "(%lld x %lld), %d timed steps after %d\n",
              a.profile.c_str(), a.device.c_str(), bf16 ? " (bf16 autocast)" : "", batch, a.nodes, a.edges, tokens,
              a.text_encoder.empty() ? "of the profile, random weights" : a.text_encoder.c_str(),
              static_cast<long long>(bc.num_hidden_layers), static_cast<long long>(bc.hidden_size), a.steps, a.warmup);
  std::printf("%-22s %12s %12s %14s\n", "step", "ms/step", "ms/forward", "s per unit");
  std::vector<StoredStepTime> rows;
  const std::string host = host_name();
  auto record = [&](const std::string& cls, double step_s, double fwd_s, std::size_t per_batch, double train_share,
                    double eval_share) {
    // Seconds per unit: the train share of an epoch's entries in steps, the evaluated share in
    // forward passes, per entry.
    const double per_unit = (train_share * step_s + eval_share * fwd_s) / static_cast<double>(per_batch);
    std::printf("%-22s %12.2f %12.2f %14.3g\n", cls.c_str(), 1000 * step_s, 1000 * fwd_s, per_unit);
    std::fflush(stdout);
    rows.push_back({cls, a.device.rfind("cuda", 0) == 0 ? "cuda" : "cpu", a.profile, 1.0, per_unit, host});
  };
  Dataset d = synthetic_dataset(std::max<std::size_t>(batch, 360), a.nodes, a.edges, tokens, bc.vocab_size, 7);
  std::vector<std::size_t> rows_b(batch);
  std::iota(rows_b.begin(), rows_b.end(), 0);
  for (const auto& m : models) {
    TrainConfig c = base;
    c.model.kind = m;
    c.model.load_text_weights = false;
    const ModelDefaults md = model_defaults(m, small);
    if (model_uses_text(m)) c.model.text_encoder = encoder;
    c.model.text_mode = md.text_mode;
    c.model.text_pooling = md.text_pooling;
    if (md.lr_text > 0) c.lr_text = md.lr_text;
    torch::manual_seed(0);
    auto model = make_regressor(c.model);
    model->to(dev);
    auto opt = make_optimizer(*model, c);
    set_learning_rates(*opt, c, 1.0);
    const auto b = build_batch(d, rows_b, model_uses_text(m), 0.0, 1.0).to(dev);
    model->train();
    const double step_s = time_steps(dev, a.warmup, a.steps, [&] {
      opt->zero_grad();
      torch::Tensor loss;
      {
        models::AutocastGuard guard(bf16);
        loss = torch::l1_loss(model->predict(b).to(torch::kFloat), b.targets);
      }
      loss.backward();
      models::clip_grad_norm_on_device(model->parameters(), c.clip);
      opt->step();
    });
    model->eval();
    const double fwd_s = time_steps(dev, 1, a.steps, [&] {
      torch::NoGradGuard g;
      models::AutocastGuard guard(bf16);
      (void)model->predict(b).to(torch::kCPU);
    });
    record("train:" + m, step_s, fwd_s, batch, 0.8, 0.1);
    if (m == "cast" || m == "cast-scratch") {
      if (m == "cast-scratch" && std::find(models.begin(), models.end(), "cast") != models.end()) continue;
      // Where a CAST training step's time goes: the same step from the model's forward parts, the
      // device synchronised between them (graph encoder, text encoder, fusion + readout + head;
      // backward; clipping + optimiser), over as many steps as above.
      const CastForwardParts parts = cast_forward_parts(*model, b);
      std::array<double, 5> spent{};
      for (int i = 0; i < a.warmup + a.steps; ++i) {
        std::array<double, 6> at{};
        auto mark = [&](std::size_t k) {
          sync(dev);
          at[k] = monotonic_seconds();
        };
        mark(0);
        opt->zero_grad();
        torch::Tensor loss;
        {
          models::AutocastGuard guard(bf16);
          const torch::Tensor nodes = parts.graph();
          mark(1);
          const torch::Tensor tokens = parts.text();
          mark(2);
          loss = torch::l1_loss(parts.fuse_and_head(nodes, tokens).to(torch::kFloat), b.targets);
          mark(3);
        }
        loss.backward();
        mark(4);
        models::clip_grad_norm_on_device(model->parameters(), c.clip);
        opt->step();
        mark(5);
        if (i >= a.warmup)
          for (std::size_t k = 0; k < spent.size(); ++k) spent[k] += (at[k + 1] - at[k]) / a.steps;
      }
      std::printf("%s step, where the time goes (ms): graph encoder forward %.1f, text encoder forward %.1f, "
                  "fusion + readout + head forward %.1f, backward %.1f, clipping + optimiser %.1f; %.1f in all "
                  "(%.1f without the syncs between them)\n",
                  m.c_str(), 1e3 * spent[0], 1e3 * spent[1], 1e3 * spent[2], 1e3 * spent[3], 1e3 * spent[4],
                  1e3 * (spent[0] + spent[1] + spent[2] + spent[3] + spent[4]), 1e3 * step_s);
      // MNP pretraining: the CAST model's fused node states through the element head, half the
      // nodes masked (masks drawn on the CPU, as pretraining draws them); still in training mode.
      std::mt19937_64 rng(1);
      const double mnp_s = time_steps(dev, a.warmup, a.steps, [&] {
        auto cb = build_batch(d, rows_b, true, 0.0, 1.0);
        auto labels = mask_nodes(cb.graphs, 0.5, rng).to(dev);
        cb = cb.to(dev);
        opt->zero_grad();
        auto loss = mnp_loss(*model, cb, labels, bf16);
        loss.backward();
        models::clip_grad_norm_on_device(model->parameters(), c.clip);
        opt->step();
      });
      record("pretrain:mnp", mnp_s, mnp_s / 3, batch, 0.8, 0.1);
    }
  }
  if (std::find(models.begin(), models.end(), "multimat") != models.end()) {
    // Contrastive pretraining: coGN and the frozen text encoder's embeddings, CLIP loss, batch 360.
    TrainConfig c = base;
    c.model.kind = "multimat";
    c.model.load_text_weights = false;
    c.model.text_encoder = encoder;
    torch::manual_seed(0);
    ContrastivePair pair(c.model);
    pair->to(dev);
    std::vector<torch::Tensor> params;
    for (auto& p : pair->parameters())
      if (p.requires_grad()) params.push_back(p);
    models::ForeachAdamW opt(params, torch::optim::AdamWOptions(1e-4));
    std::vector<std::size_t> rows360(360);
    std::iota(rows360.begin(), rows360.end(), 0);
    const auto b = build_batch(d, rows360, true, 0.0, 1.0).to(dev);
    const double s = time_steps(dev, a.warmup, a.steps, [&] {
      opt.zero_grad();
      auto [g, t] = contrastive_embeddings(pair, b, bf16);
      auto loss = clip_loss(g, t, 0.2);
      loss.backward();
      opt.step();
    });
    record("pretrain:contrastive", s, s / 3, 360, 0.8, 0.1);
  }
  {
    // The domain LM's MLM step (cast lm pretrain: 32 texts of the profile's length, 15% chosen).
    models::BertConfig lc = profile_encoder(a.profile);
    lc.max_position_embeddings = std::max<int64_t>(512, static_cast<int64_t>(tokens));
    torch::manual_seed(0);
    models::BertForMaskedLM lm(lc);
    lm->to(dev);
    models::ForeachAdamW opt(lm->parameters(), torch::optim::AdamWOptions(5e-4).weight_decay(0.01));
    const std::size_t lm_batch = 32;
    auto ids = torch::randint(5, lc.vocab_size, {static_cast<int64_t>(lm_batch), static_cast<int64_t>(tokens)},
                              torch::kLong).to(dev);
    auto chosen = torch::rand({static_cast<int64_t>(lm_batch), static_cast<int64_t>(tokens)}).lt(0.15).to(dev);
    const MlmBatch mb{ids, torch::ones_like(ids), torch::where(chosen, ids, torch::full_like(ids, -100))};
    lm->train();
    const double s = time_steps(dev, a.warmup, a.steps, [&] {
      opt.zero_grad();
      torch::Tensor loss;
      {
        models::AutocastGuard guard(bf16);
        loss = mlm_loss(lm, mb).first;
      }
      loss.backward();
      models::clip_grad_norm_on_device(lm->parameters(), 1.0);
      opt.step();
    });
    // The corpus is the train and validation splits of its task: 8/9 of it trains.
    record("lm-pretrain", s, s / 3, lm_batch, 8.0 / 9, 1.0 / 9);
  }
  if (!tmp.empty()) std::system(("rm -rf '" + tmp + "'").c_str());
  if (!a.no_store) {
    if (a.db.find('/') != std::string::npos) make_directories(a.db.substr(0, a.db.find_last_of('/')));
    ResultsStore st(a.db, parse_journal(a.journal));
    for (const auto& r : rows) st.add_step_time(r);
    std::printf("%zu step times recorded in %s: 'cast reproduce ... --profile %s --device %s --dry-run --db %s' "
                "prices the plan with them\n",
                rows.size(), a.db.c_str(), a.profile.c_str(), a.device.c_str(), a.db.c_str());
  }
  return 0;
}

}  // namespace

void register_calibrate(CLI::App& app, Action& action) {
  auto a = std::make_shared<CalibrateArgs>();
  auto* cmd = app.add_subcommand(
      "calibrate", "Time one training step of every model at a profile's sizes on a device; record the step times "
                   "that price 'cast reproduce --dry-run' and the ETA");
  cmd->add_option("--profile", a->profile, "demo | small | paper (the sizes timed)")->capture_default_str();
  cmd->add_option("--device", a->device, "cpu or cuda")->capture_default_str();
  cmd->add_option("--models", a->models, "Only these models (default all seven)")->delimiter(',');
  cmd->add_option("--text-encoder", a->text_encoder,
                  "A BERT directory whose architecture to time (its config.json; default the profile's: "
                  "MatSciBERT's at paper size)");
  cmd->add_option("--steps", a->steps, "Timed steps per model")->capture_default_str()->check(CLI::Range(1, 100000));
  cmd->add_option("--warmup", a->warmup, "Untimed steps first")->capture_default_str()->check(CLI::Range(0, 1000));
  cmd->add_option("--batch-size", a->batch, "Structures per batch (default the profile's)");
  cmd->add_option("--nodes", a->nodes, "Nodes per synthetic structure")->capture_default_str()->check(CLI::Range(1, 500));
  cmd->add_option("--edges", a->edges, "In-edges per node")->capture_default_str()->check(CLI::Range(1, 64));
  cmd->add_option("--db", a->db, "Results database the step times go into")->capture_default_str();
  cmd->add_option("--store-journal", a->journal, "wal | delete")->check(CLI::IsMember({"wal", "delete"}))->capture_default_str();
  cmd->add_flag("--no-store", a->no_store, "Print only");
  cmd->callback([a, &action] {
    action = [a] { return calibrate(*a); };
  });
}

}  // namespace cast::cli
