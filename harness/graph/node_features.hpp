// coGN input features that depend only on the element and the distance (SPEC §1.2):
//   per element: the embedding index Z-1 (118 = [MASK]), four z-scored scalars (mass, atomic
//   radius in pm, Pauling electronegativity, first ionisation energy) and a 14-slot
//   oxidation-state multi-hot (state v sets slot (v-7) mod 14);
//   per edge: 32 Gaussians, centres 0.25..8 Å, sigma 0.5 Å, no cutoff.
// Element values come from pymatgen's table (not kgcnn's PubChem CSV; see DEVIATIONS.md);
// missing values are imputed with the column mean before z-scoring over the 118 elements
// (pandas std, ddof = 1), as kgcnn does.
#pragma once
#include <array>

namespace cast {

constexpr int kMaskElementIndex = 118;
constexpr int kNumScalarFeatures = 4;
constexpr int kNumOxidationSlots = 14;
constexpr int kNodeFeatureDim = kNumScalarFeatures + kNumOxidationSlots;  // 18
constexpr int kNumGaussians = 32;

// Embedding index of an element: Z - 1.
inline int element_index(int Z) { return Z - 1; }

// The 18 non-embedding features of element index `idx` (0..117); index 118 ([MASK]) is zeros.
const std::array<float, kNodeFeatureDim>& element_features(int idx);

// Mean and std (ddof 1) used for the z-scores, in the order mass, radius, EN, IE.
std::array<std::array<double, 2>, kNumScalarFeatures> element_feature_moments();

inline int oxidation_slot(int v) { return ((v - 7) % 14 + 14) % 14; }

void gaussian_expansion(float distance, float* out /* kNumGaussians */);

}  // namespace cast
