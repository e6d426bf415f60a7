// cast data fetch matscibert: MatSciBERT's files (config.json, vocab.txt, the tokenizer files and
// the weights, model.safetensors or else pytorch_model.bin) from the Hugging Face hub at a pinned
// revision (https://huggingface.co/<repo>/resolve/<revision>/<file>), or from a local mirror
// folder, or a local copy (--from DIR). Every file is staged in <out>.part/ and checked before any
// is installed: against the SHA-256 pinned here or given in --sha256-file (sha256sum format), and,
// from the hub, against the LFS SHA-256 the hub announces (X-Linked-Etag). One mismatch and nothing
// is installed. The folder it writes is what --text-encoder takes; fetch-manifest.json in it lists
// the repository, the revision and every file's SHA-256.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/fetch_util.hpp"
#include "common/error.hpp"
#include "common/file_io.hpp"
#include "common/log.hpp"

namespace cast::cli {

namespace {

using nlohmann::json;

// The revision this build fetches by default. Hashes of its files are pinned below once they
// have been checked on a connected machine (`cast data fetch matscibert` prints them and writes
// them to fetch-manifest.json); a file without a pinned hash is checked against the hub's LFS
// SHA-256 (weights) or taken as served (small text files), and the command says so.
constexpr const char* kRepo = "m3rg-iitd/matscibert";
constexpr const char* kPinnedRevision = "main";
struct HubFile {
  const char* name;
  bool required;     // config.json, vocab.txt; the weights are one of two
  const char* sha256;  // pinned for kPinnedRevision; "" = not pinned in this build
};
const HubFile kFiles[] = {
    {"config.json", true, ""},
    {"vocab.txt", true, ""},
    {"tokenizer_config.json", false, ""},
    {"special_tokens_map.json", false, ""},
    {"tokenizer.json", false, ""},
};
const HubFile kWeights[] = {
    {"model.safetensors", false, ""},
    {"pytorch_model.bin", false, ""},
};

std::map<std::string, std::string> read_sums(const std::string& path) {
  std::map<std::string, std::string> m;
  std::ifstream in(path);
  if (!in) fail(path, ": cannot open (--sha256-file: lines 'SHA256  FILE', as sha256sum writes them)");
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    std::string sha, file;
    ss >> sha >> file;
    if (!file.empty() && file[0] == '*') file.erase(0, 1);
    if (sha.size() != 64 || file.empty())
      fail(path, ":", n, ": expected 'SHA256  FILE' (64 hex digits, two spaces, the file name); got '", line, "'");
    m[file.substr(file.find_last_of('/') + 1)] = sha;
  }
  return m;
}

// HEAD of a hub file without following the redirect: 200/302 = there, 404 = not in this revision;
// the LFS SHA-256 from X-Linked-Etag when the hub gives one.
struct Probe {
  bool exists = false;
  std::string lfs_sha256;
};
Probe probe_hub(const std::string& url) {
  HttpResponse r = http_get(url, {}, 60, /*head=*/true);
  if (!r.curl_error.empty() && r.status == 0)
    fail(url, ": ", r.network_error ? "cannot reach the hub (" : "request failed (", r.curl_error,
         r.network_error ? "). No network? Use --mirror DIR or --from DIR" : ")");
  if (r.status == 401 || r.status == 403)
    fail(url, ": HTTP ", r.status, ": the hub refused access (a gated or private repository? set a token in a mirror)");
  Probe p;
  p.exists = r.status == 200 || (r.status >= 300 && r.status < 400);
  if (!p.exists && r.status != 404) fail(url, ": HTTP ", r.status, " from the hub");
  auto it = r.headers.find("x-linked-etag");
  if (it != r.headers.end()) {
    std::string e = it->second;
    if (e.rfind("W/", 0) == 0) e = e.substr(2);
    if (e.size() >= 2 && e.front() == '"') e = e.substr(1, e.size() - 2);
    if (e.size() == 64) p.lfs_sha256 = e;
  }
  return p;
}

}  // namespace

int fetch_hf_model(const HfFetchOptions& o) {
  const std::string repo = o.repo.empty() ? kRepo : o.repo;
  const std::string rev = o.revision.empty() ? kPinnedRevision : o.revision;
  if (!o.mirror.empty() && !o.from.empty()) fail("--mirror and --from: give one");
  std::map<std::string, std::string> expected;
  if (rev == kPinnedRevision && repo == kRepo) {
    for (const auto& f : kFiles) if (*f.sha256) expected[f.name] = f.sha256;
    for (const auto& f : kWeights) if (*f.sha256) expected[f.name] = f.sha256;
  }
  if (!o.sha256_file.empty()) expected = read_sums(o.sha256_file);

  const std::string stage = o.out + ".part";
  make_directories(stage);
  const std::string base = o.endpoint + "/" + repo + "/resolve/" + rev + "/";
  const std::string local = o.mirror.empty() ? o.from : o.mirror;
  if (!local.empty() && !is_directory(local)) fail(local, ": not a folder (it should hold config.json, vocab.txt and the weights)");

  struct Got {
    std::string name, sha, checked_by;
  };
  std::vector<Got> got;
  std::vector<std::string> problems;
  auto take = [&](const HubFile& f) -> bool {
    const std::string dst = stage + "/" + f.name;
    std::remove(dst.c_str());
    std::string lfs;
    if (!local.empty()) {
      const std::string src = local + "/" + f.name;
      if (!file_exists(src)) return false;
      copy_file(src, dst);
    } else {
      Probe p = probe_hub(base + f.name);
      if (!p.exists) return false;
      lfs = p.lfs_sha256;
      download(base + f.name, dst, o.tries);
    }
    const std::string sha = sha256_file(dst);
    std::string by;
    auto it = expected.find(f.name);
    if (it != expected.end()) {
      if (it->second != sha) {
        const std::string msg = f.name + std::string(": SHA-256 ") + sha + ", expected " + it->second +
                                (o.sha256_file.empty() ? " (pinned for " + repo + "@" + rev + ")" : " (" + o.sha256_file + ")");
        if (o.from.empty()) problems.push_back(msg);
        else spdlog::warn("--from {}: {}; taken as given", o.from, msg);
        by = o.from.empty() ? "MISMATCH" : "unverified (--from)";
      } else {
        by = o.sha256_file.empty() ? "pinned" : "--sha256-file";
      }
    }
    if (!lfs.empty()) {
      if (lfs != sha) problems.push_back(f.name + std::string(": SHA-256 ") + sha + ", the hub announces " + lfs + " (a broken download)");
      else if (by.empty()) by = "the hub's LFS SHA-256";
    }
    if (by.empty()) by = "not pinned";
    got.push_back({f.name, sha, by});
    return true;
  };
  std::vector<std::string> missing;
  for (const auto& f : kFiles)
    if (!take(f) && f.required) missing.push_back(f.name);
  bool weights = false;
  for (const auto& f : kWeights)
    if (!weights) weights = take(f);
  if (!weights) missing.push_back("model.safetensors or pytorch_model.bin");
  const std::string from_where = local.empty() ? base : local + "/";
  if (!missing.empty()) {
    std::string m;
    for (const auto& s : missing) m += (m.empty() ? "" : ", ") + s;
    fail(from_where, ": missing ", m, "; nothing installed (a mirror holds the files under their names, as the hub does)");
  }
  if (!problems.empty()) {
    std::string m;
    for (const auto& s : problems) m += "\n  " + s;
    const std::string bad = o.out + ".bad";
    std::string cmd;
    // The staged files are kept for inspection next to the destination, which is left untouched.
    if (is_directory(bad))
      for (const auto& f : list_directory(bad)) std::remove((bad + "/" + f).c_str());
    ::rmdir(bad.c_str());
    std::rename(stage.c_str(), bad.c_str());
    fail(from_where, ": refused, nothing installed in ", o.out, "; the files are kept in ", bad, " for inspection:", m);
  }

  // Install: every staged file into out/, then the manifest.
  make_directories(o.out);
  json files = json::object();
  for (const auto& g : got) {
    if (std::rename((stage + "/" + g.name).c_str(), (o.out + "/" + g.name).c_str()) != 0)
      fail(o.out, "/", g.name, ": cannot install (", std::strerror(errno), ")");
    files[g.name] = {{"sha256", g.sha}, {"checked", g.checked_by}};
  }
  ::rmdir(stage.c_str());
  // A checkpoint directory holds one kind of weights: a stale other one would be read first.
  const bool st = file_exists(o.out + "/model.safetensors") && files.contains("pytorch_model.bin");
  if (st) std::remove((o.out + "/model.safetensors").c_str());
  json m = {{"repository", repo},
            {"revision", rev},
            {"source", local.empty() ? o.endpoint : (o.mirror.empty() ? "--from " : "--mirror ") + local},
            {"files", files}};
  write_file_atomic(o.out + "/fetch-manifest.json", m.dump(1) + "\n");
  std::printf("%s@%s -> %s\n", repo.c_str(), rev.c_str(), o.out.c_str());
  for (const auto& g : got) std::printf("  %-24s sha256 %s  (%s)\n", g.name.c_str(), g.sha.c_str(), g.checked_by.c_str());
  std::printf("use it with: --text-encoder %s (or export CAST_TEXT_ENCODER=%s)\n", o.out.c_str(), o.out.c_str());
  return 0;
}

}  // namespace cast::cli
