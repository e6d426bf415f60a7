#include "crystal/symmetry.hpp"

#include <spglib.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <memory>

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

SymmetryInfo analyze_symmetry(const Structure& s, const SymmetryOptions& opt) {
  const int n = static_cast<int>(s.sites.size());
  SymmetryInfo info;
  info.equivalent_atoms.resize(static_cast<std::size_t>(n));
  info.wyckoffs.assign(static_cast<std::size_t>(n), 'a');
  for (int i = 0; i < n; ++i) info.equivalent_atoms[static_cast<std::size_t>(i)] = i;
  if (n == 0) return info;

  if (opt.fast) {
    // The space group is named from the primitive cell's operations (a supercell's own lattice
    // may lack some of the crystal's rotations). The orbits, like spglib's equivalent_atoms,
    // come from the operations that map the input cell onto itself.
    PrimitiveCell pc = find_primitive_cell(s, opt);
    auto ops = find_symmetry_operations(pc.structure, opt);
    auto ops_in = pc.translations == 1 ? ops : find_symmetry_operations(s, opt);
    if (!ops.empty() && !ops_in.empty()) {
      std::vector<int> parent(static_cast<std::size_t>(n));
      for (int i = 0; i < n; ++i) parent[static_cast<std::size_t>(i)] = i;
      std::function<int(int)> root = [&](int i) {
        while (parent[static_cast<std::size_t>(i)] != i)
          i = parent[static_cast<std::size_t>(i)] = parent[static_cast<std::size_t>(parent[static_cast<std::size_t>(i)])];
        return i;
      };
      const double tol2 = opt.symprec * opt.symprec;
      for (const auto& op : ops_in) {
        for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
          const Vec3& f = s.sites[i].frac;
          Vec3 p{};
          for (std::size_t r = 0; r < 3; ++r)
            p[r] = op.rot[r][0] * f[0] + op.rot[r][1] * f[1] + op.rot[r][2] * f[2] + op.trans[r];
          for (std::size_t j = 0; j < static_cast<std::size_t>(n); ++j) {
            if (s.sites[j].Z != s.sites[i].Z) continue;
            Vec3 d{p[0] - s.sites[j].frac[0], p[1] - s.sites[j].frac[1], p[2] - s.sites[j].frac[2]};
            for (double& x : d) x -= std::round(x);
            Vec3 c = s.lattice.to_cart(d);
            if (c[0] * c[0] + c[1] * c[1] + c[2] * c[2] < tol2) {
              int ra = root(static_cast<int>(i)), rb = root(static_cast<int>(j));
              if (ra != rb) parent[static_cast<std::size_t>(std::max(ra, rb))] = std::min(ra, rb);
              break;
            }
          }
        }
      }
      // Union by smaller root keeps the lowest index of each orbit as its root.
      for (int i = 0; i < n; ++i) info.equivalent_atoms[static_cast<std::size_t>(i)] = root(i);
      std::vector<int> rot(9 * ops.size());
      std::vector<double> trans(3 * ops.size());
      for (std::size_t k = 0; k < ops.size(); ++k)
        for (int r = 0; r < 3; ++r) {
          for (int c = 0; c < 3; ++c) rot[9 * k + 3 * static_cast<std::size_t>(r) + static_cast<std::size_t>(c)] = ops[k].rot[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)];
          trans[3 * k + static_cast<std::size_t>(r)] = ops[k].trans[static_cast<std::size_t>(r)];
        }
      int hall = spg_get_hall_number_from_symmetry(reinterpret_cast<int(*)[3][3]>(rot.data()),
                                                   reinterpret_cast<double(*)[3]>(trans.data()),
                                                   static_cast<int>(ops.size()), opt.symprec);
      if (hall > 0) {
        SpglibSpacegroupType type = spg_get_spacegroup_type(hall);
        info.found = true;
        info.number = type.number;
        info.symbol = type.international_short;
        info.hall_symbol = type.hall_symbol;
        info.crystal_system = crystal_system_of(info.number);
        return info;
      }
    }
    // Fall through to spglib's own search when ours finds nothing it can name.
  }

  double lattice[3][3];
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) lattice[i][j] = s.lattice.m[j][i];  // columns are vectors
  std::vector<double> pos(3 * static_cast<std::size_t>(n));
  std::vector<int> types(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    for (int a = 0; a < 3; ++a) pos[3 * static_cast<std::size_t>(i) + a] = s.sites[i].frac[a];
    types[static_cast<std::size_t>(i)] = s.sites[i].Z;
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
  for (int i = 0; i < n; ++i) {
    info.equivalent_atoms[static_cast<std::size_t>(i)] = ds->equivalent_atoms[i];
    info.wyckoffs[static_cast<std::size_t>(i)] = static_cast<char>('a' + ds->wyckoffs[i]);
  }
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

}  // namespace cast

// ---------------------------------------------------------------- fast operation search
namespace cast {

namespace {
using IVec = std::array<int, 3>;

Vec3 lattice_vector(const Lattice& L, const IVec& n) {
  Vec3 v{};
  for (int k = 0; k < 3; ++k) v[k] = n[0] * L.m[0][k] + n[1] * L.m[1][k] + n[2] * L.m[2][k];
  return v;
}
}  // namespace

namespace {
std::vector<SymmetryOperation> operations_in_cell(const Structure& s, const SymmetryOptions& opt,
                                                  bool translations_only) {
  const Lattice& L = s.lattice;
  const double tol = opt.symprec;
  const std::size_t n = s.sites.size();
  std::vector<SymmetryOperation> ops;
  if (n == 0) return ops;

  // 1. Lattice point group: images of each basis vector are lattice vectors of equal length.
  std::array<double, 3> h{};
  for (int a = 0; a < 3; ++a)
    h[a] = std::sqrt(L.inv[0][a] * L.inv[0][a] + L.inv[1][a] * L.inv[1][a] + L.inv[2][a] * L.inv[2][a]);
  Vec3 basis[3];
  double len[3];
  for (int i = 0; i < 3; ++i) {
    basis[i] = L.m[i];
    len[i] = norm(basis[i]);
  }
  std::vector<IVec> cand[3];
  for (int i = 0; i < 3; ++i) {
    int lim[3];
    for (int a = 0; a < 3; ++a) lim[a] = static_cast<int>(std::ceil((len[i] + tol) * h[a]));
    for (int x = -lim[0]; x <= lim[0]; ++x)
      for (int y = -lim[1]; y <= lim[1]; ++y)
        for (int z = -lim[2]; z <= lim[2]; ++z) {
          if (!x && !y && !z) continue;
          double l = norm(lattice_vector(L, {x, y, z}));
          if (std::fabs(l - len[i]) < tol) cand[i].push_back({x, y, z});
        }
  }
  const double cos_tol = std::sin(opt.angle_tolerance * M_PI / 180.0);
  auto angle_ok = [&](const Vec3& u, const Vec3& v, int i, int j) {
    // |cos(u,v) - cos(a_i,a_j)| compared loosely through the angle difference.
    double cu = dot(u, v) / (norm(u) * norm(v));
    double ca = dot(basis[i], basis[j]) / (len[i] * len[j]);
    double au = std::acos(std::max(-1.0, std::min(1.0, cu)));
    double aa = std::acos(std::max(-1.0, std::min(1.0, ca)));
    (void)cos_tol;
    return std::fabs(au - aa) * 180.0 / M_PI < opt.angle_tolerance;
  };
  std::vector<std::array<IVec, 3>> point_ops;  // columns: images of a, b, c
  if (translations_only) {
    for (auto& c : cand) c.clear();
    cand[0].push_back({1, 0, 0});
    cand[1].push_back({0, 1, 0});
    cand[2].push_back({0, 0, 1});
  }
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
        if (det == 1 || det == -1) point_ops.push_back({c0, c1, c2});
        if (translations_only) break;
      }
    }
  }

  // 2. Translations: map the rarest species' first atom onto each atom of that species.
  std::map<int, std::vector<std::size_t>> by_type;
  for (std::size_t i = 0; i < n; ++i) by_type[s.sites[i].Z].push_back(i);
  const std::vector<std::size_t>* rare = nullptr;
  for (const auto& [Z, v] : by_type)
    if (!rare || v.size() < rare->size()) rare = &v;
  const std::size_t a0 = rare->front();
  const double tol2 = tol * tol;
  auto overlap = [&](const Vec3& f, const Vec3& g) {
    Vec3 d{f[0] - g[0], f[1] - g[1], f[2] - g[2]};
    for (double& x : d) x -= std::round(x);
    Vec3 c = L.to_cart(d);
    return dot(c, c) < tol2;
  };
  std::vector<Vec3> rotated(n);
  for (const auto& W : point_ops) {
    std::array<std::array<int, 3>, 3> rot{};  // rot[r][c] = W column c, row r
    for (int c = 0; c < 3; ++c)
      for (int r = 0; r < 3; ++r) rot[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)] = W[static_cast<std::size_t>(c)][static_cast<std::size_t>(r)];
    for (std::size_t i = 0; i < n; ++i)
      for (int r = 0; r < 3; ++r)
        rotated[i][static_cast<std::size_t>(r)] = rot[static_cast<std::size_t>(r)][0] * s.sites[i].frac[0] +
                                                  rot[static_cast<std::size_t>(r)][1] * s.sites[i].frac[1] +
                                                  rot[static_cast<std::size_t>(r)][2] * s.sites[i].frac[2];
    for (std::size_t b : *rare) {
      Vec3 t;
      for (int k = 0; k < 3; ++k) {
        t[static_cast<std::size_t>(k)] = s.sites[b].frac[static_cast<std::size_t>(k)] - rotated[a0][static_cast<std::size_t>(k)];
        t[static_cast<std::size_t>(k)] -= std::floor(t[static_cast<std::size_t>(k)]);
      }
      bool ok = true;
      for (std::size_t i = 0; i < n && ok; ++i) {
        Vec3 p{rotated[i][0] + t[0], rotated[i][1] + t[1], rotated[i][2] + t[2]};
        bool found = false;
        for (std::size_t j : by_type[s.sites[i].Z])
          if (overlap(p, s.sites[j].frac)) { found = true; break; }
        ok = found;
      }
      if (ok) ops.push_back({rot, t});
    }
  }
  return ops;
}

double det3i(const Mat3& m) {
  return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
         m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
}
}  // namespace

PrimitiveCell find_primitive_cell(const Structure& s, const SymmetryOptions& opt) {
  PrimitiveCell pc;
  auto trans = operations_in_cell(s, opt, /*translations_only=*/true);
  const std::size_t nt = std::max<std::size_t>(1, trans.size());
  pc.translations = static_cast<int>(nt);
  if (nt <= 1) {
    pc.structure = s;
    pc.site_of.resize(s.sites.size());
    for (std::size_t i = 0; i < s.sites.size(); ++i) pc.site_of[i] = static_cast<int>(i);
    return pc;
  }
  // Candidate primitive vectors: pure translations plus small lattice vectors, shortest first.
  std::vector<std::pair<double, Vec3>> cands;
  for (const auto& op : trans)
    for (int x = -1; x <= 1; ++x)
      for (int y = -1; y <= 1; ++y)
        for (int z = -1; z <= 1; ++z) {
          // nt * t is a lattice vector for every element t of a group of order nt: snap to
          // multiples of 1/nt to remove the positional noise carried by the atom pair.
          auto snap = [&](double t) {
            double u = std::round(t * static_cast<double>(nt)) / static_cast<double>(nt);
            return u - std::round(u);
          };
          Vec3 v{snap(op.trans[0]) + x, snap(op.trans[1]) + y, snap(op.trans[2]) + z};
          Vec3 c = s.lattice.to_cart(v);
          double l = std::sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]);
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
        double d = det3i(m);
        if (std::fabs(std::fabs(d) - target) < 1e-6) {
          if (d < 0) for (double& x : m[2]) x = -x;
          P = m;
          found = true;
        }
      }
  if (!found) {  // cannot happen for a consistent translation group; keep the input cell
    pc.translations = 1;
    pc.structure = s;
    pc.site_of.resize(s.sites.size());
    for (std::size_t i = 0; i < s.sites.size(); ++i) pc.site_of[i] = static_cast<int>(i);
    return pc;
  }
  Mat3 rows{};
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c)
      rows[r][c] = P[r][0] * s.lattice.m[0][c] + P[r][1] * s.lattice.m[1][c] + P[r][2] * s.lattice.m[2][c];
  pc.structure.id = s.id;
  pc.structure.lattice = Lattice(rows);
  pc.site_of.assign(s.sites.size(), -1);
  const double tol2 = opt.symprec * opt.symprec;
  for (std::size_t i = 0; i < s.sites.size(); ++i) {
    Vec3 f = pc.structure.lattice.to_frac(s.cart(i));
    for (double& x : f) x -= std::floor(x);
    for (std::size_t p = 0; p < pc.structure.sites.size(); ++p) {
      const auto& q = pc.structure.sites[p];
      if (q.Z != s.sites[i].Z) continue;
      Vec3 d{f[0] - q.frac[0], f[1] - q.frac[1], f[2] - q.frac[2]};
      for (double& x : d) x -= std::round(x);
      Vec3 c = pc.structure.lattice.to_cart(d);
      if (c[0] * c[0] + c[1] * c[1] + c[2] * c[2] < tol2) { pc.site_of[i] = static_cast<int>(p); break; }
    }
    if (pc.site_of[i] < 0) {
      pc.site_of[i] = static_cast<int>(pc.structure.sites.size());
      Site site = s.sites[i];
      site.frac = f;
      pc.structure.sites.push_back(site);
    }
  }
  return pc;
}

std::vector<SymmetryOperation> find_symmetry_operations(const Structure& s, const SymmetryOptions& opt) {
  return operations_in_cell(s, opt, false);
}

}  // namespace cast
