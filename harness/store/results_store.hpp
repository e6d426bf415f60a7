// The SQLite results store: runs (with their resolved config, git SHA, library versions and
// device), epochs, predictions, metrics recomputed from predictions, and frozen splits.
// WAL mode and a busy timeout let several processes write to one database at once; every write
// is one transaction, so a killed process never leaves half a run's results.
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
};

struct RunInfo {
  std::int64_t id = 0;
  RunKey key;
  std::string status;  // running | done | failed
  std::string config, git_sha, versions, device, text_encoder;
  double started = 0, finished = 0;
};

struct StoredPrediction {
  std::string split, sample_id;
  double y_true, y_pred;
};

struct StoredEpoch {
  int epoch;
  double train_loss, val_mae, lr, seconds;
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
struct DatasetStat {
  std::string split, name;
  double value = 0;
};

class ResultsStore {
 public:
  static constexpr int kSchemaVersion = 1;
  explicit ResultsStore(const std::string& path);
  ~ResultsStore();
  ResultsStore(const ResultsStore&) = delete;
  ResultsStore& operator=(const ResultsStore&) = delete;

  // The run for this key: created (status running) when absent; returns its id.
  std::int64_t begin_run(const RunKey& key, const std::string& config, const std::string& git_sha,
                         const std::string& versions, const std::string& device, const std::string& text_encoder);
  std::optional<RunInfo> find_run(const RunKey& key) const;
  void add_epoch(std::int64_t run, const StoredEpoch& e);
  // Stores the predictions, recomputes the metrics from them and marks the run done, atomically.
  void finish_run(std::int64_t run, const std::vector<StoredPrediction>& predictions);
  void fail_run(std::int64_t run, const std::string& reason);
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

  const std::string& path() const { return path_; }

 private:
  void exec(const std::string& sql) const;
  std::string path_;
  sqlite3* db_ = nullptr;
};

}  // namespace cast
