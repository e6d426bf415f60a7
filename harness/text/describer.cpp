#include "text/describer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <numeric>
#include <set>

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

}  // namespace

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

Description describe_structure(const Structure& s, const DescriberOptions& opt) {
  Description d;
  if (s.sites.empty()) { d.reason = "no sites"; return d; }
  if (s.sites.size() > opt.max_sites) {
    d.reason = std::to_string(s.sites.size()) + " sites exceed the describer's limit of " + std::to_string(opt.max_sites);
    return d;
  }
  if (s.has_partial_occupancy()) { d.reason = "partial occupancy (disordered structure)"; return d; }
  if (!(std::fabs(s.lattice.volume()) > 1e-6)) { d.reason = "zero cell volume"; return d; }
  for (const auto& site : s.sites)
    if (is_noble_gas(site.Z)) { d.reason = std::string("noble gas ") + element(site.Z).symbol + " (no bonding model)"; return d; }
  const bool mp = opt.style == DescriptionStyle::Mp;
  const std::size_t n = s.sites.size();

  SymmetryOptions so;
  so.fast = true;
  SymmetryInfo sym = analyze_symmetry(s, so);
  std::vector<int> ox = opt.oxidation_states ? guess_oxidation_states(s) : std::vector<int>(n, 0);

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
  std::string sg = mp ? mp_spacegroup(sym.symbol) : sym.symbol;
  std::string mineral;
  if (opt.minerals) {
    if (const MineralLibrary* lib = MineralLibrary::shared()) {
      std::set<int> els;
      for (const auto& site : s.sites) els.insert(site.Z);
      if (auto m = lib->match(structure_fingerprint(site_fps), static_cast<int>(els.size()), anonymous_formula(s),
                              sym.number))
        mineral = " is " + m->name + m->suffix + " structured and";
    }
  }
  sentences.push_back((mp ? subscript_digits(formula) : formula) + mineral + " crystallizes in the " +
                      sym.crystal_system + " " + sg + " space group.");
  // 2. Dimensionality: components of the bonded graph and how many independent lattice
  // translations join each to its own images (0: clusters, 1: ribbons, 2: sheets, 3: framework).
  // Said only below three dimensions, as robocrys does.
  {
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
