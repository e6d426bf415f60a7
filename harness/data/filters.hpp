// The paper's dataset filters (SPEC §0.1: MatBench's plus the paper's own), applied wherever
// the source has the fields. Each removal has a reason string, counted and reported.
// Readings of ambiguous text are recorded in experiments/DEVIATIONS.md.
#pragma once
#include <string>

#include "crystal/readers.hpp"
#include "data/tasks.hpp"

namespace cast {

struct FilterOptions {
  bool paper_filters = true;
  double max_energy_above_hull = 0.150;   // eV/atom
  double min_formation_energy = -10.0;    // eV/atom; lower values are removed
  double max_modulus = 1000.0;            // GPa
  std::string settings_string() const;
};

// Empty when the entry stays; otherwise the reason it is removed. Checks the target too.
std::string filter_reason(Task t, const Entry& e, double target, const FilterOptions& opt);

}  // namespace cast
