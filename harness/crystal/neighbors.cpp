#include "crystal/neighbors.hpp"

#include <algorithm>
#include <cmath>
#include <climits>
#include <limits>

#include "common/error.hpp"
#include "crystal/symmetry.hpp"

namespace cast {

namespace {

// Length of column a of inv(m): |df_a| <= r * h[a] for any displacement of length r.
std::array<double, 3> inverse_column_norms(const Lattice& L) {
  std::array<double, 3> h{};
  for (int a = 0; a < 3; ++a)
    h[a] = std::sqrt(L.inv[0][a] * L.inv[0][a] + L.inv[1][a] * L.inv[1][a] + L.inv[2][a] * L.inv[2][a]);
  return h;
}

// Distance evaluations one search may spend before it is refused (about a second): the bound
// that keeps a flat, needle-like or sparse cell from running for hours.
constexpr double kMaxEvaluations = 5e7;

// The structure as the search sees it: the Delaunay-reduced basis (short, nearly orthogonal
// vectors, so that the image ranges below stay small however skewed the input basis is) and
// the sites wrapped into it. Images found here are mapped back to the input basis.
struct SearchCell {
  Lattice L;
  std::vector<Vec3> frac;              // wrapped, reduced basis
  std::vector<std::array<long long, 3>> shift;  // reduced-basis cell each site was wrapped from
  std::array<std::array<int, 3>, 3> P{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};  // rows(reduced) = P rows(input)
};

SearchCell search_cell(const Structure& s) {
  // Non-finite input would make every range below meaningless (and NaN never compares): refuse it
  // here too, whatever the caller checked.
  for (const auto& row : s.lattice.m)
    for (double x : row)
      if (!std::isfinite(x)) fail(s.id.empty() ? "structure" : s.id, ": lattice is not finite; neighbour search refused");
  const double v = s.lattice.volume();
  if (!std::isfinite(v) || v == 0.0) fail(s.id.empty() ? "structure" : s.id, ": zero cell volume; neighbour search refused");
  SearchCell c;
  const ReducedLattice red = delaunay_reduced(s.lattice);
  c.L = red.lattice;
  c.P = red.P;
  c.frac.resize(s.sites.size());
  c.shift.resize(s.sites.size());
  for (std::size_t i = 0; i < s.sites.size(); ++i) {
    Vec3 f = red.identity() ? s.sites[i].frac : c.L.to_frac(s.cart(i));
    for (int a = 0; a < 3; ++a) {
      if (!std::isfinite(f[a]) || std::fabs(f[a]) > 1e9)
        fail(s.id.empty() ? "structure" : s.id, ": site ", i + 1, " has a fractional coordinate that is not finite or out of range; neighbour search refused");
      double w = std::floor(f[a]);
      c.shift[i][a] = static_cast<long long>(w);
      c.frac[i][a] = f[a] - w;
    }
  }
  return c;
}

// Appends every (site j, image T) within r of centre c to out (self pair excluded). T is in
// the input basis: with reduced rows = P · input rows, an image T' of the reduced basis is
// T = (T' + shift_j - shift_c) · P.
void collect(const Structure& s, const SearchCell& sc, std::size_t c, double r, std::vector<Neighbor>& out) {
  const auto& L = sc.L;
  const auto h = inverse_column_norms(L);
  const Vec3 fc = sc.frac[c];
  const double r2 = r * r;
  // Bound the work before doing it: the image boxes over all sites.
  double work = 0;
  for (int a = 0; a < 3; ++a) if (!std::isfinite(r * h[a])) work = HUGE_VAL;
  if (work == 0) work = static_cast<double>(s.sites.size()) * (2 * r * h[0] + 2) * (2 * r * h[1] + 2) * (2 * r * h[2] + 2);
  if (!(work <= kMaxEvaluations))
    fail(s.id.empty() ? "structure" : s.id, ": a neighbour search of radius ", r, " A would visit about ", work,
         " atom images (a flat, needle-like or very sparse cell with ", s.sites.size(), " sites); check the cell");
  for (std::size_t j = 0; j < s.sites.size(); ++j) {
    Vec3 df;  // neighbour minus centre, fractional, before images; within (-1, 1)
    for (int a = 0; a < 3; ++a) df[a] = sc.frac[j][a] - fc[a];
    int lo[3], hi[3];
    for (int a = 0; a < 3; ++a) {
      lo[a] = static_cast<int>(std::ceil(-r * h[a] - df[a] - 1e-9));
      hi[a] = static_cast<int>(std::floor(r * h[a] - df[a] + 1e-9));
    }
    long long base[3];
    for (int a = 0; a < 3; ++a) base[a] = sc.shift[j][a] - sc.shift[c][a];
    for (int t0 = lo[0]; t0 <= hi[0]; ++t0)
      for (int t1 = lo[1]; t1 <= hi[1]; ++t1)
        for (int t2 = lo[2]; t2 <= hi[2]; ++t2) {
          const double f0 = df[0] + t0, f1 = df[1] + t1, f2 = df[2] + t2;
          Vec3 x;
          for (int k = 0; k < 3; ++k) x[k] = f0 * L.m[0][k] + f1 * L.m[1][k] + f2 * L.m[2][k];
          const double d2 = x[0] * x[0] + x[1] * x[1] + x[2] * x[2];
          if (d2 > r2) continue;
          if (j == c && t0 == 0 && t1 == 0 && t2 == 0) continue;  // the centre itself
          // Image in the input basis: the reduced translation minus what wrapping removed.
          const long long u[3] = {t0 - base[0], t1 - base[1], t2 - base[2]};
          std::array<int, 3> T{};
          for (int k = 0; k < 3; ++k) {
            long long v = u[0] * sc.P[0][k] + u[1] * sc.P[1][k] + u[2] * sc.P[2][k];
            if (v > INT_MAX || v < INT_MIN)
              fail(s.id.empty() ? "structure" : s.id, ": periodic image out of range (a coordinate far outside the cell)");
            T[k] = static_cast<int>(v);
          }
          const double d = std::sqrt(d2);
          out.push_back({static_cast<int>(j), T, d, {-x[0], -x[1], -x[2]}});
        }
  }
}

bool neighbor_less(const Neighbor& a, const Neighbor& b) {
  if (a.distance != b.distance) return a.distance < b.distance;
  if (a.site != b.site) return a.site < b.site;
  return a.image < b.image;
}

}  // namespace

std::vector<Neighbor> neighbors_within(const Structure& s, std::size_t centre, double r) {
  std::vector<Neighbor> out;
  if (centre >= s.sites.size()) return out;
  if (!(r >= 0) || !std::isfinite(r)) fail(s.id.empty() ? "structure" : s.id, ": neighbour radius ", r, " is not a finite length");
  collect(s, search_cell(s), centre, r, out);
  std::sort(out.begin(), out.end(), neighbor_less);
  return out;
}

std::vector<Neighbor> k_nearest_neighbors(const Structure& s, std::size_t centre,
                                          const KnnOptions& opt) {
  std::vector<Neighbor> out;
  if (centre >= s.sites.size() || opt.k <= 0) return out;
  const SearchCell sc = search_cell(s);
  const double n = static_cast<double>(s.sites.size());
  const double vol = std::fabs(s.lattice.volume());
  // Radius of a sphere holding about k atoms at the cell's mean density, with margin.
  double r = std::cbrt(3.0 * opt.k * vol / (4.0 * M_PI * n)) * 1.25 + 0.5;
  // Each round grows r by half; collect() refuses a radius whose work would be unbounded, so the
  // loop ends within a few rounds for any finite cell.
  for (int attempt = 0; attempt < 60; ++attempt) {
    out.clear();
    collect(s, sc, centre, r, out);
    if (static_cast<int>(out.size()) >= opt.k) {
      std::sort(out.begin(), out.end(), neighbor_less);
      const double dk = out[static_cast<std::size_t>(opt.k - 1)].distance;
      std::size_t keep = static_cast<std::size_t>(opt.k);
      while (keep < out.size() && out[keep].distance <= dk + opt.tie_tolerance) ++keep;
      // Everything within dk + tol is inside r, since dk + tol < r is guaranteed below.
      if (dk + opt.tie_tolerance < r) {
        out.resize(keep);
        return out;
      }
    }
    r *= 1.5;
  }
  return out;  // unreachable for a cell with positive volume
}

double shortest_distance(const Structure& s) {
  double best = std::numeric_limits<double>::infinity();
  KnnOptions opt;
  opt.k = 1;
  opt.tie_tolerance = 0.0;
  for (std::size_t i = 0; i < s.sites.size(); ++i) {
    auto nb = k_nearest_neighbors(s, i, opt);
    if (!nb.empty()) best = std::min(best, nb[0].distance);
  }
  return best;
}

}  // namespace cast
