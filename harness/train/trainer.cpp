#include "train/trainer.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <sstream>

#include "common/error.hpp"
#include "common/file_io.hpp"
#include "common/log.hpp"
#include "common/progress.hpp"
#include "dist/comm.hpp"
#include "models/autocast.hpp"
#include "models/foreach_adamw.hpp"
#include "train/graph_batch.hpp"
#include "train/prefetch.hpp"
#include "train/schedule.hpp"
#include "train/device.hpp"
#include "train/stop_signal.hpp"

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
  return std::make_unique<models::ForeachAdamW>(std::move(groups));
}

void set_learning_rates(torch::optim::AdamW& opt, const TrainConfig& c, double factor) {
  auto& pg = opt.param_groups();
  static_cast<torch::optim::AdamWOptions&>(pg[0].options()).lr(c.lr * factor);
  if (pg.size() > 1) static_cast<torch::optim::AdamWOptions&>(pg[1].options()).lr(c.lr_text * factor);
}

namespace {

// Steps whose losses are read back from the device together (see train_epoch).
constexpr std::size_t kLossReadEvery = 32;

struct Normaliser {
  double mean = 0, sd = 1;
};

nlohmann::json config_json(const TrainConfig& c, const Dataset& d) {
  nlohmann::json j = {{"format", kCheckpointFormat}, {"model", c.model.kind}, {"task", d.task}, {"seed", c.seed},
          {"epochs", c.epochs}, {"batch_size", c.batch_size}, {"lr", c.lr}, {"lr_text", c.lr_text},
          {"weight_decay", c.weight_decay}, {"warmup_steps", c.warmup_steps}, {"cycles", c.cycles},
          {"text_encoder", c.model.text_encoder}, {"text_mode", c.model.text_mode},
          {"text_pooling", c.model.text_pooling}, {"lora_r", c.model.lora_r},
          {"lora_alpha", c.model.lora_alpha}, {"dataset_key", d.key}, {"dataset_settings", d.settings}};
  if (c.model.fusion.dropout != models::FusionOptions{}.dropout) j["fusion_dropout"] = c.model.fusion.dropout;
  return j;
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
  nlohmann::json card = {{"format", kModelCardFormat}, {"model", c.model.kind}, {"task", d.task}, {"unit", d.unit},
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


// The trainer as named steps (flashlight's Trainer): set_up, resume, then per epoch
// train_epoch, evaluate, checkpoint and record; at the end test. Each feature of a run (resume,
// early stopping, the best checkpoint) has its one place here.
class Trainer {
 public:
  Trainer(const Dataset& d, const TrainConfig& c, const TrainHooks& hooks)
      : d_(d), c_(c), hooks_(hooks), device_(c.device), with_text_(model_uses_text(c.model.kind)) {
    if (c.comm && c.comm->world() > 1) {
      comm_ = c.comm.get();
      rank_ = comm_->rank();
      world_ = comm_->world();
      lead_ = rank_ == 0;
    }
  }

  TrainResult run() {
    t_start_ = std::chrono::steady_clock::now();
    set_up();
    resume();
    if (hooks_.on_start) hooks_.on_start(res_.epochs);
    for (int epoch = start_epoch_; epoch < c_.epochs; ++epoch) {
      if (c_.patience > 0 && since_best_ >= c_.patience) break;
      const auto t0 = std::chrono::steady_clock::now();
      double lr_now = 0;
      data_wait_ = 0;
      const double train_loss = train_epoch(epoch, lr_now);
      resume_batch_ = 0;
      resume_loss_ = 0;
      const double val_mae = evaluate(val_, nullptr);
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const EpochRecord rec{epoch + 1, train_loss, val_mae, lr_now, secs, static_cast<double>(train_.size()) / secs,
                            data_wait_};
      const bool improved = record(rec);
      checkpoint(epoch + 1, improved);
      if (c_.stop_after_epoch > 0 && epoch + 1 >= c_.stop_after_epoch) {
        res_.val_mae = best_;
        res_.seconds = elapsed();
        return res_;
      }
    }
    test();
    return res_;
  }

 private:
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start_).count();
  }

  // The model (and its pretrained weights), the target normaliser, the optimiser and schedule.
  void set_up() {
    torch::manual_seed(c_.seed);
    model_ = make_regressor(c_.model);
    model_->to(device_);
    if (!c_.init_from.empty()) {
      // Pretrained weights (MNP or contrastive): every tensor present in both with equal shape.
      torch::serialize::InputArchive a;
      a.load_from(c_.init_from);
      torch::NoGradGuard g;
      int loaded = 0;
      for (auto& kv : model_->named_parameters()) {
        torch::Tensor t;
        if (a.try_read(kv.key(), t) && t.sizes() == kv.value().sizes()) {
          kv.value().copy_(t);
          ++loaded;
        }
      }
      if (loaded == 0) fail(c_.init_from, ": no tensor of this model found in the pretrained weights");
    }
    train_ = split_rows(d_, Split::Train);
    val_ = split_rows(d_, Split::Val);
    test_ = split_rows(d_, Split::Test);
    if (train_.empty() || val_.empty() || test_.empty())
      fail("dataset '", d_.task, "' needs train, val and test entries (it has ", train_.size(), ", ", val_.size(), ", ",
           test_.size(), "; use more entries)");
    for (auto i : train_) norm_.mean += d_.records[i].target;
    norm_.mean /= static_cast<double>(train_.size());
    for (auto i : train_) norm_.sd += std::pow(d_.records[i].target - norm_.mean, 2);
    norm_.sd = train_.size() > 1 ? std::sqrt(norm_.sd / static_cast<double>(train_.size() - 1)) : 0.0;
    if (!(norm_.sd > 0)) norm_.sd = 1;
    if (!c_.out_dir.empty() && lead_) write_model_card(c_, d_, norm_.mean, norm_.sd);
    optimizer_ = make_optimizer(*model_, c_);
    const std::int64_t steps_per_epoch = static_cast<std::int64_t>(make_batches(d_, train_, c_).size());
    // Warm-up is c.warmup_steps (the paper's 1,000), at most a tenth of all steps: a small dataset
    // would otherwise never leave warm-up (DEVIATIONS.md).
    const std::int64_t total_steps = steps_per_epoch * c_.epochs;
    sched_ = {std::min<std::int64_t>(c_.warmup_steps, std::max<std::int64_t>(1, total_steps / 10)), total_steps,
              c_.cycles};
    cfg_ = config_json(c_, d_);
    if (comm_) {
      // Ranks with another configuration or data are refused; then rank 0's initial weights.
      dist::require_same(*comm_, "configuration (model, data, schedule, seed)", cfg_.dump());
      dist::broadcast_module(*comm_, *model_);
      for (auto& p : model_->parameters())
        if (p.requires_grad()) params_.push_back(p);
    }
    if (!c_.out_dir.empty()) {
      last_ = c_.out_dir + "/last";
      best_dir_ = c_.out_dir + "/best";
      if (lead_) {
        recover_checkpoint(last_);
        recover_checkpoint(best_dir_);
      }
    }
    if (comm_) comm_->barrier(kFileTimeout);
  }

  // Rank 0 writes checkpoints while the others wait this long (a paper-size checkpoint on a slow
  // shared filesystem); the collectives of a step use the shorter --dist-timeout.
  static constexpr std::chrono::milliseconds kFileTimeout{std::chrono::minutes(10)};

  // Continues from last/ when it is there and was written with this configuration.
  void resume() {
    if (last_.empty() || !file_exists(last_ + "/state.json")) return;
    auto st = nlohmann::json::parse(read_file(last_ + "/state.json"), nullptr, false);
    if (st.is_discarded()) fail(last_, "/state.json: corrupt; delete ", last_, " to start over");
    if (st.value("format", "") != kCheckpointFormat)
      fail(last_, ": checkpoint format '", st.value("format", "?"), "', this cast writes '", kCheckpointFormat, "'");
    if (st["config"]["model"] != c_.model.kind)
      fail(last_, ": checkpoint of model '", st["config"]["model"].get<std::string>(), "', not '", c_.model.kind, "'");
    if (st["config"] != cfg_)
      fail(last_, ": checkpoint was written with another configuration; use another --out or delete it");
    load_model(last_ + "/model.pt", *model_);
    torch::load(*optimizer_, last_ + "/optimizer.pt");
    start_epoch_ = st["epoch"];
    step_ = st["step"];
    best_ = st["best_val_mae"];
    res_.best_epoch = st["best_epoch"];
    since_best_ = st["since_best"];
    // Stopped by a signal inside an epoch: that epoch continues after the batches it had done.
    resume_batch_ = st.value("batch_in_epoch", std::size_t{0});
    resume_loss_ = st.value("partial_loss", 0.0);
    for (const auto& e : st["history"])
      res_.epochs.push_back({e["epoch"], e["train_loss"], e["val_mae"], e["lr"], e["seconds"], e["samples_per_second"],
                             e.value("data_wait_seconds", 0.0)});
    // Said even under -q: a requeued job's log has to show that it continued.
    if (lead_)
      spdlog::info("resuming {} after epoch {}, batch {} (step {})", last_, start_epoch_, resume_batch_, step_);
  }

  [[noreturn]] void nonfinite_loss(double v, int epoch, std::int64_t step, std::size_t bi,
                                   const std::vector<std::vector<std::size_t>>& batches) const {
    std::string ids;
    for (std::size_t k = 0; k < std::min<std::size_t>(5, batches[bi].size()); ++k)
      ids += (k ? ", " : "") + d_.records[batches[bi][k]].id;
    throw std::runtime_error("loss is " + std::to_string(v) + " at epoch " + std::to_string(epoch + 1) + ", step " +
                             std::to_string(step) + ", batch " + std::to_string(bi) + " (entries " + ids +
                             ", ...); the last good checkpoint is kept in " + (last_.empty() ? "(none)" : last_) +
                             "; lower --lr or check these entries");
  }

  // One pass over the shuffled training split; the mean training loss.
  double train_epoch(int epoch, double& lr_now) {
    std::vector<std::size_t> order = train_;
    std::mt19937_64 rng(c_.seed * 1000003ULL + static_cast<std::uint64_t>(epoch));
    std::shuffle(order.begin(), order.end(), rng);
    auto batches = make_batches(d_, order, c_);
    model_->train();
    double loss_sum = resume_loss_;
    Progress prog(c_.model.kind + " " + d_.task + " epoch " + std::to_string(epoch + 1) + "/" + std::to_string(c_.epochs),
                  batches.size(), c_.progress && lead_);
    prog.add(std::min(resume_batch_, batches.size()));
    BatchPrefetcher feed = prefetch(batches, std::min(resume_batch_, batches.size()));
    // One process: the steps' losses stay on the device and are read back together every
    // kLossReadEvery steps (each step when a terminal shows them; always before a checkpoint or
    // the epoch's end), so that no step waits for the device; a non-finite one then stops the run
    // naming its own step and entries, before anything is saved.
    struct PendingLoss {
      torch::Tensor loss;
      std::size_t batch;
      std::int64_t step;
    };
    std::vector<PendingLoss> pending;
    auto settle = [&] {
      if (pending.empty()) return;
      std::vector<torch::Tensor> l;
      for (const auto& p : pending) l.push_back(p.loss.reshape({1}));
      const torch::Tensor host_losses = torch::cat(l).to(torch::kCPU).to(torch::kDouble);
      for (std::size_t k = 0; k < pending.size(); ++k) {
        const double v = host_losses[static_cast<std::int64_t>(k)].item<double>();
        if (!std::isfinite(v)) nonfinite_loss(v, epoch, pending[k].step, pending[k].batch, batches);
        loss_sum += v;
      }
      pending.clear();
    };
    for (std::size_t bi = resume_batch_; bi < batches.size(); ++bi) {
      // Dropout's stream is seeded per (seed, epoch, batch): a run resumed inside an epoch draws
      // what the uninterrupted run drew.
      // Data parallel: per rank too (rank 0 draws what one process draws); a model with dropout
      // therefore trains alike but not bit-equal on N ranks (DEVIATIONS.md).
      torch::manual_seed(c_.seed * 1000003ULL + static_cast<std::uint64_t>(epoch) * 100003ULL +
                         static_cast<std::uint64_t>(bi) + 17 + static_cast<std::uint64_t>(rank_) * 1000000007ULL);
      const double f = sched_.factor(step_);
      set_learning_rates(*optimizer_, c_, f);
      lr_now = c_.lr * f;
      optimizer_->zero_grad();
      double lv = 0;
      bool stop = false;
      ModelBatch host = feed.next();
      if (!comm_) {
        auto b = host.to(device_);
        torch::Tensor loss;
        {
          models::AutocastGuard autocast(c_.bf16 && device_.is_cuda());
          loss = torch::l1_loss(model_->predict(b).to(torch::kFloat), b.targets);
        }
        loss.backward();
        pending.push_back({loss.detach(), bi, step_});
        stop = stop_requested();
      } else {
        // This rank's shard of the global batch. The loss is summed over the shard and divided by
        // the global batch's size, so the all-reduced SUM of the gradients is the gradient of the
        // global batch's mean loss (one process's), clipped afterwards as one process clips it.
        double local = 0;
        if (!host.rows.empty()) {
          auto b = host.to(device_);
          torch::Tensor loss;
          {
            models::AutocastGuard autocast(c_.bf16 && device_.is_cuda());
            loss = torch::l1_loss(model_->predict(b).to(torch::kFloat), b.targets, at::Reduction::Sum) /
                   static_cast<double>(batches[bi].size());
          }
          local = loss.item<double>();
          if (std::isfinite(local)) loss.backward();
        }
        std::vector<double> scalars{local};
        stop = dist::sync_gradients(*comm_, params_, stop_requested(), scalars);
        lv = scalars[0];
        if (!std::isfinite(lv)) nonfinite_loss(lv, epoch, step_, bi, batches);
      }
      models::clip_grad_norm_on_device(model_->parameters(), c_.clip);
      optimizer_->step();
      if (comm_) loss_sum += lv;
      ++step_;
      prog.add();
      if (stop || c_.progress || pending.size() >= kLossReadEvery || bi + 1 == batches.size()) settle();
      if (stop) {
        // USR1 (a cluster's time limit), SIGTERM or Ctrl-C: this step is done; save and stop.
        prog.finish();
        if (last_.empty()) throw StopRequested("stopped by signal " + std::to_string(stop_signal_number()) +
                                               " (no run directory: nothing to resume)");
        checkpoint(epoch, false, bi + 1, loss_sum);
        throw StopRequested("stopped by signal " + std::to_string(stop_signal_number()) + " after step " +
                            std::to_string(step_) + " (epoch " + std::to_string(epoch + 1) + ", batch " +
                            std::to_string(bi + 1) + " of " + std::to_string(batches.size()) + "); " + last_ +
                            " holds it: run the same command again to resume");
      }
      if (c_.progress) {
        char note[96];
        std::snprintf(note, sizeof note, "loss %.4f  lr %.2e  best val MAE %s", loss_sum / static_cast<double>(bi + 1),
                      lr_now, best_ < 1e299 ? std::to_string(best_).substr(0, 7).c_str() : "-");
        prog.set_note(note);
      }
      prog.draw();
    }
    prog.finish();
    data_wait_ += feed.wait_seconds();
    return loss_sum / static_cast<double>(std::max<std::size_t>(1, batches.size()));
  }

  // MAE in the target's units over rows; predictions appended to preds when given.
  // Data parallel: each rank predicts its shard of every batch; the shards are gathered back in
  // the rows' order, so the MAE is summed as one process sums it.
  double evaluate(const std::vector<std::size_t>& rows, std::vector<double>* preds) {
    torch::NoGradGuard g;
    model_->eval();
    std::vector<double> out;
    std::vector<std::size_t> sizes;
    const auto batches = make_batches(d_, rows, c_);
    for (const auto& br : batches) sizes.push_back(br.size());
    BatchPrefetcher feed = prefetch(batches, 0);
    for (std::size_t k = 0; k < batches.size(); ++k) {
      ModelBatch host = feed.next();
      if (host.rows.empty()) continue;
      auto b = host.to(device_);
      auto p = model_->predict(b).to(torch::kCPU).to(torch::kDouble);
      auto acc = p.accessor<double, 1>();
      for (std::size_t j = 0; j < host.rows.size(); ++j) out.push_back(acc[static_cast<int64_t>(j)]);
    }
    data_wait_ += feed.wait_seconds();
    if (comm_) out = dist::gather_rows(*comm_, out, sizes);
    double abs = 0;
    for (std::size_t k = 0; k < rows.size(); ++k) {
      const double yp = out[k] * norm_.sd + norm_.mean;
      abs += std::fabs(yp - d_.records[rows[k]].target);
      if (preds) preds->push_back(yp);
    }
    return abs / static_cast<double>(rows.size());
  }

  // The epoch into the history and the best-so-far bookkeeping; true when it improved.
  bool record(const EpochRecord& rec) {
    res_.epochs.push_back(rec);
    if (hooks_.on_epoch) hooks_.on_epoch(rec);
    const bool improved = rec.val_mae < best_;
    if (improved) {
      best_ = rec.val_mae;
      res_.best_epoch = rec.epoch;
      since_best_ = 0;
    } else {
      ++since_best_;
    }
    return improved;
  }

  // last/ every epoch, best/ when it improved (in memory without a run directory).
  // Mid-epoch (a stop): batch_in_epoch > 0 batches of the next epoch are done, best/ untouched.
  // Data parallel: rank 0 writes; the others keep best in memory and wait until it is written.
  void checkpoint(int epochs_done, bool improved, std::size_t batch_in_epoch = 0, double partial_loss = 0) {
    if (!last_.empty() && lead_) {
      make_directories(c_.out_dir);
      nlohmann::json st = {{"format", kCheckpointFormat}, {"config", cfg_}, {"epoch", epochs_done}, {"step", step_},
                           {"best_val_mae", best_}, {"best_epoch", res_.best_epoch}, {"since_best", since_best_},
                           {"normaliser", {{"mean", norm_.mean}, {"std", norm_.sd}}},
                           {"batch_in_epoch", batch_in_epoch}, {"partial_loss", partial_loss}};
      for (const auto& e : res_.epochs)
        st["history"].push_back({{"epoch", e.epoch}, {"train_loss", e.train_loss}, {"val_mae", e.val_mae}, {"lr", e.lr},
                                 {"seconds", e.seconds}, {"samples_per_second", e.samples_per_second},
                                 {"data_wait_seconds", e.data_wait_seconds}});
      if (improved) save_checkpoint(best_dir_, *model_, *optimizer_, st);
      save_checkpoint(last_, *model_, *optimizer_, st);
    } else if (improved) {
      torch::serialize::OutputArchive a;
      model_->save(a);
      std::ostringstream os;
      a.save_to(os);
      best_blob_ = os.str();
    }
    if (comm_) comm_->barrier(kFileTimeout);
  }

  // The test split, once, with the best weights.
  void test() {
    if (!lead_ && !best_blob_.empty()) {
      std::istringstream is(best_blob_);
      torch::serialize::InputArchive a;
      a.load_from(is);
      model_->load(a);
    } else if (!best_dir_.empty() && file_exists(best_dir_ + "/model.pt")) {
      load_model(best_dir_ + "/model.pt", *model_);
    } else if (!best_blob_.empty()) {
      std::istringstream is(best_blob_);
      torch::serialize::InputArchive a;
      a.load_from(is);
      model_->load(a);
    }
    std::vector<double> preds;
    res_.val_mae = best_;
    res_.test_mae = evaluate(test_, &preds);
    for (std::size_t k = 0; k < test_.size(); ++k) {
      res_.test_predictions.push_back({d_.records[test_[k]].id, d_.records[test_[k]].target, preds[k]});
      res_.mean_predictor_test_mae += std::fabs(d_.records[test_[k]].target - norm_.mean);
    }
    res_.mean_predictor_test_mae /= static_cast<double>(test_.size());
    std::vector<double> train_preds;
    evaluate(train_, &train_preds);
    for (std::size_t k = 0; k < train_.size(); ++k)
      res_.train_predictions.push_back({d_.records[train_[k]].id, d_.records[train_[k]].target, train_preds[k]});
    if (res_.best_epoch == 1 && c_.epochs > 1)
      res_.warnings.push_back("the best validation MAE came after the first epoch of " + std::to_string(c_.epochs) +
                              ": the model did not improve after it (too little data, or a learning rate too high "
                              "or too low?)");
    res_.seconds = elapsed();
  }

  const Dataset& d_;
  const TrainConfig& c_;
  TrainHooks hooks_;
  torch::Device device_;
  bool with_text_;
  std::chrono::steady_clock::time_point t_start_;
  std::shared_ptr<Regressor> model_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  WarmupCosineSchedule sched_;
  Normaliser norm_;
  nlohmann::json cfg_;
  std::vector<std::size_t> train_, val_, test_;
  std::string last_, best_dir_, best_blob_;
  TrainResult res_;
  int start_epoch_ = 0, since_best_ = 0;
  std::size_t resume_batch_ = 0;
  double resume_loss_ = 0;
  std::int64_t step_ = 0;
  double best_ = 1e300;
  // Batches first.. of `batches`, each this rank's part of it (data parallel: its shard; empty
  // when the shard is), built ahead by the prefetcher (train/prefetch.hpp).
  BatchPrefetcher prefetch(const std::vector<std::vector<std::size_t>>& batches, std::size_t first) const {
    auto part = [this, &batches](std::size_t k) -> ModelBatch {
      const auto& br = batches[k];
      const auto [lo, hi] = comm_ ? dist::shard(br.size(), rank_, world_) : std::pair<std::size_t, std::size_t>{0, br.size()};
      if (hi == lo) return {};
      const std::vector<std::size_t> rows(br.begin() + static_cast<std::ptrdiff_t>(lo), br.begin() + static_cast<std::ptrdiff_t>(hi));
      return build_batch(d_, rows, with_text_, norm_.mean, norm_.sd);
    };
    return BatchPrefetcher(first, batches.size(), part, static_cast<std::size_t>(std::max(0, c_.prefetch)),
                           c_.prefetch_workers, device_.is_cuda());
  }
  double data_wait_ = 0;  // this epoch's seconds waiting for batches
  dist::Comm* comm_ = nullptr;  // null: one process
  int rank_ = 0, world_ = 1;
  bool lead_ = true;            // rank 0: checkpoints, hooks, messages
  std::vector<torch::Tensor> params_;  // trainable parameters, in the order every rank reduces them
};

}  // namespace

TrainResult train_model(const Dataset& d, const TrainConfig& c, const TrainHooks& hooks) {
  return Trainer(d, c, hooks).run();
}

TrainResult train_model(const Dataset& d, const TrainConfig& c, const std::function<void(const EpochRecord&)>& on_epoch) {
  TrainHooks h;
  h.on_epoch = on_epoch;
  return train_model(d, c, h);
}

LoadedModel load_trained_model(const std::string& checkpoint, const std::string& device) {
  LoadedModel m;
  m.device = resolve_device(device);
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
  m.unit = card.value("unit", std::string());
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
  m.model->to(m.device);
  m.model->eval();
  return m;
}

std::vector<double> predict_dataset(LoadedModel& m, const Dataset& d, std::size_t batch_size, Progress* progress) {
  TrainConfig c;
  c.batch_size = batch_size;
  std::vector<std::size_t> rows(d.records.size());
  std::iota(rows.begin(), rows.end(), std::size_t{0});
  torch::NoGradGuard g;
  m.model->eval();
  std::vector<double> out;
  for (const auto& br : make_batches(d, rows, c)) {
    auto b = build_batch(d, br, model_uses_text(m.config.kind), m.mean, m.sd).to(m.device);
    auto p = m.model->predict(b).to(torch::kCPU).to(torch::kDouble);
    auto acc = p.accessor<double, 1>();
    for (std::size_t k = 0; k < br.size(); ++k) out.push_back(acc[static_cast<int64_t>(k)] * m.sd + m.mean);
    if (progress) {
      progress->add(br.size());
      progress->draw();
    }
  }
  return out;
}

}  // namespace cast
