// The acceptance test of the crystal layer: every structure of
// ../shared/fixtures/structure_ref/mp_structures_ref.jsonl.gz against what pymatgen 2022.11 and
// spglib 2.0.2 (symprec 0.01) say about it.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/file_io.hpp"
#include "crystal/readers.hpp"
#include "graph/crystal_graph.hpp"
#include "test_support.hpp"

using namespace cast;

TEST_CASE("120 MP structures: symmetry, asymmetric unit, formula and 24-NN shells equal the reference") {
  const std::string rel = "fixtures/structure_ref/mp_structures_ref.jsonl.gz";
  REQUIRE_SHARED(rel);
  int n = 0, cif_checked = 0;
  for_each_line(shared_dir() + "/" + rel, [&](std::string&& line, std::size_t) {
    auto ref = nlohmann::json::parse(line);
    const std::string id = ref["material_id"];
    INFO(id);
    Structure s = parse_pymatgen_structure(ref["structure"].dump(), id);
    FeaturizedStructure f = featurize_structure(s);
    CHECK(f.formula == ref["formula"].get<std::string>());
    CHECK(f.nsites == ref["nsites"].get<int>());
    CHECK(f.symmetry.number == ref["spacegroup_number"].get<int>());
    CHECK(f.symmetry.symbol == ref["spacegroup_symbol"].get<std::string>());
    CHECK(f.symmetry.crystal_system == ref["crystal_system"].get<std::string>());
    CHECK(f.symmetry.equivalent_atoms == ref["equivalent_atoms"].get<std::vector<int>>());
    CHECK(f.graph.site == ref["asu_sites"].get<std::vector<int>>());
    CHECK(f.graph.multiplicity == ref["asu_multiplicity"].get<std::vector<int>>());
    std::string wy(f.symmetry.wyckoffs.begin(), f.symmetry.wyckoffs.end());
    std::string wy_ref;
    for (const auto& w : ref["wyckoffs"]) wy_ref += w.get<std::string>();
    CHECK(wy == wy_ref);
    // knn24 is given per site of the cell; our nodes are the asymmetric-unit sites.
    const auto& knn = ref["knn24"];
    REQUIRE(knn.size() == static_cast<std::size_t>(f.nsites));
    for (std::size_t node = 0; node < f.graph.num_nodes(); ++node) {
      const auto& r = knn[static_cast<std::size_t>(f.graph.site[node])];
      auto d24 = r["d24"].get<std::vector<double>>();
      const auto& ours = f.knn_distances[node];
      CHECK(ours.size() == r["n_with_ties"].get<std::size_t>());
      REQUIRE(ours.size() >= 24);
      for (std::size_t k = 0; k < 24; ++k) CHECK(std::fabs(ours[k] - d24[k]) < 1e-6);
    }
    // The fast symmetry path (datasets) gives the same asymmetric unit and space group.
    SymmetryOptions fast;
    fast.fast = true;
    SymmetryInfo fs = analyze_symmetry(s, fast);
    CHECK(fs.number == f.symmetry.number);
    CHECK(fs.symbol == f.symmetry.symbol);
    CHECK(fs.equivalent_atoms == f.symmetry.equivalent_atoms);
    // Every site, not only the asymmetric unit: the neighbour search is per site.
    for (std::size_t site = 0; site < static_cast<std::size_t>(f.nsites); ++site) {
      auto nb = k_nearest_neighbors(s, site);
      CHECK(nb.size() == knn[site]["n_with_ties"].get<std::size_t>());
    }
    // The same structure through the CIF reader (pymatgen's P1 CIF, 8 decimals).
    auto blocks = parse_cif(ref["cif"].get<std::string>(), id + ".cif");
    REQUIRE(blocks.size() == 1);
    REQUIRE(blocks[0].ok);
    CHECK(blocks[0].structure.size() == s.size());
    CHECK(analyze_symmetry(blocks[0].structure).number == f.symmetry.number);
    ++cif_checked;
    ++n;
    return true;
  });
  CHECK(n == 120);
  CHECK(cif_checked == 120);
}

TEST_CASE("fast symmetry path equals spglib's dataset on 1,000 MP structures") {
  const std::string rel = "data/mp/mp_legacy_36737.jsonl.gz";
  REQUIRE_SHARED(rel);
  ReadOptions ro;
  ro.limit = 1000;
  auto entries = read_entries(shared_dir() + "/" + rel, ro);
  SymmetryOptions fast;
  fast.fast = true;
  int compared = 0;
  for (const auto& e : entries) {
    REQUIRE(e.ok);
    INFO(e.id);
    SymmetryInfo a = analyze_symmetry(e.structure, fast);
    SymmetryInfo b = analyze_symmetry(e.structure);
    CHECK(a.number == b.number);
    CHECK(a.equivalent_atoms == b.equivalent_atoms);
    ++compared;
  }
  CHECK(compared == 1000);
}
