#include "graph/crystal_graph.hpp"

#include <cmath>
#include <sstream>

#include "common/error.hpp"

namespace cast {

std::string GraphOptions::settings_string() const {
  std::ostringstream os;
  os.precision(17);
  os << "knn-asu k=" << k << " tie=" << tie_tolerance << " symprec=" << symmetry.symprec
     << " angle=" << symmetry.angle_tolerance << " sym=" << use_symmetry
     << " fast=" << symmetry.fast;
  return os.str();
}

FeaturizedStructure featurize_structure(const Structure& s, const GraphOptions& opt) {
  if (s.sites.empty()) fail(s.id, ": structure has no sites");
  if (!(std::fabs(s.lattice.volume()) > 1e-6)) fail(s.id, ": zero cell volume");
  FeaturizedStructure f;
  f.id = s.id;
  f.formula = reduced_formula(s);
  f.nsites = static_cast<int>(s.sites.size());
  if (opt.use_symmetry) f.symmetry = analyze_symmetry(s, opt.symmetry);
  else {
    f.symmetry.equivalent_atoms.resize(s.sites.size());
    for (std::size_t i = 0; i < s.sites.size(); ++i) f.symmetry.equivalent_atoms[i] = static_cast<int>(i);
    f.symmetry.wyckoffs.assign(s.sites.size(), 'a');
  }
  const AsymmetricUnit asu = asymmetric_unit(f.symmetry.equivalent_atoms);
  CrystalGraph& g = f.graph;
  KnnOptions knn;
  knn.k = opt.k;
  knn.tie_tolerance = opt.tie_tolerance;
  for (std::size_t n = 0; n < asu.sites.size(); ++n) {
    const int site = asu.sites[n];
    g.Z.push_back(s.sites[static_cast<std::size_t>(site)].Z);
    g.multiplicity.push_back(asu.multiplicity[n]);
    g.site.push_back(site);
    auto nb = k_nearest_neighbors(s, static_cast<std::size_t>(site), knn);
    std::vector<double> d;
    d.reserve(nb.size());
    for (const auto& x : nb) {
      g.edge_src.push_back(asu.orbit_of[static_cast<std::size_t>(x.site)]);
      g.edge_dst.push_back(static_cast<std::int32_t>(n));
      g.edge_distance.push_back(static_cast<float>(x.distance));
      if (opt.keep_offsets)
        for (double o : x.offset) g.edge_offset.push_back(static_cast<float>(o));
      d.push_back(x.distance);
    }
    f.knn_distances.push_back(std::move(d));
  }
  return f;
}

}  // namespace cast
