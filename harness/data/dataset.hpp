// A featurized dataset for one task: source -> filters -> frozen split -> coGN graphs (and text
// slots, filled by the text pipeline), cached on disk under a key that hashes the source bytes,
// every setting and the cache format version. Training reads only the cache.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "data/filters.hpp"
#include "data/split.hpp"
#include "data/tasks.hpp"
#include "graph/crystal_graph.hpp"

namespace cast {

constexpr std::uint32_t kDatasetFormatVersion = 5;

struct DatasetRecord {
  std::string id;
  Split split = Split::Train;
  double target = 0;
  std::string formula;
  std::int32_t nsites = 0;
  std::int32_t spacegroup = 1;
  CrystalGraph graph;
  // Text: the source's description, else the describer's; empty when it failed (the model
  // then gets [CLS] only, as in the paper) with text_error saying why.
  std::string text;
  std::string text_error;
  enum class TextOrigin : std::uint8_t { None = 0, Source = 1, Describer = 2 };
  TextOrigin text_origin = TextOrigin::None;  // Table 2 counts the texts from each
  std::vector<std::int32_t> token_ids;  // with the dataset's vocabulary, truncated at max_tokens
  std::int32_t token_count = 0;         // before truncation, [CLS] and [SEP] included
};

struct Dataset {
  std::string task;
  std::string unit;           // the target's unit (the task's, or a custom task's --unit); not cached
  std::string source;
  std::string settings;       // human-readable settings behind the cache key
  std::uint64_t key = 0;
  std::size_t entries_read = 0;
  std::map<std::string, std::size_t> removed;  // reason -> count
  std::map<std::string, std::vector<std::string>> removed_examples;  // reason -> first few "where: why" of bad entries
  std::map<std::string, std::size_t> target_fields;  // field -> count
  std::map<std::string, std::size_t> text_failures;  // reason -> count (those get [CLS] only)
  std::size_t max_tokens = 512;
  std::vector<DatasetRecord> records;
  std::size_t count(Split s) const;
};

enum class OnError { Skip, Fail };

struct PrepareOptions {
  Task task = Task::FormationEnergy;
  std::string target_field;    // Task::Custom: the source's field (id_prop.csv: "target")
  std::string unit;            // Task::Custom: the user's unit
  TaskSpec spec() const { return {task, target_field, unit}; }
  std::string source;
  std::size_t limit = 0;       // first N entries of the source (0 = all)
  unsigned threads = 0;
  OnError on_error = OnError::Skip;
  std::string cache_dir;       // empty = no cache
  bool rebuild = false;
  bool progress = true;
  GraphOptions graph = dataset_graph_options();
  FilterOptions filters;
  SplitOptions split;
  double min_distance = 0.5;   // Å; closer atoms make an entry invalid
  bool describe = true;        // write a description when the source has none
  std::string vocab;           // tokenise with this vocab.txt (empty: no tokens)
  std::size_t max_tokens = 512;
};

// Reads, filters, splits and featurizes (or loads the cache when its key matches).
// With OnError::Fail the first bad entry throws InputError naming it.
Dataset prepare_dataset(const PrepareOptions& opt, bool* loaded_from_cache = nullptr);

// Featurizes structures read by the user (cast predict / explain) with a dataset's settings:
// graph, description, tokens; no target, no filters. Entries that cannot be featurized are
// left out and their messages appended to errors.
Dataset featurize_entries(std::vector<Entry>& entries, const PrepareOptions& opt, std::vector<std::string>& errors);

// A dataset's identity in the results store: the content of the source (every file of a folder),
// the task and its target field, the filters, the limit and the split; featurizer settings are
// configuration, not identity. 16 hex digits.
std::string dataset_identity(const PrepareOptions& opt);
// For people: "log_kvrh from matbench_log_kvrh.subset.json.gz (content 1a2b...), limit 300, paper filters".
std::string dataset_description(const PrepareOptions& opt);
// A text encoder directory's identity: its config.json, vocab.txt and weights, hashed
// (basename@16 hex digits); "" for an empty path.
std::string text_encoder_identity(const std::string& dir);
// The content hash of a source file, or of every regular file of a folder (names and bytes).
std::uint64_t hash_source(const std::string& path);

std::string cache_path(const PrepareOptions& opt, std::uint64_t key);
std::uint64_t cache_key(const PrepareOptions& opt);
void save_dataset(const Dataset& d, const std::string& path);
// Throws InputError naming the file when it is not a cast dataset or is corrupt/truncated.
Dataset load_dataset(const std::string& path);

struct SplitStatistics {
  std::size_t n = 0;
  double nodes_mean = 0, nodes_std = 0;   // asymmetric-unit nodes
  double sites_mean = 0, sites_std = 0;   // sites in the input cell
  double edges_mean = 0;
  double y_mean = 0, y_std = 0;
  double text_rate = 0;                   // share with a non-empty description
  std::size_t texts_source = 0;           // descriptions served by the source (MP's Robocrystallographer)
  std::size_t texts_describer = 0;        // written by cast's describer
  double tokens_mean = 0, tokens_std = 0; // untruncated token counts (0 without a vocab)
  double truncated_rate = 0;              // share over max_tokens
};
// Keys "train", "val", "test", "val+test", "all".
std::map<std::string, SplitStatistics> table2_statistics(const Dataset& d);

}  // namespace cast
