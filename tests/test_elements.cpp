#include <catch2/catch.hpp>
#include <cmath>

#include "crystal/elements.hpp"
#include "graph/node_features.hpp"

using namespace cast;

TEST_CASE("element table holds the 118 elements with pymatgen's values") {
  // Values from pymatgen 2022.11 periodic_table.json.
  CHECK(std::string(element(8).symbol) == "O");
  CHECK(element(8).mass == Approx(15.9994));
  CHECK(element(8).electronegativity == Approx(3.44));
  CHECK(element(8).covalent_radius == Approx(0.66));   // Cordero et al. 2008
  CHECK(element(118).mass == Approx(294.0));           // pymatgen's 2949 is a typo
  CHECK(element(11).ionization_energy == Approx(5.139).epsilon(1e-3));
  CHECK(std::string(element(118).symbol) == "Og");
  CHECK(std::isnan(element(2).electronegativity));  // He has no Pauling value
  CHECK_THROWS(element(0));
  CHECK_THROWS(element(119));
}

TEST_CASE("symbols, decorated species and unknown names") {
  CHECK(atomic_number("Fe") == 26);
  CHECK(atomic_number("FE") == 26);
  CHECK(atomic_number("Fe2+") == 26);
  CHECK(atomic_number("O2-") == 8);
  CHECK(atomic_number("Li+") == 3);
  CHECK(atomic_number("Xq") == 0);
  CHECK(atomic_number("") == 0);
  CHECK(atomic_number("Fe2+x") == 0);
  CHECK(is_noble_gas(54));
  CHECK_FALSE(is_noble_gas(53));
}

TEST_CASE("oxidation-state slots follow kgcnn's (v - 7) mod 14 (SPEC 1.2)") {
  CHECK(oxidation_slot(-4) == 3);
  CHECK(oxidation_slot(-1) == 6);
  CHECK(oxidation_slot(0) == 7);
  CHECK(oxidation_slot(1) == 8);
  CHECK(oxidation_slot(6) == 13);
  CHECK(oxidation_slot(7) == 0);
  CHECK(oxidation_slot(9) == 2);
}

TEST_CASE("element features: z-scored scalars, multi-hot, and an empty [MASK] row") {
  auto m = element_feature_moments();
  // kgcnn's PubChem table gives mass mean 146.54, std 89.77 (SPEC 1.2); pymatgen's masses
  // differ only for a few superheavy elements.
  CHECK(m[0][0] == Approx(146.54).epsilon(0.01));
  CHECK(m[0][1] == Approx(89.77).epsilon(0.02));
  const auto& o = element_features(element_index(8));
  CHECK(o[kNumScalarFeatures + oxidation_slot(-2)] == 1.0f);
  CHECK(o[kNumScalarFeatures + oxidation_slot(2)] == 0.0f);
  CHECK(o[2] > 1.0f);  // oxygen is far above the mean electronegativity
  for (float x : element_features(kMaskElementIndex)) CHECK(x == 0.0f);
}

TEST_CASE("Gaussian distance expansion: 32 centres 0.25..8 A, sigma 0.5") {
  float g[kNumGaussians];
  gaussian_expansion(2.0f, g);
  CHECK(g[7] == Approx(1.0f));                          // centre 8 * 0.25 = 2.0
  CHECK(g[8] == Approx(std::exp(-0.0625 / 0.5)));       // (2.25 - 2)^2 / (2 * 0.25)
  CHECK(g[0] == Approx(std::exp(-(1.75 * 1.75) / 0.5)));
}
