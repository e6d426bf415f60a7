// The periodic table cast uses: symbol, Z, mass (u), covalent radius (Å), Pauling
// electronegativity, first ionisation energy (eV), van der Waals radius (Å), oxidation states,
// atomic and ionic radii (Å).
// Values come from pymatgen 2022.11's data files (see scripts/gen_elements.py, which writes
// element_data.inc); a missing value is NaN.
#pragma once
#include <string_view>
#include <utility>
#include <vector>

namespace cast {

constexpr int kNumElements = 118;

struct Element {
  const char* symbol;
  int Z;
  double mass;
  double covalent_radius;
  double electronegativity;
  double ionization_energy;
  double vdw_radius;
  int iupac_order;
  std::vector<int> common_oxidation_states;
  std::vector<int> icsd_oxidation_states;
  std::vector<int> oxidation_states;
  double atomic_radius;                              // Å (NaN when unknown)
  std::vector<std::pair<int, double>> ionic_radii;   // Shannon radii by oxidation state, Å
  double average_cationic_radius, average_anionic_radius;  // Å, 0 when none
};

// Z in [1, 118]; throws std::out_of_range otherwise.
const Element& element(int Z);
// 0 when the symbol is not an element. Accepts "Fe", "FE", "fe" and oxidation-decorated
// species such as "Fe2+", "O2-", "Li+" (the charge is ignored).
int atomic_number(std::string_view symbol);
bool is_noble_gas(int Z);

}  // namespace cast
