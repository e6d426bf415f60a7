// spglib, wrapped once. spglib's C API takes lattice vectors as COLUMNS; this wrapper takes a
// Structure (rows) and transposes. Defaults follow pymatgen's SpacegroupAnalyzer: symprec
// 0.01 Å, angle tolerance 5°.
#pragma once
#include <string>
#include <vector>

#include "crystal/structure.hpp"

namespace cast {

struct SymmetryInfo {
  bool found = false;          // false when spglib failed: P1 and every site its own orbit
  int number = 1;              // international space-group number
  std::string symbol = "P1";   // Hermann-Mauguin short symbol as spglib/pymatgen write it
  std::string hall_symbol;
  std::string crystal_system = "triclinic";
  std::vector<int> equivalent_atoms;  // per site, the first site of its orbit
  std::vector<char> wyckoffs;         // per site, 'a'..
  std::string error;                  // spglib's message when !found
};

struct SymmetryOptions {
  double symprec = 0.01;
  double angle_tolerance = 5.0;
};

SymmetryInfo analyze_symmetry(const Structure& s, const SymmetryOptions& opt = {});

// "triclinic" ... "cubic" from the space-group number (1-230).
const char* crystal_system_of(int spacegroup_number);

// Asymmetric unit from equivalent_atoms: sorted orbit representatives and orbit sizes.
struct AsymmetricUnit {
  std::vector<int> sites;         // representative site per orbit, ascending
  std::vector<int> multiplicity;  // orbit size in the input cell
  std::vector<int> orbit_of;      // per site, index into `sites`
};
AsymmetricUnit asymmetric_unit(const std::vector<int>& equivalent_atoms);

}  // namespace cast
