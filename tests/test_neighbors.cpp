#include <catch2/catch.hpp>
#include <cmath>

#include "crystal/neighbors.hpp"
#include "crystal/readers.hpp"
#include "test_support.hpp"

using namespace cast;

TEST_CASE("rock salt shells: 6 at a/2, 12 at a/sqrt2, 8 at a*sqrt3/2") {
  Structure s = read_structure(fixture("NaCl-Fm-3m-225.cif"));
  auto nb = k_nearest_neighbors(s, 0);
  // 24th neighbour lies in the third shell of 8: ties keep all 26.
  REQUIRE(nb.size() == 26);
  const double a = 5.64;
  for (int i = 0; i < 6; ++i) CHECK(nb[i].distance == Approx(a / 2));
  for (int i = 6; i < 18; ++i) CHECK(nb[i].distance == Approx(a / std::sqrt(2.0)));
  for (int i = 18; i < 26; ++i) CHECK(nb[i].distance == Approx(a * std::sqrt(3.0) / 2));
  // Offsets point from the neighbour image to the centre and have the edge's length.
  for (const auto& x : nb)
    CHECK(std::sqrt(x.offset[0] * x.offset[0] + x.offset[1] * x.offset[1] + x.offset[2] * x.offset[2]) ==
          Approx(x.distance));
}

TEST_CASE("a cell far smaller than the search radius: one atom, many images") {
  Structure s;
  s.lattice = Lattice::from_parameters(2.0, 2.0, 2.0, 90, 90, 90);
  s.add_site(29, {0.3, 0.3, 0.3});
  auto nb = k_nearest_neighbors(s, 0);
  // Simple cubic: 6 at a, 12 at a*sqrt2, 8 at a*sqrt3 -> 26 with ties.
  REQUIRE(nb.size() == 26);
  CHECK(nb.front().distance == Approx(2.0));
  CHECK(nb.back().distance == Approx(2.0 * std::sqrt(3.0)));
  for (const auto& x : nb) CHECK(x.site == 0);
}

TEST_CASE("a skewed basis of the same crystal gives the same neighbour distances") {
  // Diamond Si in its 60-degree primitive cell vs the same lattice written with a strongly
  // sheared (unimodular) basis: a' = a, b' = b + 3a, c' = c - 2b + a.
  Structure p = read_structure(fixture("POSCAR-Si-primitive-227"));
  Structure q;
  const auto& m = p.lattice.m;
  Mat3 rows{};
  for (int k = 0; k < 3; ++k) {
    rows[0][k] = m[0][k];
    rows[1][k] = m[1][k] + 3 * m[0][k];
    rows[2][k] = m[2][k] - 2 * m[1][k] + m[0][k];
  }
  q.lattice = Lattice(rows);
  for (const auto& site : p.sites) q.add_site(site.Z, q.lattice.to_frac(p.cart(&site - &p.sites[0])));
  for (std::size_t i = 0; i < 2; ++i) {
    auto a = k_nearest_neighbors(p, i);
    auto b = k_nearest_neighbors(q, i);
    REQUIRE(a.size() == b.size());
    for (std::size_t j = 0; j < a.size(); ++j) CHECK(a[j].distance == Approx(b[j].distance).margin(1e-9));
  }
  auto nb = k_nearest_neighbors(p, 0);
  CHECK(nb[0].distance == Approx(5.431 * std::sqrt(3.0) / 4));  // 2.3517 Å
  CHECK(shortest_distance(p) == Approx(5.431 * std::sqrt(3.0) / 4));
}

TEST_CASE("images are in the input basis however skewed it is and wherever the sites lie") {
  // The search runs in the Delaunay-reduced basis; each reported image T must still satisfy
  // offset = cart(centre) - cart(frac_neighbour + T) in the input basis.
  Structure p = read_structure(fixture("POSCAR-Si-primitive-227"));
  Structure q;
  const auto& m = p.lattice.m;
  Mat3 rows{};
  for (int k = 0; k < 3; ++k) {
    rows[0][k] = m[0][k];
    rows[1][k] = m[1][k] + 11 * m[0][k];  // a 5-degree angle between a and b
    rows[2][k] = m[2][k] - 2 * m[1][k] + m[0][k];
  }
  q.lattice = Lattice(rows);
  for (std::size_t i = 0; i < p.size(); ++i) {
    Vec3 f = q.lattice.to_frac(p.cart(i));
    f[0] += 7;  // far outside the cell
    f[2] -= 3;
    q.add_site(p.sites[i].Z, f);
  }
  for (std::size_t c = 0; c < q.size(); ++c) {
    auto nb = k_nearest_neighbors(q, c);
    REQUIRE(nb.size() >= 24);
    CHECK(nb[0].distance == Approx(5.431 * std::sqrt(3.0) / 4));
    for (const auto& x : nb) {
      const auto& f = q.sites[static_cast<std::size_t>(x.site)].frac;
      Vec3 img{f[0] + x.image[0], f[1] + x.image[1], f[2] + x.image[2]};
      Vec3 a = q.cart(c), b = q.lattice.to_cart(img);
      for (int k = 0; k < 3; ++k) CHECK(x.offset[k] == Approx(a[k] - b[k]).margin(1e-8));
    }
  }
}
