// cast train --model M --task T --seed S [--profile P]: one run of one model on one task;
// checkpoints in --out (resumed when present) and a JSON run record beside them.
#include <sys/stat.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/dist_cli.hpp"
#include "common/error.hpp"
#include "common/file_io.hpp"
#include "common/log.hpp"
#include "store/results_store.hpp"
#include "train/device.hpp"
#include "train/stop_signal.hpp"
#include "train/trainer.hpp"

namespace cast::cli {

namespace {
struct TrainArgs {
  std::string model, profile = "demo", text_pooling, source, journal = "wal", text_encoder, text_mode, out, init_from, device = "cpu";
  std::string db = "results/cast.db", experiment = "manual";
  std::uint64_t seed = 0;
  int epochs = 0, patience = -1;
  std::size_t limit = 0, batch = 0, prefetch_workers = 1;
  int prefetch = 2;
  double lr = 0, lr_text = 0, dropout = -1;
  bool quiet = false;
};
}  // namespace

// Profiles: the same method at different sizes and lengths (ARCHITECTURE.md "Profiles").
void apply_profile(const std::string& profile, TrainConfig& c, std::size_t& max_tokens) {
  if (profile == "demo") { c.epochs = 12; c.batch_size = 32; c.warmup_steps = 100; c.cycles = 1; max_tokens = 128; c.patience = 0; }
  else if (profile == "small") { c.epochs = 40; c.batch_size = 64; c.warmup_steps = 500; c.cycles = 4; max_tokens = 256; }
  else if (profile == "paper") { c.epochs = 300; c.batch_size = 64; c.warmup_steps = 1000; c.cycles = 4; max_tokens = 512; }
  else fail("unknown profile '", profile, "'; valid profiles: demo, small, paper");
}

std::string default_text_encoder(const std::string& profile) {
  if (const char* env = std::getenv("CAST_TEXT_ENCODER")) return env;
  for (const std::string& d : {"results/lm/" + profile, std::string("results/lm/demo")})
    if (file_exists(d + "/config.json")) return d;
  return {};
}

namespace {
// The encoder is the demo/small domain LM (hidden size under BERT-base's 768), for model defaults.
bool is_small_encoder(const std::string& dir) {
  auto j = nlohmann::json::parse(read_file(dir + "/config.json"), nullptr, false);
  return j.is_object() && j.value("hidden_size", 768) < 768;
}
}  // namespace

void register_train(CLI::App& app, Action& action) {
  auto a = std::make_shared<TrainArgs>();
  auto task = std::make_shared<TaskArgs>();
  auto dargs = std::make_shared<DistArgs>();
  auto* cmd = app.add_subcommand("train", "Train one model on one task with one seed");
  std::string models;
  for (const auto& m : model_kinds()) models += (models.empty() ? "" : ", ") + m;
  cmd->add_option("--model", a->model, "One of: " + models + " ('cast models' says what each is)")->required();
  add_task_options(cmd, *task);
  cmd->add_option("--seed", a->seed, "Seed of initialisation, batch order and dropout")->capture_default_str();
  cmd->add_option("--profile", a->profile, "demo | small | paper")->capture_default_str();
  cmd->add_option("--source", a->source, "Dataset file or folder (default: the task's file in the data folder)");
  cmd->add_option("--text-encoder", a->text_encoder,
                  "BERT checkpoint directory (MatSciBERT, or a domain LM from 'cast lm pretrain'; default "
                  "$CAST_TEXT_ENCODER or results/lm/<profile>)");
  cmd->add_option("--text-mode", a->text_mode, "frozen | lora | full (default: per model)");
  cmd->add_option("--text-pooling", a->text_pooling,
                  "BERT-only: cls | mean (default: cls, as the paper; mean with the small domain LM)");
  cmd->add_option("--out", a->out, "Run directory (default runs/<model>-<task>-s<seed>-<profile>)");
  cmd->add_option("--init-from", a->init_from,
                  "Start from pretrained weights (model.pt of 'cast pretrain'); required by cast and multimat");
  cmd->add_option("--epochs", a->epochs, "Override the profile's epochs");
  cmd->add_option("--batch-size", a->batch, "Override the profile's batch size");
  cmd->add_option("--prefetch", a->prefetch,
                  "Batches built ahead of the step on background threads (0: on the training thread; results "
                  "are the same)")
      ->capture_default_str()
      ->check(CLI::Range(0, 64));
  cmd->add_option("--prefetch-workers", a->prefetch_workers, "Threads building batches ahead")
      ->capture_default_str()
      ->check(CLI::Range(1, 16));
  cmd->add_option("--lr", a->lr, "Peak learning rate of new modules and LoRA adapters (default 5e-4)");
  cmd->add_option("--lr-text", a->lr_text,
                  "Peak learning rate of a fully fine-tuned text encoder (default 5e-5; 1e-3 for BERT-only on the small LM)");
  cmd->add_option("--dropout", a->dropout,
                  "Dropout of the cross-attention fusion (default 0.1; the text encoder's comes with its config.json)")
      ->check(CLI::Range(0.0, 0.9));
  cmd->add_option("--patience", a->patience, "Early stopping patience in epochs (0 = none)");
  cmd->add_option("--limit", a->limit, "Use only the first N entries of the source");
  cmd->add_option("--device", a->device, "cpu or cuda")->capture_default_str();
  cmd->add_option("--db", a->db, "Results database (SQLite)")->capture_default_str();
  cmd->add_option("--store-journal", a->journal,
                  "wal (many processes on one host) | delete (one writer; for a store on NFS/Lustre)")
      ->check(CLI::IsMember({"wal", "delete"}))->capture_default_str();
  cmd->add_option("--experiment", a->experiment,
                  "Experiment the run is recorded under (Table 1 shows 'table1', which cast reproduce writes)")
      ->capture_default_str();
  cmd->add_flag("-q,--quiet", a->quiet, "No progress bars");
  add_dist_options(cmd, *dargs);
  cmd->callback([a, task, dargs, &action] {
    action = [a, task, dargs] {
      resolve_device(a->device);  // a bad name or a missing GPU fails before any work
      // Several processes (--nproc, srun, torchrun variables): rank 0 records, the others train.
      DistRun dr = start_dist(*dargs, a->device, a->quiet);
      if (dr.parent_status) return *dr.parent_status;
      TrainConfig c;
      std::size_t max_tokens = 512;
      apply_profile(a->profile, c, max_tokens);
      c.model.kind = a->model;
      try {
        require_model_kind(a->model);
      } catch (const std::invalid_argument& e) {
        throw InputError(e.what());
      }
      PrepareOptions po = task_dataset_options(*task, a->source, a->limit, a->quiet, max_tokens);
      ModelDefaults md = model_defaults(a->model, false);
      if (!md.pretraining.empty() && a->init_from.empty())
        fail("model '", a->model, "' is ", model_summary(a->model), ": without its ", md.pretraining,
             " pretraining it would be ", a->model == "cast" ? "'cast-scratch'" : "'cogn'",
             ". Run 'cast pretrain --kind ", md.pretraining, " --profile ", a->profile, " --out runs/pretrain-",
             md.pretraining, "' and pass --init-from runs/pretrain-", md.pretraining, "/model.pt, or train '",
             a->model == "cast" ? "cast-scratch" : "cogn", "'");
      if (model_uses_text(a->model)) {
        c.model.text_encoder = a->text_encoder.empty() ? default_text_encoder(a->profile) : a->text_encoder;
        if (c.model.text_encoder.empty())
          fail("model '", a->model, "' reads text and no text encoder was found: pass --text-encoder DIR (MatSciBERT, "
               "or any Hugging Face BERT directory), or pretrain the domain LM first: 'cast describe --json SOURCE > "
               "corpus.jsonl && cast lm pretrain --corpus corpus.jsonl --profile ", a->profile, " --out results/lm/",
               a->profile, "'");
        if (!file_exists(c.model.text_encoder + "/config.json"))
          fail(c.model.text_encoder, ": not a text encoder directory (no config.json)");
        md = model_defaults(a->model, is_small_encoder(c.model.text_encoder));
        fit_tokens_to_encoder(po, c.model.text_encoder);
      }
      c.model.text_mode = a->text_mode.empty() ? md.text_mode : a->text_mode;
      c.model.text_pooling = a->text_pooling.empty() ? md.text_pooling : a->text_pooling;
      c.seed = a->seed;
      if (md.lr_text > 0) c.lr_text = md.lr_text;
      if (a->epochs > 0) c.epochs = a->epochs;
      if (a->batch > 0) c.batch_size = a->batch;
      c.prefetch = a->prefetch;
      c.prefetch_workers = a->prefetch_workers;
      if (a->lr > 0) c.lr = a->lr;
      if (a->lr_text > 0) c.lr_text = a->lr_text;
      if (a->patience >= 0) c.patience = a->patience;
      c.progress = !a->quiet;
      c.init_from = a->init_from;
      if (a->dropout >= 0) c.model.fusion.dropout = a->dropout;
      c.device = a->device;
      const TaskSpec spec = po.spec();
      c.out_dir = a->out.empty() ? "runs/" + a->model + "-" + spec.name() + "-s" + std::to_string(a->seed) + "-" + a->profile
                                 : a->out;
      c.comm = dr.comm;
      po.progress = po.progress && dr.lead;
      if (dr.lead) make_directories(c.out_dir);
      Dataset d;
      dr.lead_first([&] { d = prepare_dataset(po); });
      spdlog::info("{} on {} (seed {}, profile {}): {} train, {} val, {} test; checkpoints in {}", a->model, d.task,
                   c.seed, a->profile, d.count(Split::Train), d.count(Split::Val), d.count(Split::Test), c.out_dir);
      print_removals(d);
      if (model_uses_text(a->model))
        spdlog::info("text encoder: {} ({}, {} pooling)", c.model.text_encoder,
                     c.model.text_mode.empty() ? "the model's mode" : c.model.text_mode, c.model.text_pooling);
      const std::string unit = spec.unit_label();
      std::printf("%-6s %-11s %-10s %-10s %-9s %-8s %s\n", "epoch", "train loss", unit.empty() ? "val MAE" : ("val MAE (" + unit + ")").c_str(),
                  "lr", "samples/s", "seconds", "waiting for data");
      std::unique_ptr<ResultsStore> store_ptr;  // rank 0 only
      if (dr.lead) {
        if (a->db.find('/') != std::string::npos) make_directories(a->db.substr(0, a->db.find_last_of('/')));
        store_ptr = std::make_unique<ResultsStore>(a->db, parse_journal(a->journal));
        std::vector<std::pair<std::string, std::string>> split_of;
        for (const auto& rec : d.records) split_of.emplace_back(rec.id, split_name(rec.split));
        store_ptr->record_split(d.task, split_of);
      }
      nlohmann::json resolved = {{"model", a->model}, {"task", d.task}, {"seed", c.seed}, {"profile", a->profile},
                                 {"source", po.source}, {"limit", po.limit}, {"out_dir", c.out_dir}, {"epochs", c.epochs}, {"batch_size", c.batch_size},
                                 {"lr", c.lr}, {"lr_text", c.lr_text}, {"warmup_steps", c.warmup_steps},
                                 {"cycles", c.cycles}, {"text_mode", c.model.text_mode}, {"text_pooling", c.model.text_pooling}, {"init_from", c.init_from},
                                 {"unit", unit}, {"target_field", po.target_field},
                                 {"paper_filters", po.filters.paper_filters}, {"dataset", d.settings}};
      const RunKey key{a->experiment, a->model, d.task, a->profile, c.seed, dataset_identity(po),
                       model_uses_text(a->model) ? text_encoder_identity(c.model.text_encoder) : std::string()};
      const RunMeta meta{resolved.dump(), CAST_GIT_SHA, std::string("libtorch ") + TORCH_VERSION, c.device,
                         c.model.text_encoder, dataset_description(po)};
      const RunAttempt run = dr.lead ? store_ptr->begin_run(key, meta) : RunAttempt{};
      if (run.was_done)
        spdlog::info("run {} is already finished; this attempt replaces its results only if it finishes too", run.id);
      auto stored = [](const EpochRecord& e) { return StoredEpoch{e.epoch, e.train_loss, e.val_mae, e.lr, e.seconds, e.data_wait_seconds}; };
      TrainHooks hooks;
      if (dr.lead) {
      hooks.on_start = [&](const std::vector<EpochRecord>& history) {
        std::vector<StoredEpoch> v;
        for (const auto& e : history) v.push_back(stored(e));
        store_ptr->reset_epochs(run.id, v);  // epochs of an earlier attempt that this one does not continue go
      };
      hooks.on_epoch = [&](const EpochRecord& e) {
        std::printf("%-6d %-11.4f %-10.4f %-10.2e %-9.0f %-8.1f %.2f s\n", e.epoch, e.train_loss, e.val_mae, e.lr,
                    e.samples_per_second, e.seconds, e.data_wait_seconds);
        std::fflush(stdout);
        store_ptr->add_epoch(run.id, stored(e));
      };
      }
      TrainResult r;
      auto failed = [&](const std::string& why) {
        if (store_ptr && !store_ptr->fail_run(run.id, why))
          spdlog::warn("run {} stays as it was finished before; this attempt failed", run.id);
      };
      install_stop_handlers();  // USR1/SIGTERM/Ctrl-C: stop after the current step with last/ written, exit 75
      try {
        r = train_model(d, c, hooks);
      } catch (const StopRequested&) {
        throw;  // the run stays unfinished; the next attempt resumes from last/
      } catch (const std::invalid_argument& e) {
        failed(e.what());
        throw InputError(e.what());
      } catch (const c10::Error& e) {
        failed(e.what_without_backtrace());
        throw std::runtime_error(e.what_without_backtrace());
      } catch (const std::exception& e) {
        failed(e.what());
        throw;
      }
      if (c.stop_after_epoch > 0 && r.test_predictions.empty()) return 0;
      if (!dr.lead) return 0;
      ResultsStore& store = *store_ptr;
      std::vector<StoredPrediction> preds;
      for (const auto& p : r.test_predictions) preds.push_back({"test", p.id, p.y_true, p.y_pred});
      for (const auto& p : r.train_predictions) preds.push_back({"train", p.id, p.y_true, p.y_pred});
      std::vector<StoredEpoch> epochs;
      for (const auto& e : r.epochs) epochs.push_back(stored(e));
      store.finish_run(run.id, preds, epochs, meta);
      for (const auto& w : r.warnings) spdlog::warn("{}", w);
      std::printf("best epoch %d: val MAE %.4f, test MAE %.4f %s (mean predictor %.4f), %.0f s\n", r.best_epoch, r.val_mae,
                  r.test_mae, unit.c_str(), r.mean_predictor_test_mae, r.seconds);
      nlohmann::json rec = {{"model", a->model}, {"task", d.task}, {"seed", c.seed}, {"profile", a->profile},
                            {"source", po.source}, {"text_encoder", c.model.text_encoder}, {"unit", unit},
                            {"dataset", key.dataset}, {"val_mae", r.val_mae}, {"test_mae", r.test_mae},
                            {"mean_predictor_test_mae", r.mean_predictor_test_mae}, {"best_epoch", r.best_epoch},
                            {"seconds", r.seconds}, {"git_sha", CAST_GIT_SHA}, {"torch", TORCH_VERSION}};
      for (const auto& e : r.epochs)
        rec["epochs"].push_back({{"epoch", e.epoch}, {"train_loss", e.train_loss}, {"val_mae", e.val_mae}, {"lr", e.lr},
                                 {"seconds", e.seconds}});
      for (const auto& p : r.test_predictions)
        rec["test_predictions"].push_back({{"id", p.id}, {"y_true", p.y_true}, {"y_pred", p.y_pred}});
      write_file_atomic(c.out_dir + "/run.json", rec.dump(1));
      std::printf("recorded as run %lld (experiment %s) in %s\n", static_cast<long long>(run.id), a->experiment.c_str(),
                  a->db.c_str());
      return 0;
    };
  });
}

}  // namespace cast::cli
