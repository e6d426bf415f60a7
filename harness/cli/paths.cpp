// Where cast looks for data, its cache and the project's files (recipes, the paper's tables).
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "common/error.hpp"
#include "common/file_io.hpp"

namespace cast::cli {

namespace {
// The working directory, then the executable's folder and up to three folders above it.
std::vector<std::string> search_roots() {
  std::vector<std::string> roots = {"."};
  char exe[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    std::string dir(exe);
    for (int up = 0; up < 4; ++up) {
      auto k = dir.find_last_of('/');
      if (k == std::string::npos) break;
      dir = dir.substr(0, k);
      roots.push_back(dir);
    }
  }
  return roots;
}
}  // namespace

std::string find_data_dir(std::string* origin) {
  auto say = [origin](const char* o) { if (origin) *origin = o; };
  if (const char* env = std::getenv("CAST_DATA_DIR")) {
    say("$CAST_DATA_DIR");
    return env;
  }
  const auto roots = search_roots();
  for (const auto& r : roots)
    for (const char* rel : {"/../shared/data", "/shared/data"})
      if (is_directory(r + rel)) {
        say("shared data beside the working directory or the binary");
        return r + rel;
      }
  // The embedded demo set of the repository (data/demo, cut by scripts/cut_demo_data.py): what a
  // clone with nothing beside it runs the demo on. Same layout and file names, fewer entries.
  for (const auto& r : roots)
    if (is_directory(r + "/data/demo/mp") || is_directory(r + "/data/demo/matbench")) {
      say("the embedded demo set of the repository (data/demo/README.md)");
      char abs[PATH_MAX];
      const std::string demo = r + "/data/demo";
      return ::realpath(demo.c_str(), abs) ? std::string(abs) : demo;
    }
  say("");
  return {};
}

std::string repo_path(const std::string& rel) {
  for (const auto& r : search_roots()) {
    const std::string p = r == "." ? rel : r + "/" + rel;
    if (file_exists(p)) return p;
  }
  return rel;
}

void fit_tokens_to_encoder(PrepareOptions& po, const std::string& encoder_dir) {
  const std::string cfg = encoder_dir + "/config.json";
  if (!file_exists(cfg)) fail(cfg, ": missing; the text encoder directory needs config.json, vocab.txt and model.safetensors (or pytorch_model.bin)");
  auto j = nlohmann::json::parse(read_file(cfg), nullptr, false);
  if (j.is_discarded() || !j.is_object()) fail(cfg, ": not valid JSON");
  const std::size_t positions = j.value("max_position_embeddings", std::size_t{512});
  if (positions > 0 && po.max_tokens > positions) {
    std::printf("note: the text encoder %s reads at most %zu tokens; texts are truncated there (profile: %zu)\n",
                encoder_dir.c_str(), positions, po.max_tokens);
    po.max_tokens = positions;
  }
  po.vocab = encoder_dir + "/vocab.txt";
}

std::string default_cache_dir() {
  if (const char* env = std::getenv("CAST_CACHE_DIR")) return env;
  return "cache";
}

PrepareOptions dataset_options(const std::string& task, const std::string& source, std::size_t limit, bool quiet,
                               std::size_t max_tokens) {
  PrepareOptions po;
  po.task = parse_task(task);
  if (po.task == Task::Custom && source.empty())
    fail("--task custom trains on your own data: pass --source FILE or FOLDER (CIFs/POSCARs with id_prop.csv, "
         "MatBench .json.gz, MP .jsonl) and --target FIELD");
  po.source = source.empty() ? default_data_source(po.task) : source;
  if (po.source.empty()) fail("no --source and no data folder found; pass --source FILE or set CAST_DATA_DIR");
  // The paper's filters belong to the paper's tasks; one's own property gets them only when asked.
  po.filters.paper_filters = po.task != Task::Custom;
  po.limit = limit;
  po.progress = !quiet;
  po.cache_dir = default_cache_dir();
  po.max_tokens = max_tokens;
  return po;
}

void add_task_options(CLI::App* cmd, TaskArgs& t) {
  std::string tasks;
  for (const auto& i : all_tasks()) tasks += std::string(tasks.empty() ? "" : ", ") + i.name;
  cmd->add_option("--task", t.task, "One of: " + tasks + " ('cast tasks' lists them)")->required();
  cmd->add_option("--target", t.target,
                  "--task custom: the source's field holding the property (default 'target', an id_prop.csv's "
                  "value column; nested JSON keys joined by '.')");
  cmd->add_option("--unit", t.unit, "--task custom: the property's unit, shown with every MAE");
  cmd->add_option("--filters", t.filters,
                  "paper | none: the paper's dataset filters (default: paper for the paper's tasks, none for custom)")
      ->check(CLI::IsMember({"paper", "none"}));
}

PrepareOptions task_dataset_options(const TaskArgs& t, const std::string& source, std::size_t limit, bool quiet,
                                    std::size_t max_tokens) {
  const TaskSpec spec = make_task_spec(t.task, t.target, t.unit);
  PrepareOptions po = dataset_options(t.task, source, limit, quiet, max_tokens);
  po.target_field = spec.field;
  po.unit = spec.unit;
  if (!t.filters.empty()) po.filters.paper_filters = t.filters == "paper";
  return po;
}

void print_removals(const Dataset& d) {
  std::size_t removed = 0;
  for (const auto& [k, v] : d.removed) removed += v;
  std::printf("%s: %zu entries read, %zu kept, %zu removed\n", d.source.c_str(), d.entries_read,
              d.records.size(), removed);
  for (const auto& [k, v] : d.removed) {
    std::printf("  removed %6zu  %s\n", v, k.c_str());
    auto ex = d.removed_examples.find(k);
    if (ex != d.removed_examples.end())
      for (const auto& m : ex->second) std::printf("                  e.g. %s\n", m.c_str());
  }
  for (const auto& [k, v] : d.target_fields) std::printf("  target from %s: %zu\n", k.c_str(), v);
  for (const auto& [k, v] : d.text_failures)
    std::printf("  no text (gets [CLS] only) %6zu  %s\n", v, k.c_str());
  std::printf("  split: train %zu, val %zu, test %zu\n", d.count(Split::Train), d.count(Split::Val),
              d.count(Split::Test));
}

}  // namespace cast::cli
