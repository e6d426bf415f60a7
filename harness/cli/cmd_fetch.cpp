// cast data fetch: the public MatBench files, downloaded with libcurl (retry, resume of a
// partial download) or copied from a local mirror, verified by SHA-256 (OpenSSL) against
// matminer's dataset metadata; `mp`: Materials Project documents from the MP API (fetch_mp.cpp);
// `matscibert`: MatSciBERT's weights from the Hugging Face hub (fetch_hf.cpp).
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

#include "cli/commands.hpp"
#include "cli/fetch_util.hpp"
#include "common/error.hpp"
#include "common/file_io.hpp"
#include "common/progress.hpp"
#include "common/log.hpp"

namespace cast::cli {

namespace {

struct KnownDataset {
  const char* name;
  const char* file;
  const char* sha256;  // matminer/datasets/dataset_metadata.json "hash"
  const char* task;
};
const KnownDataset kDatasets[] = {
    {"matbench_log_gvrh", "matbench_log_gvrh.json.gz", "098af941f4c663270f1fe21abf20ffad6fb85ecbfcba5786ceac03983ac29da7", "log_gvrh"},
    {"matbench_log_kvrh", "matbench_log_kvrh.json.gz", "44b113ddb7e23aa18731a62c74afa7e5aa654199e0db5f951c8248a00955c9cd", "log_kvrh"},
    {"matbench_mp_gap", "matbench_mp_gap.json.gz", "58b65746bd88329986ed66031a2ac1369c7c522f7bc9f9081528e07097c2c057", "band_gap"},
    {"matbench_mp_e_form", "matbench_mp_e_form.json.gz", "dedcb1d4ba2e3e50dbdd45ba5bc647a00e9c2bcf8f8bf556dc8e92caa39eb21f", "formation_energy"},
};
constexpr const char* kBaseUrl = "https://ml.materialsproject.org/projects/";

struct FetchArgs {
  std::string name, mirror, from, out, sha256;
  int tries = 3;
  MpFetchOptions mp;
  std::string revision, endpoint, sha256_file;
  bool tries_given = false;
};

}  // namespace

void register_data_fetch(CLI::App* data, Action& action) {
  auto a = std::make_shared<FetchArgs>();
  std::string names;
  for (const auto& k : kDatasets) names += std::string(names.empty() ? "" : ", ") + k.name;
  names += ", mp, matscibert";
  auto* cmd = data->add_subcommand(
      "fetch", "Download a public MatBench file, Materials Project documents (mp) or MatSciBERT's weights (matscibert)");
  cmd->add_option("dataset", a->name, "One of: " + names)->required();
  cmd->add_option("--mirror", a->mirror, "Copy from this local folder (holding the file(s) under the official names)");
  cmd->add_option("--from", a->from,
                  "Take this local file (matscibert: folder) instead (verified; another hash is kept with a warning)");
  cmd->add_option("--out", a->out,
                  "Folder to put it in (default $CAST_DATA_DIR/matbench, else data/matbench; mp: $CAST_DATA_DIR/mp, else "
                  "data/mp; matscibert: data/matscibert)");
  cmd->add_option("--sha256", a->sha256, "Expected SHA-256 instead of matminer's (for a file of another version)");
  auto* tries = cmd->add_option("--tries", a->tries, "Download attempts (mp: tries per page, default 6)")->capture_default_str();
  const char* mp = "mp (Materials Project API)";
  cmd->add_option("--api-key", a->mp.api_key, "mp: your Materials Project API key (default $MP_API_KEY)")->group(mp);
  cmd->add_flag("--texts", a->mp.texts, "mp: also the Robocrystallographer descriptions MP serves (/materials/robocrys/), "
                                        "joined to the documents as \"description\"")->group(mp);
  cmd->add_option("--page-size", a->mp.page_size, "mp: documents per request (_limit)")->capture_default_str()->group(mp);
  cmd->add_option("--limit", a->mp.limit, "mp: only the first N documents (by material_id; 0 = all)")->group(mp);
  cmd->add_option("--endpoint", a->endpoint,
                  "mp: the API's base URL (default $MP_API_ENDPOINT, else https://api.materialsproject.org); "
                  "matscibert: the hub's (default https://huggingface.co)");
  cmd->add_flag("--refresh", a->mp.refresh, "mp: fetch again even when a verified file is there")->group(mp);
  cmd->add_flag("-q,--quiet", a->mp.quiet, "No progress bars");
  cmd->add_option("--backoff", a->mp.backoff_s, "mp: first wait between tries in seconds (doubling, at most 60)")
      ->capture_default_str()->group(mp);
  cmd->add_option("--revision", a->revision, "matscibert: the hub revision (commit) to fetch (default: the pinned one)")
      ->group("matscibert (Hugging Face hub)");
  cmd->add_option("--sha256-file", a->sha256_file,
                  "matscibert: expected SHA-256 of the files ('SHA256  FILE' lines, as sha256sum writes), instead of the "
                  "pinned ones")
      ->group("matscibert (Hugging Face hub)");
  cmd->callback([a, &action, names, tries] {
    a->tries_given = tries->count() > 0;
    action = [a, names] {
      if (a->name == "mp") {
        MpFetchOptions o = a->mp;
        if (o.api_key.empty())
          if (const char* k = std::getenv("MP_API_KEY")) o.api_key = k;
        if (!a->endpoint.empty()) o.endpoint = a->endpoint;
        else if (const char* e = std::getenv("MP_API_ENDPOINT")) o.endpoint = e;
        if (a->tries_given) o.tries = a->tries;
        if (o.tries < 1) fail("--tries must be at least 1");
        o.out = a->out;
        if (o.out.empty()) {
          const char* env = std::getenv("CAST_DATA_DIR");
          o.out = env ? std::string(env) + "/mp" : "data/mp";
        }
        return fetch_mp(o);
      }
      if (a->name == "matscibert") {
        HfFetchOptions o;
        o.revision = a->revision;
        o.mirror = a->mirror;
        o.from = a->from;
        o.out = a->out.empty() ? "data/matscibert" : a->out;
        if (!a->endpoint.empty()) o.endpoint = a->endpoint;
        o.tries = a->tries;
        o.sha256_file = a->sha256_file;
        return fetch_hf_model(o);
      }
      const KnownDataset* ds = nullptr;
      for (const auto& k : kDatasets) if (a->name == k.name) ds = &k;
      if (!ds) throw InputError("unknown dataset '" + a->name + "'; valid datasets: " + names);
      std::string out = a->out;
      if (out.empty()) {
        const char* env = std::getenv("CAST_DATA_DIR");
        out = env ? std::string(env) + "/matbench" : "data/matbench";
      }
      make_directories(out);
      const std::string dest = out + "/" + ds->file, part = dest + ".part";
      const std::string expected = a->sha256.empty() ? ds->sha256 : a->sha256;
      if (!a->from.empty()) {
        if (!file_exists(a->from)) fail(a->from, ": no such file");
        copy_file(a->from, part);
      } else if (!a->mirror.empty()) {
        const std::string src = a->mirror + "/" + ds->file;
        if (!file_exists(src)) fail(src, ": not in the mirror (the mirror must hold the file under its official name)");
        copy_file(src, part);
      } else if (file_exists(dest) && sha256_file(dest) == expected) {
        std::printf("%s: already present and verified (sha256 %s)\n", dest.c_str(), expected.c_str());
        return 0;
      } else {
        download(std::string(kBaseUrl) + ds->file, part, a->tries);
      }
      const std::string got = sha256_file(part);
      if (got != expected) {
        if (!a->from.empty()) {
          spdlog::warn("{} has sha256 {}, not the official {}; kept as given", a->from, got, expected);
        } else {
          const std::string bad = dest + ".bad";
          std::rename(part.c_str(), bad.c_str());
          fail(a->mirror.empty() ? std::string(kBaseUrl) + ds->file : a->mirror + "/" + ds->file, ": SHA-256 ", got,
               " does not match the expected ", expected, "; the file is kept as ", bad,
               " for inspection and was not installed (a mirror of another version? pass --sha256)");
        }
      }
      if (std::rename(part.c_str(), dest.c_str()) != 0) fail(dest, ": cannot install (", std::strerror(errno), ")");
      std::printf("%s: %s (sha256 %s%s)\nuse it with: cast data prepare --task %s --source %s\n", ds->name, dest.c_str(),
                  got.c_str(), got == expected ? ", verified" : ", unverified", ds->task, dest.c_str());
      return 0;
    };
  });
}

}  // namespace cast::cli
