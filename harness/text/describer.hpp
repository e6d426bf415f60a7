// A Robocrystallographer-style description of a crystal (SPEC §6), in C++: formula, mineral
// name (AFLOW prototypes, text/minerals.hpp) and space group, then per symmetry-distinct site
// (grouped by element) its oxidation state, bonded neighbours (CrystalNN, crystal/local_env),
// geometry (CrystalNN fingerprint order parameters, crystal/order_params), polyhedra and how they
// share corners/edges/faces, octahedral tilts, and bond-length sentences. DEVIATIONS.md lists
// what differs from robocrys.
#pragma once
#include <string>
#include <vector>

#include "crystal/structure.hpp"

namespace cast::text {

enum class DescriptionStyle { Mp, Ascii };

struct DescriberOptions {
  DescriptionStyle style = DescriptionStyle::Mp;
  bool oxidation_states = true;   // guess them by charge balance over common states
  std::size_t max_sites = 500;    // larger cells are refused with a reason
  int decimals = 2;
  bool minerals = true;           // mineral clause from the AFLOW prototypes when the library is found
  double time_limit_s = 60;       // give up on one structure after this long (0: no limit)
};

struct Description {
  bool ok = false;
  std::string text;
  std::string reason;             // why not ok
};

// Never throws for a bad structure: returns ok = false with a reason.
Description describe_structure(const Structure& s, const DescriberOptions& opt = {});

// Charge-balanced oxidation states per site from common states (0 when none balances); the
// ascii style's states.
std::vector<int> guess_oxidation_states(const Structure& s);

// The mp style's oxidation states, as the Materials Project's robocrys texts carry them (emmet):
// pymatgen's BVAnalyzer().get_valences (bond-valence sums, ICSD priors, charge balance over
// symmetry-distinct sites at symprec 0.1); empty when it finds none.
std::vector<int> bond_valence_states(const Structure& s);
// Otherwise the first of pymatgen's Composition.oxi_state_guesses(max_sites=-50), per site: the
// element's average state (fractional for mixed valence); empty when none balances.
std::vector<double> oxidation_state_guess(const Structure& s);

}  // namespace cast::text
