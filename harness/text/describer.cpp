#include "text/describer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <cstring>

#include "crystal/elements.hpp"
#include "crystal/local_env.hpp"
#include "crystal/order_params.hpp"
#include "crystal/neighbors.hpp"
#include "crystal/symmetry.hpp"
#include "text/minerals.hpp"

namespace cast::text {

namespace {

const char* kOnes[] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                       "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
                       "eighteen", "nineteen"};
const char* kTens[] = {"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"};

std::string number_word(int n) {
  if (n < 20) return kOnes[n];
  if (n < 100) return std::string(kTens[n / 10]) + (n % 10 ? std::string("-") + kOnes[n % 10] : "");
  return std::to_string(n);
}

std::string ordinal_word(int n) {
  static const char* w[] = {"zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
                            "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth",
                            "sixteenth", "seventeenth", "eighteenth", "nineteenth", "twentieth"};
  if (n <= 20) return w[n];
  if (n < 100) {  // inflect: "twenty-first", "thirtieth"
    static const char* tens[] = {"", "", "twent", "thirt", "fort", "fift", "sixt", "sevent", "eight", "ninet"};
    if (n % 10 == 0) return std::string(tens[n / 10]) + "ieth";
    return std::string(tens[n / 10]) + "y-" + w[n % 10];
  }
  const char* suffix = (n % 10 == 1 && n % 100 != 11) ? "st" : (n % 10 == 2 && n % 100 != 12) ? "nd"
                       : (n % 10 == 3 && n % 100 != 13) ? "rd" : "th";
  return std::to_string(n) + suffix;
}

const char* kSub[] = {"₀", "₁", "₂", "₃", "₄", "₅", "₆", "₇", "₈", "₉"};
const char* kSup[] = {"⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"};

std::string subscript_digits(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c >= '0' && c <= '9') out += kSub[c - '0'];
    else out += c;
  }
  return out;
}

// "P2_1/c" -> "P2₁/c", "P-1" -> "P̅1" (a combining overline, as the Materials Project serves).
// As in the served texts (pymatgen's latexify_spacegroup reads "_(\d+)" greedily), a screw
// subscript followed by more digits stays as written: "P2_12_12_1" -> "P2_12_12₁", "P2_13".
std::string mp_spacegroup(const std::string& hm) {
  std::string out;
  for (std::size_t i = 0; i < hm.size(); ++i) {
    if (hm[i] == '_' && i + 1 < hm.size() && std::isdigit(static_cast<unsigned char>(hm[i + 1]))) {
      std::size_t j = i + 1;
      while (j < hm.size() && std::isdigit(static_cast<unsigned char>(hm[j]))) ++j;
      if (j - i - 1 == 1) out += kSub[hm[i + 1] - '0'];
      else out += hm.substr(i, j - i);
      i = j - 1;
    } else if (hm[i] == '-') {
      out += "\u0305";
    } else {
      out += hm[i];
    }
  }
  return out;
}

std::string format_length(double d, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, d);
  return buf;
}

std::string fmt_amount_mp(double x) {  // pymatgen's formula_double_format for non-integers
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

struct Bond {
  int site;
  std::array<int, 3> image;
  double distance;
  Vec3 offset;  // centre minus neighbour, cartesian
};

struct SiteInfo {
  int Z = 0, ox = 0, orbit = 0, label = 0;  // label: 1-based index among the element's orbits
  std::vector<Bond> bonds;
  std::string geometry;      // "octahedral", "6-coordinate", ...
  std::string polyhedron;    // "octahedra" etc. when it forms one, else empty
  bool distorted = false;
  double likeness = 1;
};

std::string charge_string(int ox, DescriptionStyle style) {
  if (ox == 0) return "";
  const int a = std::abs(ox);
  if (style == DescriptionStyle::Mp) {
    std::string s;
    for (char c : std::to_string(a)) s += kSup[c - '0'];
    return s + (ox > 0 ? "⁺" : "⁻");
  }
  return std::to_string(a) + (ox > 0 ? "+" : "-");
}

std::string polyhedron_of(const std::string& geometry, bool plural) {
  // robocrys.util.connected_geometries and geometry_to_polyhedra.
  static const std::map<std::string, std::pair<const char*, const char*>> names = {
      {"tetrahedral", {"tetrahedron", "tetrahedra"}},
      {"octahedral", {"octahedron", "octahedra"}},
      {"trigonal pyramidal", {"trigonal pyramid", "trigonal pyramids"}},
      {"square pyramidal", {"square pyramid", "square pyramids"}},
      {"trigonal bipyramidal", {"trigonal bipyramid", "trigonal bipyramids"}},
      {"pentagonal pyramidal", {"pentagonal pyramid", "pentagonal pyramids"}},
      {"hexagonal pyramidal", {"hexagonal pyramid", "hexagonal pyramids"}},
      {"pentagonal bipyramidal", {"pentagonal bipyramid", "pentagonal bipyramids"}},
      {"hexagonal bipyramidal", {"hexagonal bipyramid", "hexagonal bipyramids"}},
      {"cuboctahedral", {"cuboctahedron", "cuboctahedra"}},
  };
  auto it = names.find(geometry);
  if (it == names.end()) return {};
  return plural ? it->second.second : it->second.first;
}

struct Component {
  std::vector<int> sites;
  int dimensionality = 0;
  std::array<int, 3> orientation{};  // ribbons: the direction; sheets: the plane's normal (Miller indices)
};

std::array<long, 3> cross3(const std::array<long, 3>& a, const std::array<long, 3>& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}

// Connected components of the periodic bonded graph (Larsen et al.'s idea: a component that
// reaches an image of one of its own atoms through translation t extends along t; the rank of
// all such t is its dimensionality).
std::vector<Component> bonded_components(const std::vector<SiteInfo>& info) {
  const std::size_t n = info.size();
  std::vector<int> comp(n, -1);
  std::vector<std::array<int, 3>> pos(n);
  std::vector<Component> out;
  for (std::size_t start = 0; start < n; ++start) {
    if (comp[start] >= 0) continue;
    Component c;
    std::vector<std::array<long, 3>> basis;
    const int id = static_cast<int>(out.size());
    std::vector<std::size_t> queue{start};
    comp[start] = id;
    pos[start] = {0, 0, 0};
    for (std::size_t q = 0; q < queue.size(); ++q) {
      const std::size_t i = queue[q];
      c.sites.push_back(static_cast<int>(i));
      for (const auto& b : info[i].bonds) {
        const std::size_t j = static_cast<std::size_t>(b.site);
        const std::array<int, 3> at{pos[i][0] + b.image[0], pos[i][1] + b.image[1], pos[i][2] + b.image[2]};
        if (comp[j] < 0) {
          comp[j] = id;
          pos[j] = at;
          queue.push_back(j);
          continue;
        }
        const std::array<long, 3> t{at[0] - pos[j][0], at[1] - pos[j][1], at[2] - pos[j][2]};
        if (t == std::array<long, 3>{0, 0, 0} || basis.size() == 3) continue;
        bool independent = false;
        if (basis.empty()) independent = true;
        else if (basis.size() == 1) independent = cross3(basis[0], t) != std::array<long, 3>{0, 0, 0};
        else {
          const auto nrm = cross3(basis[0], basis[1]);
          independent = nrm[0] * t[0] + nrm[1] * t[1] + nrm[2] * t[2] != 0;
        }
        if (independent) basis.push_back(t);
      }
    }
    c.dimensionality = static_cast<int>(basis.size());
    std::array<long, 3> o{0, 0, 0};
    if (basis.size() == 1) o = basis[0];
    if (basis.size() == 2) o = cross3(basis[0], basis[1]);
    long g = 0;
    for (long v : o) g = std::gcd(g, std::labs(v));
    for (int k = 0; k < 3; ++k) c.orientation[static_cast<std::size_t>(k)] = static_cast<int>(g ? o[static_cast<std::size_t>(k)] / g : 0);
    std::sort(c.sites.begin(), c.sites.end());
    out.push_back(std::move(c));
  }
  return out;
}

// The mineral of a structure as robocrys's StructureCondenser._condense_mineral finds it: the
// structure's own fingerprint first; when that names none and the structure holds molecules
// (0-D components), again with each molecule replaced by one atom at its centre of mass
// (get_reconstructed_structure: the species of the molecule's first site in pymatgen's sorted
// order, i.e. its least electronegative atom), so that molecules packed like atoms name the
// packing ("Indium-like").
std::optional<MineralMatch> match_mineral(const MineralLibrary& lib, const Structure& s, const std::vector<int>& ox,
                                          const std::vector<SiteInfo>& info,
                                          const std::vector<std::vector<double>>& site_fps, int spacegroup) {
  if (auto m = lib.match(structure_fingerprint(site_fps), element_count(s), anonymous_formula(s), spacegroup)) return m;
  const auto comps = bonded_components(info);
  if (std::none_of(comps.begin(), comps.end(), [](const Component& c) { return c.dimensionality == 0; })) return std::nullopt;
  Structure r;
  r.id = s.id;
  r.lattice = s.lattice;
  std::vector<int> rox;
  for (const auto& c : comps) {  // the extended components' atoms, as they are
    if (c.dimensionality == 0) continue;
    for (int i : c.sites) {
      r.add_site(s.sites[static_cast<std::size_t>(i)].Z, s.sites[static_cast<std::size_t>(i)].frac);
      rox.push_back(ox[static_cast<std::size_t>(i)]);
    }
  }
  for (const auto& c : comps) {  // one atom per molecule
    if (c.dimensionality != 0) continue;
    std::map<int, Vec3> at{{c.sites[0], s.cart(static_cast<std::size_t>(c.sites[0]))}};  // the molecule made whole
    std::vector<int> queue{c.sites[0]};
    for (std::size_t q = 0; q < queue.size(); ++q) {
      const int i = queue[q];
      for (const auto& b : info[static_cast<std::size_t>(i)].bonds) {
        if (at.count(b.site)) continue;
        const Vec3& p = at[i];
        at[b.site] = {p[0] - b.offset[0], p[1] - b.offset[1], p[2] - b.offset[2]};  // offset: centre minus neighbour
        queue.push_back(b.site);
      }
    }
    Vec3 com{0, 0, 0};
    double mass = 0;
    int first = c.sites[0];
    for (const auto& [i, p] : at) {
      const int Z = s.sites[static_cast<std::size_t>(i)].Z;
      const double w = element(Z).mass;
      for (int k = 0; k < 3; ++k) com[static_cast<std::size_t>(k)] += w * p[static_cast<std::size_t>(k)];
      mass += w;
      const int Zf = s.sites[static_cast<std::size_t>(first)].Z;
      if (element(Z).electronegativity < element(Zf).electronegativity) first = i;  // ties: the lowest index
    }
    for (double& v : com) v /= mass;
    r.add_site(s.sites[static_cast<std::size_t>(first)].Z, r.lattice.to_frac(com));
    rox.push_back(ox[static_cast<std::size_t>(first)]);
  }
  SymmetryOptions so;
  so.fast = true;
  const SymmetryInfo rsym = analyze_symmetry(r, so);
  return lib.match(structure_fingerprint(r, rox), element_count(r), anonymous_formula(r), rsym.found ? rsym.number : 1);
}

// ---------------------------------------------------------------------------------------------
// The Materials Project style: robocrys's condenser and describer as the Materials Project runs
// them (emmet: oxidation states from pymatgen's BVAnalyzer, else Composition.oxi_state_guesses;
// StructureDescriber(describe_symmetry_labels=False, fmt="unicode")), ported from
// robocrys/condense/site.py, robocrys/describe/{adapter,describer}.py and
// pymatgen/analysis/bond_valence.py.
namespace mp {

struct BvParam { int Z; double r, c; };
struct BvSpecies { int Z, ox; double mean, std, occurrence; };
struct OxiOccurrence { int Z, ox; double occurrence; };
struct ElementOxi { int Z; const char* icsd; const char* all; };
#include "text/describer_tables.inc"

std::vector<int> parse_states(const char* s) {
  std::vector<int> out;
  std::string cur;
  for (const char* p = s;; ++p) {
    if (*p == ',' || *p == 0) {
      if (!cur.empty()) out.push_back(std::stoi(cur));
      cur.clear();
      if (*p == 0) break;
    } else {
      cur += *p;
    }
  }
  return out;
}

double occurrence(int Z, int ox) {
  static const std::map<std::pair<int, int>, double> table = [] {
    std::map<std::pair<int, int>, double> m;
    for (const auto& o : kOxiOccurrence) m[{o.Z, o.ox}] = o.occurrence;
    return m;
  }();
  auto it = table.find({Z, ox});
  return it == table.end() ? 0.0 : it->second;
}

double X_of(int Z) { return element(Z).electronegativity; }

// pymatgen's Composition.oxi_state_guesses(max_sites=-50)[0], per site (emmet's fallback): the
// element's average state, fractional for mixed valence.
std::vector<double> oxi_guess(const Structure& s) {
  std::vector<int> Zs;  // composition order: first appearance
  std::map<int, int> count;
  for (const auto& site : s.sites) {
    if (!count.count(site.Z)) Zs.push_back(site.Z);
    ++count[site.Z];
  }
  int g = 0;
  for (const auto& [Z, c] : count) g = std::gcd(g, c);
  long natoms = 0;
  for (auto& [Z, c] : count) { c /= g; natoms += c; }
  if (natoms > 50) return {};
  std::vector<std::vector<int>> sums(Zs.size());
  std::vector<std::map<int, double>> sum_score(Zs.size());
  for (std::size_t k = 0; k < Zs.size(); ++k) {
    const int Z = Zs[k];
    std::vector<int> oxids = parse_states(kElementOxi[Z - 1].icsd);
    if (oxids.empty()) oxids = parse_states(kElementOxi[Z - 1].all);
    const int n = count[Z];
    if (oxids.empty()) return {};
    // combinations_with_replacement(oxids, n), in itertools' order
    std::vector<std::size_t> idx(static_cast<std::size_t>(n), 0);
    long guard = 0;
    for (;;) {
      if (++guard > 2000000) return {};
      int sum = 0;
      double score = 0;
      for (std::size_t i : idx) { sum += oxids[i]; score += occurrence(Z, oxids[i]); }
      if (std::find(sums[k].begin(), sums[k].end(), sum) == sums[k].end()) sums[k].push_back(sum);
      auto it = sum_score[k].find(sum);
      if (it == sum_score[k].end() || score > it->second) sum_score[k][sum] = score;
      // next combination
      int i = n - 1;
      while (i >= 0 && idx[static_cast<std::size_t>(i)] == oxids.size() - 1) --i;
      if (i < 0) break;
      const std::size_t v = idx[static_cast<std::size_t>(i)] + 1;
      for (int j = i; j < n; ++j) idx[static_cast<std::size_t>(j)] = v;
    }
  }
  // product(*el_sums): the best-scoring charge-balanced one (first of equal scores).
  std::vector<std::size_t> pick(Zs.size(), 0);
  double best = -1;
  std::vector<int> best_sums;
  long combos = 1;
  for (const auto& v : sums) { combos *= static_cast<long>(v.size()); if (combos > 5000000) return {}; }
  for (long c = 0; c < combos; ++c) {
    long rem = c;
    for (std::size_t k = Zs.size(); k-- > 0;) { pick[k] = static_cast<std::size_t>(rem % static_cast<long>(sums[k].size())); rem /= static_cast<long>(sums[k].size()); }
    int total = 0;
    double score = 0;
    for (std::size_t k = 0; k < Zs.size(); ++k) { total += sums[k][pick[k]]; score += sum_score[k][sums[k][pick[k]]]; }
    if (total != 0) continue;
    if (score > best) {
      best = score;
      best_sums.clear();
      for (std::size_t k = 0; k < Zs.size(); ++k) best_sums.push_back(sums[k][pick[k]]);
    }
  }
  if (best_sums.empty()) return {};
  std::map<int, double> ox;
  for (std::size_t k = 0; k < Zs.size(); ++k) ox[Zs[k]] = static_cast<double>(best_sums[k]) / count[Zs[k]];
  std::vector<double> out;
  for (const auto& site : s.sites) out.push_back(ox[site.Z]);
  return out;
}

bool in_electroneg(int Z) {
  static const std::set<int> e = {1, 5, 6, 14, 7, 15, 33, 51, 8, 16, 34, 52, 9, 17, 35, 53};
  return e.count(Z) > 0;
}

// pymatgen's BVAnalyzer().get_valences (symm_tol 0.1, max_radius 4, max_permutations 100000,
// distance_scale_factor 1.015); empty when it raises.
std::vector<int> bv_valences(const Structure& s) {
  static const std::map<int, BvParam> params = [] {
    std::map<int, BvParam> m;
    for (const auto& p : kBvParams) m[p.Z] = p;
    return m;
  }();
  for (const auto& site : s.sites)
    if (!params.count(site.Z)) return {};
  SymmetryOptions so;
  so.symprec = 0.1;
  so.fast = true;
  const SymmetryInfo sym = analyze_symmetry(s, so);
  std::map<int, std::vector<int>> orbit_sites;
  for (std::size_t i = 0; i < s.sites.size(); ++i)
    orbit_sites[sym.found ? sym.equivalent_atoms[i] : static_cast<int>(i)].push_back(static_cast<int>(i));
  std::vector<std::vector<int>> equi;
  for (auto& [rep, v] : orbit_sites) equi.push_back(v);
  std::stable_sort(equi.begin(), equi.end(), [&](const auto& a, const auto& b) {
    return -X_of(s.sites[static_cast<std::size_t>(a[0])].Z) < -X_of(s.sites[static_cast<std::size_t>(b[0])].Z);
  });
  std::vector<std::map<int, double>> all_prob;
  std::vector<std::vector<int>> valences;
  for (const auto& sites : equi) {
    const std::size_t c = static_cast<std::size_t>(sites[0]);
    const int Z1 = s.sites[c].Z;
    double bvsum = 0;
    for (const Neighbor& nb : neighbors_within(s, c, 4.0)) {
      const int Z2 = s.sites[static_cast<std::size_t>(nb.site)].Z;
      if (!(in_electroneg(Z1) || in_electroneg(Z2)) || Z1 == Z2) continue;
      const auto& p1 = params.at(Z1);
      const auto& p2 = params.at(Z2);
      const double R = p1.r + p2.r - p1.r * p2.r * std::pow(std::sqrt(p1.c) - std::sqrt(p2.c), 2) / (p1.c * p1.r + p2.c * p2.r);
      const double vij = std::exp((R - nb.distance * 1.015) / 0.31);
      bvsum += vij * (X_of(Z1) < X_of(Z2) ? 1 : -1);
    }
    std::vector<std::pair<int, double>> prob;  // in the table's order
    for (const auto& sp : kBvSpecies) {
      if (sp.Z != Z1 || sp.ox == 0 || !(sp.std > 0)) continue;
      if (sp.occurrence < 0) return {};  // PRIOR_PROB has no entry: pymatgen raises
      prob.push_back({sp.ox, std::exp(-(bvsum - sp.mean) * (bvsum - sp.mean) / 2 / (sp.std * sp.std)) / sp.std * sp.occurrence});
    }
    if (prob.empty()) return {};
    double total = 0;
    for (auto& [o, p] : prob) total += p;
    for (auto& [o, p] : prob) p = total > 0 ? p / total : 0.0;
    std::map<int, double> pm(prob.begin(), prob.end());
    std::vector<std::pair<int, double>> sorted = prob;
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return -a.second < -b.second; });
    std::vector<int> val;
    for (const auto& [o, p] : sorted)
      if (p > 0.01 * sorted[0].second) val.push_back(o);
    if (val.empty()) return {};
    valences.push_back(val);
    all_prob.push_back(pm);
  }
  const std::size_t m = equi.size();
  std::vector<long> nsites(m), vmin(m), vmax(m);
  for (std::size_t i = 0; i < m; ++i) {
    nsites[i] = static_cast<long>(equi[i].size());
    vmin[i] = *std::min_element(valences[i].begin(), valences[i].end());
    vmax[i] = *std::max_element(valences[i].begin(), valences[i].end());
  }
  long n_eval = 0;
  double best_score = 0;
  std::vector<int> best;
  std::vector<int> assigned;
  std::function<void()> rec = [&] {
    if (n_eval > 100000) return;
    const std::size_t i = assigned.size();
    long hi = 0, lo = 0;
    for (std::size_t k = 0; k < m; ++k) {
      hi += (k < i ? assigned[k] : vmax[k]) * nsites[k];
      lo += (k < i ? assigned[k] : vmin[k]) * nsites[k];
    }
    if (hi < 0 || lo > 0) { ++n_eval; return; }
    if (i == m) {
      std::map<int, std::pair<int, int>> range;
      for (std::size_t k = 0; k < m; ++k) {
        const int Z = s.sites[static_cast<std::size_t>(equi[k][0])].Z;
        auto it = range.find(Z);
        if (it == range.end()) range[Z] = {assigned[k], assigned[k]};
        else it->second = {std::min(it->second.first, assigned[k]), std::max(it->second.second, assigned[k])};
      }
      bool ok = true;
      for (const auto& [Z, r] : range) ok = ok && r.second - r.first <= 1;
      if (ok) {
        double score = 1;
        for (std::size_t k = 0; k < m; ++k) score *= all_prob[k][assigned[k]];
        if (score > best_score) { best_score = score; best = assigned; }
      }
      ++n_eval;
      return;
    }
    for (int v : valences[i]) {
      assigned.push_back(v);
      rec();
      assigned.pop_back();
    }
  };
  rec();
  if (best.empty()) return {};
  std::vector<int> out(s.sites.size(), 0);
  for (std::size_t k = 0; k < m; ++k)
    for (int i : equi[k]) out[static_cast<std::size_t>(i)] = best[k];
  return out;
}

}  // namespace mp

namespace mp {

// The iteration order of CPython's set() built from small non-negative ints (hash(i) == i) in
// the given order: robocrys iterates such sets, and that order decides "first", "second", ...
std::vector<int> py_set_order(const std::vector<int>& items) {
  std::size_t mask = 7;
  std::vector<long> table(8, -1);
  std::size_t fill = 0;
  auto insert_clean = [](std::vector<long>& t, std::size_t msk, long key) {
    std::size_t perturb = static_cast<std::size_t>(key);
    std::size_t i = static_cast<std::size_t>(key) & msk;
    for (;;) {
      if (t[i] < 0) { t[i] = key; return; }
      if (i + 9 <= msk)
        for (std::size_t j = 1; j <= 9; ++j)
          if (t[i + j] < 0) { t[i + j] = key; return; }
      perturb >>= 5;
      i = (i * 5 + 1 + perturb) & msk;
    }
  };
  for (int key : items) {
    // lookup
    bool found = false;
    {
      std::size_t perturb = static_cast<std::size_t>(key);
      std::size_t i = static_cast<std::size_t>(key) & mask;
      for (;;) {
        if (table[i] < 0) break;
        if (table[i] == key) { found = true; break; }
        bool stop = false;
        if (i + 9 <= mask)
          for (std::size_t j = 1; j <= 9; ++j) {
            if (table[i + j] < 0) { stop = true; break; }
            if (table[i + j] == key) { found = true; stop = true; break; }
          }
        if (stop) break;
        perturb >>= 5;
        i = (i * 5 + 1 + perturb) & mask;
      }
    }
    if (found) continue;
    insert_clean(table, mask, key);
    ++fill;
    if (fill * 5 >= mask * 3) {
      std::size_t used = fill;
      std::size_t minused = used > 50000 ? used * 2 : used * 4;
      std::size_t newsize = 8;
      while (newsize <= minused) newsize <<= 1;
      std::vector<long> nt(newsize, -1);
      for (long k : table)
        if (k >= 0) insert_clean(nt, newsize - 1, k);
      table.swap(nt);
      mask = newsize - 1;
    }
  }
  std::vector<int> out;
  for (long k : table)
    if (k >= 0) out.push_back(static_cast<int>(k));
  return out;
}

std::string join_words(const std::vector<std::string>& v) {  // inflect's en.join
  if (v.empty()) return "";
  if (v.size() == 1) return v[0];
  if (v.size() == 2) return v[0] + " and " + v[1];
  bool comma = false;
  for (const auto& w : v) comma = comma || w.find(',') != std::string::npos;
  const std::string sep = comma ? "; " : ", ";
  std::string out;
  for (std::size_t i = 0; i + 1 < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out + (comma ? ";" : ",") + " and " + v.back();
}

const char* connected_singular(const std::string& g) {  // robocrys.util.geometry_to_polyhedra
  static const std::map<std::string, const char*> m = {
      {"octahedral", "octahedra"}, {"tetrahedral", "tetrahedra"}, {"trigonal pyramidal", "trigonal pyramid"},
      {"square pyramidal", "square pyramid"}, {"trigonal bipyramidal", "trigonal bipyramid"},
      {"pentagonal pyramidal", "pentagonal pyramid"}, {"hexagonal pyramidal", "hexagonal pyramid"},
      {"pentagonal bipyramidal", "pentagonal bipyramid"}, {"hexagonal bipyramidal", "hexagonal bipyramid"},
      {"cuboctahedral", "cuboctahedra"}};
  auto it = m.find(g);
  return it == m.end() ? nullptr : it->second;
}
std::string polyhedra_plural(const std::string& p) {
  if (p == "octahedra" || p == "tetrahedra" || p == "cuboctahedra") return p;
  return p + "s";
}

struct Nnn {
  int site;
  int conn;  // 1 corner, 2 edge, 3 face
  std::vector<double> angles;
};

const char* kConn[] = {"", "corner", "edge", "face"};

struct SiteData {
  int Z = 0, ox = 0;
  double oxf = 0;  // the state as robocrys sees it (a guess's average can be fractional)
  bool has_ox = false;
  std::string species;  // "O2-": robocrys's identity of an element
  double X = 0;
  int iupac = 0;
  std::string geometry;
  double likeness = 1;
  std::vector<Bond> bonds;
  std::vector<Nnn> nnn;
};

std::string species_string(int Z, double oxf, bool has_ox) {
  std::string s = element(Z).symbol;
  if (!has_ox) return s;
  if (oxf != std::floor(oxf)) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.12g%s", std::fabs(oxf), oxf > 0 ? "+" : "-");
    return s + buf;
  }
  const int ox = static_cast<int>(oxf);
  if (ox == 0) return s + "0+";
  return s + (std::abs(ox) == 1 ? "" : std::to_string(std::abs(ox))) + (ox > 0 ? "+" : "-");
}

std::string fmt(double x, int decimals);
std::string charged(const SiteData& d) {  // get_formatted_el(..., use_oxi_state=True, fmt="unicode")
  std::string s = element(d.Z).symbol;
  if (!d.has_ox || d.oxf == 0) return s;
  if (d.oxf != std::floor(d.oxf)) {  // the served texts' form of a fractional state: "Sb+3.25+"
    const char* sign = d.oxf > 0 ? "+" : "-";
    return s + sign + fmt(std::fabs(d.oxf), 2) + sign;
  }
  for (char c : std::to_string(std::abs(d.ox))) s += kSup[c - '0'];
  return s + (d.ox > 0 ? "⁺" : "⁻");
}

double py_angle(const Vec3& a, const Vec3& b) {  // pymatgen.util.coord.get_angle, degrees
  double d = dot(a, b) / std::sqrt(dot(a, a)) / std::sqrt(dot(b, b));
  d = std::min(d, 1.0);
  d = std::max(d, -1.0);
  return std::acos(d) * 180.0 / M_PI;
}

std::string fmt(double x, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
  return buf;
}
double rounded(double x, int decimals) { return std::stod(fmt(x, decimals)); }

}  // namespace mp

namespace mp {

// The sites' sentences, as robocrys's get_component_description (one component).
struct ComponentIn {
  std::vector<int> sites;
  int dimensionality = 3;
  std::array<int, 3> orientation{};
  std::string formula;  // robocrys's component formula (ASCII digits)
};

std::vector<std::string> site_sentences(const Structure& s, std::vector<SiteData>& sd, int decimals, int centring,
                                         const std::vector<int>& equivalent_atoms, const std::vector<ComponentIn>& components) {
  const std::size_t n = sd.size();
  // Sorted as pymatgen's get_sorted_structure (electronegativity, then species string): the
  // order robocrys numbers sites in (our stand-in for the conventional standard cell's order).
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    const auto& x = sd[static_cast<std::size_t>(a)];
    const auto& y = sd[static_cast<std::size_t>(b)];
    if (x.X != y.X) return x.X < y.X;
    return x.species < y.species;
  });
  // robocrys numbers the sites of the conventional standard cell: spglib's refined cell lists the
  // primitive cell's atoms once per centring translation, and get_sorted_structure then groups
  // them by species, so the first copy of a site of a centred lattice is at m * (sites of lower
  // species) + (its place among its species), m the lattice points per conventional cell.
  std::vector<int> rank(n);
  {
    int start = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const auto& d = sd[static_cast<std::size_t>(order[k])];
      if (k > 0 && d.species != sd[static_cast<std::size_t>(order[k - 1])].species) start = static_cast<int>(k);
      rank[static_cast<std::size_t>(order[k])] = centring * start + (static_cast<int>(k) - start);
    }
  }

  // Next-nearest neighbours (site.py get_next_nearest_neighbors).
  using Key = std::pair<int, std::array<int, 3>>;
  for (std::size_t i = 0; i < n; ++i) {
    std::set<Key> nn_set;
    for (const auto& b : sd[i].bonds) nn_set.insert({b.site, b.image});
    std::set<Key> seen;
    std::vector<Nnn> out;
    for (const auto& b : sd[i].bonds) {
      for (const auto& c : sd[static_cast<std::size_t>(b.site)].bonds) {
        const std::array<int, 3> img{b.image[0] + c.image[0], b.image[1] + c.image[1], b.image[2] + c.image[2]};
        if ((static_cast<std::size_t>(c.site) == i && img == std::array<int, 3>{0, 0, 0}) || seen.count({c.site, img})) continue;
        seen.insert({c.site, img});
        Nnn x;
        x.site = c.site;
        // Shared neighbours: the nnn's own neighbours, shifted by its image, that are ours too.
        const Vec3 centre = s.lattice.to_cart(s.sites[i].frac);
        Vec3 fn = s.sites[static_cast<std::size_t>(c.site)].frac;
        for (int k = 0; k < 3; ++k) fn[static_cast<std::size_t>(k)] += img[static_cast<std::size_t>(k)];
        const Vec3 other = s.lattice.to_cart(fn);
        int shared = 0;
        for (const auto& e : sd[static_cast<std::size_t>(c.site)].bonds) {
          const std::array<int, 3> ei{img[0] + e.image[0], img[1] + e.image[1], img[2] + e.image[2]};
          if (!nn_set.count({e.site, ei})) continue;
          ++shared;
          Vec3 fx = s.sites[static_cast<std::size_t>(e.site)].frac;
          for (int k = 0; k < 3; ++k) fx[static_cast<std::size_t>(k)] += ei[static_cast<std::size_t>(k)];
          const Vec3 xc = s.lattice.to_cart(fx);
          x.angles.push_back(py_angle({centre[0] - xc[0], centre[1] - xc[1], centre[2] - xc[2]},
                                      {other[0] - xc[0], other[1] - xc[1], other[2] - xc[2]}));
        }
        x.conn = shared <= 1 ? 1 : shared == 2 ? 2 : 3;
        out.push_back(std::move(x));
      }
    }
    sd[i].nnn = std::move(out);
  }

  // Structurally equivalent sites (site.py _calculate_equivalent_sites), in sorted order.
  auto geom_match = [&](std::size_t a, std::size_t b) {
    return sd[a].geometry == sd[b].geometry && std::fabs(sd[a].likeness - sd[b].likeness) < 0.001;
  };
  auto nn_sorted = [&](std::size_t a) {
    std::vector<std::pair<std::string, double>> v;
    for (const auto& b : sd[a].bonds) v.push_back({sd[static_cast<std::size_t>(b.site)].species, b.distance});
    std::sort(v.begin(), v.end());
    return v;
  };
  struct NnnKey { std::string el, geom; int conn; std::vector<double> angles; double like; };
  auto nnn_sorted = [&](std::size_t a) {
    std::vector<NnnKey> v;
    for (const auto& x : sd[a].nnn) {
      NnnKey k{sd[static_cast<std::size_t>(x.site)].species, sd[static_cast<std::size_t>(x.site)].geometry, x.conn, x.angles,
               sd[static_cast<std::size_t>(x.site)].likeness};
      std::sort(k.angles.begin(), k.angles.end());
      v.push_back(std::move(k));
    }
    std::stable_sort(v.begin(), v.end(), [](const NnnKey& p, const NnnKey& q) {
      if (p.el != q.el) return p.el < q.el;
      if (p.geom != q.geom) return p.geom < q.geom;
      if (p.conn != q.conn) return std::string(kConn[p.conn]) < kConn[q.conn];
      return p.angles < q.angles;
    });
    return v;
  };
  std::vector<int> equiv(n, -1);  // in original indices: the representative (original index)
  std::vector<int> reps;
  std::vector<std::vector<std::pair<std::string, double>>> rep_nn;
  std::vector<std::vector<NnnKey>> rep_nnn;
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = static_cast<std::size_t>(order[k]);
    auto nn = nn_sorted(i);
    auto nnn = nnn_sorted(i);
    bool matched = false;
    for (std::size_t r = 0; r < reps.size() && !matched; ++r) {
      const std::size_t j = static_cast<std::size_t>(reps[r]);
      if (sd[i].species != sd[j].species || !geom_match(i, j)) continue;
      const auto& mn = rep_nn[r];
      if (mn.size() != nn.size()) continue;
      bool ok = true;
      for (std::size_t q = 0; q < nn.size() && ok; ++q)
        ok = std::fabs(nn[q].second - mn[q].second) < 0.01 && nn[q].first == mn[q].first;
      if (!ok) continue;
      const auto& mm = rep_nnn[r];
      if (mm.size() != nnn.size()) continue;
      for (std::size_t q = 0; q < nnn.size() && ok; ++q) {
        ok = nnn[q].el == mm[q].el && nnn[q].conn == mm[q].conn && nnn[q].geom == mm[q].geom &&
             std::fabs(nnn[q].like - mm[q].like) < 0.001;
        for (std::size_t t = 0; ok && t < std::min(nnn[q].angles.size(), mm[q].angles.size()); ++t)
          ok = std::fabs(nnn[q].angles[t] - mm[q].angles[t]) < 0.1;
      }
      if (!ok) continue;
      equiv[i] = reps[r];
      matched = true;
    }
    if (!matched) {
      equiv[i] = static_cast<int>(i);
      reps.push_back(static_cast<int>(i));
      rep_nn.push_back(std::move(nn));
      rep_nnn.push_back(std::move(nnn));
    }
  }
  // robocrys's indices are positions in its (sorted) structure; we keep original indices and
  // compare through rank[] wherever robocrys compares indices.
  auto R = [&](int i) { return rank[static_cast<std::size_t>(i)]; };
  std::map<int, int> of_rank;
  for (std::size_t i = 0; i < n; ++i) of_rank[rank[i]] = static_cast<int>(i);
  auto from_rank = [&](int r) { return of_rank.at(r); };

  // Symmetry labels (spglib orbits numbered per element), for robocrys's tie-breaking.
  std::vector<int> sym_label(n, 1);  // per original index
  {
    std::map<int, std::map<int, int>> next;  // Z -> orbit -> label
    std::map<int, int> counter;
    for (std::size_t k = 0; k < n; ++k) {
      const int i = order[k];
      const int Z = sd[static_cast<std::size_t>(i)].Z;
      const int orb = equivalent_atoms.empty() ? static_cast<int>(k) : equivalent_atoms[static_cast<std::size_t>(i)];
      auto& m = next[Z];
      if (!m.count(orb)) m[orb] = ++counter[Z];
      sym_label[static_cast<std::size_t>(i)] = m[orb];
    }
  }
  std::map<int, std::set<int>> labels_of;  // representative -> labels of its class
  for (std::size_t i = 0; i < n; ++i) labels_of[equiv[i]].insert(sym_label[i]);
  auto label_string = [&](const std::vector<int>& reps_) {
    std::vector<int> all;
    for (int r : reps_) for (int l : labels_of[r]) all.push_back(l);
    std::sort(all.begin(), all.end());
    std::string out = "(";
    for (std::size_t k = 0; k < all.size(); ++k) out += (k ? "," : "") + std::to_string(all[k]);
    return out + ")";
  };

  // Polyhedral formulas (site.py _get_poly_formula).
  std::map<int, std::string> poly_formula;  // representative -> formula ("" when none)
  for (int r : reps) {
    const auto& d = sd[static_cast<std::size_t>(r)];
    bool any = false;
    for (const auto& x : d.nnn) any = any || connected_singular(sd[static_cast<std::size_t>(x.site)].geometry);
    std::string f;
    if (connected_singular(d.geometry) && any) {
      std::map<int, int> cnt;
      for (const auto& b : d.bonds) ++cnt[sd[static_cast<std::size_t>(b.site)].Z];
      std::vector<std::pair<int, int>> v(cnt.begin(), cnt.end());
      std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
        const double xa = X_of(a.first), xb = X_of(b.first);
        if (xa != xb) return xa < xb;
        return std::string(element(a.first).symbol) < element(b.first).symbol;
      });
      for (const auto& [Z, c] : v) f += std::string(element(Z).symbol) + (c > 1 ? std::to_string(c) : "");
    }
    poly_formula[r] = f;
  }

  // Neighbour details (adapter.py get_nearest_neighbor_details, group=True).
  struct NnGroup { std::string species; int Z; int count; std::vector<int> sites; std::string label; int iupac; };
  auto nn_details = [&](int r) {
    std::vector<int> nn_ranks;
    std::map<int, int> count;
    for (const auto& b : sd[static_cast<std::size_t>(r)].bonds) {
      const int e = equiv[static_cast<std::size_t>(b.site)];
      nn_ranks.push_back(R(e));
      ++count[e];
    }
    std::vector<NnGroup> groups;
    for (int er : py_set_order(nn_ranks)) {
      const int e = from_rank(er);
      const auto& d = sd[static_cast<std::size_t>(e)];
      auto it = std::find_if(groups.begin(), groups.end(), [&](const NnGroup& g) { return g.species == d.species; });
      if (it == groups.end()) { groups.push_back({d.species, d.Z, 0, {}, "", d.iupac}); it = groups.end() - 1; }
      it->count += count[e];
      it->sites.push_back(e);
    }
    for (auto& g : groups) g.label = label_string(g.sites);
    std::stable_sort(groups.begin(), groups.end(), [&](const NnGroup& a, const NnGroup& b) {
      if (a.iupac != b.iupac) return a.iupac < b.iupac;
      if (a.count != b.count) return a.count < b.count;
      if (a.label != b.label) return a.label < b.label;
      std::vector<int> ra, rb;
      for (int x : a.sites) ra.push_back(R(x));
      for (int x : b.sites) rb.push_back(R(x));
      return ra < rb;
    });
    return groups;
  };
  // Next-nearest-neighbour details (get_next_nearest_neighbor_details, group=True).
  struct NnnGroup { std::string species; int Z; int conn; std::string geom; int count; std::vector<int> sites; std::string label; std::string poly; int iupac; };
  auto nnn_details = [&](int r) {
    std::map<int, std::vector<int>> by_conn;  // conn -> equivalent indices (with repeats)
    for (const auto& x : sd[static_cast<std::size_t>(r)].nnn) by_conn[x.conn].push_back(equiv[static_cast<std::size_t>(x.site)]);
    std::vector<NnnGroup> groups;
    // nnn dict order: connectivities in order of first appearance
    std::vector<int> conn_order;
    for (const auto& x : sd[static_cast<std::size_t>(r)].nnn)
      if (std::find(conn_order.begin(), conn_order.end(), x.conn) == conn_order.end()) conn_order.push_back(x.conn);
    for (int conn : conn_order) {
      const auto& list = by_conn[conn];
      std::vector<int> ranks;
      for (int e : list) ranks.push_back(R(e));
      for (int er : py_set_order(ranks)) {
        const int e = from_rank(er);
        const std::string& pf = poly_formula[e];
        if (pf.empty()) continue;
        const auto& d = sd[static_cast<std::size_t>(e)];
        auto it = std::find_if(groups.begin(), groups.end(), [&](const NnnGroup& g) {
          return g.species == d.species && g.conn == conn && g.geom == d.geometry;
        });
        if (it == groups.end()) { groups.push_back({d.species, d.Z, conn, d.geometry, 0, {}, "", pf, d.iupac}); it = groups.end() - 1; }
        it->count += static_cast<int>(std::count(list.begin(), list.end(), e));
        it->sites.push_back(e);
      }
    }
    for (auto& g : groups) g.label = label_string(g.sites);
    std::stable_sort(groups.begin(), groups.end(), [&](const NnnGroup& a, const NnnGroup& b) {
      if (a.conn != b.conn) return std::string(kConn[a.conn]) < kConn[b.conn];
      if (a.geom != b.geom) return a.geom < b.geom;
      if (a.count != b.count) return a.count < b.count;
      if (a.iupac != b.iupac) return a.iupac < b.iupac;
      if (a.poly != b.poly) return a.poly < b.poly;
      if (a.label != b.label) return a.label < b.label;
      std::vector<int> ra, rb;
      for (int x : a.sites) ra.push_back(R(x));
      for (int x : b.sites) rb.push_back(R(x));
      return ra < rb;
    });
    return groups;
  };

  std::set<std::pair<int, int>> seen_bonds;
  auto bond_sentences = [&](int from, const std::vector<NnGroup>& groups) {
    std::vector<std::string> out;
    for (const auto& g : groups) {
      std::vector<int> to;
      for (int t : g.sites) {
        const std::pair<int, int> key{std::min(from, t), std::max(from, t)};
        if (seen_bonds.count(key)) continue;
        seen_bonds.insert(key);
        to.push_back(t);
      }
      if (to.empty()) continue;
      std::vector<double> dists;
      for (int t : to)
        for (const auto& b : sd[static_cast<std::size_t>(from)].bonds)
          if (equiv[static_cast<std::size_t>(b.site)] == t) dists.push_back(b.distance);
      const std::string pair = std::string(element(sd[static_cast<std::size_t>(from)].Z).symbol) + "-" + element(g.Z).symbol;
      if (dists.size() == 1) { out.push_back("The " + pair + " bond length is " + fmt(dists[0], decimals) + " Å."); continue; }
      std::vector<double> disc;
      for (double x : dists) disc.push_back(rounded(x, decimals));
      std::set<double> distinct(disc.begin(), disc.end());
      if (distinct.size() == 1) {
        out.push_back(std::string(disc.size() == 2 ? "Both " : "All ") + pair + " bond lengths are " + fmt(dists[0], decimals) + " Å.");
      } else if (distinct.size() == 2) {
        const double small = *distinct.begin(), big = *distinct.rbegin();
        const int ns = static_cast<int>(std::count(disc.begin(), disc.end(), small));
        const int nb = static_cast<int>(std::count(disc.begin(), disc.end(), big));
        out.push_back("There " + std::string(ns == 1 ? "is " : "are ") + number_word(ns) + " shorter (" + fmt(small, decimals) +
                      " Å) and " + number_word(nb) + " longer (" + fmt(big, decimals) + " Å) " + pair + " bond length" +
                      (nb == 1 ? "." : "s."));
      } else {
        out.push_back("There are a spread of " + pair + " bond distances ranging from " + fmt(*distinct.begin(), decimals) + "-" +
                      fmt(*distinct.rbegin(), decimals) + " Å.");
      }
    }
    return out;
  };

  auto nn_description = [&](const std::vector<NnGroup>& groups) {
    std::vector<std::string> parts;
    int last = 0;
    for (const auto& g : groups) {
      const auto& d = sd[static_cast<std::size_t>(g.sites[0])];
      parts.push_back(number_word(g.count) + (g.sites.size() == 1 && g.count != 1 ? " equivalent " : " ") + charged(d));
      last = g.count;
    }
    return join_words(parts) + (last == 1 ? " atom" : " atoms");
  };

  auto site_description = [&](int r) {
    const auto& d = sd[static_cast<std::size_t>(r)];
    const auto groups = nn_details(r);
    std::string desc;
    if (!poly_formula[r].empty()) {
      const auto next = nnn_details(r);
      const std::string distorted = d.likeness < 0.6 ? "distorted " : "";
      const std::string plural = polyhedra_plural(connected_singular(d.geometry));
      const std::string from_poly = subscript_digits(std::string(element(d.Z).symbol) + poly_formula[r]);
      desc = charged(d) + " is bonded to " + nn_description(groups) + " to form ";
      std::set<std::pair<std::string, std::string>> kinds;
      for (const auto& g : next) kinds.insert({g.species, g.poly});
      if (!next.empty() && next[0].species == d.species && kinds.size() == 1) {
        // list(set(connectivities)): the order is Python's string hashing, random per process;
        // edge before corner is the Materials Project texts' more common order.
        std::vector<std::string> conns;
        for (int c : {2, 1, 3})
          if (std::any_of(next.begin(), next.end(), [&](const NnnGroup& g) { return g.conn == c; })) conns.push_back(kConn[c]);
        desc += (conns.size() != 1 ? "a mixture of " : "") + distorted + join_words(conns) + "-sharing " + from_poly + " " + plural;
      } else {
        desc += distorted + from_poly + " " + plural + " that share ";
        std::vector<std::string> parts;
        for (const auto& g : next) {
          const std::string to_poly = subscript_digits(std::string(element(g.Z).symbol) + g.poly);
          std::string shape = connected_singular(g.geom);
          const std::string eq = g.sites.size() == 1 && g.count != 1 ? " equivalent " : " ";
          std::string an;
          std::string conn = kConn[g.conn];
          if (g.count == 1) an = std::string(" ") + (g.conn == 2 ? "an " : "a ") + conn;
          else { shape = polyhedra_plural(shape); conn += "s"; }
          parts.push_back(an + conn + " with " + number_word(g.count) + eq + to_poly + " " + shape);
        }
        desc += join_words(parts);
      }
      // Octahedral tilts (get_octahedral_tilt_description).
      std::set<double> discrete;
      for (const auto& g : next) {
        if (g.geom != "octahedral" || g.conn != 1) continue;
        for (const auto& x : d.nnn)
          if (x.conn == 1 && std::find(g.sites.begin(), g.sites.end(), equiv[static_cast<std::size_t>(x.site)]) != g.sites.end())
            for (double a : x.angles) discrete.insert(rounded(a, 0));
      }
      std::vector<double> tilts;
      for (double a : discrete) tilts.push_back(std::fabs(180 - a));
      if (tilts.size() == 1) {
        desc += tilts[0] == 0 ? ". The corner-sharing octahedra are not tilted"
                              : ". The corner-sharing octahedral tilt angles are " + fmt(tilts[0], 0) + "°";
      } else if (tilts.size() > 1) {
        desc += ". The corner-sharing octahedral tilt angles range from " + fmt(*std::min_element(tilts.begin(), tilts.end()), 0) +
                "-" + fmt(*std::max_element(tilts.begin(), tilts.end()), 0) + "°";
      }
    } else if (d.bonds.empty()) {
      desc = charged(d) + " is not bonded to any other atom";
    } else {
      const std::string g = (d.likeness < 0.6 ? "distorted " : "") + d.geometry;
      const bool an = g[0] == 'o' || g.rfind("L-", 0) == 0;
      desc = charged(d) + " is bonded in " + (an ? "an " : "a ") + g + " geometry to " + nn_description(groups);
    }
    const auto bl = bond_sentences(r, groups);
    std::string joined;
    for (const auto& b : bl) joined += (joined.empty() ? "" : " ") + b;
    return joined.empty() ? desc + "." : desc + ". " + joined;
  };

  // Site groups (get_component_site_groups) and their sentences (get_component_description).
  auto component_description = [&](const std::vector<int>& site_ids, bool single, std::vector<std::string>& out) {
    std::vector<int> ranks;
    for (int i : site_ids) ranks.push_back(R(equiv[static_cast<std::size_t>(i)]));
    struct SiteGroup { std::string species; int iupac; std::vector<int> sites; };
    std::vector<SiteGroup> site_groups;
    for (int er : py_set_order(ranks)) {
      const int e = from_rank(er);
      const auto& d = sd[static_cast<std::size_t>(e)];
      auto it = std::find_if(site_groups.begin(), site_groups.end(), [&](const SiteGroup& g) { return g.species == d.species; });
      if (it == site_groups.end()) { site_groups.push_back({d.species, d.iupac, {}}); it = site_groups.end() - 1; }
      it->sites.push_back(e);
    }
    std::stable_sort(site_groups.begin(), site_groups.end(), [&](const SiteGroup& a, const SiteGroup& b) {
      if (a.iupac != b.iupac) return a.iupac < b.iupac;
      if (a.sites.size() != b.sites.size()) return a.sites.size() < b.sites.size();
      std::vector<int> ra, rb;
      for (int x : a.sites) ra.push_back(R(x));
      for (int x : b.sites) rb.push_back(R(x));
      return ra < rb;
    });
    bool first = true;
    for (const auto& g : site_groups) {
      if (g.sites.size() == 1) {
        out.push_back(site_description(g.sites[0]));
      } else {
        const std::string el = charged(sd[static_cast<std::size_t>(g.sites[0])]);
        out.push_back(std::string(first && !single ? "there" : "There") + " are " + number_word(static_cast<int>(g.sites.size())) +
                      " inequivalent " + el + " sites.");
        for (std::size_t k = 0; k < g.sites.size(); ++k)
          out.push_back("In the " + ordinal_word(static_cast<int>(k + 1)) + " " + el + " site, " + site_description(g.sites[k]));
      }
      first = false;
    }
  };

  // Components (condenser._condense_components, describer.get_component_makeup_summary and
  // get_all_component_descriptions). Components are told apart as StructureMatcher would by
  // the structural classes of their sites; robocrys counts them in the conventional cell
  // (clusters: `centring` copies of each).
  struct Inequiv { int dim; std::string formula; std::string orientation; int count; std::vector<int> site_ids; std::vector<int> key; };
  std::vector<Inequiv> inequiv;
  for (const auto& c : components) {
    std::vector<int> key;
    for (int i : c.sites) key.push_back(equiv[static_cast<std::size_t>(i)]);
    std::sort(key.begin(), key.end());
    auto it = std::find_if(inequiv.begin(), inequiv.end(), [&](const Inequiv& q) { return q.dim == c.dimensionality && q.key == key; });
    const int copies = c.dimensionality == 0 ? centring : 1;
    if (it != inequiv.end()) { it->count += copies; continue; }
    const std::string o = "(" + std::to_string(c.orientation[0]) + ", " + std::to_string(c.orientation[1]) + ", " +
                          std::to_string(c.orientation[2]) + ")";
    inequiv.push_back({c.dimensionality, c.formula, o, copies, c.sites, key});
  }
  struct Group { int dim; std::string formula; int count; std::vector<std::size_t> members; };
  std::vector<Group> groups;
  for (std::size_t k = 0; k < inequiv.size(); ++k) {
    auto it = std::find_if(groups.begin(), groups.end(), [&](const Group& g) { return g.dim == inequiv[k].dim && g.formula == inequiv[k].formula; });
    if (it == groups.end()) { groups.push_back({inequiv[k].dim, inequiv[k].formula, 0, {}}); it = groups.end() - 1; }
    it->count += inequiv[k].count;
    it->members.push_back(k);
  }
  for (auto& g : groups)
    std::stable_sort(g.members.begin(), g.members.end(), [&](std::size_t a, std::size_t b) {
      if (inequiv[a].orientation != inequiv[b].orientation) return inequiv[a].orientation < inequiv[b].orientation;
      return inequiv[a].count < inequiv[b].count;
    });
  std::stable_sort(groups.begin(), groups.end(), [](const Group& a, const Group& b) {
    if (a.dim != b.dim) return a.dim < b.dim;
    if (a.formula != b.formula) return a.formula < b.formula;
    return a.count < b.count;
  });
  static const char* shapes[4][2] = {{"cluster", "clusters"}, {"ribbon", "ribbons"}, {"sheet", "sheets"}, {"framework", "frameworks"}};
  std::vector<std::string> out;
  int dim = 0;
  for (const auto& q : inequiv) dim = std::max(dim, q.dim);
  if (!(groups.size() == 1 && groups[0].count == 1 && groups[0].dim == 3) && !groups.empty()) {
    static const char* words[4] = {"zero", "one", "two", "three"};
    std::string desc = dim == 3 ? "The structure consists of " : std::string("The structure is ") + words[dim] + "-dimensional and consists of ";
    int nframeworks = 0;
    for (const auto& q : inequiv) nframeworks += q.dim == 3;
    std::vector<std::string> parts;
    for (const auto& g : groups) {
      const bool a = nframeworks == 1 && g.dim == 3;
      std::string p = (a ? std::string("a") : number_word(g.count)) + " " + subscript_digits(g.formula) + " " +
                      shapes[g.dim][!a && g.count != 1 ? 1 : 0];
      if (g.dim == 1 || g.dim == 2) {
        std::vector<std::string> o;
        for (std::size_t k : g.members)
          if (std::find(o.begin(), o.end(), inequiv[k].orientation) == o.end()) o.push_back(inequiv[k].orientation);
        p += " oriented in the " + join_words(o) + (o.size() == 1 ? " direction" : " directions");
      }
      parts.push_back(p);
    }
    if (nframeworks == 1 && parts.size() > 1) {
      const std::string last = parts.back();
      parts.pop_back();
      desc += join_words(parts) + " inside " + last + ".";
    } else {
      desc += join_words(parts) + ".";
    }
    out.push_back(desc);
  }
  if (inequiv.size() <= 1) {
    std::vector<int> all(n);
    std::iota(all.begin(), all.end(), 0);
    component_description(all, true, out);
  } else {
    for (const auto& g : groups)
      for (std::size_t k : g.members) {
        const auto& q = inequiv[k];
        std::string filler = g.count == q.count ? (g.count == 1 ? "the" : "each") : number_word(q.count) + " of the";
        const std::string shape = shapes[g.dim][g.count == q.count ? 0 : 1];
        std::vector<std::string> part;
        component_description(q.site_ids, false, part);
        if (part.empty()) continue;
        part[0] = "In " + filler + " " + subscript_digits(g.formula) + " " + shape + ", " + part[0];
        for (auto& x : part) out.push_back(std::move(x));
      }
  }
  return out;
}

// pymatgen's reduce_formula (2022.11): elements by electronegativity, the last two as a
// polyanion when their difference is under 1.65 and they reduce further; with iupac the rest
// (and the polyanion's own two) in IUPAC order.
std::pair<std::string, long> reduce_formula(const std::vector<std::pair<int, long>>& amt, bool iupac) {
  auto X = [](int Z) { const double x = element(Z).electronegativity; return std::isnan(x) ? 1e9 : x; };
  std::vector<std::pair<int, long>> syms;
  for (const auto& a : amt)
    if (a.second != 0) syms.push_back(a);
  std::sort(syms.begin(), syms.end(), [&](const auto& a, const auto& b) {
    if (X(a.first) != X(b.first)) return X(a.first) < X(b.first);
    return std::string(element(a.first).symbol) < element(b.first).symbol;
  });
  long factor = 0;
  for (const auto& a : amt) factor = std::gcd(factor, std::labs(a.second));
  if (factor == 0) factor = 1;
  std::string poly;
  if (syms.size() >= 3 && X(syms[syms.size() - 1].first) - X(syms[syms.size() - 2].first) < 1.65) {
    std::vector<std::pair<int, long>> two = {{syms[syms.size() - 2].first, syms[syms.size() - 2].second / factor},
                                             {syms[syms.size() - 1].first, syms[syms.size() - 1].second / factor}};
    const auto [pf, pfac] = reduce_formula(two, iupac);
    if (pfac != 1) {
      poly = "(" + pf + ")" + std::to_string(pfac);
      syms.resize(syms.size() - 2);
    }
  }
  if (iupac)
    std::sort(syms.begin(), syms.end(), [](const auto& a, const auto& b) {
      if (element(a.first).iupac_order != element(b.first).iupac_order) return element(a.first).iupac_order < element(b.first).iupac_order;
      return std::string(element(a.first).symbol) < element(b.first).symbol;
    });
  std::string out;
  for (const auto& a : syms) out += std::string(element(a.first).symbol) + (a.second / factor == 1 ? "" : std::to_string(a.second / factor));
  return {out + poly, factor};
}

// get_reduced_formula_and_factor: reduce_formula and pymatgen's special formulas (LiO -> Li2O2).
std::pair<std::string, double> reduced_formula_and_factor(const std::vector<std::pair<int, long>>& amt, bool iupac) {
  static const std::map<std::string, std::string> special = {{"LiO", "Li2O2"}, {"NaO", "Na2O2"}, {"KO", "K2O2"}, {"HO", "H2O2"},
                                                             {"CsO", "Cs2O2"}, {"RbO", "Rb2O2"}, {"O", "O2"}, {"N", "N2"},
                                                             {"F", "F2"}, {"Cl", "Cl2"}, {"H", "H2"}};
  auto [f, factor] = reduce_formula(amt, iupac);
  double fac = static_cast<double>(factor);
  auto it = special.find(f);
  if (it != special.end()) { f = it->second; fac /= 2; }
  return {f, fac};
}

const std::map<std::string, std::string>& common_formulas() {
  static const std::map<std::string, std::string> m = [] {
    std::map<std::string, std::string> t;
    for (const char* line : kCommonFormulas) {
      const char* tab = std::strchr(line, '\t');
      t.emplace(std::string(line, tab), std::string(tab + 1));
    }
    return t;
  }();
  return m;
}

}  // namespace mp

}  // namespace

std::vector<int> bond_valence_states(const Structure& s) { return mp::bv_valences(s); }
std::vector<double> oxidation_state_guess(const Structure& s) { return mp::oxi_guess(s); }

std::vector<int> guess_oxidation_states(const Structure& s) {
  std::map<int, int> count;
  for (const auto& site : s.sites) ++count[site.Z];
  std::vector<int> Zs;
  for (const auto& [Z, n] : count) Zs.push_back(Z);
  std::vector<int> out(s.sites.size(), 0);
  if (Zs.size() < 2) return out;
  // Candidates: ICSD states (most common first), then pymatgen's common states.
  std::vector<std::vector<int>> cand;
  for (int Z : Zs) {
    std::vector<int> c = element(Z).icsd_oxidation_states;
    for (int v : element(Z).common_oxidation_states)
      if (std::find(c.begin(), c.end(), v) == c.end()) c.push_back(v);
    if (c.empty()) return out;
    cand.push_back(c);
  }
  std::vector<int> pick(Zs.size(), 0), best;
  long best_score = -1;
  std::function<void(std::size_t, long, int)> rec = [&](std::size_t k, long charge, int score) {
    if (k == Zs.size()) {
      if (charge == 0 && (best_score < 0 || score < best_score)) {
        best_score = score;
        best = pick;
      }
      return;
    }
    for (std::size_t c = 0; c < cand[k].size(); ++c) {
      pick[k] = cand[k][c];
      rec(k + 1, charge + static_cast<long>(count[Zs[k]]) * pick[k], score + static_cast<int>(c));
    }
  };
  long combos = 1;
  for (const auto& c : cand) combos *= static_cast<long>(c.size());
  if (combos > 200000) return out;
  rec(0, 0, 0);
  if (best.empty()) return out;
  // The most electronegative element must carry a negative state, the least a positive one.
  std::map<int, int> ox;
  for (std::size_t k = 0; k < Zs.size(); ++k) ox[Zs[k]] = best[k];
  for (std::size_t i = 0; i < s.sites.size(); ++i) out[i] = ox[s.sites[i].Z];
  return out;
}

Description describe_structure(const Structure& given, const DescriberOptions& opt) {
  Description d;
  if (given.sites.empty()) { d.reason = "no sites"; return d; }
  if (given.sites.size() > opt.max_sites) {
    d.reason = std::to_string(given.sites.size()) + " sites exceed the describer's limit of " + std::to_string(opt.max_sites);
    return d;
  }
  if (given.has_partial_occupancy()) { d.reason = "partial occupancy (disordered structure)"; return d; }
  if (!(std::fabs(given.lattice.volume()) > 1e-6)) { d.reason = "zero cell volume"; return d; }
  for (const auto& site : given.sites)
    if (is_noble_gas(site.Z)) { d.reason = std::string("noble gas ") + element(site.Z).symbol + " (no bonding model)"; return d; }
  const bool mp = opt.style == DescriptionStyle::Mp;
  const std::size_t n = given.sites.size();

  SymmetryOptions so;
  so.fast = true;
  // robocrys describes pymatgen's conventional standard structure, spglib's refined (idealised)
  // cell, where symmetry-equivalent sites have identical bonds and angles and so merge into one
  // inequivalent site: the positions made exactly symmetric, in the cell as given (set only
  // when there is a group beyond P1).
  Structure ideal;
  SymmetryInfo sym = analyze_symmetry(given, so, &ideal);
  const Structure& s = ideal.sites.empty() ? given : ideal;
  std::vector<int> ox;
  std::vector<double> oxf;
  bool has_ox = false;
  if (opt.oxidation_states && mp) {
    // emmet: BVAnalyzer, else the first of Composition.oxi_state_guesses(max_sites=-50).
    ox = mp::bv_valences(s);
    if (!ox.empty()) {
      oxf.assign(ox.begin(), ox.end());
    } else {
      oxf = mp::oxi_guess(s);
      // CrystalNN's radius for a fractional state lies between its neighbours'; ours takes the floor.
      for (double x : oxf) ox.push_back(static_cast<int>(std::floor(x)));
    }
    has_ox = !ox.empty();
    if (!has_ox) { ox.assign(n, 0); oxf.assign(n, 0.0); }
  } else {
    ox = opt.oxidation_states ? guess_oxidation_states(s) : std::vector<int>(n, 0);
  }

  // Bonding: CrystalNN (crystal/local_env), as robocrys.
  std::vector<SiteInfo> info(n);
  std::vector<std::vector<double>> site_fps(n);
  const auto started = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    if (opt.time_limit_s > 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() > opt.time_limit_s) {
      d.reason = "describing took longer than " + format_length(opt.time_limit_s, 0) +
                 " s (time limit per structure; raise it with --time-limit)";
      return d;
    }
    SiteInfo& si = info[i];
    si.Z = s.sites[i].Z;
    si.ox = ox[i];
    si.orbit = sym.equivalent_atoms[i];
    const CrystalNNData data = crystal_nn_data(s, i, ox);
    for (const Neighbor& x : data.bonded()) si.bonds.push_back({x.site, x.image, x.distance, x.offset});
    // Geometry from the CrystalNN fingerprint's order parameters, "distorted" under 0.6 (robocrys).
    site_fps[i] = site_fingerprint(data);
    const SiteGeometry g = site_geometry(site_fps[i]);
    si.geometry = g.name;
    si.distorted = g.likeness < 0.6;
    si.likeness = g.likeness;
  }
  // A bond seen from one side is a bond from the other: add the reverse of every bond.
  for (std::size_t i = 0; i < n; ++i) {
    for (const auto& bnd : std::vector<Bond>(info[i].bonds)) {
      auto& other = info[static_cast<std::size_t>(bnd.site)].bonds;
      std::array<int, 3> back{-bnd.image[0], -bnd.image[1], -bnd.image[2]};
      bool present = std::any_of(other.begin(), other.end(), [&](const Bond& x) {
        return x.site == static_cast<int>(i) && x.image == back;
      });
      if (!present)
        other.push_back({static_cast<int>(i), back, bnd.distance, {-bnd.offset[0], -bnd.offset[1], -bnd.offset[2]}});
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    SiteInfo& si = info[i];
    std::sort(si.bonds.begin(), si.bonds.end(), [](const Bond& x, const Bond& y) { return x.distance < y.distance; });
  }
  // A polyhedron: a connected geometry bonded (through a shared neighbour) to another one
  // (robocrys's poly_formula condition); cations and anions alike.
  for (std::size_t i = 0; i < n; ++i) {
    SiteInfo& si = info[i];
    if (polyhedron_of(si.geometry, true).empty()) continue;
    bool linked = false;
    for (const auto& b : si.bonds)
      for (const auto& c : info[static_cast<std::size_t>(b.site)].bonds) {
        const std::array<int, 3> img{b.image[0] + c.image[0], b.image[1] + c.image[1], b.image[2] + c.image[2]};
        if (static_cast<std::size_t>(c.site) == i && img == std::array<int, 3>{0, 0, 0}) continue;
        linked = linked || !polyhedron_of(info[static_cast<std::size_t>(c.site)].geometry, true).empty();
      }
    if (linked) si.polyhedron = polyhedron_of(si.geometry, true);
  }

  // Labels: per element, orbits numbered in order of their representative.
  std::map<int, std::vector<int>> orbits_of;  // Z -> representatives
  for (std::size_t i = 0; i < n; ++i)
    if (sym.equivalent_atoms[i] == static_cast<int>(i)) orbits_of[s.sites[i].Z].push_back(static_cast<int>(i));
  for (std::size_t i = 0; i < n; ++i) {
    const auto& reps = orbits_of[info[i].Z];
    info[i].label = static_cast<int>(std::find(reps.begin(), reps.end(), info[i].orbit) - reps.begin()) + 1;
  }

  auto site_name = [&](std::size_t i, bool with_label) {
    std::string name = element(info[i].Z).symbol;
    if (!mp && with_label) name += "(" + std::to_string(info[i].label) + ")";
    return name + charge_string(info[i].ox, opt.style);
  };
  auto plain_name = [&](std::size_t i) {
    std::string name = element(info[i].Z).symbol;
    if (!mp) name += "(" + std::to_string(info[i].label) + ")";
    return name;
  };
  auto poly_formula = [&](std::size_t i, bool label = true) {
    std::map<int, int> lig;
    for (const auto& b : info[i].bonds) ++lig[s.sites[static_cast<std::size_t>(b.site)].Z];
    std::vector<std::pair<int, int>> v(lig.begin(), lig.end());
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
      double xa = element(a.first).electronegativity, xb = element(b.first).electronegativity;
      return xa < xb;
    });
    std::string f = (mp || !label) ? element(info[i].Z).symbol : plain_name(i);
    for (const auto& [Z, c] : v) f += std::string(element(Z).symbol) + (c > 1 ? std::to_string(c) : "");
    return mp ? subscript_digits(f) : f;
  };

  std::vector<std::string> sentences;
  // 1. Formula and space group.
  std::string formula = iupac_formula(s);
  if (mp) {  // robocrys: its table of common formulas first, else the components' formulas
    const auto& common = mp::common_formulas();
    auto it = common.find(reduced_formula(s));
    if (it != common.end()) {
      formula = it->second;
    } else {
      // get_formula_from_components: each component's IUPAC-ordered reduced formula (or common
      // formula), equal formulas counted together, ordered by mean IUPAC rank, reduced by the gcd.
      struct Part { std::string formula; double count = 0; double order = 0; };
      std::vector<Part> parts;
      for (const auto& c : bonded_components(info)) {
        std::map<int, long> amt;
        for (int i : c.sites) ++amt[s.sites[static_cast<std::size_t>(i)].Z];
        std::vector<std::pair<int, long>> v(amt.begin(), amt.end());
        auto [f, fac] = mp::reduced_formula_and_factor(v, true);
        const std::string rf = mp::reduced_formula_and_factor(v, false).first;
        auto ct = common.find(rf);
        if (ct != common.end()) f = ct->second;
        auto pt = std::find_if(parts.begin(), parts.end(), [&](const Part& p) { return p.formula == f; });
        if (pt != parts.end()) { pt->count += fac; continue; }
        double ord = 0;
        for (const auto& [Z, n_] : amt) ord += element(Z).iupac_order;
        parts.push_back({f, fac, ord / static_cast<double>(amt.size())});
      }
      // The order key is the mean IUPAC rank of the formula's elements (Composition(formula)).
      std::stable_sort(parts.begin(), parts.end(), [](const Part& a, const Part& b) { return a.order < b.order; });
      bool all_int = true;
      for (const auto& p : parts) all_int = all_int && p.count == std::floor(p.count);
      const double pre = all_int ? 1 : 2;
      long g = 0;
      for (const auto& p : parts) g = std::gcd(g, static_cast<long>(p.count * pre));
      std::string f;
      for (const auto& p : parts) {
        const double norm = static_cast<double>(static_cast<long>(p.count * pre)) / static_cast<double>(g ? g : 1);
        f += norm == 1 ? p.formula : "(" + p.formula + ")";
        if (norm != 1) f += norm == std::floor(norm) ? std::to_string(static_cast<long>(norm)) : fmt_amount_mp(norm);
      }
      if (!parts.empty()) formula = f;
    }
  }
  std::string sg = mp ? mp_spacegroup(sym.symbol) : sym.symbol;
  std::string mineral;
  if (opt.minerals) {
    if (const MineralLibrary* lib = MineralLibrary::shared()) {
      if (auto m = match_mineral(*lib, s, ox, info, site_fps, sym.number))
        mineral = " is " + m->name + m->suffix + " structured and";
    }
  }
  sentences.push_back((mp ? subscript_digits(formula) : formula) + mineral + " crystallizes in the " +
                      sym.crystal_system + " " + sg + " space group.");
  // 2. Dimensionality: components of the bonded graph and how many independent lattice
  // translations join each to its own images (0: clusters, 1: ribbons, 2: sheets, 3: framework).
  // Said only below three dimensions, as robocrys does (the mp style: below).
  if (!mp) {
    const auto comps = bonded_components(info);
    int dim = 0;
    for (const auto& c : comps) dim = std::max(dim, c.dimensionality);
    if (dim < 3) {
      struct Item { std::string formula; int count = 0; int dim = 0; std::array<int, 3> orientation{}; };
      std::map<std::string, Item> items;
      for (const auto& c : comps) {
        Structure part;
        part.lattice = s.lattice;
        for (int i : c.sites) part.sites.push_back(s.sites[static_cast<std::size_t>(i)]);
        const std::string f = iupac_formula(part);
        auto& it = items[f + "#" + std::to_string(c.dimensionality)];
        it.formula = mp ? subscript_digits(f) : f;
        it.dim = c.dimensionality;
        it.orientation = c.orientation;
        ++it.count;
      }
      static const char* shapes[3][2] = {{"cluster", "clusters"}, {"ribbon", "ribbons"}, {"sheet", "sheets"}};
      static const char* words[3] = {"zero", "one", "two"};
      std::vector<std::string> parts;
      bool oriented = false;
      for (const auto& [key, it] : items) {
        std::string p = number_word(it.count) + " " + it.formula + " " + shapes[it.dim][it.count > 1 ? 1 : 0];
        if (it.dim > 0) {
          p += " oriented in the (" + std::to_string(it.orientation[0]) + ", " + std::to_string(it.orientation[1]) +
               ", " + std::to_string(it.orientation[2]) + ") direction";
          oriented = true;
        }
        parts.push_back(p);
      }
      std::string list;
      const std::string sep = oriented ? "; " : ", ";
      for (std::size_t k = 0; k < parts.size(); ++k)
        list += (k == 0 ? "" : (k + 1 == parts.size() ? (parts.size() > 2 ? sep + "and " : " and ") : sep)) + parts[k];
      sentences.push_back(std::string("The structure is ") + words[dim] + "-dimensional and consists of " + list + ".");
    }
  }

  if (mp) {
    std::vector<mp::SiteData> sd(n);
    for (std::size_t i = 0; i < n; ++i) {
      auto& d = sd[i];
      d.Z = info[i].Z;
      d.ox = ox[i];
      d.oxf = has_ox ? oxf[i] : 0.0;
      d.has_ox = has_ox;
      d.species = mp::species_string(d.Z, d.oxf, has_ox);
      d.X = element(d.Z).electronegativity;
      if (std::isnan(d.X)) d.X = std::numeric_limits<double>::infinity();
      d.iupac = element(d.Z).iupac_order;
      d.geometry = info[i].geometry;
      d.likeness = info[i].likeness;
      d.bonds = info[i].bonds;
    }
    const char lattice = sym.symbol.empty() ? 'P' : sym.symbol[0];
    const int centring = lattice == 'F' ? 4 : lattice == 'R' ? 3 : (lattice == 'A' || lattice == 'B' || lattice == 'C' || lattice == 'I') ? 2 : 1;
    std::vector<mp::ComponentIn> comps;
    const auto& common = mp::common_formulas();
    for (const auto& c : bonded_components(info)) {
      std::map<int, long> amt;
      for (int i : c.sites) ++amt[s.sites[static_cast<std::size_t>(i)].Z];
      std::vector<std::pair<int, long>> v(amt.begin(), amt.end());
      std::string f = mp::reduced_formula_and_factor(v, true).first;
      auto ct = common.find(mp::reduced_formula_and_factor(v, false).first);
      if (ct != common.end()) f = ct->second;
      comps.push_back({c.sites, c.dimensionality, c.orientation, f});
    }
    for (auto& x : mp::site_sentences(s, sd, opt.decimals, centring, sym.found ? sym.equivalent_atoms : std::vector<int>{}, comps))
      sentences.push_back(std::move(x));
    for (std::size_t k = 0; k < sentences.size(); ++k) d.text += (k ? " " : "") + sentences[k];
    d.ok = true;
    return d;
  }
  // Element order: ascending electronegativity, as in the formula.
  std::vector<int> elements;
  for (const auto& [Z, reps] : orbits_of) elements.push_back(Z);
  std::sort(elements.begin(), elements.end(), [](int a, int b) {
    double xa = element(a).electronegativity, xb = element(b).electronegativity;
    if (std::isnan(xa)) xa = 10;
    if (std::isnan(xb)) xb = 10;
    return xa != xb ? xa < xb : a < b;
  });

  std::set<std::pair<int, int>> described;  // orbit pairs whose bond lengths were given
  for (int Z : elements) {
    const auto& reps = orbits_of[Z];
    const std::size_t r0 = static_cast<std::size_t>(reps[0]);
    std::string el = site_name(r0, false);
    if (reps.size() > 1)
      sentences.push_back("There are " + number_word(static_cast<int>(reps.size())) + " inequivalent " + el + " sites.");
    for (std::size_t k = 0; k < reps.size(); ++k) {
      const std::size_t i = static_cast<std::size_t>(reps[k]);
      const SiteInfo& si = info[i];
      std::string head = reps.size() > 1 ? "In the " + ordinal_word(static_cast<int>(k + 1)) + " " + el + " site, " : "";
      // Neighbours grouped by element (equivalent when one orbit).
      std::map<int, std::vector<const Bond*>> by_el;
      for (const auto& b : si.bonds) by_el[s.sites[static_cast<std::size_t>(b.site)].Z].push_back(&b);
      std::vector<int> nel;
      for (const auto& [z, v] : by_el) nel.push_back(z);
      std::sort(nel.begin(), nel.end(), [](int a, int b) { return element(a).electronegativity < element(b).electronegativity; });
      std::vector<std::string> parts;
      int last_count = 0;
      for (int z : nel) {
        const auto& v = by_el[z];
        std::set<int> orbits;
        for (auto* b : v) orbits.insert(info[static_cast<std::size_t>(b->site)].orbit);
        const std::size_t j = static_cast<std::size_t>(v[0]->site);
        std::string what = number_word(static_cast<int>(v.size())) + (orbits.size() == 1 && v.size() > 1 ? " equivalent " : " ") +
                           site_name(j, orbits.size() == 1);
        parts.push_back(what);
        last_count = static_cast<int>(v.size());
      }
      std::string list;
      for (std::size_t p = 0; p < parts.size(); ++p)
        list += (p == 0 ? "" : (p + 1 == parts.size() ? (parts.size() > 2 ? ", and " : " and ") : ", ")) + parts[p];
      list += last_count == 1 ? " atom" : " atoms";
      std::string sentence = head + (head.empty() ? "" : "") + site_name(i, true);
      if (!si.polyhedron.empty()) {
        sentence += " is bonded to " + list + " to form ";
        const std::string distorted = si.distorted ? "distorted " : "";
        const std::string centre_poly = poly_formula(i, false) + " " + si.polyhedron;
        // Sharing with other cation polyhedra: shared ligands (site, absolute image) per neighbour polyhedron.
        std::map<std::pair<int, std::array<int, 3>>, int> shared;  // (cation site, its image) -> shared ligands
        std::vector<double> tilts;
        for (const auto& b : si.bonds) {
          const std::size_t a = static_cast<std::size_t>(b.site);
          for (const auto& c : info[a].bonds) {  // cations around the ligand (ligand at image b.image)
            const std::size_t m = static_cast<std::size_t>(c.site);
            if (info[m].polyhedron.empty()) continue;
            std::array<int, 3> img{b.image[0] + c.image[0], b.image[1] + c.image[1], b.image[2] + c.image[2]};
            if (m == i && img == std::array<int, 3>{0, 0, 0}) continue;
            ++shared[{static_cast<int>(m), img}];
          }
        }
        std::map<std::tuple<int, std::string, std::string>, std::pair<int, std::set<int>>> groups;  // (kind, formula, poly) -> count, orbits
        for (const auto& [key, cnt] : shared) {
          const std::size_t m = static_cast<std::size_t>(key.first);
          const int kind = cnt == 1 ? 0 : cnt == 2 ? 1 : 2;
          auto& g = groups[{kind, poly_formula(m), info[m].polyhedron}];
          ++g.first;
          g.second.insert(info[m].orbit);
          if (kind == 0 && info[m].geometry == "octahedral") {
            // Tilt: 180 minus the centre-ligand-centre angle at the shared corner.
            for (const auto& b : si.bonds)
              for (const auto& c : info[static_cast<std::size_t>(b.site)].bonds) {
                std::array<int, 3> img{b.image[0] + c.image[0], b.image[1] + c.image[1], b.image[2] + c.image[2]};
                if (static_cast<std::size_t>(c.site) != m || img != key.second) continue;
                // Vectors from the ligand to both centres.
                Vec3 u = b.offset, w{-c.offset[0], -c.offset[1], -c.offset[2]};  // centre - ligand, m - ligand
                double cosang = dot(u, w) / (b.distance * c.distance);
                tilts.push_back(180.0 - std::acos(std::max(-1.0, std::min(1.0, cosang))) * 180.0 / M_PI);
              }
          }
        }
        static const char* kinds[3][2] = {{"corner", "corners"}, {"edge", "edges"}, {"face", "faces"}};
        // robocrys: when every neighbouring polyhedron has this site's element and one formula,
        // "a mixture of corner and edge-sharing XO6 octahedra".
        bool only_self = !groups.empty();
        std::set<int> kinds_seen;
        std::set<std::string> formulas;
        for (const auto& [key, g] : groups) {
          kinds_seen.insert(std::get<0>(key));
          formulas.insert(std::get<1>(key));
          if (info[static_cast<std::size_t>(*g.second.begin())].Z != si.Z) only_self = false;
        }
        if (formulas.size() != 1) only_self = false;
        std::vector<std::string> shares;
        for (const auto& [key, g] : groups) {
          const auto& [kind, pf, poly] = key;
          if (g.first == 1) {
            // The Materials Project's texts carry robocrys's old " a cornercorner" wording.
            const std::size_t m = static_cast<std::size_t>(*g.second.begin());
            const std::string one = polyhedron_of(info[m].geometry, false);
            const std::string art = kind == 1 ? "an " : "a ";
            shares.push_back(mp ? " " + art + kinds[kind][0] + kinds[kind][0] + " with one " + pf + " " + one
                                : art + kinds[kind][0] + " with one " + pf + " " + one);
          } else {
            shares.push_back(std::string(kinds[kind][1]) + " with " + number_word(g.first) +
                             (g.second.size() == 1 ? " equivalent " : " ") + pf + " " + poly);
          }
        }
        if (only_self) {
          // robocrys: "a mixture of edge and corner-sharing SnO6 octahedra" / "corner-sharing ...".
          std::vector<std::string> ks;
          for (int k : {1, 0, 2}) if (kinds_seen.count(k)) ks.push_back(kinds[k][0]);
          std::string kind_list;
          for (std::size_t p = 0; p < ks.size(); ++p)
            kind_list += (p == 0 ? "" : (p + 1 == ks.size() ? " and " : ", ")) + ks[p];
          sentence += (ks.size() > 1 ? "a mixture of " : "") + distorted + kind_list + "-sharing " + centre_poly;
          shares.clear();
        } else {
          sentence += distorted + centre_poly;
        }
        if (!shares.empty()) {
          sentence += " that share ";
          for (std::size_t p = 0; p < shares.size(); ++p)
            sentence += (p == 0 ? "" : (p + 1 == shares.size() ? (shares.size() > 2 ? ", and " : " and ") : ", ")) + shares[p];
        }
        sentence += ".";
        sentences.push_back(sentence);
        if (!tilts.empty()) {
          const int lo = static_cast<int>(std::lround(*std::min_element(tilts.begin(), tilts.end())));
          const int hi = static_cast<int>(std::lround(*std::max_element(tilts.begin(), tilts.end())));
          if (hi == 0) sentences.push_back("The corner-sharing octahedra are not tilted.");
          else if (lo == hi) sentences.push_back("The corner-sharing octahedral tilt angles are " + std::to_string(lo) + "°.");
          else sentences.push_back("The corner-sharing octahedral tilt angles range from " + std::to_string(lo) + "-" +
                                   std::to_string(hi) + "°.");
        }
      } else if (si.bonds.empty()) {
        sentences.push_back(sentence + " is not bonded to any other atom.");
      } else {
        sentence += " is bonded in " + std::string(si.distorted ? "a distorted " : (si.geometry[0] == 'o' ? "an " : "a ")) +
                    si.geometry + " geometry to " + list + ".";
        sentences.push_back(sentence);
      }
      // Bond lengths, per neighbour element; each pair of orbits described once.
      for (int z : nel) {
        const auto& v = by_el[z];
        std::set<int> orbs;
        for (auto* b : v) orbs.insert(info[static_cast<std::size_t>(b->site)].orbit);
        bool seen = true;
        for (int o : orbs) seen = seen && described.count({std::min(o, si.orbit), std::max(o, si.orbit)});
        if (seen) continue;
        for (int o : orbs) described.insert({std::min(o, si.orbit), std::max(o, si.orbit)});
        std::vector<double> ds;
        for (auto* b : v) ds.push_back(b->distance);
        std::sort(ds.begin(), ds.end());
        const std::string pair = plain_name(i) + "-" + (mp ? std::string(element(z).symbol)
                                                            : plain_name(static_cast<std::size_t>(v[0]->site)));
        const std::string lo = format_length(ds.front(), opt.decimals), hi = format_length(ds.back(), opt.decimals);
        if (ds.size() == 1) sentences.push_back("The " + pair + " bond length is " + lo + " Å.");
        else if (lo == hi) sentences.push_back(std::string(ds.size() == 2 ? "Both " : "All ") + pair + " bond lengths are " + lo + " Å.");
        else {
          std::size_t nshort = 0;
          for (double x : ds) nshort += format_length(x, opt.decimals) == lo;
          std::size_t nlong = 0;
          for (double x : ds) nlong += format_length(x, opt.decimals) == hi;
          if (nshort + nlong == ds.size())
            sentences.push_back("There " + std::string(nshort == 1 ? "is " : "are ") + number_word(static_cast<int>(nshort)) +
                                " shorter (" + lo + " Å) and " + number_word(static_cast<int>(nlong)) + " longer (" + hi +
                                " Å) " + pair + " bond length" + (nlong == 1 ? "." : "s."));
          else
            sentences.push_back("There are a spread of " + pair + " bond distances ranging from " + lo + "-" + hi + " Å.");
        }
      }
    }
  }
  for (std::size_t k = 0; k < sentences.size(); ++k) d.text += (k ? " " : "") + sentences[k];
  d.ok = true;
  return d;
}

}  // namespace cast::text
