// Crystal structures. Units and conventions, once for the whole crystal layer:
//   lengths in Å; lattice vectors are the ROWS of Lattice::m (cart = frac · m);
//   fractional coordinates are not wrapped unless a function says so.
#pragma once
#include <array>
#include <cmath>
#include <string>
#include <vector>

namespace cast {

using Vec3 = std::array<double, 3>;

inline double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
inline double norm(const Vec3& a) { return std::sqrt(dot(a, a)); }
inline Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
using Mat3 = std::array<Vec3, 3>;

struct Lattice {
  Mat3 m{};    // rows are the lattice vectors a, b, c
  Mat3 inv{};  // inverse of m (frac = cart · inv)

  Lattice() = default;
  explicit Lattice(const Mat3& rows);
  static Lattice from_parameters(double a, double b, double c, double alpha_deg,
                                 double beta_deg, double gamma_deg);
  double volume() const;  // signed determinant of m
  Vec3 to_cart(const Vec3& frac) const;
  Vec3 to_frac(const Vec3& cart) const;
  std::array<double, 3> lengths() const;
  std::array<double, 3> angles_deg() const;  // alpha (b,c), beta (a,c), gamma (a,b)
};

struct Species {
  int Z = 0;
  double occupancy = 1.0;
  int oxidation_state = 0;  // 0 when unknown
};

struct Site {
  int Z = 0;            // the majority species
  Vec3 frac{};
  std::vector<Species> species;  // more than one, or occupancy < 1, means disorder
  std::string label;
};

struct Structure {
  std::string id;
  Lattice lattice;
  std::vector<Site> sites;

  std::size_t size() const { return sites.size(); }
  bool has_partial_occupancy() const;
  Vec3 cart(std::size_t i) const { return lattice.to_cart(sites[i].frac); }
  // Adds an ordered site of element Z at fractional coordinates f.
  void add_site(int Z, const Vec3& f, std::string label = {});
};

// pymatgen's Composition.reduced_formula (2022.11): elements ordered by Pauling
// electronegativity, gcd-reduced, trailing polyanion grouped: "LiFe3P3(HO6)2", "Ba(AlTe2)2".
std::string reduced_formula(const Structure& s);

// pymatgen's get_reduced_formula_and_factor(iupac_ordering=True), as robocrys writes formulas:
// the polyanion from electronegativities, the other elements in IUPAC order: "LiSn(PO3)4".
std::string iupac_formula(const Structure& s);

// What one structure may cost. Every reader refuses a structure beyond these (an error, never
// an allocation), and so do the symmetry and neighbour searches: a typo such as a coordinate of
// 1e10 or a POSCAR count of 1e10 must not turn into gigabytes or hours.
struct StructureLimits {
  std::size_t max_sites = 10000;       // sites per cell
  double max_length = 1e4;             // Å, longest lattice vector
  double min_lattice_vector = 0.5;     // Å, shortest vector of the reduced lattice
  double min_volume_per_site = 0.5;    // Å^3: below, the cell is flat or the atoms overlap
  double max_abs_fractional = 1e4;     // |fractional coordinate|
};
const StructureLimits& default_structure_limits();

// Why a structure cannot be used at all: no sites, a non-finite or out-of-range number, a
// zero/near-zero volume or flat cell, too many sites, an element outside H-Og, an occupancy
// outside (0, 1]. Empty when usable. The text says what is wrong and what to do.
// Cheap (no neighbour search): called at the Structure boundary by every reader and again by
// analyze_symmetry and the neighbour search, so nothing non-finite reaches spglib.
std::string structure_invalid(const Structure& s, const StructureLimits& lim = default_structure_limits());
// Throws InputError "where: <structure_invalid>" when the structure is not usable.
void check_structure(const Structure& s, const std::string& where,
                     const StructureLimits& lim = default_structure_limits());

// Problems that make a structure unusable for a graph; empty string when fine.
// structure_invalid() first, then overlapping atoms (< min_distance Å, periodic images too).
std::string structure_problem(const Structure& s, double min_distance = 0.5);

}  // namespace cast
