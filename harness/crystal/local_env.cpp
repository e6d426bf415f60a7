#include "crystal/local_env.hpp"

#include <algorithm>
#include <cmath>

#include "crystal/elements.hpp"

namespace cast {

namespace {

using V = Vec3;
V sub(const V& a, const V& b) { return {a[0] - b[0], a[1] - b[1], a[2] - b[2]}; }
V add(const V& a, const V& b) { return {a[0] + b[0], a[1] + b[1], a[2] + b[2]}; }
V scale(const V& a, double s) { return {a[0] * s, a[1] * s, a[2] * s}; }

// pymatgen.analysis.local_env.solid_angle: a fan of triangles from the first vertex.
double solid_angle(const std::vector<V>& r) {
  std::vector<double> n(r.size());
  for (std::size_t k = 0; k < r.size(); ++k) n[k] = norm(r[k]);
  double angle = 0;
  for (std::size_t i = 1; i + 1 < r.size(); ++i) {
    const std::size_t j = i + 1;
    const double tp = std::fabs(dot(r[0], cross(r[i], r[j])));
    const double de = n[0] * n[i] * n[j] + n[j] * dot(r[0], r[i]) + n[i] * dot(r[0], r[j]) + n[0] * dot(r[i], r[j]);
    double a = de == 0 ? (tp > 0 ? 0.5 * M_PI : -0.5 * M_PI) : std::atan(tp / de);
    angle += (a > 0 ? a : a + M_PI) * 2;
  }
  return angle;
}

double polygon_area(const std::vector<V>& p) {
  V acc{0, 0, 0};
  for (std::size_t i = 1; i + 1 < p.size(); ++i) acc = add(acc, cross(sub(p[i], p[0]), sub(p[i + 1], p[0])));
  return 0.5 * norm(acc);
}

// The clipped polygon as qhull gives a facet: only its corners. Clipping leaves points on a
// straight edge (a plane through an existing vertex, or several planes meeting in one line, as
// in symmetric cells) and near-duplicates; a fan triangle over three collinear points has a zero
// triple product, which solid_angle (pymatgen's formula) counts as 2 pi instead of 0.
std::vector<V> polygon_corners(const std::vector<V>& p) {
  double scale2 = 0;
  for (const V& x : p) scale2 = std::max(scale2, dot(x, x));
  const double eps2 = 1e-20 * std::max(scale2, 1e-12);  // (1e-10 relative)^2
  std::vector<V> q;
  for (const V& x : p)
    if (q.empty() || dot(sub(x, q.back()), sub(x, q.back())) > eps2) q.push_back(x);
  while (q.size() > 1 && dot(sub(q.front(), q.back()), sub(q.front(), q.back())) <= eps2) q.pop_back();
  for (bool changed = true; changed && q.size() >= 3;) {
    changed = false;
    for (std::size_t m = 0; m < q.size() && q.size() >= 3; ++m) {
      const V& a = q[(m + q.size() - 1) % q.size()];
      const V& b = q[m];
      const V& c = q[(m + 1) % q.size()];
      const V ab = sub(b, a), bc = sub(c, b);
      const V cr = cross(ab, bc);
      if (dot(cr, cr) <= 1e-20 * dot(ab, ab) * dot(bc, bc)) {  // b lies on the line a-c
        q.erase(q.begin() + static_cast<std::ptrdiff_t>(m));
        changed = true;
        break;
      }
    }
  }
  return q;
}

}  // namespace

std::vector<VoronoiFacet> voronoi_facets(const Structure& s, std::size_t centre, double cutoff) {
  // The cell cannot reach beyond the longest cell diagonal (pymatgen's max cutoff).
  double max_cutoff = 0;
  for (const V& c : {V{1, 1, 1}, V{-1, 1, 1}, V{1, -1, 1}, V{1, 1, -1}}) max_cutoff = std::max(max_cutoff, norm(s.lattice.to_cart(c)));
  max_cutoff += 0.01;
  for (;;) {
    auto nb = neighbors_within(s, centre, cutoff);
    std::stable_sort(nb.begin(), nb.end(), [](const Neighbor& a, const Neighbor& b) { return a.distance < b.distance; });
    std::vector<V> r(nb.size());
    std::vector<double> half(nb.size());
    for (std::size_t k = 0; k < nb.size(); ++k) {
      r[k] = scale(nb[k].offset, -1.0);  // centre -> neighbour
      half[k] = 0.5 * dot(r[k], r[k]);
    }
    const double big = 4.0 * cutoff;
    bool open = false;
    std::vector<VoronoiFacet> out;
    for (std::size_t j = 0; j < nb.size() && !open; ++j) {
      if (nb[j].distance < 1e-8) continue;
      // The facet: a large square on the bisecting plane, clipped by every other half-space.
      const V u = scale(r[j], 1.0 / nb[j].distance);
      V a = std::fabs(u[0]) < 0.9 ? V{1, 0, 0} : V{0, 1, 0};
      V e1 = cross(u, a);
      e1 = scale(e1, 1.0 / norm(e1));
      const V e2 = cross(u, e1);
      const V p0 = scale(r[j], 0.5);
      std::vector<V> poly = {add(p0, add(scale(e1, big), scale(e2, big))), add(p0, add(scale(e1, -big), scale(e2, big))),
                             add(p0, add(scale(e1, -big), scale(e2, -big))), add(p0, add(scale(e1, big), scale(e2, -big)))};
      double reach2 = std::pow(std::sqrt(2.0) * big + norm(p0), 2);  // |vertex|^2 bound of the current polygon
      for (std::size_t k = 0; k < nb.size() && !poly.empty(); ++k) {
        if (k == j || nb[k].distance < 1e-8) continue;
        // Neighbours come nearest first: a plane farther than every vertex cuts nothing, and
        // neither does any plane after it.
        if (0.25 * nb[k].distance * nb[k].distance > reach2) break;
        // Keep x with x·r_k <= |r_k|²/2.
        std::vector<V> next;
        next.reserve(poly.size() + 1);
        for (std::size_t m = 0; m < poly.size(); ++m) {
          const V& P = poly[m];
          const V& Q = poly[(m + 1) % poly.size()];
          const double fp = dot(P, r[k]) - half[k], fq = dot(Q, r[k]) - half[k];
          if (fp <= 0) next.push_back(P);
          if ((fp < 0 && fq > 0) || (fp > 0 && fq < 0)) next.push_back(add(P, scale(sub(Q, P), fp / (fp - fq))));
        }
        poly.swap(next);
        reach2 = 0;
        for (const V& p : poly) reach2 = std::max(reach2, dot(p, p));
      }
      if (poly.size() < 3) continue;
      // A vertex still on the initial square means the cell is open within this cutoff.
      for (const V& p : poly)
        if (norm(sub(p, p0)) > 0.5 * big) open = true;
      const double area = polygon_area(poly);
      if (area <= 1e-12) continue;
      VoronoiFacet f;
      f.neighbor = nb[j];
      f.area = area;
      f.solid_angle = solid_angle(polygon_corners(poly));
      out.push_back(f);
    }
    if (!open) return out;
    if (cutoff >= max_cutoff) return out;  // as closed as the cell gets
    cutoff = std::min(cutoff * 2, max_cutoff + 0.001);
  }
}

namespace {
// pymatgen's _get_default_radius: the covalent radius, else the atomic one.
double default_radius(int Z) {
  const Element& e = element(Z);
  return std::isnan(e.covalent_radius) ? e.atomic_radius : e.covalent_radius;
}
}  // namespace

double crystal_nn_radius(int Z, int ox) {
  const Element& e = element(Z);
  if (ox == 0) return default_radius(Z);
  for (const auto& [o, r] : e.ionic_radii)
    if (o == ox) return r;
  if (ox > 0 && e.average_cationic_radius > 0) return e.average_cationic_radius;
  if (ox < 0 && e.average_anionic_radius > 0) return e.average_anionic_radius;
  return 0;  // none: the caller falls back to default radii for both sites, as pymatgen does
}

CrystalNNData crystal_nn_data(const Structure& s, std::size_t centre, const std::vector<int>& ox) {
  CrystalNNData out;
  auto facets = voronoi_facets(s, centre, 7.0);
  double max_sa = 0;
  for (const auto& f : facets) max_sa = std::max(max_sa, f.solid_angle);
  auto& nn = out.neighbors;
  if (!(max_sa > 0)) { out.cn_weights[0] = 1.0; return out; }
  const double x1 = element(s.sites[centre].Z).electronegativity;
  for (const auto& f : facets) {
    if (!(f.solid_angle > 0)) continue;
    double w = f.solid_angle / max_sa;
    w *= f.solid_angle / f.area;  // porous adjustment
    const double x2 = element(s.sites[static_cast<std::size_t>(f.neighbor.site)].Z).electronegativity;
    if (!std::isnan(x1) && !std::isnan(x2)) w *= 1 + 3.0 * std::sqrt(std::fabs(x1 - x2) / 3.3);
    nn.push_back({f.neighbor, w});
  }
  auto by_weight = [](const WeightedNeighbor& a, const WeightedNeighbor& b) { return a.weight > b.weight; };
  std::stable_sort(nn.begin(), nn.end(), by_weight);
  if (nn.empty() || nn[0].weight == 0) { nn.clear(); out.cn_weights[0] = 1.0; return out; }
  const double top = nn[0].weight;
  for (auto& e : nn) e.weight /= top;
  const int oxc = ox.empty() ? 0 : ox[centre];
  const double r1 = crystal_nn_radius(s.sites[centre].Z, oxc);
  for (auto& e : nn) {
    const std::size_t j = static_cast<std::size_t>(e.neighbor.site);
    const double r2 = crystal_nn_radius(s.sites[j].Z, ox.empty() ? 0 : ox[j]);
    double d = r1 + r2;
    if (!(r1 > 0 && r2 > 0)) d = default_radius(s.sites[centre].Z) + default_radius(s.sites[j].Z);
    const double lo = d + 0.5, hi = d + 1.0, dist = e.neighbor.distance;
    double dw = 0;
    if (dist <= lo) dw = 1;
    else if (dist < hi) dw = (std::cos((dist - lo) / (hi - lo) * M_PI) + 1) * 0.5;
    e.weight *= dw;
  }
  std::stable_sort(nn.begin(), nn.end(), by_weight);
  if (nn[0].weight == 0) { nn.clear(); out.cn_weights[0] = 1.0; return out; }
  for (auto& e : nn) e.weight = std::round(e.weight * 1000.0) / 1000.0;
  nn.erase(std::remove_if(nn.begin(), nn.end(), [](const WeightedNeighbor& e) { return !(e.weight > 0); }), nn.end());
  std::vector<double> bins;
  for (const auto& e : nn)
    if (bins.empty() || bins.back() != e.weight) bins.push_back(e.weight);
  bins.push_back(0);
  auto semicircle = [&](std::size_t idx) {
    auto part = [](double x) { return 0.5 * (x * std::sqrt(1 - x * x) + std::atan(x / std::sqrt(1 - x * x))); };
    const double x1b = bins[idx], x2b = bins[idx + 1];
    const double a1 = x1b == 1 ? 0.25 * M_PI : part(x1b);
    const double a2 = part(x2b);
    return (a1 - a2) / (0.25 * M_PI);
  };
  double total = 0;
  for (std::size_t idx = 0; idx + 1 < bins.size(); ++idx) {
    int cn = 0;
    for (const auto& e : nn) cn += e.weight >= bins[idx];
    const double wcn = semicircle(idx);
    out.cn_weights[cn] = wcn;
    total += wcn;
  }
  if (1.0 - total > 0) out.cn_weights[0] = 1.0 - total;
  return out;
}

int CrystalNNData::coordination() const {
  // The CN of the largest weight; the first (smallest bin index = smallest CN) wins a tie,
  // as the bins are visited from the strongest neighbour down.
  int best_cn = 0;
  double best = -1;
  for (const auto& [cn, w] : cn_weights)
    if (cn > 0 && w > best) { best = w; best_cn = cn; }
  auto zero = cn_weights.find(0);
  if (zero != cn_weights.end() && zero->second > best) return 0;
  return best_cn;
}

std::vector<Neighbor> CrystalNNData::bonded() const {
  std::vector<Neighbor> out;
  const int cn = coordination();
  for (int k = 0; k < cn && k < static_cast<int>(neighbors.size()); ++k) out.push_back(neighbors[static_cast<std::size_t>(k)].neighbor);
  return out;
}

}  // namespace cast
