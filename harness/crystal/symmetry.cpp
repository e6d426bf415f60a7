// spglib wrapper and the fast operation search (see symmetry.hpp).
//
// Every search here runs in the Delaunay-reduced basis (spglib's spg_delaunay_reduce): a skewed
// basis of the same lattice (fcc Cu written with a 5° angle, a 1° cell) otherwise admits
// hundreds of candidate "rotations" within the tolerances and names a lower space group.
// Atom matching goes through a periodic grid, so a search is near-linear in the number of sites.
#include "crystal/symmetry.hpp"

#include <spglib.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/error.hpp"

namespace cast {

const char* crystal_system_of(int n) {
  if (n <= 2) return "triclinic";
  if (n <= 15) return "monoclinic";
  if (n <= 74) return "orthorhombic";
  if (n <= 142) return "tetragonal";
  if (n <= 167) return "trigonal";
  if (n <= 194) return "hexagonal";
  return "cubic";
}

// ---------------------------------------------------------------- reduced basis
bool ReducedLattice::identity() const {
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c)
      if (P[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)] != (r == c ? 1 : 0)) return false;
  return true;
}

ReducedLattice delaunay_reduced(const Lattice& L) {
  ReducedLattice out;
  out.lattice = L;
  for (const auto& row : L.m)
    for (double x : row)
      if (!std::isfinite(x)) return out;
  const double v = L.volume();
  if (!std::isfinite(v) || v == 0.0) return out;
  double lat[3][3];
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) lat[i][j] = L.m[static_cast<std::size_t>(j)][static_cast<std::size_t>(i)];  // columns
  // spglib's tolerance here only decides ties between equally short vectors.
  if (!spg_delaunay_reduce(lat, 1e-5)) return out;
  Mat3 rows{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) rows[static_cast<std::size_t>(j)][static_cast<std::size_t>(i)] = lat[i][j];
  // P = rows · m^-1 must be an integer matrix of determinant ±1 (same lattice, other basis).
  std::array<std::array<int, 3>, 3> P{};
  for (std::size_t r = 0; r < 3; ++r)
    for (std::size_t c = 0; c < 3; ++c) {
      double x = rows[r][0] * L.inv[0][c] + rows[r][1] * L.inv[1][c] + rows[r][2] * L.inv[2][c];
      if (!std::isfinite(x) || std::fabs(x) > 1e6 || std::fabs(x - std::round(x)) > 1e-4) return out;
      P[r][c] = static_cast<int>(std::lround(x));
    }
  const long long det =
      1LL * P[0][0] * (1LL * P[1][1] * P[2][2] - 1LL * P[1][2] * P[2][1]) -
      1LL * P[0][1] * (1LL * P[1][0] * P[2][2] - 1LL * P[1][2] * P[2][0]) +
      1LL * P[0][2] * (1LL * P[1][0] * P[2][1] - 1LL * P[1][1] * P[2][0]);
  if (det != 1 && det != -1) return out;
  // Exact integer combination of the input rows, so that the reduced lattice is the input one.
  Mat3 exact{};
  for (std::size_t r = 0; r < 3; ++r)
    for (std::size_t c = 0; c < 3; ++c)
      exact[r][c] = P[r][0] * L.m[0][c] + P[r][1] * L.m[1][c] + P[r][2] * L.m[2][c];
  out.lattice = Lattice(exact);
  out.P = P;
  out.ok = true;
  return out;
}

Structure in_reduced_basis(const Structure& s, const ReducedLattice& r) {
  Structure out = s;
  out.lattice = r.lattice;
  for (std::size_t i = 0; i < s.sites.size(); ++i) {
    Vec3 f = r.identity() ? s.sites[i].frac : r.lattice.to_frac(s.cart(i));
    for (double& x : f) {
      x -= std::floor(x);
      if (x >= 1.0) x = 0.0;  // -1e-17 - floor(-1e-17) rounds to 1.0
    }
    out.sites[i].frac = f;
  }
  return out;
}

namespace {

using IVec = std::array<int, 3>;
using IMat = std::array<std::array<int, 3>, 3>;

Vec3 lattice_vector(const Lattice& L, const IVec& n) {
  Vec3 v{};
  for (std::size_t k = 0; k < 3; ++k) v[k] = n[0] * L.m[0][k] + n[1] * L.m[1][k] + n[2] * L.m[2][k];
  return v;
}

// Per axis a, the length of column a of inv(m): |Δf_a| <= |Δx| · h[a].
std::array<double, 3> inverse_column_norms(const Lattice& L) {
  std::array<double, 3> h{};
  for (std::size_t a = 0; a < 3; ++a)
    h[a] = std::sqrt(L.inv[0][a] * L.inv[0][a] + L.inv[1][a] * L.inv[1][a] + L.inv[2][a] * L.inv[2][a]);
  return h;
}

// Sites bucketed on a periodic grid of fractional coordinates: "is there an atom of element Z
// within tol of p?" in constant time instead of a pass over every site.
class SiteGrid {
 public:
  SiteGrid(const Structure& s, double tol) : s_(s), tol2_(tol * tol) {
    const auto h = inverse_column_norms(s.lattice);
    const int gmax = std::max(1, std::min(64, static_cast<int>(std::ceil(std::cbrt(static_cast<double>(s.sites.size())))) + 1));
    for (std::size_t a = 0; a < 3; ++a) {
      // A bucket must be at least as wide as the tolerance so that ±1 bucket covers it.
      const double w = tol * h[a];
      int g = w > 0 && std::isfinite(w) ? static_cast<int>(std::floor(1.0 / w)) : 1;
      g_[a] = std::max(1, std::min(g, gmax));
    }
    cells_.assign(static_cast<std::size_t>(g_[0] * g_[1] * g_[2]), {});
    for (std::size_t i = 0; i < s.sites.size(); ++i) cells_[cell_of(s.sites[i].frac)].push_back(static_cast<int>(i));
  }

  // The first site of element Z (any element when Z < 0) other than `skip` within tol of the
  // fractional point p, periodic images included; -1 when there is none.
  int find(const Vec3& p, int Z, int skip = -1) const {
    int c[3];
    for (std::size_t a = 0; a < 3; ++a) c[a] = bucket(p[a], a);
    int seen[3][3];
    int ns[3];
    for (std::size_t a = 0; a < 3; ++a) {
      ns[a] = 0;
      for (int d = -1; d <= 1; ++d) {
        int b = ((c[a] + d) % g_[a] + g_[a]) % g_[a];
        bool dup = false;
        for (int k = 0; k < ns[a]; ++k) dup = dup || seen[a][k] == b;
        if (!dup) seen[a][ns[a]++] = b;
      }
    }
    for (int i0 = 0; i0 < ns[0]; ++i0)
      for (int i1 = 0; i1 < ns[1]; ++i1)
        for (int i2 = 0; i2 < ns[2]; ++i2) {
          const auto& cell = cells_[static_cast<std::size_t>((seen[0][i0] * g_[1] + seen[1][i1]) * g_[2] + seen[2][i2])];
          for (int j : cell) {
            if (j == skip) continue;
            const Site& q = s_.sites[static_cast<std::size_t>(j)];
            if (Z >= 0 && q.Z != Z) continue;
            Vec3 d{p[0] - q.frac[0], p[1] - q.frac[1], p[2] - q.frac[2]};
            for (double& x : d) x -= std::round(x);
            Vec3 x = s_.lattice.to_cart(d);
            if (dot(x, x) < tol2_) return j;
          }
        }
    return -1;
  }

 private:
  int bucket(double f, std::size_t a) const {
    double u = f - std::floor(f);
    int b = static_cast<int>(u * g_[a]);
    return std::min(std::max(b, 0), g_[a] - 1);
  }
  std::size_t cell_of(const Vec3& f) const {
    return static_cast<std::size_t>((bucket(f[0], 0) * g_[1] + bucket(f[1], 1)) * g_[2] + bucket(f[2], 2));
  }
  const Structure& s_;
  double tol2_;
  int g_[3];
  std::vector<std::vector<int>> cells_;
};

// The lattice's point group within the tolerances, as integer matrices acting on fractional
// coordinates (rot[r][c]). More than 48 means the tolerances admit a set that is no group
// (a near-degenerate cell): *overflow is set and the caller leaves the naming to spglib.
std::vector<IMat> lattice_rotations(const Lattice& L, const SymmetryOptions& opt, bool* overflow) {
  const double tol = opt.symprec;
  const auto h = inverse_column_norms(L);
  Vec3 basis[3];
  double len[3];
  for (std::size_t i = 0; i < 3; ++i) {
    basis[i] = L.m[i];
    len[i] = norm(basis[i]);
  }
  // Images of each basis vector: lattice vectors of the same length within symprec.
  std::vector<IVec> cand[3];
  for (std::size_t i = 0; i < 3; ++i) {
    int lim[3];
    for (std::size_t a = 0; a < 3; ++a) {
      double l = std::ceil((len[i] + tol) * h[a]);
      lim[a] = static_cast<int>(std::min(l, 8.0));  // the basis is reduced: 1-2 in practice
    }
    for (int x = -lim[0]; x <= lim[0]; ++x)
      for (int y = -lim[1]; y <= lim[1]; ++y)
        for (int z = -lim[2]; z <= lim[2]; ++z) {
          if (!x && !y && !z) continue;
          double l = norm(lattice_vector(L, {x, y, z}));
          if (std::fabs(l - len[i]) < tol) cand[i].push_back({x, y, z});
        }
  }
  auto angle_ok = [&](const Vec3& u, const Vec3& v, std::size_t i, std::size_t j) {
    double cu = dot(u, v) / (norm(u) * norm(v));
    double ca = dot(basis[i], basis[j]) / (len[i] * len[j]);
    double au = std::acos(std::max(-1.0, std::min(1.0, cu)));
    double aa = std::acos(std::max(-1.0, std::min(1.0, ca)));
    return std::fabs(au - aa) * 180.0 / M_PI < opt.angle_tolerance;
  };
  std::vector<IMat> out;
  *overflow = false;
  for (const auto& c0 : cand[0]) {
    Vec3 v0 = lattice_vector(L, c0);
    for (const auto& c1 : cand[1]) {
      Vec3 v1 = lattice_vector(L, c1);
      if (!angle_ok(v0, v1, 0, 1)) continue;
      for (const auto& c2 : cand[2]) {
        Vec3 v2 = lattice_vector(L, c2);
        if (!angle_ok(v0, v2, 0, 2) || !angle_ok(v1, v2, 1, 2)) continue;
        int det = c0[0] * (c1[1] * c2[2] - c1[2] * c2[1]) - c1[0] * (c0[1] * c2[2] - c0[2] * c2[1]) +
                  c2[0] * (c0[1] * c1[2] - c0[2] * c1[1]);
        if (det != 1 && det != -1) continue;
        IMat rot{};  // column c is the image of basis vector c
        for (std::size_t r = 0; r < 3; ++r) {
          rot[r][0] = c0[r];
          rot[r][1] = c1[r];
          rot[r][2] = c2[r];
        }
        out.push_back(rot);
        if (out.size() > 48) {
          *overflow = true;
          return out;
        }
      }
    }
  }
  return out;
}

Vec3 apply(const IMat& rot, const Vec3& f) {
  Vec3 p{};
  for (std::size_t r = 0; r < 3; ++r) p[r] = rot[r][0] * f[0] + rot[r][1] * f[1] + rot[r][2] * f[2];
  return p;
}

bool same_translation(const Lattice& L, const Vec3& a, const Vec3& b, double tol) {
  Vec3 d{a[0] - b[0], a[1] - b[1], a[2] - b[2]};
  for (double& x : d) x -= std::round(x);
  Vec3 c = L.to_cart(d);
  return dot(c, c) < tol * tol;
}

// The translations t (wrapped into [0,1)) for which x -> rot x + t maps the structure onto
// itself: the rarest element's first atom is sent to each atom of that element in turn.
// Distinct within symprec (two atoms on one position must not give one operation twice).
// first_only: stop at the first (a coset representative is enough for orbits and naming).
std::vector<Vec3> translations_for(const Structure& s, const SiteGrid& grid, const IMat& rot,
                                   const std::vector<std::size_t>& rare, double tol, bool first_only) {
  std::vector<Vec3> out;
  const std::size_t n = s.sites.size();
  const Vec3 r0 = apply(rot, s.sites[rare.front()].frac);
  std::vector<Vec3> rotated;  // computed on the first candidate that gets past one atom
  for (std::size_t b : rare) {
    Vec3 t;
    for (std::size_t k = 0; k < 3; ++k) {
      t[k] = s.sites[b].frac[k] - r0[k];
      t[k] -= std::floor(t[k]);
    }
    bool dup = false;
    for (const auto& u : out) dup = dup || same_translation(s.lattice, t, u, tol);
    if (dup) continue;
    if (rotated.empty()) {
      rotated.resize(n);
      for (std::size_t i = 0; i < n; ++i) rotated[i] = apply(rot, s.sites[i].frac);
    }
    bool ok = true;
    for (std::size_t i = 0; i < n && ok; ++i) {
      Vec3 p{rotated[i][0] + t[0], rotated[i][1] + t[1], rotated[i][2] + t[2]};
      ok = grid.find(p, s.sites[i].Z) >= 0;
    }
    if (!ok) continue;
    out.push_back(t);
    if (first_only) break;
  }
  return out;
}

std::vector<std::size_t> rarest_element_sites(const Structure& s) {
  std::map<int, std::vector<std::size_t>> by_type;
  for (std::size_t i = 0; i < s.sites.size(); ++i) by_type[s.sites[i].Z].push_back(i);
  const std::vector<std::size_t>* rare = nullptr;
  for (const auto& [Z, v] : by_type)
    if (!rare || v.size() < rare->size()) rare = &v;
  return *rare;
}

const IMat kIdentity{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};

// The operations of a structure already in a reduced basis: one per rotation (coset
// representatives) and the pure translations (the zero one first).
struct OperationSet {
  std::vector<SymmetryOperation> cosets;
  std::vector<Vec3> translations;
  bool overflow = false;
};

OperationSet operations_of(const Structure& s, const SiteGrid& grid, const SymmetryOptions& opt) {
  OperationSet out;
  if (s.sites.empty()) return out;
  const auto rare = rarest_element_sites(s);
  out.translations = translations_for(s, grid, kIdentity, rare, opt.symprec, false);
  for (const auto& rot : lattice_rotations(s.lattice, opt, &out.overflow)) {
    if (out.overflow) break;
    auto t = translations_for(s, grid, rot, rare, opt.symprec, true);
    if (!t.empty()) out.cosets.push_back({rot, t.front()});
  }
  if (out.overflow) out.cosets.clear();
  return out;
}

double det3(const Mat3& m) {
  return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
         m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
}

PrimitiveCell primitive_from_translations(const Structure& s, const std::vector<Vec3>& trans,
                                          const SymmetryOptions& opt) {
  PrimitiveCell pc;
  const std::size_t nt = std::max<std::size_t>(1, trans.size());
  pc.translations = static_cast<int>(nt);
  auto keep_input = [&] {
    pc.structure = s;
    pc.site_of.resize(s.sites.size());
    for (std::size_t i = 0; i < s.sites.size(); ++i) pc.site_of[i] = static_cast<int>(i);
    return pc;
  };
  if (nt <= 1) return keep_input();
  // Candidate primitive vectors: pure translations plus small lattice vectors, shortest first.
  std::vector<std::pair<double, Vec3>> cands;
  for (const auto& t : trans)
    for (int x = -1; x <= 1; ++x)
      for (int y = -1; y <= 1; ++y)
        for (int z = -1; z <= 1; ++z) {
          // nt * t is a lattice vector for every element t of a group of order nt: snap to
          // multiples of 1/nt to remove the positional noise carried by the atom pair.
          auto snap = [&](double u) {
            double v = std::round(u * static_cast<double>(nt)) / static_cast<double>(nt);
            return v - std::round(v);
          };
          Vec3 v{snap(t[0]) + x, snap(t[1]) + y, snap(t[2]) + z};
          Vec3 c = s.lattice.to_cart(v);
          double l = norm(c);
          if (l > 1e-6) cands.push_back({l, v});
        }
  std::sort(cands.begin(), cands.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  if (cands.size() > 60) cands.resize(60);
  const double target = 1.0 / static_cast<double>(nt);
  Mat3 P{};
  bool found = false;
  for (std::size_t i = 0; i < cands.size() && !found; ++i)
    for (std::size_t j = i + 1; j < cands.size() && !found; ++j)
      for (std::size_t k = j + 1; k < cands.size() && !found; ++k) {
        Mat3 m{cands[i].second, cands[j].second, cands[k].second};
        double d = det3(m);
        if (std::fabs(std::fabs(d) - target) < 1e-6) {
          if (d < 0) for (double& x : m[2]) x = -x;
          P = m;
          found = true;
        }
      }
  if (!found) {  // not a consistent translation group (tolerance too loose): keep the input cell
    keep_input();
    pc.translations = 1;
    return pc;
  }
  Mat3 rows{};
  for (std::size_t r = 0; r < 3; ++r)
    for (std::size_t c = 0; c < 3; ++c)
      rows[r][c] = P[r][0] * s.lattice.m[0][c] + P[r][1] * s.lattice.m[1][c] + P[r][2] * s.lattice.m[2][c];
  pc.structure.id = s.id;
  pc.structure.lattice = Lattice(rows);
  pc.site_of.assign(s.sites.size(), -1);
  // Each input site folds onto the first primitive site it coincides with; the grid grows as
  // primitive sites are added, so folding is linear in the number of input sites.
  const double tol2 = opt.symprec * opt.symprec;
  std::vector<std::vector<std::size_t>> by_cell;
  const int g = std::max(1, static_cast<int>(std::cbrt(static_cast<double>(s.sites.size()) / static_cast<double>(nt))));
  auto bucket = [&](double u) { return std::min(g - 1, std::max(0, static_cast<int>((u - std::floor(u)) * g))); };
  by_cell.assign(static_cast<std::size_t>(g * g * g), {});
  const auto h = inverse_column_norms(pc.structure.lattice);
  const bool coarse = g < 3 || opt.symprec * std::max({h[0], h[1], h[2]}) * g >= 1.0;
  for (std::size_t i = 0; i < s.sites.size(); ++i) {
    Vec3 f = pc.structure.lattice.to_frac(s.cart(i));
    for (double& x : f) {
      x -= std::floor(x);
      if (x >= 1.0) x = 0.0;
    }
    auto matches = [&](std::size_t p) {
      const auto& q = pc.structure.sites[p];
      if (q.Z != s.sites[i].Z) return false;
      Vec3 d{f[0] - q.frac[0], f[1] - q.frac[1], f[2] - q.frac[2]};
      for (double& x : d) x -= std::round(x);
      Vec3 c = pc.structure.lattice.to_cart(d);
      return dot(c, c) < tol2;
    };
    if (coarse) {
      for (std::size_t p = 0; p < pc.structure.sites.size(); ++p)
        if (matches(p)) { pc.site_of[i] = static_cast<int>(p); break; }
    } else {
      const int b0 = bucket(f[0]), b1 = bucket(f[1]), b2 = bucket(f[2]);
      for (int d0 = -1; d0 <= 1 && pc.site_of[i] < 0; ++d0)
        for (int d1 = -1; d1 <= 1 && pc.site_of[i] < 0; ++d1)
          for (int d2 = -1; d2 <= 1 && pc.site_of[i] < 0; ++d2) {
            auto wrap = [&](int b) { return (b % g + g) % g; };
            const auto& cell = by_cell[static_cast<std::size_t>((wrap(b0 + d0) * g + wrap(b1 + d1)) * g + wrap(b2 + d2))];
            for (std::size_t p : cell)
              if (matches(p)) { pc.site_of[i] = static_cast<int>(p); break; }
          }
    }
    if (pc.site_of[i] < 0) {
      pc.site_of[i] = static_cast<int>(pc.structure.sites.size());
      Site site = s.sites[i];
      site.frac = f;
      if (!coarse) by_cell[static_cast<std::size_t>((bucket(f[0]) * g + bucket(f[1])) * g + bucket(f[2]))].push_back(pc.structure.sites.size());
      pc.structure.sites.push_back(site);
    }
  }
  return pc;
}

// Two distinct sites within symprec of each other: spglib cannot work on such a cell (and
// crashed on the duplicated operations such a pair produces).
std::string coincident_sites(const Structure& s, const SiteGrid& grid) {
  for (std::size_t i = 0; i < s.sites.size(); ++i) {
    int j = grid.find(s.sites[i].frac, -1, static_cast<int>(i));
    if (j >= 0)
      return "sites " + std::to_string(i + 1) + " and " + std::to_string(j + 1) +
             " lie on one position (closer than symprec); remove the duplicate atom";
  }
  return {};
}

// Operations found in a reduced basis, written in the input basis: with f = Q f' (Q = P^T),
// x -> R' x + t' becomes x -> Q R' Q^-1 x + Q t'.
SymmetryOperation to_input_basis(const SymmetryOperation& op, const ReducedLattice& red) {
  if (red.identity()) return op;
  IMat Q{}, Qinv{};
  for (std::size_t r = 0; r < 3; ++r)
    for (std::size_t c = 0; c < 3; ++c) Q[r][c] = red.P[c][r];
  // The inverse of a unimodular integer matrix is its adjugate times det (= ±1).
  const int det = Q[0][0] * (Q[1][1] * Q[2][2] - Q[1][2] * Q[2][1]) - Q[0][1] * (Q[1][0] * Q[2][2] - Q[1][2] * Q[2][0]) +
                  Q[0][2] * (Q[1][0] * Q[2][1] - Q[1][1] * Q[2][0]);
  for (std::size_t r = 0; r < 3; ++r)
    for (std::size_t c = 0; c < 3; ++c) {
      const std::size_t r1 = (c + 1) % 3, r2 = (c + 2) % 3, c1 = (r + 1) % 3, c2 = (r + 2) % 3;
      Qinv[r][c] = det * (Q[r1][c1] * Q[r2][c2] - Q[r1][c2] * Q[r2][c1]);
    }
  SymmetryOperation out{};
  for (std::size_t r = 0; r < 3; ++r)
    for (std::size_t c = 0; c < 3; ++c) {
      int x = 0;
      for (std::size_t k = 0; k < 3; ++k)
        for (std::size_t l = 0; l < 3; ++l) x += Q[r][k] * op.rot[k][l] * Qinv[l][c];
      out.rot[r][c] = x;
    }
  for (std::size_t r = 0; r < 3; ++r) {
    double t = Q[r][0] * op.trans[0] + Q[r][1] * op.trans[1] + Q[r][2] * op.trans[2];
    out.trans[r] = t - std::floor(t);
  }
  return out;
}

void require_usable(const Structure& s) {
  std::string why = structure_invalid(s);
  if (!why.empty()) fail(s.id.empty() ? std::string("structure") : s.id, ": ", why);
}


// spglib names a group from its operations by decoding its table of Hall settings on every call
// (a tenth of the describer's time); the same operations (bit for bit) and tolerance give the
// same answer, so answers are kept in a small table shared by all threads.
int hall_number_of(std::vector<int>& rot, std::vector<double>& trans, double symprec) {
  std::string key(reinterpret_cast<const char*>(rot.data()), rot.size() * sizeof(int));
  key.append(reinterpret_cast<const char*>(trans.data()), trans.size() * sizeof(double));
  key.append(reinterpret_cast<const char*>(&symprec), sizeof symprec);
  static std::mutex mu;
  static std::unordered_map<std::string, int> known;  // at most 4,096 entries of <= 3 kB
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = known.find(key);
    if (it != known.end()) return it->second;
  }
  const int hall = spg_get_hall_number_from_symmetry(reinterpret_cast<int(*)[3][3]>(rot.data()),
                                                     reinterpret_cast<double(*)[3]>(trans.data()),
                                                     static_cast<int>(rot.size() / 9), symprec);
  std::lock_guard<std::mutex> lock(mu);
  if (known.size() >= 4096) known.clear();
  known.emplace(std::move(key), hall);
  return hall;
}

Structure symmetrize_with(const Structure& input, const ReducedLattice& red, const Structure& s, const SiteGrid& grid,
                          const OperationSet& ops);
}  // namespace

SymmetryInfo analyze_symmetry(const Structure& input, const SymmetryOptions& opt) {
  return analyze_symmetry(input, opt, nullptr);
}

SymmetryInfo analyze_symmetry(const Structure& input, const SymmetryOptions& opt, Structure* symmetrized) {
  const int n = static_cast<int>(input.sites.size());
  SymmetryInfo info;
  info.equivalent_atoms.resize(static_cast<std::size_t>(n));
  info.wyckoffs.assign(static_cast<std::size_t>(n), 'a');
  for (int i = 0; i < n; ++i) info.equivalent_atoms[static_cast<std::size_t>(i)] = i;
  if (n == 0) return info;
  require_usable(input);
  if (!(opt.symprec > 0 && std::isfinite(opt.symprec) && opt.angle_tolerance >= 0 && opt.angle_tolerance < 90))
    fail("symmetry tolerance: symprec must be a positive length (Å) and the angle tolerance within [0, 90)°");

  // Sites keep their order, so equivalent_atoms and Wyckoff letters carry over unchanged.
  const ReducedLattice red = delaunay_reduced(input.lattice);
  const Structure s = in_reduced_basis(input, red);
  const SiteGrid grid(s, opt.symprec);
  info.error = coincident_sites(s, grid);
  if (!info.error.empty()) return info;
  // A lattice point group has at most 48 elements. More lattice rotations within the tolerances
  // means a needle or plate whose long vector has dozens of near-equal neighbours (917 x 1 x 1 Å):
  // spglib's own search then runs for seconds and names nothing better, so it is not asked.
  {
    bool overflow = false;
    (void)lattice_rotations(s.lattice, opt, &overflow);
    if (overflow) {
      info.error = "more than 48 lattice rotations within symprec (a needle- or plate-like cell with very "
                   "unequal lattice vectors); symmetry not determined, P1 assumed; check the cell or lower --symprec";
      return info;
    }
  }

  if (opt.fast) {
    // The space group is named from the primitive cell's operations (a supercell's own lattice
    // may lack some of the crystal's rotations). The orbits, like spglib's equivalent_atoms,
    // come from the operations that map the input cell onto itself.
    const OperationSet in_ops = operations_of(s, grid, opt);
    PrimitiveCell pc = primitive_from_translations(s, in_ops.translations, opt);
    OperationSet prim_ops;
    if (pc.translations == 1 && in_ops.translations.size() > 1) {
      prim_ops.overflow = true;  // no primitive cell from these translations: spglib decides
    } else if (pc.translations == 1) {
      prim_ops = in_ops;
    } else {
      const Structure p = in_reduced_basis(pc.structure, delaunay_reduced(pc.structure.lattice));
      prim_ops = operations_of(p, SiteGrid(p, opt.symprec), opt);
      if (prim_ops.translations.size() != 1) prim_ops.overflow = true;
    }
    if (!prim_ops.overflow && !in_ops.overflow && !prim_ops.cosets.empty() && prim_ops.cosets.size() <= 48) {
      std::vector<int> parent(static_cast<std::size_t>(n));
      for (int i = 0; i < n; ++i) parent[static_cast<std::size_t>(i)] = i;
      auto root = [&](int i) {
        while (parent[static_cast<std::size_t>(i)] != i)
          i = parent[static_cast<std::size_t>(i)] = parent[static_cast<std::size_t>(parent[static_cast<std::size_t>(i)])];
        return i;
      };
      // The coset representatives and the pure translations generate the group, so their
      // links alone give its orbits.
      std::vector<SymmetryOperation> generators = in_ops.cosets;
      for (const auto& t : in_ops.translations) generators.push_back({kIdentity, t});
      for (const auto& op : generators)
        for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
          Vec3 p = apply(op.rot, s.sites[i].frac);
          for (std::size_t r = 0; r < 3; ++r) p[r] += op.trans[r];
          int j = grid.find(p, s.sites[i].Z);
          if (j < 0) continue;
          int ra = root(static_cast<int>(i)), rb = root(j);
          // Union by smaller root keeps the lowest index of each orbit as its root.
          if (ra != rb) parent[static_cast<std::size_t>(std::max(ra, rb))] = std::min(ra, rb);
        }
      const auto& ops = prim_ops.cosets;
      std::vector<int> rot(9 * ops.size());
      std::vector<double> trans(3 * ops.size());
      for (std::size_t k = 0; k < ops.size(); ++k)
        for (std::size_t r = 0; r < 3; ++r) {
          for (std::size_t c = 0; c < 3; ++c) rot[9 * k + 3 * r + c] = ops[k].rot[r][c];
          trans[3 * k + r] = ops[k].trans[r];
        }
      const int hall = hall_number_of(rot, trans, opt.symprec);
      if (hall > 0) {
        for (int i = 0; i < n; ++i) info.equivalent_atoms[static_cast<std::size_t>(i)] = root(i);
        SpglibSpacegroupType type = spg_get_spacegroup_type(hall);
        info.found = true;
        info.number = type.number;
        info.symbol = type.international_short;
        info.hall_symbol = type.hall_symbol;
        info.crystal_system = crystal_system_of(info.number);
        if (symmetrized && info.number > 1 && n >= 2) *symmetrized = symmetrize_with(input, red, s, grid, in_ops);
        return info;
      }
    }
    // Fall through to spglib's own search when ours finds nothing it can name.
  }

  // spglib gets the input basis: it reduces the lattice itself, and its Wyckoff letters (which
  // may differ between settings of the same group) then match pymatgen's for the same input.
  double lattice[3][3];
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = 0; j < 3; ++j) lattice[i][j] = input.lattice.m[j][i];  // columns are vectors
  std::vector<double> pos(3 * static_cast<std::size_t>(n));
  std::vector<int> types(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
    for (std::size_t a = 0; a < 3; ++a) pos[3 * i + a] = input.sites[i].frac[a];
    types[i] = input.sites[i].Z;
  }
  std::unique_ptr<SpglibDataset, void (*)(SpglibDataset*)> ds(
      spgat_get_dataset(lattice, reinterpret_cast<double(*)[3]>(pos.data()), types.data(), n,
                        opt.symprec, opt.angle_tolerance),
      spg_free_dataset);
  if (!ds) {
    info.error = spg_get_error_message(spg_get_error_code());
    return info;
  }
  info.found = true;
  info.number = ds->spacegroup_number;
  info.symbol = ds->international_symbol;
  info.hall_symbol = ds->hall_symbol;
  info.crystal_system = crystal_system_of(info.number);
  for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
    info.equivalent_atoms[i] = ds->equivalent_atoms[i];
    info.wyckoffs[i] = static_cast<char>('a' + ds->wyckoffs[i]);
  }
  if (symmetrized && info.number > 1 && n >= 2) *symmetrized = symmetrize_with(input, red, s, grid, operations_of(s, grid, opt));
  return info;
}

AsymmetricUnit asymmetric_unit(const std::vector<int>& eq) {
  AsymmetricUnit asu;
  std::map<int, int> index;  // representative -> orbit index, ascending representatives
  for (int r : eq) index.emplace(r, 0);
  int k = 0;
  for (auto& [rep, idx] : index) {
    idx = k++;
    asu.sites.push_back(rep);
  }
  asu.multiplicity.assign(asu.sites.size(), 0);
  asu.orbit_of.resize(eq.size());
  for (std::size_t i = 0; i < eq.size(); ++i) {
    int o = index[eq[i]];
    asu.orbit_of[i] = o;
    ++asu.multiplicity[static_cast<std::size_t>(o)];
  }
  return asu;
}

PrimitiveCell find_primitive_cell(const Structure& input, const SymmetryOptions& opt) {
  if (input.sites.empty()) return primitive_from_translations(input, {}, opt);
  require_usable(input);
  const ReducedLattice red = delaunay_reduced(input.lattice);
  const Structure s = in_reduced_basis(input, red);
  const SiteGrid grid(s, opt.symprec);
  auto trans = translations_for(s, grid, kIdentity, rarest_element_sites(s), opt.symprec, false);
  return primitive_from_translations(s, trans, opt);
}

namespace {
// symmetrized_positions from the operations `ops` of `s` (the input in the reduced basis `red`).
Structure symmetrize_with(const Structure& input, const ReducedLattice& red, const Structure& s, const SiteGrid& grid,
                          const OperationSet& ops) {
  const std::size_t n = s.sites.size(), nops = ops.cosets.size() * ops.translations.size();
  if (ops.overflow || nops <= 1 || nops * n > 2000000) return input;
  std::vector<Vec3> shift(n, Vec3{0, 0, 0});
  std::vector<int> hits(n, 0);
  for (const auto& op : ops.cosets)
    for (const auto& t : ops.translations)
      for (std::size_t i = 0; i < n; ++i) {
        Vec3 p = apply(op.rot, s.sites[i].frac);
        for (std::size_t r = 0; r < 3; ++r) p[r] += op.trans[r] + t[r];
        const int k = grid.find(p, s.sites[i].Z);
        if (k < 0) continue;
        const auto ku = static_cast<std::size_t>(k);
        for (std::size_t r = 0; r < 3; ++r) {
          double d = p[r] - s.sites[ku].frac[r];
          shift[ku][r] += d - std::round(d);
        }
        ++hits[ku];
      }
  Structure out = input;
  // The metric as well (refined cells have exact cell angles and equal axes where the group
  // says so): G = L L^T of the input cell averaged over the rotations written in its basis,
  // W^T G W.
  {
    double G[3][3] = {}, Gi[3][3] = {};
    for (std::size_t r = 0; r < 3; ++r)
      for (std::size_t c = 0; c < 3; ++c)
        for (std::size_t k = 0; k < 3; ++k) G[r][c] += input.lattice.m[r][k] * input.lattice.m[c][k];
    const double m = static_cast<double>(ops.cosets.size());
    for (const auto& op : ops.cosets) {
      const IMat W = to_input_basis({op.rot, Vec3{0, 0, 0}}, red).rot;
      for (std::size_t r = 0; r < 3; ++r)
        for (std::size_t c = 0; c < 3; ++c)
          for (std::size_t a = 0; a < 3; ++a)
            for (std::size_t b = 0; b < 3; ++b) Gi[r][c] += W[a][r] * G[a][b] * W[b][c] / m;
    }
    const double la = std::sqrt(Gi[0][0]), lb = std::sqrt(Gi[1][1]), lc = std::sqrt(Gi[2][2]);
    const double deg = 180.0 / M_PI;
    const Lattice L = Lattice::from_parameters(la, lb, lc, std::acos(Gi[1][2] / (lb * lc)) * deg,
                                               std::acos(Gi[0][2] / (la * lc)) * deg, std::acos(Gi[0][1] / (la * lb)) * deg);
    // from_parameters builds a right-handed cell: a left-handed input keeps its own metric (a
    // mirrored cell would turn P4_1 into P4_3).
    if (input.lattice.volume() > 0 && std::isfinite(L.volume()) && std::fabs(L.volume() / input.lattice.volume() - 1) < 0.01)
      out.lattice = L;
  }
  for (std::size_t k = 0; k < n; ++k) {
    if (hits[k] == 0) continue;
    Vec3 f = s.sites[k].frac;
    for (std::size_t r = 0; r < 3; ++r) f[r] += shift[k][r] / hits[k];
    Vec3 g = input.lattice.to_frac(s.lattice.to_cart(f));
    // Keep the input's periodic image of the site (only the small move is wanted).
    for (std::size_t r = 0; r < 3; ++r) g[r] -= std::round(g[r] - input.sites[k].frac[r]);
    out.sites[k].frac = g;
  }
  return out;
}
}  // namespace

Structure symmetrized_positions(const Structure& input, const SymmetryOptions& opt) {
  if (input.sites.size() < 2) return input;
  require_usable(input);
  const ReducedLattice red = delaunay_reduced(input.lattice);
  const Structure s = in_reduced_basis(input, red);
  const SiteGrid grid(s, opt.symprec);
  return symmetrize_with(input, red, s, grid, operations_of(s, grid, opt));
}

std::vector<SymmetryOperation> find_symmetry_operations(const Structure& input, const SymmetryOptions& opt) {
  std::vector<SymmetryOperation> out;
  if (input.sites.empty()) return out;
  require_usable(input);
  const ReducedLattice red = delaunay_reduced(input.lattice);
  const Structure s = in_reduced_basis(input, red);
  const SiteGrid grid(s, opt.symprec);
  const OperationSet ops = operations_of(s, grid, opt);
  // Every operation of a rotation is its coset representative plus a pure translation.
  for (const auto& op : ops.cosets)
    for (const auto& t : ops.translations) {
      SymmetryOperation x = op;
      for (std::size_t r = 0; r < 3; ++r) {
        x.trans[r] += t[r];
        x.trans[r] -= std::floor(x.trans[r]);
      }
      out.push_back(to_input_basis(x, red));
    }
  return out;
}

}  // namespace cast
