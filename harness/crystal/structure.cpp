#include "crystal/structure.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>

#include "crystal/elements.hpp"
#include "common/error.hpp"
#include "crystal/neighbors.hpp"
#include "crystal/symmetry.hpp"

namespace cast {

static double det3(const Mat3& m) {
  return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
         m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
         m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
}

Lattice::Lattice(const Mat3& rows) : m(rows) {
  double d = det3(m);
  if (d == 0.0) return;  // inv stays zero; structure_problem() reports the zero volume
  inv[0][0] = (m[1][1] * m[2][2] - m[1][2] * m[2][1]) / d;
  inv[0][1] = (m[0][2] * m[2][1] - m[0][1] * m[2][2]) / d;
  inv[0][2] = (m[0][1] * m[1][2] - m[0][2] * m[1][1]) / d;
  inv[1][0] = (m[1][2] * m[2][0] - m[1][0] * m[2][2]) / d;
  inv[1][1] = (m[0][0] * m[2][2] - m[0][2] * m[2][0]) / d;
  inv[1][2] = (m[0][2] * m[1][0] - m[0][0] * m[1][2]) / d;
  inv[2][0] = (m[1][0] * m[2][1] - m[1][1] * m[2][0]) / d;
  inv[2][1] = (m[0][1] * m[2][0] - m[0][0] * m[2][1]) / d;
  inv[2][2] = (m[0][0] * m[1][1] - m[0][1] * m[1][0]) / d;
}

Lattice Lattice::from_parameters(double a, double b, double c, double alpha, double beta,
                                 double gamma) {
  // pymatgen's convention (Lattice.from_parameters, vesta=False): c along z.
  const double r = M_PI / 180.0;
  double ca = std::cos(alpha * r), cb = std::cos(beta * r), cg = std::cos(gamma * r);
  double sa = std::sin(alpha * r), sb = std::sin(beta * r);
  double val = (ca * cb - cg) / (sa * sb);
  val = std::max(-1.0, std::min(1.0, val));
  double gamma_star = std::acos(val);
  Mat3 m{};
  m[0] = {a * sb, 0.0, a * cb};
  m[1] = {-b * sa * std::cos(gamma_star), b * sa * std::sin(gamma_star), b * ca};
  m[2] = {0.0, 0.0, c};
  return Lattice(m);
}

double Lattice::volume() const { return det3(m); }

Vec3 Lattice::to_cart(const Vec3& f) const {
  Vec3 x{};
  for (int j = 0; j < 3; ++j) x[j] = f[0] * m[0][j] + f[1] * m[1][j] + f[2] * m[2][j];
  return x;
}

Vec3 Lattice::to_frac(const Vec3& x) const {
  Vec3 f{};
  for (int j = 0; j < 3; ++j) f[j] = x[0] * inv[0][j] + x[1] * inv[1][j] + x[2] * inv[2][j];
  return f;
}

std::array<double, 3> Lattice::lengths() const {
  std::array<double, 3> l{};
  for (int i = 0; i < 3; ++i) l[i] = std::sqrt(m[i][0] * m[i][0] + m[i][1] * m[i][1] + m[i][2] * m[i][2]);
  return l;
}

std::array<double, 3> Lattice::angles_deg() const {
  auto l = lengths();
  auto dot = [&](int i, int j) { return m[i][0] * m[j][0] + m[i][1] * m[j][1] + m[i][2] * m[j][2]; };
  auto ang = [&](int i, int j) {
    double c = dot(i, j) / (l[i] * l[j]);
    return std::acos(std::max(-1.0, std::min(1.0, c))) * 180.0 / M_PI;
  };
  return {ang(1, 2), ang(0, 2), ang(0, 1)};
}

bool Structure::has_partial_occupancy() const {
  for (const auto& s : sites) {
    if (s.species.size() > 1) return true;
    if (s.species.size() == 1 && std::fabs(s.species[0].occupancy - 1.0) > 1e-6) return true;
  }
  return false;
}

void Structure::add_site(int Z, const Vec3& f, std::string label) {
  Site s;
  s.Z = Z;
  s.frac = f;
  s.species.push_back({Z, 1.0, 0});
  s.label = std::move(label);
  sites.push_back(std::move(s));
}

namespace {
// pymatgen.util.string.formula_double_format (ignore_ones=True, tol=1e-8).
std::string format_amount(double x) {
  if (x == 1.0) return "";
  // Amounts past 1e15 cannot come from a usable structure (structure_invalid bounds the sites
  // and occupancies); printed as doubles they at least never overflow a long long.
  if (std::fabs(x - std::trunc(x)) < 1e-8 && std::fabs(x) < 1e15) return std::to_string(static_cast<long long>(x));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.8g", std::round(x * 1e8) / 1e8);
  return buf;
}

double electronegativity_key(int Z) {
  double x = element(Z).electronegativity;
  return std::isnan(x) ? 1e9 : x;  // pymatgen has no X for He, Ne, Ar: sort them last
}

std::string reduce(std::vector<std::pair<int, double>> amounts, bool iupac = false) {
  std::sort(amounts.begin(), amounts.end(), [](const auto& a, const auto& b) {
    double xa = electronegativity_key(a.first), xb = electronegativity_key(b.first);
    if (xa != xb) return xa < xb;
    return std::string(element(a.first).symbol) < element(b.first).symbol;
  });
  amounts.erase(std::remove_if(amounts.begin(), amounts.end(),
                               [](const auto& a) { return std::fabs(a.second) <= 1e-8; }),
                amounts.end());
  long long factor = 1;
  bool all_int = std::all_of(amounts.begin(), amounts.end(),
                             [](const auto& a) { return std::trunc(a.second) == a.second && std::fabs(a.second) < 1e15; });
  if (all_int && !amounts.empty()) {
    long long g = 0;
    for (const auto& a : amounts) g = std::gcd(g, static_cast<long long>(std::llabs(static_cast<long long>(a.second))));
    factor = g > 0 ? g : 1;
  }
  std::string poly;
  std::size_t n = amounts.size();
  if (n >= 3 && electronegativity_key(amounts[n - 1].first) -
                        electronegativity_key(amounts[n - 2].first) < 1.65) {
    std::vector<std::pair<int, double>> last2 = {
        {amounts[n - 2].first, amounts[n - 2].second / factor},
        {amounts[n - 1].first, amounts[n - 1].second / factor}};
    long long pf = 1;
    if (std::trunc(last2[0].second) == last2[0].second && std::fabs(last2[0].second) < 1e15 &&
        std::trunc(last2[1].second) == last2[1].second && std::fabs(last2[1].second) < 1e15)
      pf = std::gcd(static_cast<long long>(last2[0].second), static_cast<long long>(last2[1].second));
    if (pf != 1 && pf != 0) {
      std::string inner;
      std::vector<std::pair<int, double>> sorted = last2;
      std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
        double xa = electronegativity_key(a.first), xb = electronegativity_key(b.first);
        if (xa != xb) return xa < xb;
        return std::string(element(a.first).symbol) < element(b.first).symbol;
      });
      for (const auto& a : sorted) inner += element(a.first).symbol + format_amount(a.second / pf);
      poly = "(" + inner + ")" + std::to_string(pf);
      amounts.resize(n - 2);
    }
  }
  if (iupac)  // pymatgen: polyanions from electronegativity, the rest in IUPAC order
    std::sort(amounts.begin(), amounts.end(), [](const auto& a, const auto& b) {
      return element(a.first).iupac_order != element(b.first).iupac_order
                 ? element(a.first).iupac_order < element(b.first).iupac_order
                 : std::string(element(a.first).symbol) < element(b.first).symbol;
    });
  std::string out;
  for (const auto& a : amounts) out += element(a.first).symbol + format_amount(a.second / factor);
  return out + poly;
}
}  // namespace

std::string reduced_formula(const Structure& s) {
  std::map<int, double> amt;
  for (const auto& site : s.sites) {
    if (site.species.empty()) amt[site.Z] += 1.0;
    for (const auto& sp : site.species) amt[sp.Z] += sp.occupancy;
  }
  return reduce({amt.begin(), amt.end()});
}

std::string iupac_formula(const Structure& s) {
  std::map<int, double> amt;
  for (const auto& site : s.sites) {
    if (site.species.empty()) amt[site.Z] += 1.0;
    for (const auto& sp : site.species) amt[sp.Z] += sp.occupancy;
  }
  return reduce({amt.begin(), amt.end()}, true);
}

const StructureLimits& default_structure_limits() {
  static const StructureLimits lim;
  return lim;
}

std::string structure_invalid(const Structure& s, const StructureLimits& lim) {
  char buf[256];
  if (s.sites.empty()) return "no sites";
  if (s.sites.size() > lim.max_sites) {
    std::snprintf(buf, sizeof buf, "%zu sites, more than the limit of %zu; split or cut the structure", s.sites.size(),
                  lim.max_sites);
    return buf;
  }
  for (const auto& row : s.lattice.m)
    for (double x : row)
      if (!std::isfinite(x)) return "lattice vector component is not a finite number (NaN or infinite)";
  const auto len = s.lattice.lengths();
  for (int i = 0; i < 3; ++i) {
    if (!(len[i] <= lim.max_length)) {
      std::snprintf(buf, sizeof buf, "lattice vector %c is %.4g A long, over the limit of %.4g A; check the cell", "abc"[i],
                    len[i], lim.max_length);
      return buf;
    }
  }
  const double v = s.lattice.volume();
  const double per_site = std::fabs(v) / static_cast<double>(s.sites.size());
  if (!std::isfinite(v) || !(per_site >= lim.min_volume_per_site)) {
    std::snprintf(buf, sizeof buf,
                  "zero cell volume (%.3g A^3, %.3g A^3 per site, under %.3g; lattice vectors are linearly dependent "
                  "or the cell is nearly flat): check the cell",
                  v, per_site, lim.min_volume_per_site);
    return buf;
  }
  // The shortest lattice vector is basis-independent; the reduced basis finds it.
  const ReducedLattice red = delaunay_reduced(s.lattice);
  if (!red.ok) return "zero cell volume (the lattice cannot be reduced: vectors nearly coplanar); check the cell";
  const auto rl = red.lattice.lengths();
  const double shortest = std::min({rl[0], rl[1], rl[2]});
  if (shortest < lim.min_lattice_vector) {
    std::snprintf(buf, sizeof buf,
                  "the lattice has a vector of %.3g A (every atom overlaps its own image, under %.2g A): check the cell",
                  shortest, lim.min_lattice_vector);
    return buf;
  }
  for (std::size_t i = 0; i < s.sites.size(); ++i) {
    const Site& site = s.sites[i];
    for (double x : site.frac)
      if (!std::isfinite(x) || !(std::fabs(x) <= lim.max_abs_fractional)) {
        std::snprintf(buf, sizeof buf, "site %zu%s%s: fractional coordinate %.6g is %s; write coordinates in [0, 1)",
                      i + 1, site.label.empty() ? "" : " ", site.label.c_str(), x,
                      std::isfinite(x) ? "out of range" : "not a finite number");
        return buf;
      }
    if (site.Z < 1 || site.Z > kNumElements) {
      std::snprintf(buf, sizeof buf, "site %zu: atomic number %d is not an element (1-%d)", i + 1, site.Z, kNumElements);
      return buf;
    }
    double total = 0;
    for (const auto& sp : site.species) {
      if (sp.Z < 1 || sp.Z > kNumElements) {
        std::snprintf(buf, sizeof buf, "site %zu: atomic number %d is not an element (1-%d)", i + 1, sp.Z, kNumElements);
        return buf;
      }
      if (!(sp.occupancy > 0 && sp.occupancy <= 1.0 + 1e-3)) {
        std::snprintf(buf, sizeof buf, "site %zu: occupancy %.6g outside (0, 1]", i + 1, sp.occupancy);
        return buf;
      }
      if (sp.oxidation_state < -20 || sp.oxidation_state > 20) {
        std::snprintf(buf, sizeof buf, "site %zu: oxidation state %d outside [-20, 20]", i + 1, sp.oxidation_state);
        return buf;
      }
      total += sp.occupancy;
    }
    if (total > 1.0 + 1e-3) {
      std::snprintf(buf, sizeof buf, "site %zu: occupancies sum to %.6g, more than 1", i + 1, total);
      return buf;
    }
  }
  return {};
}

void check_structure(const Structure& s, const std::string& where, const StructureLimits& lim) {
  std::string why = structure_invalid(s, lim);
  if (!why.empty()) fail(where, ": ", why);
}

std::string structure_problem(const Structure& s, double min_distance) {
  std::string why = structure_invalid(s);
  if (!why.empty()) return why;
  double d = shortest_distance(s);
  if (d < min_distance) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "overlapping atoms: shortest interatomic distance %.3f A < %.2f A",
                  d, min_distance);
    return buf;
  }
  return {};
}

}  // namespace cast
