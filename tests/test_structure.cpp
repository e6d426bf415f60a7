#include <catch2/catch.hpp>

#include "crystal/elements.hpp"
#include "crystal/structure.hpp"

using namespace cast;

TEST_CASE("lattice from parameters: volume and round trips") {
  Lattice L = Lattice::from_parameters(4.0, 5.0, 6.0, 80.0, 95.0, 110.0);
  auto len = L.lengths();
  CHECK(len[0] == Approx(4.0));
  CHECK(len[2] == Approx(6.0));
  auto ang = L.angles_deg();
  CHECK(ang[0] == Approx(80.0));
  CHECK(ang[1] == Approx(95.0));
  CHECK(ang[2] == Approx(110.0));
  Vec3 f{0.1, 0.7, -0.3};
  Vec3 back = L.to_frac(L.to_cart(f));
  for (int i = 0; i < 3; ++i) CHECK(back[i] == Approx(f[i]).margin(1e-12));
  CHECK(Lattice::from_parameters(3, 3, 3, 90, 90, 90).volume() == Approx(27.0));
}

TEST_CASE("reduced formulas follow pymatgen's ordering, gcd and polyanion grouping") {
  auto make = [](std::vector<std::pair<const char*, int>> amounts) {
    Structure s;
    s.lattice = Lattice::from_parameters(10, 10, 10, 90, 90, 90);
    double x = 0;
    for (auto [sym, n] : amounts)
      for (int i = 0; i < n; ++i) s.add_site(atomic_number(sym), {x += 0.01, 0, 0});
    return s;
  };
  CHECK(reduced_formula(make({{"Cl", 4}, {"Na", 4}})) == "NaCl");
  CHECK(reduced_formula(make({{"O", 4}, {"Ti", 2}})) == "TiO2");
  // Pymatgen examples (see tests/test_structure_ref.cpp for 120 more, from the fixture).
  CHECK(reduced_formula(make({{"Ba", 1}, {"Al", 2}, {"Te", 4}})) == "Ba(AlTe2)2");
  CHECK(reduced_formula(make({{"Li", 2}, {"Fe", 6}, {"P", 6}, {"H", 4}, {"O", 24}})) == "LiFe3P3(HO6)2");
}
