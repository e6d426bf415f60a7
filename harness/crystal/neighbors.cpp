#include "crystal/neighbors.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cast {

namespace {

// Length of column a of inv(m): |df_a| <= r * h[a] for any displacement of length r.
std::array<double, 3> inverse_column_norms(const Lattice& L) {
  std::array<double, 3> h{};
  for (int a = 0; a < 3; ++a)
    h[a] = std::sqrt(L.inv[0][a] * L.inv[0][a] + L.inv[1][a] * L.inv[1][a] + L.inv[2][a] * L.inv[2][a]);
  return h;
}

// Appends every (site j, image T) within r of centre c to out (self pair excluded).
void collect(const Structure& s, std::size_t c, double r, std::vector<Neighbor>& out) {
  const auto& L = s.lattice;
  const auto h = inverse_column_norms(L);
  const Vec3 fc = s.sites[c].frac;
  const double r2 = r * r;
  for (std::size_t j = 0; j < s.sites.size(); ++j) {
    Vec3 df;  // neighbour minus centre, fractional, before images
    for (int a = 0; a < 3; ++a) df[a] = s.sites[j].frac[a] - fc[a];
    int lo[3], hi[3];
    for (int a = 0; a < 3; ++a) {
      lo[a] = static_cast<int>(std::ceil(-r * h[a] - df[a] - 1e-9));
      hi[a] = static_cast<int>(std::floor(r * h[a] - df[a] + 1e-9));
    }
    for (int t0 = lo[0]; t0 <= hi[0]; ++t0)
      for (int t1 = lo[1]; t1 <= hi[1]; ++t1)
        for (int t2 = lo[2]; t2 <= hi[2]; ++t2) {
          const double f0 = df[0] + t0, f1 = df[1] + t1, f2 = df[2] + t2;
          Vec3 x;
          for (int k = 0; k < 3; ++k) x[k] = f0 * L.m[0][k] + f1 * L.m[1][k] + f2 * L.m[2][k];
          const double d2 = x[0] * x[0] + x[1] * x[1] + x[2] * x[2];
          if (d2 > r2) continue;
          if (j == c && t0 == 0 && t1 == 0 && t2 == 0) continue;  // the centre itself
          const double d = std::sqrt(d2);
          out.push_back({static_cast<int>(j), {t0, t1, t2}, d, {-x[0], -x[1], -x[2]}});
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
  collect(s, centre, r, out);
  std::sort(out.begin(), out.end(), neighbor_less);
  return out;
}

std::vector<Neighbor> k_nearest_neighbors(const Structure& s, std::size_t centre,
                                          const KnnOptions& opt) {
  const double n = static_cast<double>(s.sites.size());
  const double vol = std::fabs(s.lattice.volume());
  // Radius of a sphere holding about k atoms at the cell's mean density, with margin.
  double r = std::cbrt(3.0 * opt.k * vol / (4.0 * M_PI * n)) * 1.25 + 0.5;
  std::vector<Neighbor> out;
  for (int attempt = 0; attempt < 60; ++attempt) {
    out.clear();
    collect(s, centre, r, out);
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
