// spglib, wrapped once. spglib's C API takes lattice vectors as COLUMNS; this wrapper takes a
// Structure (rows) and transposes. Defaults follow pymatgen's SpacegroupAnalyzer: symprec
// 0.01 Å, angle tolerance 5°.
#pragma once
#include <array>
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
  // Fast: our own search for the operations (equivalent atoms) and spglib only to name the
  // space group from them; no Wyckoff letters (all 'a'). Full: spglib's complete dataset.
  // spglib 2.0's dataset spends ~5 ms a structure (28 ms for F-centred cells) on
  // standardisation and Wyckoff positions that graphs do not need.
  bool fast = false;
};

// Throws InputError when the structure is not usable at all (non-finite numbers, a degenerate
// cell: structure_invalid()); nothing of that kind reaches spglib. Overlapping atoms (closer than
// symprec) give found == false with the reason in `error`.
SymmetryInfo analyze_symmetry(const Structure& s, const SymmetryOptions& opt = {});
// The same, and, when a group beyond P1 is found, *symmetrized = symmetrized_positions(s, opt)
// from the operations already found (left untouched otherwise).
SymmetryInfo analyze_symmetry(const Structure& s, const SymmetryOptions& opt, Structure* symmetrized);

// The Delaunay-reduced basis of a lattice, by spglib's spg_delaunay_reduce: the same lattice
// in a basis of short, nearly orthogonal vectors, so that searches over lattice vectors and
// periodic images stay small however skewed the input basis is. rows(reduced) = P · rows(L)
// with P integer and |det P| = 1. ok is false when spglib cannot reduce it (degenerate or
// non-finite lattice); then lattice = L and P = identity.
struct ReducedLattice {
  Lattice lattice;
  std::array<std::array<int, 3>, 3> P{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
  bool ok = false;
  bool identity() const;
};
ReducedLattice delaunay_reduced(const Lattice& L);
// The same structure in the reduced basis: same sites in the same order, fractional
// coordinates in the new basis, wrapped into [0, 1).
Structure in_reduced_basis(const Structure& s, const ReducedLattice& r);

// A space-group operation in the input cell's fractional coordinates: x' = rot x + trans.
struct SymmetryOperation {
  std::array<std::array<int, 3>, 3> rot;
  Vec3 trans;
};
// Every operation mapping the structure onto itself within symprec (Å), pure translations of
// a non-primitive cell included. Lattice candidates must keep lengths within symprec and angles
// within angle_tolerance (degrees), as spglib does.
std::vector<SymmetryOperation> find_symmetry_operations(const Structure& s, const SymmetryOptions& opt = {});

// The structure with its positions made exactly symmetric under its own operations (within
// symprec): each site moves by the mean, over every operation, of the offset from it to the image
// that the operation maps onto it (the average over the group, which is invariant under it).
// Same cell, same sites in the same order; only positions move, by at most about symprec. What
// robocrys describes: pymatgen's conventional standard structure is spglib's refined (idealised)
// cell, so symmetry-equivalent sites there have identical bond lengths and angles. spglib idealises
// only into its own standardised cell (new order, new basis); this keeps ours. The structure as
// given when it has no operation besides the identity, or more operations times sites than a
// quick pass allows (2,000,000).
Structure symmetrized_positions(const Structure& s, const SymmetryOptions& opt = {});

// The primitive cell of a structure from its pure translations (within symprec).
struct PrimitiveCell {
  Structure structure;
  std::vector<int> site_of;  // per input site, its site in the primitive cell
  int translations = 1;      // pure translations of the input cell (1 when primitive)
};
PrimitiveCell find_primitive_cell(const Structure& s, const SymmetryOptions& opt = {});

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
