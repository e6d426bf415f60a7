// A Robocrystallographer-style description of a crystal (SPEC §6), in C++:
// formula and space group, then per symmetry-distinct site (grouped by element) its oxidation
// state, coordination geometry and bonded neighbours, cation polyhedra and how they share
// corners/edges/faces, and bond-length sentences.
//
// This first version decides bonding with covalent-radius cutoffs restricted to cation-anion
// pairs when oxidation states are known (CrystalNN's Voronoi weights are still to come) and
// names geometries from the coordination number and bond angles. DEVIATIONS.md lists what
// differs from robocrys.
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
};

struct Description {
  bool ok = false;
  std::string text;
  std::string reason;             // why not ok
};

// Never throws for a bad structure: returns ok = false with a reason.
Description describe_structure(const Structure& s, const DescriberOptions& opt = {});

// Charge-balanced oxidation states per site from common states (0 when none balances).
std::vector<int> guess_oxidation_states(const Structure& s);

}  // namespace cast::text
