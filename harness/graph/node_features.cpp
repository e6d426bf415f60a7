#include "graph/node_features.hpp"

#include <cmath>
#include <vector>

#include "crystal/elements.hpp"

namespace cast {

namespace {
struct FeatureTable {
  std::array<std::array<float, kNodeFeatureDim>, kNumElements + 1> rows{};
  std::array<std::array<double, 2>, kNumScalarFeatures> moments{};
  FeatureTable() {
    std::array<std::vector<double>, kNumScalarFeatures> cols;
    for (int Z = 1; Z <= kNumElements; ++Z) {
      const Element& e = element(Z);
      cols[0].push_back(e.mass);
      cols[1].push_back(e.vdw_radius * 100.0);  // Å -> pm, as PubChem's atomic radius
      cols[2].push_back(e.electronegativity);
      cols[3].push_back(e.ionization_energy);
    }
    for (int c = 0; c < kNumScalarFeatures; ++c) {
      double sum = 0;
      int n = 0;
      for (double x : cols[c]) if (!std::isnan(x)) { sum += x; ++n; }
      const double fill = sum / n;
      for (double& x : cols[c]) if (std::isnan(x)) x = fill;
      double mean = 0;
      for (double x : cols[c]) mean += x;
      mean /= cols[c].size();
      double var = 0;
      for (double x : cols[c]) var += (x - mean) * (x - mean);
      const double sd = std::sqrt(var / (cols[c].size() - 1));
      moments[c] = {mean, sd};
      for (int Z = 1; Z <= kNumElements; ++Z)
        rows[Z - 1][c] = static_cast<float>((cols[c][Z - 1] - mean) / sd);
    }
    for (int Z = 1; Z <= kNumElements; ++Z)
      for (int v : element(Z).common_oxidation_states)
        if (v >= -4 && v <= 9) rows[Z - 1][kNumScalarFeatures + oxidation_slot(v)] = 1.0f;
    // rows[118] stays zero: the [MASK] node carries no element information.
  }
};
const FeatureTable& table() {
  static const FeatureTable t;
  return t;
}
}  // namespace

const std::array<float, kNodeFeatureDim>& element_features(int idx) {
  return table().rows.at(static_cast<std::size_t>(idx));
}

std::array<std::array<double, 2>, kNumScalarFeatures> element_feature_moments() {
  return table().moments;
}

void gaussian_expansion(float d, float* out) {
  // GaussBasisExpansion.from_bounds(32, 0, 8.0): mu = linspace(0, 8, 33)[1:], sigma = 0.5.
  for (int k = 0; k < kNumGaussians; ++k) {
    const float mu = 0.25f * static_cast<float>(k + 1);
    const float z = d - mu;
    out[k] = std::exp(-z * z / (2.0f * 0.25f));
  }
}

}  // namespace cast
