// cast data prepare | validate: datasets from users' files, the paper's filters, frozen splits,
// the featurized cache and Table 2's rows.
#include <cmath>
#include <cstdio>

#include "cli/commands.hpp"
#include "common/error.hpp"
#include "common/file_io.hpp"
#include "crystal/elements.hpp"
#include "crystal/readers.hpp"
#include "data/dataset.hpp"
#include "data/tasks.hpp"
#include "store/results_store.hpp"

#include <nlohmann/json.hpp>

namespace cast::cli {

namespace {

struct PrepareArgs {
  std::string task, source, cache_dir, on_error = "skip";
  std::size_t limit = 0;
  unsigned threads = 0;
  bool rebuild = false, no_filters = false, no_cache = false, quiet = false, no_describe = false;
  std::string vocab, db, profile = "demo", corpus_out;
  std::size_t max_tokens = 512;
  std::uint64_t split_seed = 42;
};

}  // namespace

// The shared data file that fits a task best, when the user gives no --source.
std::string default_data_source(Task t) {
  std::string dir = find_data_dir();
  if (dir.empty()) return {};
  switch (t) {
    case Task::TotalEnergy: return dir + "/mp/mp_summary_elastic_3202.jsonl.gz";
    case Task::FormationEnergy:
    case Task::BandGap: return dir + "/mp/mp_legacy_36737.jsonl.gz";
    case Task::LogGVRH: return dir + "/matbench/matbench_log_gvrh.subset.json.gz";
    case Task::LogKVRH: return dir + "/matbench/matbench_log_kvrh.subset.json.gz";
    case Task::Custom: return {};  // the user's own data: --source
  }
  return {};
}

namespace {

void print_table2(const Dataset& d) {
  auto st = table2_statistics(d);
  std::printf("\nTable 2 row: %s, source %s\n", d.task.c_str(), d.source.c_str());
  std::printf("| split | entries | nodes mean (std) | sites mean (std) | edges/graph | tokens mean (std) | text existence | Y mean (std) |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (const char* k : {"train", "val", "test", "val+test"}) {
    const auto& s = st[k];
    char tokens[96] = "n/a (pass --vocab)";
    char text[96];
    std::snprintf(text, sizeof text, "%.1f%% (%zu served, %zu ours)", 100.0 * s.text_rate, s.texts_source,
                  s.texts_describer);
    if (s.tokens_mean > 0)
      std::snprintf(tokens, sizeof tokens, "%.2f (%.2f), %.1f%% > %zu", s.tokens_mean, s.tokens_std,
                    100.0 * s.truncated_rate, d.max_tokens);
    std::printf("| %s | %zu | %.2f (%.2f) | %.2f (%.2f) | %.1f | %s | %s | %.2f (%.2f) |\n", k, s.n,
                s.nodes_mean, s.nodes_std, s.sites_mean, s.sites_std, s.edges_mean, tokens, text,
                s.y_mean, s.y_std);
  }
}

struct ValidateArgs {
  std::vector<std::string> files;
  double min_distance = 0.5;
  std::size_t max_sites = 500;
};

}  // namespace

void register_data(CLI::App& app, Action& action) {
  auto* data = app.add_subcommand("data", "Datasets: prepare (filter, split, featurize, cache) and validate");
  data->require_subcommand(1);

  register_data_fetch(data, action);
  auto pa = std::make_shared<PrepareArgs>();
  auto* prep = data->add_subcommand("prepare", "Filter, split and featurize one task; print its Table 2 row");
  auto task = std::make_shared<TaskArgs>();
  add_task_options(prep, *task);
  prep->add_option("--source", pa->source,
                   "MatBench .json[.gz], MP documents .jsonl[.gz], pymatgen JSON, CIF, or a CIF folder "
                   "with id_prop.csv (default: the matching file in $CAST_DATA_DIR or ../shared/data)");
  prep->add_option("--limit", pa->limit, "Use only the first N entries of the source");
  prep->add_option("--threads", pa->threads, "Worker threads (0 = all cores)");
  prep->add_option("--on-error", pa->on_error, "skip: skip and count bad entries; fail: stop at the first")
      ->check(CLI::IsMember({"skip", "fail"}))->capture_default_str();
  prep->add_option("--cache-dir", pa->cache_dir, "Featurized cache folder (default $CAST_CACHE_DIR or ./cache)");
  prep->add_flag("--rebuild", pa->rebuild, "Ignore an existing cache entry and rebuild it");
  prep->add_flag("--no-cache", pa->no_cache, "Do not read or write the cache");
  prep->add_flag("--no-filters", pa->no_filters, "Same as --filters none (keep every readable entry)");
  prep->add_option("--split-seed", pa->split_seed, "Seed of the frozen 80/10/10 split")->capture_default_str();
  prep->add_flag("-q,--quiet", pa->quiet, "No progress bars");
  prep->add_flag("--no-describe", pa->no_describe, "Do not describe structures whose source has no description");
  prep->add_option("--vocab", pa->vocab, "Tokenise the texts with this vocab.txt (Table 2's token statistics)");
  prep->add_option("--max-tokens", pa->max_tokens, "Truncate token ids at this length")->capture_default_str();
  prep->add_option("--db", pa->db, "Store the Table 2 statistics in this results database");
  auto journal = std::make_shared<std::string>("wal");
  prep->add_option("--store-journal", *journal, "wal | delete (one writer; a store on NFS/Lustre)")
      ->check(CLI::IsMember({"wal", "delete"}))->capture_default_str();
  prep->add_option("--profile", pa->profile, "Profile the statistics are stored under (with --db)")->capture_default_str();
  prep->add_option("--corpus-out", pa->corpus_out,
                   "Write the descriptions of the train and validation entries as JSON lines {id, text} (a corpus "
                   "for 'cast lm pretrain')");
  prep->callback([pa, task, journal, &action] {
    action = [pa, task, journal] {
      if (pa->no_filters) {
        if (task->filters == "paper") fail("--no-filters and --filters paper contradict each other");
        task->filters = "none";
      }
      PrepareOptions o = task_dataset_options(*task, pa->source, pa->limit, pa->quiet, pa->max_tokens);
      if (!file_exists(o.source)) fail(o.source, ": no such file; pass --source FILE");
      o.limit = pa->limit;
      o.threads = pa->threads;
      o.on_error = pa->on_error == "fail" ? OnError::Fail : OnError::Skip;
      o.cache_dir = pa->no_cache ? "" : (pa->cache_dir.empty() ? default_cache_dir() : pa->cache_dir);
      o.rebuild = pa->rebuild;
      o.split.seed = pa->split_seed;
      o.progress = !pa->quiet;
      o.describe = !pa->no_describe;
      o.vocab = pa->vocab;
      o.max_tokens = pa->max_tokens;
      bool cached = false;
      Dataset d = prepare_dataset(o, &cached);
      print_removals(d);
      if (!o.cache_dir.empty())
        std::printf("  cache: %s%s\n", cache_path(o, d.key).c_str(), cached ? " (reused)" : " (written)");
      print_table2(d);
      if (!pa->db.empty()) {
        ResultsStore store(pa->db, parse_journal(*journal));
        std::vector<DatasetStat> stats;
        for (const auto& [split, st] : table2_statistics(d))
          for (const auto& [name, v] : std::vector<std::pair<const char*, double>>{
                   {"n", static_cast<double>(st.n)}, {"nodes_mean", st.nodes_mean}, {"nodes_std", st.nodes_std},
                   {"sites_mean", st.sites_mean}, {"edges_mean", st.edges_mean}, {"y_mean", st.y_mean},
                   {"y_std", st.y_std}, {"text_rate", st.text_rate}, {"tokens_mean", st.tokens_mean},
                   {"tokens_std", st.tokens_std}, {"truncated_rate", st.truncated_rate},
                   {"texts_source", static_cast<double>(st.texts_source)},
                   {"texts_describer", static_cast<double>(st.texts_describer)}})
            stats.push_back({split, name, v});
        store.put_dataset_stats(pa->profile, d.task, d.source, stats);
        std::printf("Table 2 statistics stored in %s (profile %s)\n", pa->db.c_str(), pa->profile.c_str());
      }
      if (!pa->corpus_out.empty()) {
        std::string out;
        std::size_t n = 0;
        for (const auto& r : d.records) {
          if (r.split == Split::Test || r.text.empty()) continue;
          out += nlohmann::json({{"id", r.id}, {"text", r.text}}).dump() + "\n";
          ++n;
        }
        write_file_atomic(pa->corpus_out, out);
        std::printf("corpus: %zu descriptions (train and validation) written to %s\n", n, pa->corpus_out.c_str());
      }
      return 0;
    };
  });

  auto va = std::make_shared<ValidateArgs>();
  auto* val = data->add_subcommand("validate", "List unreadable or suspicious entries of a dataset or structure file");
  val->add_option("files", va->files, "Files or CIF folders to check")->required();
  val->add_option("--min-distance", va->min_distance, "Atoms closer than this (Å) are overlapping")->capture_default_str();
  val->add_option("--max-sites", va->max_sites, "Cells larger than this are flagged")->capture_default_str();
  val->callback([va, &action] {
    action = [va] {
      std::size_t total = 0, bad = 0, suspicious = 0;
      for (const auto& file : va->files) {
        ReadOptions ro;
        ro.progress = true;
        std::vector<Entry> entries;
        // A file that cannot be read at all is one bad entry; the next file is still checked.
        try {
          entries = read_entries(file, ro);
        } catch (const std::exception& err) {
          ++total;
          ++bad;
          std::printf("BAD      %s\n", err.what());
          continue;
        }
        for (const auto& e : entries) {
          ++total;
          if (!e.ok) { ++bad; std::printf("BAD      %s\n", e.error.c_str()); continue; }
          if (e.structure.has_partial_occupancy()) {
            ++bad;
            std::printf("BAD      %s: entry '%s': partial occupancy (disordered sites)\n", e.where.c_str(), e.id.c_str());
            continue;
          }
          std::string p;
          try {
            p = structure_problem(e.structure, va->min_distance);
          } catch (const std::exception& err) {  // a neighbour search over its work bound
            p = err.what();
          }
          if (!p.empty()) { ++bad; std::printf("BAD      %s: entry '%s': %s\n", e.where.c_str(), e.id.c_str(), p.c_str()); continue; }
          std::vector<std::string> notes;
          for (const auto& s : e.structure.sites)
            if (is_noble_gas(s.Z)) { notes.push_back(std::string("contains noble gas ") + element(s.Z).symbol); break; }
          if (e.structure.size() > va->max_sites) notes.push_back(std::to_string(e.structure.size()) + " sites");
          for (const auto& n : notes) std::printf("SUSPECT  %s: entry '%s': %s\n", e.where.c_str(), e.id.c_str(), n.c_str());
          if (!notes.empty()) ++suspicious;
        }
      }
      std::printf("%zu entries: %zu bad, %zu suspicious, %zu fine\n", total, bad, suspicious, total - bad - suspicious);
      return bad ? 1 : 0;
    };
  });
}

}  // namespace cast::cli
