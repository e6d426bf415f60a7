// cast data fetch mp: Materials Project summary documents (and with --texts the Robocrystallographer
// descriptions MP serves) from the MP API, paged (_fields, _limit, _skip, sorted by material_id),
// the API key in the X-API-KEY header. Transient failures (429 with Retry-After, 5xx, a broken
// transfer, a truncated page) are retried with backoff; an interrupted fetch resumes from the
// documents already written (<out>/.mp_summary.part/); a finished one is gzip'd deterministically,
// so an interrupted and resumed fetch ends byte-identical to an uninterrupted one, and described
// by a manifest (count, SHA-256, the database version the API reports).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <unordered_map>

#include "cli/fetch_util.hpp"
#include "common/error.hpp"
#include "common/file_io.hpp"
#include "common/progress.hpp"
#include "common/log.hpp"

namespace cast::cli {

namespace {

using nlohmann::json;

// What the paper's tasks need of a summary document (and the formula, for people).
const char* kSummaryFields =
    "material_id,formula_pretty,structure,energy_per_atom,formation_energy_per_atom,energy_above_hull,band_gap,"
    "is_metal,bulk_modulus,shear_modulus";
const char* kRobocrysFields = "material_id,description";

std::string key_hint(const std::string& key) {
  if (key.size() <= 8) return "(" + std::to_string(key.size()) + " characters)";
  return "ending in '" + key.substr(key.size() - 4) + "'";
}

std::string excerpt(const std::string& body, std::size_t n = 200) {
  std::string s = body.substr(0, n);
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s + (body.size() > n ? "..." : "");
}

// One endpoint's pages: GET with retries, the response's shape checked.
class Pager {
 public:
  Pager(const MpFetchOptions& o, std::string path, std::string fields)
      : o_(o), path_(std::move(path)), fields_(std::move(fields)) {}

  std::string url(std::size_t skip, std::size_t limit) const {
    std::string base = o_.endpoint;
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base + path_ + "?_fields=" + url_escape(fields_) + "&_sort_fields=material_id&_limit=" +
           std::to_string(limit) + "&_skip=" + std::to_string(skip) + "&deprecated=false";
  }

  // The page's JSON object, with "data" an array of objects and "meta.total_doc" a count.
  json get(std::size_t skip, std::size_t limit) {
    const std::string u = url(skip, limit);
    std::string last;
    bool last_network = false;
    int rate_limited = 0;
    for (int attempt = 1; attempt <= o_.tries;) {
      HttpResponse r = http_get(u, {"X-API-KEY: " + o_.api_key, "Accept: application/json"});
      double wait = std::min(o_.max_backoff_s, o_.backoff_s * std::pow(2.0, attempt - 1));
      if (!r.curl_error.empty() && r.status == 0) {
        last_network = r.network_error;
        last = (r.network_error ? "cannot reach the server: " : "transfer failed: ") + r.curl_error;
      } else if (!r.curl_error.empty()) {
        last_network = false;
        last = "HTTP " + std::to_string(r.status) + " but the transfer broke off: " + r.curl_error;
      } else if (r.status == 401 || r.status == 403) {
        fail(u, ": HTTP ", r.status, ": the Materials Project refused the API key ", key_hint(o_.api_key),
             ". Check --api-key or $MP_API_KEY (your key is on https://next-gen.materialsproject.org/api); server "
             "said: ", excerpt(r.body));
      } else if (r.status == 429) {
        // Rate limited: wait as told (Retry-After seconds), without using up a try, within a budget.
        if (++rate_limited > 20) fail(u, ": HTTP 429 (rate limited) 20 times in a row; try again later");
        auto it = r.headers.find("retry-after");
        double ra = 0;
        if (it != r.headers.end()) ra = std::atof(it->second.c_str());
        wait = std::min(o_.max_backoff_s * 2, ra > 0 ? ra : wait);
        spdlog::warn("rate limited (HTTP 429) at _skip={}: waiting {:.0f} s{}", skip, wait,
                     it != r.headers.end() ? " (Retry-After)" : "");
        std::this_thread::sleep_for(std::chrono::duration<double>(wait));
        continue;
      } else if (r.status >= 500) {
        last_network = false;
        last = "HTTP " + std::to_string(r.status) + " (server error): " + excerpt(r.body);
      } else if (r.status != 200) {
        fail(u, ": HTTP ", r.status, " (not retried): ", excerpt(r.body),
             r.status == 404 ? " (wrong --endpoint? the MP API serves /materials/summary/)" : "");
      } else {
        json j = json::parse(r.body, nullptr, false);
        if (!j.is_discarded()) return checked(j, u);
        last_network = false;
        last = "a truncated or invalid JSON page (" + std::to_string(r.body.size()) + " bytes, ending '" +
               excerpt(r.body.size() > 60 ? r.body.substr(r.body.size() - 60) : r.body, 60) + "')";
      }
      if (attempt == o_.tries) break;
      spdlog::warn("page at _skip={}, try {}/{}: {}; retrying in {:.0f} s", skip, attempt, o_.tries, last, wait);
      std::this_thread::sleep_for(std::chrono::duration<double>(wait));
      ++attempt;
    }
    fail(u, ": gave up after ", o_.tries, " tries: ", last,
         last_network ? ". No network? Fetch on a connected machine and copy the .jsonl.gz (or pass --endpoint)"
                      : "",
         ". What arrived so far is kept; the same command resumes there");
  }

 private:
  json checked(const json& j, const std::string& u) const {
    auto shape = [&](const std::string& what) {
      fail(u, ": unexpected response shape (", what,
           "); the MP API may have changed. Expected {\"data\": [...], \"meta\": {\"total_doc\": N}}; got: ",
           excerpt(j.dump()));
    };
    if (!j.is_object()) shape("not a JSON object");
    if (!j.contains("data") || !j["data"].is_array()) shape("no \"data\" array");
    if (!j.contains("meta") || !j["meta"].is_object()) shape("no \"meta\" object");
    if (!j["meta"].contains("total_doc") || !j["meta"]["total_doc"].is_number_unsigned()) shape("no meta.total_doc count");
    for (const auto& d : j["data"]) {
      if (!d.is_object() || !d.contains("material_id") || !d["material_id"].is_string())
        shape("a document without a string material_id");
    }
    return j;
  }

  const MpFetchOptions& o_;
  std::string path_, fields_;
};

std::string db_version_of(const json& page) {
  for (const char* k : {"database_version", "db_version"})
    if (page["meta"].contains(k) && page["meta"][k].is_string()) return page["meta"][k].get<std::string>();
  return "";
}

// Complete lines of a part file (a torn last line from a kill is cut off); their ids.
std::size_t resume_part(const std::string& part, std::set<std::string>& ids) {
  if (!file_exists(part)) return 0;
  std::string bytes = read_file(part);
  std::size_t end = bytes.rfind('\n');
  end = end == std::string::npos ? 0 : end + 1;
  if (end != bytes.size()) {
    if (::truncate(part.c_str(), static_cast<off_t>(end)) != 0) fail(part, ": cannot truncate a torn last line");
    bytes.resize(end);
  }
  std::size_t n = 0, pos = 0;
  while (pos < bytes.size()) {
    std::size_t nl = bytes.find('\n', pos);
    json d = json::parse(bytes.substr(pos, nl - pos), nullptr, false);
    if (d.is_discarded() || !d.contains("material_id"))
      fail(part, ":", n + 1, ": not a document; delete ", part, " to start over");
    ids.insert(d["material_id"].get<std::string>());
    ++n;
    pos = nl + 1;
  }
  return n;
}

struct PartResult {
  std::size_t count = 0, total_doc = 0;
  std::string version;
};

// Fetches one endpoint into `part` (JSON lines), resuming what is there; returns when complete.
PartResult fetch_part(const MpFetchOptions& o, const std::string& path, const std::string& fields,
                      const std::string& part, const std::string& what) {
  const std::string state_path = part + ".state.json";
  Pager pager(o, path, fields);
  json state = file_exists(state_path) ? json::parse(read_file(state_path), nullptr, false) : json();
  std::set<std::string> ids;
  std::size_t have = 0;
  const bool same_request = state.is_object() && state.value("endpoint", "") == o.endpoint &&
                            state.value("fields", "") == fields && state.value("limit", std::size_t{0}) == o.limit;
  if (same_request) {
    have = resume_part(part, ids);
  } else {
    std::remove(part.c_str());
  }
  // The size of the page at h; at least 1 (a complete part still asks for the count and the version).
  auto page_at = [&o](std::size_t h) {
    std::size_t l = o.page_size;
    if (o.limit) l = std::min(l, o.limit > h ? o.limit - h : 1);
    return std::max<std::size_t>(1, l);
  };
  json first = pager.get(have, page_at(have));
  const std::string version = db_version_of(first);
  if (have > 0 && state.value("database_version", "") != version) {
    spdlog::warn("{}: the server now reports database version '{}', the partial fetch was of '{}': starting over", what,
                 version, state.value("database_version", ""));
    std::remove(part.c_str());
    ids.clear();
    have = 0;
    first = pager.get(0, page_at(0));
  }
  PartResult res;
  res.version = version;
  res.total_doc = first["meta"]["total_doc"].get<std::size_t>();
  const std::size_t target = o.limit ? std::min(o.limit, res.total_doc) : res.total_doc;
  json st = {{"endpoint", o.endpoint}, {"fields", fields}, {"limit", o.limit}, {"database_version", version},
             {"total_doc", res.total_doc}};
  write_file_atomic(state_path, st.dump(1) + "\n");
  if (have > 0) spdlog::info("{}: resuming after {} of {} documents already written", what, have, target);

  FILE* f = std::fopen(part.c_str(), "ab");
  if (!f) fail(part, ": cannot write (", std::strerror(errno), ")");
  Progress prog(what, target, !o.quiet);
  prog.set(have);
  json page = std::move(first);
  while (have < target) {
    const auto& data = page["data"];
    if (data.empty())
      fail(pager.url(have, o.page_size), ": no documents at _skip=", have, " though meta.total_doc says ",
           res.total_doc, " (did the database change during the fetch?); the same command resumes");
    std::string lines;
    for (const auto& d : data) {
      const std::string id = d["material_id"].get<std::string>();
      if (!ids.insert(id).second)
        fail(pager.url(have, o.page_size), ": ", id, " arrived twice (the server's order changed between pages); ",
             "delete ", part, " and fetch again");
      lines += d.dump() + "\n";
      ++have;
      if (have >= target) break;
    }
    if (std::fwrite(lines.data(), 1, lines.size(), f) != lines.size() || std::fflush(f) != 0)
      fail(part, ": write failed (", std::strerror(errno), ")");
    ::fsync(::fileno(f));
    prog.set(have);
    prog.draw();
    if (have < target) page = pager.get(have, std::min(o.page_size, target - have));
  }
  std::fclose(f);
  prog.finish();
  res.count = have;
  return res;
}

}  // namespace

int fetch_mp(const MpFetchOptions& o) {
  if (o.api_key.empty())
    fail("cast data fetch mp needs a Materials Project API key: pass --api-key KEY or set MP_API_KEY (your key is "
         "on https://next-gen.materialsproject.org/api)");
  if (o.page_size == 0) fail("--page-size must be at least 1");
  make_directories(o.out);
  const std::string dest = o.out + "/mp_summary.jsonl.gz", manifest = o.out + "/mp_summary.manifest.json";
  const std::string work = o.out + "/.mp_summary.part";
  if (!o.refresh && file_exists(dest) && file_exists(manifest) && !is_directory(work)) {
    json m = json::parse(read_file(manifest), nullptr, false);
    if (m.is_object() && m.value("sha256", "") == sha256_file(dest) && m.value("endpoint", "") == o.endpoint &&
        m.value("limit", std::size_t{0}) == o.limit && m.contains("robocrys") == o.texts) {
      std::printf("%s: already fetched and verified (%zu documents, sha256 %s, database version %s); --refresh fetches "
                  "again\n", dest.c_str(), m.value("count", std::size_t{0}), m.value("sha256", "").c_str(),
                  m.value("database_version", "").c_str());
      return 0;
    }
  }
  make_directories(work);
  const std::string summary_part = work + "/summary.jsonl", texts_part = work + "/robocrys.jsonl";

  PartResult s = fetch_part(o, "/materials/summary/", kSummaryFields, summary_part, "summary documents");
  PartResult t;
  std::unordered_map<std::string, std::string> texts;
  if (o.texts) {
    MpFetchOptions ot = o;
    ot.limit = 0;  // descriptions of every material; joined to the documents fetched
    t = fetch_part(ot, "/materials/robocrys/", kRobocrysFields, texts_part, "robocrys descriptions");
    for_each_line(texts_part, [&](std::string&& line, std::size_t) {
      json d = json::parse(line);
      if (d.contains("description") && d["description"].is_string() && !d["description"].get<std::string>().empty())
        texts[d["material_id"].get<std::string>()] = d["description"].get<std::string>();
      return true;
    });
  }

  // The documents in material_id order as fetched, descriptions joined, checked, gzip'd.
  const std::string joined = work + "/joined.jsonl";
  std::size_t n = 0, with_text = 0, no_structure = 0;
  {
    std::ofstream out(joined, std::ios::binary | std::ios::trunc);
    if (!out) fail(joined, ": cannot write");
    for_each_line(summary_part, [&](std::string&& line, std::size_t ln) {
      json d = json::parse(line, nullptr, false);
      if (d.is_discarded()) fail(summary_part, ":", ln, ": not JSON; delete ", work, " and fetch again");
      if (!d.contains("structure") || !d["structure"].is_object()) ++no_structure;
      if (o.texts) {
        auto it = texts.find(d["material_id"].get<std::string>());
        if (it != texts.end()) {
          d["description"] = it->second;
          ++with_text;
        }
      }
      out << d.dump() << '\n';
      ++n;
      return true;
    });
    if (!out) fail(joined, ": write failed");
  }
  if (no_structure == n && n > 0)
    fail(o.endpoint, ": none of the ", n, " documents has a \"structure\" object (unexpected response shape; the MP API may "
         "have changed its fields)");
  const std::string tmp = dest + ".tmp-" + std::to_string(::getpid());
  gzip_file(joined, tmp);
  if (std::rename(tmp.c_str(), dest.c_str()) != 0) fail(dest, ": cannot install (", std::strerror(errno), ")");
  const std::string sha = sha256_file(dest);
  json m = {{"source", "Materials Project API (https://materialsproject.org), data licensed CC BY 4.0"},
            {"endpoint", o.endpoint},
            {"summary", {{"path", "/materials/summary/"}, {"fields", kSummaryFields}, {"total_doc", s.total_doc}}},
            {"limit", o.limit},
            {"count", n},
            {"without_structure", no_structure},
            {"database_version", s.version.empty() ? "not reported" : s.version},
            {"file", "mp_summary.jsonl.gz"},
            {"sha256", sha}};
  if (o.texts)
    m["robocrys"] = {{"path", "/materials/robocrys/"}, {"fields", kRobocrysFields}, {"total_doc", t.total_doc},
                     {"descriptions", texts.size()}, {"joined", with_text}};
  write_file_atomic(manifest, m.dump(1) + "\n");
  for (const auto& p : {summary_part, summary_part + ".state.json", texts_part, texts_part + ".state.json", joined})
    std::remove(p.c_str());
  ::rmdir(work.c_str());
  std::printf("mp: %zu summary documents%s -> %s (sha256 %s, database version %s)\nmanifest: %s\n", n,
              o.texts ? (", " + std::to_string(with_text) + " with MP's robocrys description").c_str() : "",
              dest.c_str(), sha.c_str(), s.version.empty() ? "not reported" : s.version.c_str(), manifest.c_str());
  if (no_structure) spdlog::warn("{} documents have no structure; cast data prepare counts them as unreadable", no_structure);
  std::printf("use it with: cast data prepare --task total_energy --source %s\n", dest.c_str());
  return 0;
}

}  // namespace cast::cli
