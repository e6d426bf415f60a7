// One trainer for every model (SPEC §0.2): batches bounded by count, atoms and tokens; AdamW
// with a learning rate for new modules and one for the text encoder; linear warm-up then
// cosine with hard restarts; L1 on standardised targets (the normaliser is saved); gradient
// clipping; best-validation selection with early stopping; the test split evaluated once, at
// the end, with the best weights; MAE in the target's units. Checkpoints are directories
// (`last` and `best`); a run resumes from `last` by itself. Seeded throughout: two CPU runs
// with one seed give the same numbers.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "baselines/regressors.hpp"
#include "common/progress.hpp"
#include "data/dataset.hpp"

namespace cast::dist {
class Comm;
}

namespace cast {

struct TrainConfig {
  ModelConfig model;
  std::uint64_t seed = 0;
  int epochs = 20;
  std::size_t batch_size = 64, max_atoms = 4096, max_tokens_per_batch = 64 * 512;
  double lr = 5e-4, lr_text = 5e-5, weight_decay = 0.01, clip = 1.0;
  std::int64_t warmup_steps = 1000;
  int cycles = 4;
  int patience = 0;                 // epochs without improvement before stopping (0 = never)
  std::string out_dir;              // checkpoints and the run record
  std::string init_from;            // weights to start from (pretraining), loaded non-strictly
  bool progress = true;
  int stop_after_epoch = 0;         // > 0: return after this epoch (as if interrupted)
  std::string device = "cpu";
  bool bf16 = true;                 // bf16 autocast on CUDA (ignored on CPU)
  // Batches built ahead of the step (train/prefetch.hpp): at most this many waiting, built by
  // prefetch_workers background threads; 0 builds each on the training thread (the path before
  // prefetching). Results do not depend on it (not part of the run's configuration).
  int prefetch = 2;
  std::size_t prefetch_workers = 1;
  // Data parallel (dist/comm.hpp): every rank runs the same configuration; each takes its shard of
  // every global batch; only rank 0 writes checkpoints and calls the hooks. Null: one process.
  std::shared_ptr<dist::Comm> comm;
};

struct EpochRecord {
  int epoch;
  double train_loss, val_mae, lr, seconds, samples_per_second;
  // Of `seconds`, those the training thread waited for batches (train and validation): near
  // zero when the data path keeps up; near `seconds` when the device starves.
  double data_wait_seconds = 0;
};

struct Prediction {
  std::string id;
  double y_true, y_pred;
};

struct TrainResult {
  double val_mae = 0, test_mae = 0, mean_predictor_test_mae = 0;
  int best_epoch = 0;
  double seconds = 0;
  std::vector<EpochRecord> epochs;
  std::vector<Prediction> test_predictions;
  // The best model on the training split: the store keeps them (train MAE, and the training
  // split's targets from which Table 1's mean-predictor row is computed).
  std::vector<Prediction> train_predictions;
  std::vector<std::string> warnings;   // for the user (e.g. the best epoch was the first)
};

// What the caller sees of a run as it goes: the history it starts from (resumed from last/, or
// empty) and each epoch as it ends.
struct TrainHooks {
  std::function<void(const std::vector<EpochRecord>& history)> on_start;
  std::function<void(const EpochRecord&)> on_epoch;
};

// Batches of record indices (order kept), each within the count/atom/token limits.
std::vector<std::vector<std::size_t>> make_batches(const Dataset& d, const std::vector<std::size_t>& order,
                                                   const TrainConfig& c);
ModelBatch build_batch(const Dataset& d, const std::vector<std::size_t>& rows, bool with_text, double mean,
                       double sd);

// Record indices of one split, in dataset order.
std::vector<std::size_t> split_rows(const Dataset& d, Split s);
// AdamW with two groups: new modules at c.lr, the text encoder (when trainable) at c.lr_text.
std::unique_ptr<torch::optim::AdamW> make_optimizer(Regressor& model, const TrainConfig& c);
// Both groups' learning rates scaled by the schedule factor.
void set_learning_rates(torch::optim::AdamW& opt, const TrainConfig& c, double factor);

TrainResult train_model(const Dataset& d, const TrainConfig& c, const TrainHooks& hooks);
TrainResult train_model(const Dataset& d, const TrainConfig& c,
                        const std::function<void(const EpochRecord&)>& on_epoch = {});

constexpr const char* kCheckpointFormat = "cast-checkpoint-1";
constexpr const char* kModelCardFormat = "cast-model-1";

// A trained model loaded from a run directory (or its best/ or last/ checkpoint) for inference:
// cast_model.json + text_encoder/ + model.pt.
struct LoadedModel {
  std::shared_ptr<Regressor> model;
  ModelConfig config;
  std::string task, unit, run_dir, weights, vocab;
  torch::Device device = torch::kCPU;
  double mean = 0, sd = 1;
  std::size_t max_tokens = 512;
};
// On `device` ("cpu", "cuda", "cuda:1").
LoadedModel load_trained_model(const std::string& checkpoint, const std::string& device = "cpu");
// Predictions in the target's units for every record of d (in order); progress counts structures.
std::vector<double> predict_dataset(LoadedModel& m, const Dataset& d, std::size_t batch_size = 64,
                                    Progress* progress = nullptr);

}  // namespace cast
