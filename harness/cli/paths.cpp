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

std::string find_data_dir() {
  if (const char* env = std::getenv("CAST_DATA_DIR")) return env;
  for (const auto& r : search_roots())
    for (const char* rel : {"/../shared/data", "/shared/data"})
      if (is_directory(r + rel)) return r + rel;
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
  if (!file_exists(cfg)) fail(cfg, ": missing; the text encoder directory needs config.json, vocab.txt and model.safetensors");
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
  po.source = source.empty() ? default_data_source(po.task) : source;
  if (po.source.empty()) fail("no --source and no data folder found; pass --source FILE or set CAST_DATA_DIR");
  po.limit = limit;
  po.progress = !quiet;
  po.cache_dir = default_cache_dir();
  po.max_tokens = max_tokens;
  return po;
}

}  // namespace cast::cli
