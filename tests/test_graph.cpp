#include <catch2/catch.hpp>
#include <cmath>
#include <numeric>

#include "crystal/readers.hpp"
#include "graph/crystal_graph.hpp"
#include "test_support.hpp"

using namespace cast;

TEST_CASE("rock salt graph: two asymmetric-unit nodes of multiplicity 4, 26 in-edges each") {
  auto f = featurize_structure(read_structure(fixture("NaCl-Fm-3m-225.cif")));
  CHECK(f.symmetry.number == 225);
  CHECK(f.symmetry.symbol == "Fm-3m");
  const auto& g = f.graph;
  REQUIRE(g.num_nodes() == 2);
  CHECK(g.multiplicity == std::vector<int>{4, 4});
  CHECK(g.num_edges() == 52);
  // Node 0 is Na: its 6 nearest neighbours are Cl (node 1), the next 12 Na (node 0).
  const int na = g.Z[0] == 11 ? 0 : 1;
  int cl_first6 = 0, same_next12 = 0;
  for (std::size_t e = 0; e < g.num_edges(); ++e) {
    if (g.edge_dst[e] != na) continue;
    std::size_t rank = e - (na == 0 ? 0 : 26);
    if (rank < 6) cl_first6 += g.edge_src[e] != na;
    else if (rank < 18) same_next12 += g.edge_src[e] == na;
  }
  CHECK(cl_first6 == 6);
  CHECK(same_next12 == 12);
}

TEST_CASE("rutile: Ti 2a and O 4f give 2 nodes with multiplicities 2 and 4") {
  auto f = featurize_structure(read_structure(fixture("TiO2-rutile-P4_2mnm-136.cif")));
  CHECK(f.symmetry.number == 136);
  CHECK(f.symmetry.symbol == "P4_2/mnm");
  CHECK(f.graph.Z == std::vector<int>{22, 8});
  CHECK(f.graph.multiplicity == std::vector<int>{2, 4});
  // Ti-O: 4 equatorial at 1.949 Å and 2 apical at 1.980 Å for x = 0.3048.
  CHECK(f.knn_distances[0][0] == Approx(1.9489).epsilon(1e-3));
  CHECK(f.knn_distances[0][5] == Approx(1.9802).epsilon(1e-3));
}

TEST_CASE("without symmetry every site is a node; the multiplicity sum is the cell size") {
  Structure s = read_structure(fixture("Si-Fd-3m-227.cif"));
  GraphOptions o;
  o.use_symmetry = false;
  auto plain = featurize_structure(s, o);
  auto asu = featurize_structure(s);
  REQUIRE(plain.graph.num_nodes() == 8);
  REQUIRE(asu.graph.num_nodes() == 1);
  CHECK(std::accumulate(asu.graph.multiplicity.begin(), asu.graph.multiplicity.end(), 0) == 8);
  // Every site of diamond has the same shells: the ASU node's edges equal each full-cell node's.
  for (std::size_t n = 0; n < 8; ++n)
    for (std::size_t k = 0; k < asu.knn_distances[0].size(); ++k)
      CHECK(plain.knn_distances[n][k] == Approx(asu.knn_distances[0][k]));
}

TEST_CASE("edge offsets point from the sender image to the receiver and have the edge's length") {
  GraphOptions o;
  o.keep_offsets = true;
  auto f = featurize_structure(read_structure(fixture("POSCAR-Si-primitive-227")), o);
  CHECK(f.symmetry.number == 227);  // spglib on a 60-degree primitive cell
  CHECK(f.symmetry.symbol == "Fd-3m");
  REQUIRE(f.graph.edge_offset.size() == 3 * f.graph.num_edges());
  for (std::size_t e = 0; e < f.graph.num_edges(); ++e) {
    const float* v = &f.graph.edge_offset[3 * e];
    CHECK(std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]) == Approx(f.graph.edge_distance[e]).epsilon(1e-5));
  }
  // 4 nearest at a*sqrt(3)/4 = 2.3517 Å, then 12 at a/sqrt(2) = 3.8403 Å, then 12 at 4.5032 Å.
  CHECK(f.knn_distances[0][3] == Approx(2.3517).epsilon(1e-4));
  CHECK(f.knn_distances[0][4] == Approx(3.8403).epsilon(1e-4));
  CHECK(f.knn_distances[0].size() == 28);  // 4 + 12 + 12: the third shell is tied at the 24th
}
