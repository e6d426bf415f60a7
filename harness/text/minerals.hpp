// Mineral names for the first sentence ("Li2O is Fluorite structured ..."), as robocrys's
// MineralMatcher gives them, from the AFLOW prototype library pymatgen ships
// (pymatgen/analysis/aflow_prototypes.json; Debian's python3-pymatgen, installed by
// scripts/setup.sh). Only prototypes with a mineral name take part, less High Pressure
// Californium, which robocrys's own table leaves out (see minerals.cpp).
//
// Each prototype and the query get robocrys's structure fingerprint: mean and standard deviation
// over all sites of matminer's CrystalNNFingerprint("ops"). "X structured" names the nearest
// prototype of the same space group and anonymous formula (our stand-in for pymatgen's
// StructureMatcher.fit_anonymous, which needs no fingerprint distance); else the nearest within
// 0.4 (Euclidean): "X-like" when the number of elements agrees, "X-derived" otherwise. (The
// describer asks again with molecules as points when a structure names none: robocrys's
// get_reconstructed_structure.)
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "crystal/structure.hpp"

namespace cast::text {

struct MineralMatch {
  std::string name;    // "Fluorite"
  std::string suffix;  // "", "-like" or "-derived"
  double distance = 0;
};

// robocrys's structure fingerprint from the per-site fingerprints of all sites.
std::vector<double> structure_fingerprint(const std::vector<std::vector<double>>& site_fingerprints);
// The same from the structure: every site's CrystalNN fingerprint with oxidation states ox
// (empty: none).
std::vector<double> structure_fingerprint(const Structure& s, const std::vector<int>& ox);
// The number of distinct elements.
int element_count(const Structure& s);

class MineralLibrary {
 public:
  // The library at `path` (aflow_prototypes.json); throws InputError naming the file when it
  // cannot be read.
  static MineralLibrary load(const std::string& path);
  // The library at the first place it is found (CAST_AFLOW_PROTOTYPES, then pymatgen's install
  // directories), loaded once per process; nullptr when absent (a note is printed once).
  static const MineralLibrary* shared();
  static std::string find_path();

  // fingerprint: structure_fingerprint of the query; n_elements and the anonymous formula
  // ("1:2" = sorted reduced element counts) and space-group number of the query.
  std::optional<MineralMatch> match(const std::vector<double>& fingerprint, int n_elements,
                                    const std::string& anonymous_formula, int spacegroup) const;
  std::size_t size() const { return prototypes_.size(); }

 private:
  struct Prototype {
    std::string mineral;
    std::vector<double> fingerprint;
    int n_elements = 0;
    std::string anonymous_formula;
    int spacegroup = 0;
  };
  std::vector<Prototype> prototypes_;
};

// "1:1:2"-style anonymous formula of a structure: the element counts reduced by their gcd, sorted.
std::string anonymous_formula(const Structure& s);

}  // namespace cast::text
