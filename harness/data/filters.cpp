#include "data/filters.hpp"

#include <cmath>
#include <sstream>

#include "crystal/elements.hpp"

namespace cast {

std::string FilterOptions::settings_string() const {
  std::ostringstream os;
  os.precision(17);
  os << "filters=" << paper_filters << " ehull<=" << max_energy_above_hull
     << " eform>=" << min_formation_energy << " mod<=" << max_modulus;
  return os.str();
}

namespace {
const double* find(const Entry& e, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    auto it = e.values.find(k);
    if (it != e.values.end()) return &it->second;
  }
  return nullptr;
}
}  // namespace

std::string filter_reason(Task t, const Entry& e, double target, const FilterOptions& opt) {
  if (!opt.paper_filters) return std::isfinite(target) ? "" : "target not finite";
  for (const auto& site : e.structure.sites)
    for (const auto& sp : site.species)
      if (is_noble_gas(sp.Z)) return "contains a noble gas";
  // "formation energy or energy above hull > 150 meV": the hull energy where the source has it,
  // else the formation energy.
  if (const double* eh = find(e, {"energy_above_hull", "e_above_hull"})) {
    if (*eh > opt.max_energy_above_hull) return "energy above hull > 0.150 eV/atom";
  } else if (const double* ef = find(e, {"formation_energy_per_atom", "e_form"})) {
    if (*ef > opt.max_energy_above_hull) return "formation energy > 0.150 eV/atom";
  }
  if (const double* ef = find(e, {"formation_energy_per_atom", "e_form"}))
    if (*ef < opt.min_formation_energy) return "formation energy < -10 eV/atom";
  if (t == Task::BandGap && !(target > 0)) return "metal (band gap 0)";
  if (t == Task::LogGVRH || t == Task::LogKVRH) {
    struct Triple { const char* name; const double *reuss, *vrh, *voigt; };
    Triple triples[2] = {
        {"G", find(e, {"shear_modulus.reuss", "G_Reuss"}), find(e, {"shear_modulus.vrh", "G_VRH"}),
         find(e, {"shear_modulus.voigt", "G_Voigt"})},
        {"K", find(e, {"bulk_modulus.reuss", "K_Reuss"}), find(e, {"bulk_modulus.vrh", "K_VRH"}),
         find(e, {"bulk_modulus.voigt", "K_Voigt"})}};
    for (const auto& tr : triples) {
      for (const double* v : {tr.reuss, tr.vrh, tr.voigt}) {
        if (v && !(*v > 0)) return std::string(tr.name) + " modulus <= 0";
        if (v && *v > opt.max_modulus) return std::string(tr.name) + " modulus > 1000 GPa";
      }
      if (tr.reuss && tr.vrh && tr.voigt) {
        const double tol = 1e-6 * std::fabs(*tr.vrh);
        if (*tr.reuss > *tr.vrh + tol || *tr.vrh > *tr.voigt + tol)
          return std::string(tr.name) + "_Reuss <= " + tr.name + "_VRH <= " + tr.name + "_Voigt violated";
      }
    }
  }
  if (!std::isfinite(target)) return "target not finite";
  return {};
}

}  // namespace cast
