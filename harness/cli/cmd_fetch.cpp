// cast data fetch: the public MatBench files, downloaded with libcurl (retry, resume of a
// partial download) or copied from a local mirror, verified by SHA-256 (OpenSSL) against
// matminer's dataset metadata.
#include <curl/curl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

#include "cli/commands.hpp"
#include "common/error.hpp"
#include "common/file_io.hpp"
#include "common/progress.hpp"

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

std::string sha256_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, ": cannot open (", std::strerror(errno), ")");
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) EVP_DigestUpdate(ctx, buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx, md, &n);
  EVP_MD_CTX_free(ctx);
  std::string hex;
  char b[3];
  for (unsigned i = 0; i < n; ++i) {
    std::snprintf(b, sizeof b, "%02x", md[i]);
    hex += b;
  }
  return hex;
}

void copy_file(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  if (!in) fail(from, ": cannot open (", std::strerror(errno), ")");
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  if (!out) fail(to, ": cannot write (", std::strerror(errno), ")");
  out << in.rdbuf();
  if (!out) fail(to, ": write failed");
}

struct Download {
  FILE* f = nullptr;
  Progress* prog = nullptr;
};
std::size_t on_data(char* p, std::size_t size, std::size_t n, void* user) {
  auto* d = static_cast<Download*>(user);
  return std::fwrite(p, size, n, d->f) * size;
}
int on_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  auto* d = static_cast<Download*>(user);
  if (d->prog && total > 0) {
    d->prog->set_total(static_cast<std::size_t>(total));
    d->prog->set(static_cast<std::size_t>(now));
    d->prog->draw();
  }
  return 0;
}

// Downloads url into part (appending to what is there: resume), up to `tries` attempts.
void download(const std::string& url, const std::string& part, int tries) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  std::string last_error;
  for (int attempt = 1; attempt <= tries; ++attempt) {
    const long have = file_exists(part) ? static_cast<long>(std::ifstream(part, std::ios::binary | std::ios::ate).tellg()) : 0;
    Download d;
    d.f = std::fopen(part.c_str(), "ab");
    if (!d.f) fail(part, ": cannot write (", std::strerror(errno), ")");
    Progress prog("download " + url.substr(url.find_last_of('/') + 1), 0, true);
    d.prog = &prog;
    CURL* c = curl_easy_init();
    char err[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &d);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &d);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    if (have > 0) curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(have));
    const CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    std::fclose(d.f);
    prog.finish();
    if (rc == CURLE_OK) return;
    if (rc == CURLE_RANGE_ERROR || status == 416) std::remove(part.c_str());  // server cannot resume: start over
    last_error = err[0] ? err : curl_easy_strerror(rc);
    std::fprintf(stderr, "download attempt %d/%d failed: %s\n", attempt, tries, last_error.c_str());
    if (attempt < tries) std::this_thread::sleep_for(std::chrono::seconds(2 * attempt));
  }
  fail(url, ": download failed after ", tries, " attempts (", last_error,
       "); the partial file is kept and the next run resumes it. Offline? Use --mirror DIR or --from FILE");
}

struct FetchArgs {
  std::string name, mirror, from, out, sha256;
  int tries = 3;
};

}  // namespace

void register_data_fetch(CLI::App* data, Action& action) {
  auto a = std::make_shared<FetchArgs>();
  std::string names;
  for (const auto& k : kDatasets) names += std::string(names.empty() ? "" : ", ") + k.name;
  auto* cmd = data->add_subcommand("fetch", "Download a public MatBench file (or copy it from a mirror) and verify its SHA-256");
  cmd->add_option("dataset", a->name, "One of: " + names)->required();
  cmd->add_option("--mirror", a->mirror, "Copy from this local folder (holding the file under its official name)");
  cmd->add_option("--from", a->from, "Take this local file instead (verified; a file with another hash is kept with a warning)");
  cmd->add_option("--out", a->out, "Folder to put it in (default $CAST_DATA_DIR/matbench, else data/matbench)");
  cmd->add_option("--sha256", a->sha256, "Expected SHA-256 instead of matminer's (for a file of another version)");
  cmd->add_option("--tries", a->tries, "Download attempts")->capture_default_str();
  cmd->callback([a, &action, names] {
    action = [a, names] {
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
          std::fprintf(stderr, "warning: %s has sha256 %s, not the official %s; kept as given\n", a->from.c_str(),
                       got.c_str(), expected.c_str());
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
