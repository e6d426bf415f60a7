#include "crystal/structure.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>

#include "crystal/elements.hpp"
#include "crystal/neighbors.hpp"

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
  if (std::fabs(x - std::trunc(x)) < 1e-8) return std::to_string(static_cast<long long>(x));
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
                             [](const auto& a) { return std::trunc(a.second) == a.second; });
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
    if (std::trunc(last2[0].second) == last2[0].second &&
        std::trunc(last2[1].second) == last2[1].second)
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

std::string structure_problem(const Structure& s, double min_distance) {
  if (s.sites.empty()) return "no sites";
  double v = s.lattice.volume();
  if (!(std::fabs(v) > 1e-6)) return "zero cell volume (lattice vectors are linearly dependent)";
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
