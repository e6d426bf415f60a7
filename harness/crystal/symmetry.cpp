#include "crystal/symmetry.hpp"

#include <spglib.h>

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
