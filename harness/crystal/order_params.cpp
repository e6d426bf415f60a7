#include "crystal/order_params.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

namespace cast {

namespace {

using V = Vec3;
double clamp1(double x) { return std::max(-1.0, std::min(1.0, x)); }
double gauss(double x) { return std::exp(-0.5 * x * x); }

// The component of v orthogonal to the unit vector z.
V orthogonal(const V& v, const V& z) {
  const double c = dot(v, z) / dot(z, z);
  return {v[0] - c * z[0], v[1] - c * z[1], v[2] - c * z[2]};
}

bool is_polar(OrderParam t) {  // neighbours at the south pole matter (bipyramids, planar shapes)
  switch (t) {
    case OrderParam::SqPlanMax: case OrderParam::OctMax: case OrderParam::HexPlanMax: case OrderParam::TriBipyr:
    case OrderParam::PentBipyr: case OrderParam::HexBipyr: case OrderParam::SeeSawRect: return true;
    default: return false;
  }
}
bool is_pyramid(OrderParam t) {
  return t == OrderParam::T || t == OrderParam::TriPyr || t == OrderParam::SqPyr || t == OrderParam::PentPyr ||
         t == OrderParam::HexPyr;
}

// Bond orientational order q_l (Steinhardt) through the addition theorem:
// q_l^2 = (1/N^2) sum_ij P_l(cos angle_ij).
double steinhardt(int l, const std::vector<V>& u) {
  if (u.empty()) return std::numeric_limits<double>::quiet_NaN();
  double acc = 0;
  for (const auto& a : u)
    for (const auto& b : u) {
      const double x = clamp1(dot(a, b)), x2 = x * x;
      if (l == 2) acc += 0.5 * (3 * x2 - 1);
      else if (l == 4) acc += (35 * x2 * x2 - 30 * x2 + 3) / 8.0;
      else acc += (231 * x2 * x2 * x2 - 315 * x2 * x2 + 105 * x2 - 5) / 16.0;
    }
  return std::sqrt(std::max(0.0, acc)) / static_cast<double>(u.size());
}

// Everything the order parameters need about one neighbour shell, computed once for all the
// motifs of a coordination number: unit bond vectors, the angle between every two, the unit
// component of bond k orthogonal to bond j, and (on first use) the azimuth between two such.
struct Shell {
  std::size_t n = 0;
  std::vector<double> dist;
  std::vector<V> u;
  std::vector<double> theta;   // [j*n+k]
  std::vector<V> perp;         // [j*n+k]
  std::vector<char> perp_ok;   // [j*n+k]: the orthogonal part is not ~0
  std::vector<double> phi;     // [(j*n+k)*n+m], filled by azimuths()
  explicit Shell(const std::vector<Vec3>& bonds) : n(bonds.size()), dist(n), u(n) {
    for (std::size_t j = 0; j < n; ++j) {
      dist[j] = norm(bonds[j]);
      u[j] = {bonds[j][0] / dist[j], bonds[j][1] / dist[j], bonds[j][2] / dist[j]};
    }
    theta.assign(n * n, 0.0);
    perp.assign(n * n, V{0, 0, 0});
    perp_ok.assign(n * n, 0);
    for (std::size_t j = 0; j < n; ++j)
      for (std::size_t k = 0; k < n; ++k) {
        if (j == k) continue;
        theta[j * n + k] = std::acos(clamp1(dot(u[j], u[k])));
        V x = orthogonal(u[k], u[j]);
        const double l = norm(x);
        if (l < 1e-12) continue;
        perp[j * n + k] = {x[0] / l, x[1] / l, x[2] / l};
        perp_ok[j * n + k] = 1;
      }
  }
  const std::vector<double>& azimuths() {
    if (phi.empty() && n > 2) {
      phi.assign(n * n * n, 0.0);
      for (std::size_t j = 0; j < n; ++j)
        for (std::size_t k = 0; k < n; ++k)
          for (std::size_t m = 0; m < n; ++m)
            if (j != k && j != m && k != m && perp_ok[j * n + k] && perp_ok[j * n + m])
              phi[(j * n + k) * n + m] = std::acos(clamp1(dot(perp[j * n + m], perp[j * n + k])));
    }
    return phi;
  }
};

double order_parameter_of(OrderParam type, const OrderParamSettings& p, Shell& sh);

}  // namespace

const std::vector<Motif>& fingerprint_motifs() {
  using O = OrderParam;
  auto bent = [](double ta, double igw) { OrderParamSettings p; p.TA = ta; p.IGW_TA = igw; return p; };
  auto angular = [](double ta, double igw, double fac) {
    OrderParamSettings p; p.TA = ta; p.IGW_TA = igw; p.fac_AA = fac; p.exp_cos_AA = 2; return p;
  };
  auto pyramid = [](double ep, double fac) { OrderParamSettings p; p.IGW_EP = ep; p.fac_AA = fac; p.exp_cos_AA = 2; return p; };
  auto polar = [](double spp_min, double spp, double ep, double fac) {
    OrderParamSettings p; p.min_SPP = spp_min; p.IGW_SPP = spp; p.IGW_EP = ep; p.w_SPP = 1; p.fac_AA = fac; p.exp_cos_AA = 2;
    return p;
  };
  const double spp = 2.356194490192345;  // 135 degrees
  OrderParamSettings hex_plan = polar(2.6179938779914944, 7.5, 0, 1);
  hex_plan.IGW_TA = 25; hex_plan.TA = 0.16666667;
  OrderParamSettings bcc; bcc.min_SPP = 2.5261129449194057; bcc.IGW_SPP = 15; bcc.w_SPP = 6;
  OrderParamSettings cuboct; cuboct.min_SPP = 2.792526803190927; cuboct.IGW_SPP = 28.75; cuboct.w_SPP = 1.8;
  cuboct.p2 = 1.8325957145940461; cuboct.p4 = 1.3089969389957472; cuboct.p5 = 25.5; cuboct.p6 = 31.25;
  OrderParamSettings pent_plan; pent_plan.TA = 0.6; pent_plan.IGW_TA = 19.333;
  OrderParamSettings none;
  static const std::vector<Motif> motifs = [&] {
    std::vector<Motif> m = {
        {"single-bond", 1, O::SingleBond, none},
        {"L-shaped", 2, O::Bent, bent(0.5, 15.15)},
        {"water-like", 2, O::Bent, bent(0.5802777777777778, 13.95)},
        {"bent 120 degrees", 2, O::Bent, bent(0.666666666667, 13.25)},
        {"bent 150 degrees", 2, O::Bent, bent(0.833333333333333, 12.45)},
        {"linear", 2, O::Bent, bent(1, 8.667)},
        {"trigonal planar", 3, O::TriPlanMax, angular(0.66666666667, 17.5, 1)},
        {"trigonal non-coplanar", 3, O::TetMax, angular(0.6081734479693927, 18.33, 1.5)},
        {"T-shaped", 3, O::T, pyramid(15.5, 1)},
        {"square co-planar", 4, O::SqPlanMax, polar(spp, 13.5, 17.7, 1)},
        {"tetrahedral", 4, O::TetMax, angular(0.6081734479693927, 18.5, 1.5)},
        {"rectangular see-saw-like", 4, O::SeeSawRect, polar(spp, 11.5, 27, 2)},
        {"see-saw-like", 4, O::TriBipyr, polar(spp, 12.75, 15.75, 1.5)},
        {"trigonal pyramidal", 4, O::TriPyr, pyramid(15.5, 1.5)},
        {"pentagonal planar", 5, O::PentPlanMax, pent_plan},
        {"square pyramidal", 5, O::SqPyr, pyramid(14.9, 2)},
        {"trigonal bipyramidal", 5, O::TriBipyr, polar(spp, 12, 16.6, 1.5)},
        {"hexagonal planar", 6, O::HexPlanMax, hex_plan},
        {"octahedral", 6, O::OctMax, polar(spp, 15, 18, 2)},
        {"pentagonal pyramidal", 6, O::PentPyr, pyramid(13.8, 2.5)},
        {"hexagonal pyramidal", 7, O::HexPyr, pyramid(12.5, 3)},
        {"pentagonal bipyramidal", 7, O::PentBipyr, polar(spp, 12.5, 14.75, 2.5)},
        {"body-centered cubic", 8, O::Bcc, bcc},
        {"hexagonal bipyramidal", 8, O::HexBipyr, polar(spp, 14.1, 13.6, 3)},
    };
    for (int cn = 9; cn <= 12; ++cn) {
      if (cn == 12) m.push_back({"cuboctahedral", 12, O::CuboctMax, cuboct});
      m.push_back({"q2", cn, O::Q2, none});
      m.push_back({"q4", cn, O::Q4, none});
      m.push_back({"q6", cn, O::Q6, none});
    }
    return m;
  }();
  return motifs;
}

double order_parameter(OrderParam type, const OrderParamSettings& p, const std::vector<Vec3>& bonds) {
  Shell sh(bonds);
  return order_parameter_of(type, p, sh);
}

namespace {
double order_parameter_of(OrderParam type, const OrderParamSettings& p, Shell& sh) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::size_t n = sh.n;
  const auto& dist = sh.dist;
  const auto& u = sh.u;
  using O = OrderParam;
  switch (type) {
    case O::SingleBond: {
      if (n == 0) return 0.0;
      if (n == 1) return 1.0;
      auto d = dist;
      std::sort(d.begin(), d.end());
      return 1.0 - d[0] / d[1];
    }
    case O::Q2: return steinhardt(2, u);
    case O::Q4: return steinhardt(4, u);
    case O::Q6: return steinhardt(6, u);
    default: break;
  }
  const double pi = M_PI, ipi = 1.0 / M_PI;
  const double tiny = 1e-12;
  const double fac_bcc = 1.0 / std::exp(-0.5);
  const bool polar = is_polar(type), pyramid = is_pyramid(type);
  const bool hex = type == O::HexPlanMax;
  auto equatorial = [&](double theta) {  // penalty of leaving the equator (the hexagonal plane's own form)
    return hex ? gauss(p.IGW_TA * (std::fabs(theta * ipi - 0.5) - p.TA)) : gauss(p.IGW_EP * (theta * ipi - 0.5));
  };
  // pymatgen: pow(cos(fac_AA phi), exp_cos_AA); every motif here has exp_cos_AA = 2, squared by a
  // product (correctly rounded; libm's pow may differ by an ulp, and took a twentieth of describing).
  auto azimuth = [&](double phi) {
    const double c = std::cos(p.fac_AA * phi);
    return p.exp_cos_AA == 2 ? c * c : std::pow(c, p.exp_cos_AA);
  };
  double best = -std::numeric_limits<double>::infinity();  // max-type parameters
  double sum = 0, sum_norm = 0;                             // averaged ones (bent, bcc)
  const bool needs_azimuth = type != O::Bent;
  const std::vector<double>* phis = needs_azimuth ? &sh.azimuths() : nullptr;
  for (std::size_t j = 0; j < n; ++j) {  // neighbour j at the north pole
    for (std::size_t k = 0; k < n; ++k) {
      if (k == j) continue;
      double acc = 0, cnt = 0;
      const double thetak = sh.theta[j * n + k];
      const bool flag_x = !sh.perp_ok[j * n + k];  // neighbour k fixes the prime meridian
      const bool bcc_pair = type == O::Bcc && j < k;
      switch (type) {
        case O::Bent: acc += gauss(p.IGW_TA * (thetak * ipi - p.TA)); cnt += 1; break;
        case O::TriPlanMax: case O::TetMax: acc += gauss(p.IGW_TA * (thetak * ipi - p.TA)); cnt += 1; break;
        case O::PentPlanMax: {
          const double t = thetak <= p.TA * pi ? 0.4 : 0.8;
          acc += gauss(p.IGW_TA * (thetak * ipi - t));
          cnt += 1;
          break;
        }
        case O::CuboctMax:
          if (thetak >= p.min_SPP) { acc += p.w_SPP * gauss(p.IGW_SPP * (thetak * ipi - 1.0)); cnt += p.w_SPP; }
          break;
        case O::Bcc:
          if (bcc_pair && thetak >= p.min_SPP) { acc += p.w_SPP * gauss(p.IGW_SPP * (thetak * ipi - 1.0)); cnt += p.w_SPP; }
          break;
        default:
          if (pyramid) { acc += gauss(p.IGW_EP * (thetak * ipi - 0.5)); cnt += 1; }
          else if (polar && thetak < p.min_SPP) { acc += equatorial(thetak); cnt += 1; }
          break;
      }
      if (!flag_x && needs_azimuth) {
        for (std::size_t m = 0; m < n; ++m) {
          if (m == j || m == k) continue;
          const double thetam = sh.theta[j * n + m];
          if (polar && thetam >= p.min_SPP) { acc += gauss(p.IGW_SPP * (thetam * ipi - 1.0)); cnt += 1; }
          if (!sh.perp_ok[j * n + m]) continue;
          const double phi = (*phis)[(j * n + k) * n + m];
          switch (type) {
            case O::TriPlanMax: case O::TetMax:
              acc += gauss(p.IGW_TA * (thetam * ipi - p.TA)) * azimuth(phi);
              cnt += 1;
              break;
            case O::PentPlanMax: {
              const double t = thetam <= p.TA * pi ? 0.4 : 0.8;
              acc += gauss(p.IGW_TA * (thetam * ipi - t)) * std::cos(phi) * std::cos(phi);
              cnt += 1;
              break;
            }
            case O::Bcc:
              if (bcc_pair && thetak < p.min_SPP) {
                const double f = thetak > 0.5 * pi ? 1.0 : -1.0;
                const double t = (thetam - 0.5 * pi) / std::asin(1.0 / 3.0);
                acc += f * std::cos(3 * phi) * fac_bcc * t * std::exp(-0.5 * t * t);
                cnt += 1;
              }
              break;
            case O::SeeSawRect:
              if (thetam < p.min_SPP && thetak < p.min_SPP && phi < 0.75 * pi) {
                acc += azimuth(phi) * gauss(p.IGW_EP * (thetam * ipi - 0.5));
                cnt += 1;
              }
              break;
            case O::CuboctMax:
              if (thetam < p.min_SPP && p.p4 < thetak && thetak < p.p2) {
                if (p.p4 < thetam && thetam < p.p2) {
                  acc += std::cos(phi) * std::cos(phi) * gauss(p.p5 * (thetam * ipi - 0.5));
                  cnt += 1;
                } else if (thetam < p.p4) {
                  acc += gauss(0.0556 * (std::cos(phi - 0.5 * pi) - 0.81649658)) * gauss(p.p6 * (thetam * ipi - 1.0 / 3.0));
                  cnt += 1;
                } else if (thetam > p.p2) {
                  acc += gauss(0.0556 * (std::cos(phi - 0.5 * pi) - 0.81649658)) * gauss(p.p6 * (thetam * ipi - 2.0 / 3.0));
                  cnt += 1;
                }
              }
              break;
            default:
              if (pyramid) {
                acc += azimuth(phi) * gauss(p.IGW_EP * (thetam * ipi - 0.5));
                cnt += 1;
              } else if (polar && thetam < p.min_SPP && thetak < p.min_SPP) {
                acc += azimuth(phi) * equatorial(thetam);
                cnt += 1;
              }
              break;
          }
        }
      }
      if (type == O::Bent || type == O::Bcc) {
        sum += acc;
        sum_norm += cnt;
      } else {
        best = std::max(best, cnt > tiny ? acc / cnt : 0.0);
      }
    }
  }
  if (type == O::Bent) return sum_norm > tiny ? sum / sum_norm : nan;
  if (type == O::Bcc) {
    if (n <= 3) return nan;
    const double nn = static_cast<double>(n);
    return sum / (0.5 * nn * (6 + (nn - 2) * (nn - 3)));
  }
  return n > 1 ? best : nan;
}
}  // namespace

const std::vector<FingerprintEntry>& fingerprint_entries() {
  static const std::vector<FingerprintEntry> entries = [] {
    std::vector<FingerprintEntry> e;
    const auto& motifs = fingerprint_motifs();
    for (int cn = 1; cn <= 24; ++cn) {
      e.push_back({cn, -1});
      for (std::size_t k = 0; k < motifs.size(); ++k)
        if (motifs[k].cn == cn) e.push_back({cn, static_cast<int>(k)});
    }
    return e;
  }();
  return entries;
}

std::vector<double> site_fingerprint(const CrystalNNData& data) {
  const auto& entries = fingerprint_entries();
  const auto& motifs = fingerprint_motifs();
  std::vector<double> fp(entries.size(), 0.0);
  double wt = 0;
  std::vector<Vec3> bonds;
  std::unique_ptr<Shell> shell;
  for (std::size_t k = 0; k < entries.size(); ++k) {
    const auto& e = entries[k];
    if (e.motif < 0) {
      auto it = data.cn_weights.find(e.cn);
      wt = it == data.cn_weights.end() ? 0.0 : it->second;
      fp[k] = wt;
      bonds.clear();
      shell.reset();
      if (wt != 0) {
        for (int j = 0; j < e.cn && j < static_cast<int>(data.neighbors.size()); ++j) {
          const auto& off = data.neighbors[static_cast<std::size_t>(j)].neighbor.offset;
          bonds.push_back({-off[0], -off[1], -off[2]});
        }
        shell = std::make_unique<Shell>(bonds);
      }
      continue;
    }
    if (wt == 0) continue;
    const Motif& m = motifs[static_cast<std::size_t>(e.motif)];
    const double op = order_parameter_of(m.type, m.settings, *shell);
    fp[k] = std::isnan(op) ? 0.0 : wt * op;
  }
  return fp;
}

SiteGeometry site_geometry(const CrystalNNData& data, double minimum_op) {
  return site_geometry(site_fingerprint(data), minimum_op);
}

SiteGeometry site_geometry(const std::vector<double>& fp, double minimum_op) {
  const auto& entries = fingerprint_entries();
  // Largest motif value (weights count as 0; the first of equals wins, as Python's max).
  std::size_t pick = 0;
  double key_best = -std::numeric_limits<double>::infinity();
  for (std::size_t k = 0; k < fp.size(); ++k) {
    const double key = entries[k].motif >= 0 ? fp[k] : 0.0;
    if (key > key_best) { key_best = key; pick = k; }
  }
  SiteGeometry g;
  if (fp[pick] < minimum_op) {
    std::size_t top = 0;
    for (std::size_t k = 1; k < fp.size(); ++k)
      if (fp[k] > fp[top]) top = k;
    g.name = std::to_string(entries[top].cn) + "-coordinate";
    g.likeness = 1.0;
  } else {
    g.name = entries[pick].motif >= 0 ? fingerprint_motifs()[static_cast<std::size_t>(entries[pick].motif)].name : "wt";
    g.likeness = fp[pick];
  }
  return g;
}

}  // namespace cast
