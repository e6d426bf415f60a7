// The SQLite results store: runs (with their resolved config, git SHA, library versions and
// device), epochs, predictions, metrics recomputed from predictions, and frozen splits.
// A run's identity is (experiment, model, task, seed, profile, dataset, text encoder): the
// dataset and the text encoder are content identities (hashes of the source and its settings,
// of the encoder's files), so a different dataset under the same model, task and seed is a
// different run. A run redone replaces its epochs, predictions and metrics in one transaction; a
// failed or refused attempt never changes a finished run.
// Journal::Wal (default) and a busy timeout let any number of processes on one host write one
// database; Journal::Delete (one writer, no WAL) is for a file on a shared filesystem (NFS,
// Lustre), one per cluster job, gathered by merge(). Every write is one transaction, so a killed
// process never leaves half a run's results.
// A file that is not a cast store (another application's SQLite database, or garbage) is
// refused with a message naming it.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace cast {

struct RunKey {
  std::string experiment, model, task, profile;
  std::uint64_t seed = 0;
  std::string dataset;        // dataset identity (data/dataset.hpp dataset_identity); "" in stores of schema 1
  std::string text_encoder;   // text encoder identity ("" for graph-only models)
};

// What a run records besides its key; replaced by the attempt that finishes it.
struct RunMeta {
  std::string config, git_sha, versions, device;
  std::string text_encoder_path;   // the directory it was read from (for people; the key has its identity)
  std::string dataset_desc;        // human-readable dataset (source, task, filters, limit)
};

struct RunInfo {
  std::int64_t id = 0;
  RunKey key;
  std::string status;  // running | done | failed
  std::string config, git_sha, versions, device, text_encoder, dataset_desc, error, origin;
  double started = 0, finished = 0;
};

// begin_run's answer: the run's id, and whether it was already finished (then the new attempt
// records nothing until finish_run replaces the whole result).
struct RunAttempt {
  std::int64_t id = 0;
  bool was_done = false;
};

struct StoredPrediction {
  std::string split, sample_id;
  double y_true, y_pred;
};

struct StoredEpoch {
  int epoch;
  double train_loss, val_mae, lr, seconds;
  double data_wait = 0;  // of seconds, those spent waiting for batches (0 in stores of schema 2)
};

// Figure data: what `cast plot` draws, kept in the store so that figures come from it alone.
struct FigureKey {
  std::string figure, profile, model, task, sample_id;  // sample_id empty for whole-test-set data
};
struct AttentionCell {
  int layer = 0, node = 0;
  std::string node_label;
  int token_index = 0;
  std::string token;
  double weight = 0;
};
struct HistogramBin {
  int layer = 0;
  double lo = 0, hi = 0, count = 0;
};
// One finished step of a reproduction plan and its wall time (exec/cost_model.hpp).
struct StoredStepTime {
  std::string cls, device, profile;
  double units = 0, seconds = 0;
  std::string host;
};

struct DatasetStat {
  std::string split, name;
  double value = 0;
};

enum class Journal { Wal, Delete };
Journal parse_journal(const std::string& s);  // "wal" | "delete"

struct MergeReport {
  std::size_t runs_added = 0, runs_replaced = 0, runs_same = 0, runs_skipped = 0;
};

class ResultsStore {
 public:
  static constexpr int kSchemaVersion = 3;
  explicit ResultsStore(const std::string& path, Journal journal = Journal::Wal);
  ~ResultsStore();
  ResultsStore(const ResultsStore&) = delete;
  ResultsStore& operator=(const ResultsStore&) = delete;

  // The run for this key: created (status running) when absent. An unfinished run is marked
  // running with this attempt's meta; a finished one is left exactly as it is.
  RunAttempt begin_run(const RunKey& key, const RunMeta& meta);
  std::optional<RunInfo> find_run(const RunKey& key) const;
  // Every run with these five fields, whatever its dataset and text encoder, newest first.
  std::vector<RunInfo> find_runs(const std::string& experiment, const std::string& model, const std::string& task,
                                 const std::string& profile, std::uint64_t seed) const;
  // Epochs of an unfinished run as they happen (a finished run's are replaced by finish_run).
  void add_epoch(std::int64_t run, const StoredEpoch& e);
  // An attempt's starting history (from the checkpoint it resumes, or none): the run's epochs
  // become exactly these, so a restarted run carries no epochs of an earlier attempt. Ignored for
  // a finished run.
  void reset_epochs(std::int64_t run, const std::vector<StoredEpoch>& history);
  // In one transaction: the run's epochs, predictions and meta replaced, the metrics recomputed
  // from the predictions, the run marked done.
  void finish_run(std::int64_t run, const std::vector<StoredPrediction>& predictions,
                  const std::vector<StoredEpoch>& epochs, const RunMeta& meta);
  // Marks an unfinished run failed; a finished run is never changed (returns false then).
  bool fail_run(std::int64_t run, const std::string& reason);
  // Imports the runs, splits, figure data and dataset statistics of another store (a cluster
  // job's), idempotent by a run's identity: a run present in both with the same predictions is
  // left alone; a finished run replaces an unfinished one; the same key with other predictions is
  // refused naming both files, before anything is written.
  MergeReport merge(const std::string& other_path);
  void record_split(const std::string& task, const std::vector<std::pair<std::string, std::string>>& id_split);

  std::vector<RunInfo> runs(const std::string& where_sql = "") const;
  std::vector<StoredEpoch> epochs(std::int64_t run) const;
  std::vector<StoredPrediction> predictions(std::int64_t run, const std::string& split = "") const;
  // name -> value for a run and split ("mae", "rmse", "r2", "n").
  std::vector<std::pair<std::string, double>> metrics(std::int64_t run, const std::string& split) const;

  // Replace the attention map / histogram stored under this key.
  void put_attention(const FigureKey& k, const std::vector<AttentionCell>& cells);
  void put_histogram(const FigureKey& k, const std::vector<HistogramBin>& bins);
  std::vector<std::pair<FigureKey, std::vector<AttentionCell>>> attention_maps(const std::string& figure,
                                                                               const std::string& profile) const;
  std::vector<std::pair<FigureKey, std::vector<HistogramBin>>> histograms(const std::string& figure,
                                                                          const std::string& profile) const;
  // Table 2 statistics of one task's dataset at one profile (replaced as a whole).
  void put_dataset_stats(const std::string& profile, const std::string& task, const std::string& source,
                         const std::vector<DatasetStat>& stats);
  // task -> (source, stats), tasks in name order.
  std::vector<std::pair<std::string, std::pair<std::string, std::vector<DatasetStat>>>> dataset_stats(
      const std::string& profile) const;

  // The wall time of a finished step of a plan (the local executor's record: class as
  // exec::eta_class, units as the plan's cost), for the ETA and the dry run of a later plan.
  void add_step_time(const StoredStepTime& t);
  // Every recorded step time, oldest first.
  std::vector<StoredStepTime> step_times() const;

  const std::string& path() const { return path_; }

 private:
  void init(Journal journal);
  void exec(const std::string& sql) const;
  std::string path_;
  sqlite3* db_ = nullptr;
};

}  // namespace cast
