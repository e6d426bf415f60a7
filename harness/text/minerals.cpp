#include "text/minerals.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <numeric>
#include <set>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/file_io.hpp"
#include "common/log.hpp"
#include "crystal/local_env.hpp"
#include "crystal/order_params.hpp"
#include "crystal/readers.hpp"
#include "crystal/symmetry.hpp"

namespace cast::text {

std::vector<double> structure_fingerprint(const std::vector<std::vector<double>>& sites) {
  if (sites.empty()) return {};
  const std::size_t d = sites[0].size();
  const double n = static_cast<double>(sites.size());
  std::vector<double> out(2 * d, 0.0);  // mean, then population standard deviation (matminer)
  for (std::size_t k = 0; k < d; ++k) {
    double mean = 0;
    for (const auto& f : sites) mean += f[k];
    mean /= n;
    double var = 0;
    for (const auto& f : sites) var += (f[k] - mean) * (f[k] - mean);
    out[k] = mean;
    out[d + k] = sites.size() == 1 ? 0.0 : std::sqrt(var / n);
  }
  return out;
}

std::vector<double> structure_fingerprint(const Structure& s, const std::vector<int>& ox) {
  // Every site's own fingerprint (not one per orbit: CrystalNN rounds each site's weights, so
  // equivalent sites can differ in the last digit, as they do in pymatgen).
  std::vector<std::vector<double>> fps;
  for (std::size_t i = 0; i < s.sites.size(); ++i) fps.push_back(site_fingerprint(crystal_nn_data(s, i, ox)));
  return structure_fingerprint(fps);
}

int element_count(const Structure& s) {
  std::set<int> els;
  for (const auto& site : s.sites) els.insert(site.Z);
  return static_cast<int>(els.size());
}

std::string anonymous_formula(const Structure& s) {
  std::map<int, int> count;
  for (const auto& site : s.sites) ++count[site.Z];
  int g = 0;
  for (const auto& [z, c] : count) g = std::gcd(g, c);
  std::vector<int> v;
  for (const auto& [z, c] : count) v.push_back(c / std::max(g, 1));
  std::sort(v.begin(), v.end());
  std::string out;
  for (std::size_t k = 0; k < v.size(); ++k) out += (k ? ":" : "") + std::to_string(v[k]);
  return out;
}

MineralLibrary MineralLibrary::load(const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path));
  } catch (const std::exception& e) {
    fail(path, ": not a readable AFLOW prototype library (", e.what(), "); reinstall python3-pymatgen or set CAST_AFLOW_PROTOTYPES");
  }
  if (!j.is_array()) fail(path, ": expected a JSON list of {snl, tags} entries (pymatgen's aflow_prototypes.json)");
  MineralLibrary lib;
  for (std::size_t e = 0; e < j.size(); ++e) {
    const auto& entry = j[e];
    if (!entry.contains("tags") || !entry["tags"].contains("mineral") || !entry["tags"]["mineral"].is_string()) continue;
    const std::string mineral = entry["tags"]["mineral"];
    if (mineral.empty()) continue;
    // robocrys's own table (mineral_db.json.gz, the one the Materials Project's texts come from) is
    // this library's named prototypes less this one, whose fingerprint is zero (its atoms are too
    // far apart to bond): kept, it would tie with Indium (also zero) for every structure without
    // bonds, where the served texts name Indium.
    if (mineral == "High Pressure Californium") continue;
    Structure s;
    try {
      s = parse_pymatgen_structure(entry.at("snl").dump(), path + " entry " + std::to_string(e));
    } catch (const std::exception&) {
      continue;  // a prototype we cannot read is left out
    }
    SymmetryOptions so;
    so.fast = true;
    const SymmetryInfo sym = analyze_symmetry(s, so);
    Prototype p;
    p.mineral = mineral;
    p.fingerprint = structure_fingerprint(s, {});
    p.n_elements = element_count(s);
    p.anonymous_formula = anonymous_formula(s);
    p.spacegroup = sym.number;
    lib.prototypes_.push_back(std::move(p));
  }
  return lib;
}

std::string MineralLibrary::find_path() {
  if (const char* env = std::getenv("CAST_AFLOW_PROTOTYPES")) return env;
  for (const char* dir : {"/usr/lib/python3/dist-packages", "/usr/local/lib/python3/dist-packages"}) {
    const std::string p = std::string(dir) + "/pymatgen/analysis/aflow_prototypes.json";
    if (file_exists(p)) return p;
  }
  return {};
}

const MineralLibrary* MineralLibrary::shared() {
  static std::once_flag once;
  static std::optional<MineralLibrary> lib;
  std::call_once(once, [] {
    const std::string path = find_path();
    if (path.empty() || !file_exists(path)) {
      spdlog::warn(
                   "no AFLOW prototype library (pymatgen/analysis/aflow_prototypes.json from python3-pymatgen, "
                   "or CAST_AFLOW_PROTOTYPES): descriptions leave out mineral names");
      return;
    }
    try {
      lib = load(path);
    } catch (const std::exception& e) {
      spdlog::warn("{}: descriptions leave out mineral names", e.what());
    }
  });
  return lib ? &*lib : nullptr;
}

std::optional<MineralMatch> MineralLibrary::match(const std::vector<double>& fp, int n_elements,
                                                  const std::string& anon, int spacegroup) const {
  const double cutoff = 0.4;  // robocrys's fingerprint_distance_cutoff
  const Prototype* exact = nullptr;
  const Prototype* like = nullptr;
  const Prototype* derived = nullptr;
  double d_exact = 1e300, d_like = 1e300, d_derived = 1e300;
  for (const auto& p : prototypes_) {
    if (p.fingerprint.size() != fp.size()) continue;
    double d = 0;
    for (std::size_t k = 0; k < fp.size(); ++k) d += (fp[k] - p.fingerprint[k]) * (fp[k] - p.fingerprint[k]);
    d = std::sqrt(d);
    if (p.spacegroup == spacegroup && p.anonymous_formula == anon && d < d_exact) { exact = &p; d_exact = d; }
    if (!(d < cutoff)) continue;
    if (p.n_elements == n_elements && d < d_like) { like = &p; d_like = d; }
    if (d < d_derived) { derived = &p; d_derived = d; }
  }
  if (exact) return MineralMatch{exact->mineral, "", d_exact};
  if (like) return MineralMatch{like->mineral, "-like", d_like};
  if (derived) return MineralMatch{derived->mineral, "-derived", d_derived};
  return std::nullopt;
}

}  // namespace cast::text
