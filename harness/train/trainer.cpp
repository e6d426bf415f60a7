#include "train/trainer.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <sstream>

#include "common/error.hpp"
#include "common/file_io.hpp"
#include "common/progress.hpp"
#include "models/autocast.hpp"
#include "train/graph_batch.hpp"
#include "train/schedule.hpp"

namespace cast {

std::vector<std::vector<std::size_t>> make_batches(const Dataset& d, const std::vector<std::size_t>& order,
                                                   const TrainConfig& c) {
  std::vector<std::vector<std::size_t>> out;
  std::vector<std::size_t> cur;
  std::size_t atoms = 0, longest = 0;
  for (std::size_t i : order) {
    const auto& r = d.records[i];
    const std::size_t a = r.graph.num_nodes();
    const std::size_t t = std::max<std::size_t>(2, r.token_ids.size());
    const std::size_t new_longest = std::max(longest, t);
    if (!cur.empty() && (cur.size() >= c.batch_size || atoms + a > c.max_atoms ||
                         new_longest * (cur.size() + 1) > c.max_tokens_per_batch)) {
      out.push_back(std::move(cur));
      cur.clear();
      atoms = 0;
      longest = 0;
    }
    cur.push_back(i);
    atoms += a;
    longest = std::max(longest, t);
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

ModelBatch build_batch(const Dataset& d, const std::vector<std::size_t>& rows, bool with_text, double mean, double sd) {
  ModelBatch b;
  b.rows = rows;
  std::vector<const CrystalGraph*> graphs;
  std::vector<float> y;
  for (auto i : rows) {
    graphs.push_back(&d.records[i].graph);
    y.push_back(static_cast<float>((d.records[i].target - mean) / sd));
  }
  b.graphs = collate_graphs(graphs);
  b.targets = torch::from_blob(y.data(), {static_cast<int64_t>(y.size())}, torch::kFloat).clone();
  if (with_text) {
    std::size_t cols = 2;
    for (auto i : rows) cols = std::max(cols, d.records[i].token_ids.size());
    std::vector<int64_t> ids(rows.size() * cols, 0), mask(rows.size() * cols, 0);
    for (std::size_t r = 0; r < rows.size(); ++r) {
      const auto& t = d.records[rows[r]].token_ids;
      // prepare_dataset gives a text-less structure [CLS] [SEP] in the encoder's own ids; a
      // dataset prepared without a vocabulary cannot feed a text model.
      if (t.empty())
        fail("entry '", d.records[rows[r]].id, "' has no token ids: prepare the dataset with the text encoder's vocab.txt");
      const auto& use = t;
      for (std::size_t c = 0; c < use.size(); ++c) {
        ids[r * cols + c] = use[c];
        mask[r * cols + c] = 1;
      }
    }
    auto shape = std::vector<int64_t>{static_cast<int64_t>(rows.size()), static_cast<int64_t>(cols)};
    b.token_ids = torch::from_blob(ids.data(), shape, torch::kLong).clone();
    b.token_mask = torch::from_blob(mask.data(), shape, torch::kLong).clone();
  }
  return b;
}

std::vector<std::size_t> split_rows(const Dataset& d, Split s) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < d.records.size(); ++i)
    if (d.records[i].split == s) out.push_back(i);
  return out;
}

std::unique_ptr<torch::optim::AdamW> make_optimizer(Regressor& model, const TrainConfig& c) {
  auto text_params = model.text_parameters();
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(model.new_parameters(),
                      std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(c.lr).weight_decay(c.weight_decay)));
  if (!text_params.empty())
    groups.emplace_back(text_params, std::make_unique<torch::optim::AdamWOptions>(
                                         torch::optim::AdamWOptions(c.lr_text).weight_decay(c.weight_decay)));
  return std::make_unique<torch::optim::AdamW>(std::move(groups));
}

void set_learning_rates(torch::optim::AdamW& opt, const TrainConfig& c, double factor) {
  auto& pg = opt.param_groups();
  static_cast<torch::optim::AdamWOptions&>(pg[0].options()).lr(c.lr * factor);
  if (pg.size() > 1) static_cast<torch::optim::AdamWOptions&>(pg[1].options()).lr(c.lr_text * factor);
}

namespace {

struct Normaliser {
  double mean = 0, sd = 1;
};

nlohmann::json config_json(const TrainConfig& c, const Dataset& d) {
  return {{"format", kCheckpointFormat}, {"model", c.model.kind}, {"task", d.task}, {"seed", c.seed},
          {"epochs", c.epochs}, {"batch_size", c.batch_size}, {"lr", c.lr}, {"lr_text", c.lr_text},
          {"weight_decay", c.weight_decay}, {"warmup_steps", c.warmup_steps}, {"cycles", c.cycles},
          {"text_encoder", c.model.text_encoder}, {"text_mode", c.model.text_mode},
          {"text_pooling", c.model.text_pooling}, {"lora_r", c.model.lora_r},
          {"lora_alpha", c.model.lora_alpha}, {"dataset_key", d.key}, {"dataset_settings", d.settings}};
}

// A checkpoint directory is replaced whole: written as <dir>.tmp, the old one moved to <dir>.old,
// the new one renamed into place, the old one removed. A process killed at any point leaves
// either the previous or the new checkpoint (recover_checkpoint picks it up), never a mixture.
void remove_tree(const std::string& dir) {
  if (dir.empty() || !is_directory(dir)) return;
  for (const char* f : {"model.pt", "optimizer.pt", "state.json", "model.pt.tmp", "optimizer.pt.tmp"})
    std::remove((dir + "/" + f).c_str());
  ::rmdir(dir.c_str());
}

void recover_checkpoint(const std::string& dir) {
  if (!file_exists(dir + "/state.json") && file_exists(dir + ".old/state.json")) {
    remove_tree(dir);
    std::rename((dir + ".old").c_str(), dir.c_str());
  }
  remove_tree(dir + ".tmp");
}

void save_checkpoint(const std::string& dir, Regressor& model, torch::optim::Optimizer& opt, const nlohmann::json& state) {
  const std::string tmp = dir + ".tmp", old = dir + ".old";
  remove_tree(tmp);
  ::mkdir(tmp.c_str(), 0755);
  torch::serialize::OutputArchive a;
  model.save(a);
  a.save_to(tmp + "/model.pt");
  torch::save(opt, tmp + "/optimizer.pt");
  write_file_atomic(tmp + "/state.json", state.dump(2));
  remove_tree(old);
  if (is_directory(dir)) std::rename(dir.c_str(), old.c_str());
  if (std::rename(tmp.c_str(), dir.c_str()) != 0) fail(dir, ": cannot write the checkpoint (", std::strerror(errno), ")");
  remove_tree(old);
}

// Everything `cast predict` needs besides the weights: the model's configuration, the target's
// normaliser, the dataset settings and, for text models, the text encoder's config and vocabulary
// (its weights are in model.pt).
void write_model_card(const TrainConfig& c, const Dataset& d, double mean, double sd) {
  make_directories(c.out_dir);
  nlohmann::json card = {{"format", kModelCardFormat}, {"model", c.model.kind}, {"task", d.task},
                         {"text_mode", c.model.text_mode}, {"text_pooling", c.model.text_pooling},
                         {"lora_r", c.model.lora_r},
                         {"lora_alpha", c.model.lora_alpha}, {"normaliser", {{"mean", mean}, {"std", sd}}},
                         {"max_tokens", d.max_tokens}, {"dataset_settings", d.settings},
                         {"text_encoder_source", c.model.text_encoder}};
  if (model_uses_text(c.model.kind)) {
    const std::string dir = c.out_dir + "/text_encoder";
    ::mkdir(dir.c_str(), 0755);
    for (const char* f : {"config.json", "vocab.txt", "cast_text.json"})
      if (file_exists(c.model.text_encoder + "/" + f)) write_file_atomic(dir + "/" + f, read_file(c.model.text_encoder + "/" + f));
  }
  write_file_atomic(c.out_dir + "/cast_model.json", card.dump(2));
}

void load_model(const std::string& path, Regressor& model) {
  torch::serialize::InputArchive a;
  a.load_from(path);
  model.load(a);
}

}  // namespace

TrainResult train_model(const Dataset& d, const TrainConfig& c, const std::function<void(const EpochRecord&)>& on_epoch) {
  const auto t_start = std::chrono::steady_clock::now();
  torch::manual_seed(c.seed);
  const bool with_text = model_uses_text(c.model.kind);
  auto model = make_regressor(c.model);
  const torch::Device device(c.device);
  model->to(device);
  if (!c.init_from.empty()) {
    // Pretrained weights (MNP or contrastive): every tensor present in both with equal shape.
    torch::serialize::InputArchive a;
    a.load_from(c.init_from);
    torch::NoGradGuard g;
    int loaded = 0;
    for (auto& kv : model->named_parameters()) {
      torch::Tensor t;
      if (a.try_read(kv.key(), t) && t.sizes() == kv.value().sizes()) {
        kv.value().copy_(t);
        ++loaded;
      }
    }
    if (loaded == 0) fail(c.init_from, ": no tensor of this model found in the pretrained weights");
  }

  const auto train = split_rows(d, Split::Train), val = split_rows(d, Split::Val), test = split_rows(d, Split::Test);
  if (train.empty() || val.empty() || test.empty()) fail("dataset '", d.task, "' needs train, val and test entries");
  Normaliser norm;
  for (auto i : train) norm.mean += d.records[i].target;
  norm.mean /= static_cast<double>(train.size());
  for (auto i : train) norm.sd += std::pow(d.records[i].target - norm.mean, 2);
  norm.sd = std::sqrt(norm.sd / static_cast<double>(train.size() - 1));
  if (!(norm.sd > 0)) norm.sd = 1;

  if (!c.out_dir.empty()) write_model_card(c, d, norm.mean, norm.sd);

  auto optimizer_ptr = make_optimizer(*model, c);
  torch::optim::AdamW& optimizer = *optimizer_ptr;
  const std::int64_t steps_per_epoch = static_cast<std::int64_t>(make_batches(d, train, c).size());
  // Warm-up is c.warmup_steps (the paper's 1,000), at most a tenth of all steps: a small dataset
  // would otherwise never leave warm-up (DEVIATIONS.md).
  const std::int64_t total_steps = steps_per_epoch * c.epochs;
  WarmupCosineSchedule sched{std::min<std::int64_t>(c.warmup_steps, std::max<std::int64_t>(1, total_steps / 10)),
                             total_steps, c.cycles};

  TrainResult res;
  int start_epoch = 0, since_best = 0;
  std::int64_t step = 0;
  double best = 1e300;
  const nlohmann::json cfg = config_json(c, d);
  const std::string last = c.out_dir.empty() ? "" : c.out_dir + "/last";
  const std::string best_dir = c.out_dir.empty() ? "" : c.out_dir + "/best";
  if (!last.empty()) recover_checkpoint(last);
  if (!best_dir.empty()) recover_checkpoint(best_dir);
  if (!last.empty() && file_exists(last + "/state.json")) {
    auto st = nlohmann::json::parse(read_file(last + "/state.json"), nullptr, false);
    if (st.is_discarded()) fail(last, "/state.json: corrupt; delete ", last, " to start over");
    if (st.value("format", "") != kCheckpointFormat)
      fail(last, ": checkpoint format '", st.value("format", "?"), "', this cast writes '", kCheckpointFormat, "'");
    if (st["config"]["model"] != c.model.kind)
      fail(last, ": checkpoint of model '", st["config"]["model"].get<std::string>(), "', not '", c.model.kind, "'");
    if (st["config"] != cfg)
      fail(last, ": checkpoint was written with another configuration; use another --out or delete it");
    load_model(last + "/model.pt", *model);
    torch::load(optimizer, last + "/optimizer.pt");
    start_epoch = st["epoch"];
    step = st["step"];
    best = st["best_val_mae"];
    res.best_epoch = st["best_epoch"];
    since_best = st["since_best"];
    for (const auto& e : st["history"])
      res.epochs.push_back({e["epoch"], e["train_loss"], e["val_mae"], e["lr"], e["seconds"], e["samples_per_second"]});
  }

  std::string best_blob;
  auto evaluate = [&](const std::vector<std::size_t>& rows, std::vector<double>* preds) {
    torch::NoGradGuard g;
    model->eval();
    double abs = 0;
    for (const auto& br : make_batches(d, rows, c)) {
      auto b = build_batch(d, br, with_text, norm.mean, norm.sd).to(device);
      auto p = model->predict(b).to(torch::kCPU).to(torch::kDouble);
      auto acc = p.accessor<double, 1>();
      for (std::size_t k = 0; k < br.size(); ++k) {
        const double yp = acc[static_cast<int64_t>(k)] * norm.sd + norm.mean;
        abs += std::fabs(yp - d.records[br[k]].target);
        if (preds) preds->push_back(yp);
      }
    }
    return abs / static_cast<double>(rows.size());
  };

  for (int epoch = start_epoch; epoch < c.epochs; ++epoch) {
    if (c.patience > 0 && since_best >= c.patience) break;
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::size_t> order = train;
    std::mt19937_64 rng(c.seed * 1000003ULL + static_cast<std::uint64_t>(epoch));
    std::shuffle(order.begin(), order.end(), rng);
    torch::manual_seed(c.seed * 1000003ULL + static_cast<std::uint64_t>(epoch) + 17);
    auto batches = make_batches(d, order, c);
    model->train();
    double loss_sum = 0;
    Progress prog(c.model.kind + " " + d.task + " epoch " + std::to_string(epoch + 1) + "/" + std::to_string(c.epochs),
                  batches.size(), c.progress);
    double lr_now = 0;
    for (std::size_t bi = 0; bi < batches.size(); ++bi) {
      auto b = build_batch(d, batches[bi], with_text, norm.mean, norm.sd).to(device);
      const double f = sched.factor(step);
      set_learning_rates(optimizer, c, f);
      lr_now = c.lr * f;
      optimizer.zero_grad();
      torch::Tensor loss;
      {
        models::AutocastGuard autocast(c.bf16 && device.is_cuda());
        loss = torch::l1_loss(model->predict(b).to(torch::kFloat), b.targets);
      }
      const double lv = loss.item<double>();
      if (!std::isfinite(lv)) {
        std::string ids;
        for (std::size_t k = 0; k < std::min<std::size_t>(5, batches[bi].size()); ++k)
          ids += (k ? ", " : "") + d.records[batches[bi][k]].id;
        throw std::runtime_error("loss is " + std::to_string(lv) + " at epoch " + std::to_string(epoch + 1) + ", step " +
                                 std::to_string(step) + ", batch " + std::to_string(bi) + " (entries " + ids +
                                 ", ...); the last good checkpoint is kept in " + (last.empty() ? "(none)" : last) +
                                 "; lower --lr or check these entries");
      }
      loss.backward();
      torch::nn::utils::clip_grad_norm_(model->parameters(), c.clip);
      optimizer.step();
      loss_sum += lv;
      ++step;
      prog.add();
      if (c.progress) {
        char note[96];
        std::snprintf(note, sizeof note, "loss %.4f  lr %.2e  best val MAE %s", loss_sum / static_cast<double>(bi + 1),
                      lr_now, best < 1e299 ? std::to_string(best).substr(0, 7).c_str() : "-");
        prog.set_note(note);
      }
      prog.draw();
    }
    prog.finish();
    const double val_mae = evaluate(val, nullptr);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EpochRecord rec{epoch + 1, loss_sum / static_cast<double>(std::max<std::size_t>(1, batches.size())), val_mae, lr_now, secs,
                    static_cast<double>(train.size()) / secs};
    res.epochs.push_back(rec);
    if (on_epoch) on_epoch(rec);
    const bool improved = val_mae < best;
    if (improved) {
      best = val_mae;
      res.best_epoch = epoch + 1;
      since_best = 0;
    } else {
      ++since_best;
    }
    if (!last.empty()) {
      make_directories(c.out_dir);
      nlohmann::json st = {{"format", kCheckpointFormat}, {"config", cfg}, {"epoch", epoch + 1}, {"step", step},
                           {"best_val_mae", best}, {"best_epoch", res.best_epoch}, {"since_best", since_best},
                           {"normaliser", {{"mean", norm.mean}, {"std", norm.sd}}}};
      for (const auto& e : res.epochs)
        st["history"].push_back({{"epoch", e.epoch}, {"train_loss", e.train_loss}, {"val_mae", e.val_mae}, {"lr", e.lr},
                                 {"seconds", e.seconds}, {"samples_per_second", e.samples_per_second}});
      if (improved) save_checkpoint(best_dir, *model, optimizer, st);
      save_checkpoint(last, *model, optimizer, st);
    } else if (improved) {
      // No directory: keep the best weights in memory.
      torch::serialize::OutputArchive a;
      model->save(a);
      std::ostringstream os;
      a.save_to(os);
      best_blob = os.str();
    }
    if (c.stop_after_epoch > 0 && epoch + 1 >= c.stop_after_epoch) {
      res.val_mae = best;
      res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
      return res;
    }
  }
  // Test once, with the best weights.
  if (!best_dir.empty() && file_exists(best_dir + "/model.pt")) {
    load_model(best_dir + "/model.pt", *model);
  } else if (!best_blob.empty()) {
    std::istringstream is(best_blob);
    torch::serialize::InputArchive a;
    a.load_from(is);
    model->load(a);
  }
  std::vector<double> preds;
  res.val_mae = best;
  res.test_mae = evaluate(test, &preds);
  for (std::size_t k = 0; k < test.size(); ++k) {
    res.test_predictions.push_back({d.records[test[k]].id, d.records[test[k]].target, preds[k]});
    res.mean_predictor_test_mae += std::fabs(d.records[test[k]].target - norm.mean);
  }
  res.mean_predictor_test_mae /= static_cast<double>(test.size());
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  return res;
}

LoadedModel load_trained_model(const std::string& checkpoint) {
  LoadedModel m;
  std::string dir = checkpoint;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (file_exists(dir + "/best/model.pt")) {
    m.run_dir = dir;
    m.weights = dir + "/best/model.pt";
  } else if (file_exists(dir + "/model.pt")) {
    m.weights = dir + "/model.pt";
    m.run_dir = dir.find('/') == std::string::npos ? "." : dir.substr(0, dir.find_last_of('/'));
  } else {
    fail(checkpoint, ": no model.pt here or in ", checkpoint, "/best; pass a run directory of 'cast train' or its best/ "
         "checkpoint");
  }
  const std::string card_path = m.run_dir + "/cast_model.json";
  if (!file_exists(card_path))
    fail(card_path, ": missing; the checkpoint was not written by this cast's trainer (retrain it, or copy the run "
         "directory whole)");
  auto card = nlohmann::json::parse(read_file(card_path), nullptr, false);
  if (card.is_discarded() || !card.is_object()) fail(card_path, ": not valid JSON");
  if (card.value("format", "") != kModelCardFormat)
    fail(card_path, ": format '", card.value("format", "?"), "', this cast reads '", kModelCardFormat, "'");
  m.config.kind = card.value("model", "");
  require_model_kind(m.config.kind);
  m.task = card.value("task", "");
  m.config.text_mode = card.value("text_mode", "");
  m.config.text_pooling = card.value("text_pooling", "cls");
  m.config.lora_r = card.value("lora_r", 8);
  m.config.lora_alpha = card.value("lora_alpha", 8.0);
  m.mean = card["normaliser"].value("mean", 0.0);
  m.sd = card["normaliser"].value("std", 1.0);
  m.max_tokens = card.value("max_tokens", std::size_t{512});
  if (model_uses_text(m.config.kind)) {
    m.config.text_encoder = m.run_dir + "/text_encoder";
    m.config.load_text_weights = false;
    m.vocab = m.config.text_encoder + "/vocab.txt";
    for (const char* f : {"/config.json", "/vocab.txt"})
      if (!file_exists(m.config.text_encoder + f)) fail(m.config.text_encoder + f, ": missing from the run directory");
  }
  m.model = make_regressor(m.config);
  try {
    load_model(m.weights, *m.model);
  } catch (const c10::Error& e) {
    fail(m.weights, ": cannot load the weights into a '", m.config.kind, "' model: ", e.what_without_backtrace());
  }
  m.model->eval();
  return m;
}

std::vector<double> predict_dataset(LoadedModel& m, const Dataset& d, std::size_t batch_size) {
  TrainConfig c;
  c.batch_size = batch_size;
  std::vector<std::size_t> rows(d.records.size());
  std::iota(rows.begin(), rows.end(), std::size_t{0});
  torch::NoGradGuard g;
  m.model->eval();
  std::vector<double> out;
  for (const auto& br : make_batches(d, rows, c)) {
    auto b = build_batch(d, br, model_uses_text(m.config.kind), m.mean, m.sd);
    auto p = m.model->predict(b).to(torch::kCPU).to(torch::kDouble);
    auto acc = p.accessor<double, 1>();
    for (std::size_t k = 0; k < br.size(); ++k) out.push_back(acc[static_cast<int64_t>(k)] * m.sd + m.mean);
  }
  return out;
}

}  // namespace cast
