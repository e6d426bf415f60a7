// Regression tests of issue 18's crystal defects: readers that refuse rather than guess, the
// Structure boundary (nothing non-finite or unbounded reaches spglib or the neighbour search),
// and the same space group for a crystal in any basis. Each case names the defect it pins.
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/file_io.hpp"
#include "crystal/neighbors.hpp"
#include "crystal/readers.hpp"
#include "crystal/symmetry.hpp"
#include "graph/crystal_graph.hpp"
#include "test_support.hpp"

using namespace cast;
using Catch::Matchers::Contains;

namespace {

// The same crystal in another basis: rows(new) = P · rows(old), sites at the same Cartesian positions.
Structure in_basis(const Structure& s, const std::array<std::array<int, 3>, 3>& P) {
  Mat3 rows{};
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c)
      rows[r][c] = P[r][0] * s.lattice.m[0][c] + P[r][1] * s.lattice.m[1][c] + P[r][2] * s.lattice.m[2][c];
  Structure out;
  out.id = s.id;
  out.lattice = Lattice(rows);
  for (std::size_t i = 0; i < s.size(); ++i) {
    Site site = s.sites[i];
    site.frac = out.lattice.to_frac(s.cart(i));
    out.sites.push_back(site);
  }
  return out;
}

// b' = b + 11 a: the angle between a and b' is about 5 degrees (fcc written in a skewed basis).
const std::array<std::array<int, 3>, 3> kSkew5{{{1, 0, 0}, {11, 1, 0}, {0, 0, 1}}};

Structure supercell(const Structure& s, int nx, int ny, int nz) {
  Structure out;
  out.id = s.id;
  Mat3 rows = s.lattice.m;
  for (int k = 0; k < 3; ++k) {
    rows[0][k] *= nx;
    rows[1][k] *= ny;
    rows[2][k] *= nz;
  }
  out.lattice = Lattice(rows);
  for (int x = 0; x < nx; ++x)
    for (int y = 0; y < ny; ++y)
      for (int z = 0; z < nz; ++z)
        for (const auto& site : s.sites) {
          Site t = site;
          t.frac = {(site.frac[0] + x) / nx, (site.frac[1] + y) / ny, (site.frac[2] + z) / nz};
          out.sites.push_back(t);
        }
  return out;
}

int spacegroup(const Structure& s, bool fast) {
  SymmetryOptions o;
  o.fast = fast;
  return analyze_symmetry(s, o).number;
}

Structure fcc_cu() {
  Structure s;
  s.id = "Cu";
  s.lattice = Lattice::from_parameters(3.61, 3.61, 3.61, 90, 90, 90);
  for (const Vec3& f : {Vec3{0, 0, 0}, Vec3{0.5, 0.5, 0}, Vec3{0.5, 0, 0.5}, Vec3{0, 0.5, 0.5}}) s.add_site(29, f);
  return s;
}

}  // namespace

// ---------------------------------------------------------------- readers refuse
TEST_CASE("issue 18: a '?' or '0.0O000000' coordinate is an error naming the file, tag and site") {
  for (const char* f : {"bad/NaCl-question-mark-coordinate.cif", "bad/NaCl-typo-coordinate.cif"}) {
    INFO(f);
    CHECK_THROWS_WITH(read_structure(fixture(f)),
                      Contains(f) && Contains("_atom_site_fract_y") && Contains("site 'Cl1'"));
    auto v = read_entries(fixture(f));
    REQUIRE(v.size() == 1);
    CHECK_FALSE(v[0].ok);
  }
  CHECK_THROWS_WITH(read_structure(fixture("bad/NaCl-typo-coordinate.cif")), Contains("'0.0O000000' is not a number"));
  CHECK_THROWS_WITH(read_structure(fixture("bad/NaCl-question-mark-coordinate.cif")), Contains("unknown"));
}

TEST_CASE("issue 18: a misspelt cell tag is an error naming the missing tag and the misspelling") {
  CHECK_THROWS_WITH(read_structure(fixture("bad/NaCl-misspelt-cell-tag.cif")),
                    Contains("missing _cell_length_b") && Contains("_cell_lenght_b") && Contains("misspelt"));
}

TEST_CASE("issue 18: an element typo is refused, not repaired (Cx is not C)") {
  CHECK_THROWS_WITH(read_structure(fixture("bad/NaCl-element-typo.cif")),
                    Contains("unknown element 'Cx'") && Contains("site 'Cl1'"));
  // Labels without a type symbol still give their element ("Na1", "Cl1a").
  std::string cif = read_file(fixture("NaCl-Fm-3m-225.cif"));
  auto pos = cif.find("_atom_site_type_symbol\n");
  cif.erase(pos, std::string("_atom_site_type_symbol\n").size());
  cif.replace(cif.find("Na1 Na "), 7, "Na1 ");
  cif.replace(cif.find("Cl1 Cl "), 7, "Cl1a ");
  auto v = parse_cif(cif, "labels.cif");
  REQUIRE(v[0].ok);
  CHECK(reduced_formula(v[0].structure) == "NaCl");
}

TEST_CASE("issue 18: CIF cells that cannot exist are refused") {
  std::string cif = read_file(fixture("NaCl-Fm-3m-225.cif"));
  auto with = [&](const std::string& from, const std::string& to) {
    std::string t = cif;
    t.replace(t.find(from), from.size(), to);
    return parse_cif(t, "x.cif").at(0);
  };
  std::string bad_angles = cif;
  bad_angles.replace(bad_angles.find("_cell_angle_alpha 90"), 20, "_cell_angle_alpha 30");
  bad_angles.replace(bad_angles.find("_cell_angle_beta 90"), 19, "_cell_angle_beta 30");  // 30 + 30 < 90
  CHECK_THAT(parse_cif(bad_angles, "x.cif").at(0).error, Contains("do not form a cell"));
  CHECK_THAT(with("_cell_length_c 5.64", "_cell_length_c -5.64").error, Contains("positive"));
  CHECK_THAT(with("_cell_length_c 5.64", "_cell_length_c ?").error, Contains("_cell_length_c is '?'"));
  CHECK_THAT(with("Na1 Na 0 0 0", "Na1 Na 1e10 0 0").error, Contains("far outside the cell"));
}

TEST_CASE("issue 18: POSCAR counts, numbers and symbols are checked before anything is allocated") {
  const std::string head = "x\n1.0\n3 0 0\n0 3 0\n0 0 3\nCu\n";
  CHECK_THROWS_WITH(parse_poscar(head + "1e10\nDirect\n0 0 0\n", "POSCAR-big"),
                    Contains("POSCAR-big:7") && Contains("'1e10' is not a whole number"));
  CHECK_THROWS_WITH(parse_poscar(head + "99999999\nDirect\n0 0 0\n", "POSCAR-many"), Contains("limit"));
  CHECK_THROWS_WITH(parse_poscar(head + "1\nDirect\n0 nan 0\n", "POSCAR-nan"), Contains("POSCAR-nan:9") && Contains("'nan'"));
  CHECK_THROWS_WITH(parse_poscar(head + "1\nDirect\n0 0.0O0 0\n", "POSCAR-typo"), Contains("'0.0O0' is not a number"));
  CHECK_THROWS_WITH(parse_poscar("x\n1.0\n3 0 0\n0 3 0\n0 0 3\nCx\n1\nDirect\n0 0 0\n", "POSCAR-cx"),
                    Contains("unknown element 'Cx'"));
  CHECK_THROWS_WITH(parse_poscar("x\n0\n3 0 0\n0 3 0\n0 0 3\nCu\n1\nDirect\n0 0 0\n", "POSCAR-scale"),
                    Contains("scale factor 0"));
  CHECK_THROWS_WITH(read_structure(fixture("bad/POSCAR-zero-volume")), Contains("zero cell volume"));
  CHECK_NOTHROW(parse_poscar(head + "1\nDirect\n0 0 0\n", "POSCAR-ok"));
}

TEST_CASE("issue 18: pymatgen JSON occupancies, oxidation states and numbers are range-checked") {
  auto doc = [](const std::string& species) {
    return R"({"lattice": {"matrix": [[3,0,0],[0,3,0],[0,0,3]]}, "sites": [{"species": [)" + species +
           R"(], "abc": [0,0,0]}]})";
  };
  CHECK_THROWS_WITH(parse_pymatgen_structure(doc(R"({"element": "Cu", "occu": 1e308})"), "a.json"), Contains("occupancy"));
  CHECK_THROWS_WITH(parse_pymatgen_structure(doc(R"({"element": "Cu", "occu": "x"})"), "a.json"), Contains("'occu' must be a number"));
  CHECK_THROWS_WITH(parse_pymatgen_structure(doc(R"({"element": "Cu", "oxidation_state": 1e300})"), "a.json"),
                    Contains("oxidation state"));
  CHECK_THROWS_WITH(parse_pymatgen_structure(doc(R"({"element": "Cx"})"), "a.json"), Contains("unknown element 'Cx'"));
  CHECK_THROWS_WITH(parse_pymatgen_structure(
                        R"({"lattice": {"matrix": [[3,0,0],[0,3,0],[0,0,1e400]]}, "sites": [{"species": [{"element": "Cu"}], "abc": [0,0,0]}]})",
                        "inf.json"),
                    Contains("inf.json"));
  CHECK_NOTHROW(parse_pymatgen_structure(doc(R"({"element": "Cu", "occu": 1, "oxidation_state": 1})"), "ok.json"));
}

TEST_CASE("issue 18: a MatBench file whose index is not an array is an InputError naming the file") {
  CHECK_THROWS_WITH(read_entries(fixture("bad/matbench-index-not-array.json")),
                    Contains("matbench-index-not-array.json") && Contains("'index' must be an array"));
  CHECK_THROWS_AS(read_entries(fixture("bad/matbench-index-not-array.json")), InputError);
}

// ---------------------------------------------------------------- folders
TEST_CASE("issue 18: id_prop.csv ids with or without extension, POSCAR names, any format") {
  auto v = read_entries(fixture("idprop_mixed"));
  REQUIRE(v.size() == 5);
  for (const auto& e : v) {
    INFO(e.where << " " << e.error);
    CHECK(e.ok);
  }
  CHECK(v[0].id == "mp-149");
  CHECK(v[0].structure.size() == 2);
  CHECK(v[0].values.at("target") == 0.61);
  CHECK_THAT(v[0].file, Contains("idprop_mixed/mp-149.vasp"));
  CHECK(v[1].id == "nacl");
  CHECK(v[1].structure.size() == 8);
  CHECK(v[2].id == "nacl");  // the same file named without its extension
  CHECK_THAT(v[2].file, Contains("idprop_mixed/nacl.cif"));
  CHECK(v[3].id == "POSCAR-HoP");
  CHECK(v[4].id == "mp-149");  // "mp-149" finds mp-149.vasp
  // A missing file names the file, the csv line and what was tried.
  auto w = parse_id_prop("nope.vasp,1\n../etc/passwd,2\nx,nan\n", "/tmp/id_prop.csv");
  REQUIRE(w.size() == 3);
  CHECK(w[0].error.empty());
  CHECK_THAT(w[1].error, Contains("outside the folder"));
  CHECK_THAT(w[2].error, Contains("/tmp/id_prop.csv:3") && Contains("not a number"));
}

TEST_CASE("issue 18: a plain folder of structure files, one of them empty, is a dataset") {
  auto v = read_entries(fixture("plain_folder"));
  REQUIRE(v.size() == 4);  // README.txt is not a structure file
  CHECK(v[0].id == "Si");
  CHECK(v[0].ok);
  CHECK(v[1].id == "empty");
  CHECK_FALSE(v[1].ok);
  CHECK_THAT(v[1].error, Contains("empty.cif"));
  CHECK_THAT(v[1].file, Contains("plain_folder/empty.cif"));
  CHECK(v[2].id == "rocksalt");  // from the file name, not the data_ line
  CHECK(v[2].texts.at("block") == "NaCl");
  CHECK(v[2].structure.size() == 8);
  CHECK_THAT(v[2].file, Contains("plain_folder/rocksalt.cif"));
  CHECK(v[3].id == "rutile");
  CHECK(v[3].ok);
}

// ---------------------------------------------------------------- the Structure boundary
TEST_CASE("issue 18: non-finite, out-of-range and degenerate structures are refused at the boundary") {
  Structure ok;
  ok.lattice = Lattice::from_parameters(3, 3, 3, 90, 90, 90);
  ok.add_site(29, {0, 0, 0});
  CHECK(structure_invalid(ok).empty());

  Structure nan_axis = ok;
  nan_axis.lattice = Lattice(Mat3{Vec3{3, 0, 0}, Vec3{0, NAN, 0}, Vec3{0, 0, 3}});
  CHECK_THAT(structure_invalid(nan_axis), Contains("not a finite number"));
  CHECK_THROWS_AS(analyze_symmetry(nan_axis), InputError);
  CHECK_THROWS_AS(k_nearest_neighbors(nan_axis, 0), InputError);  // not 60 rounds of growth

  Structure nan_coord = ok;
  nan_coord.sites[0].frac[1] = NAN;
  CHECK_THAT(structure_invalid(nan_coord), Contains("fractional coordinate"));
  CHECK_THROWS_AS(analyze_symmetry(nan_coord), InputError);
  CHECK_THROWS_AS(k_nearest_neighbors(nan_coord, 0), InputError);

  Structure far = ok;  // 2^31: the integer image loop never ended
  far.sites[0].frac[0] = 2147483648.0;
  CHECK_THAT(structure_invalid(far), Contains("out of range"));
  CHECK_THROWS_AS(k_nearest_neighbors(far, 0), InputError);
  // A coordinate a few cells out is legal and gives the same shells.
  Structure shifted = ok;
  shifted.sites[0].frac = {1000.0, -3.0, 7.0};
  auto a = k_nearest_neighbors(ok, 0), b = k_nearest_neighbors(shifted, 0);
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i].distance == Approx(b[i].distance));

  Structure flat = ok;  // volume 1e-5 A^3 passed the old 1e-6 guard
  flat.lattice = Lattice(Mat3{Vec3{3, 0, 0}, Vec3{0, 3, 0}, Vec3{0, 0, 1e-5 / 9}});
  CHECK_THAT(structure_invalid(flat), Contains("zero cell volume"));
  CHECK_THROWS_AS(analyze_symmetry(flat), InputError);

  Structure huge = ok;
  huge.lattice = Lattice(Mat3{Vec3{3, 0, 0}, Vec3{0, 3, 0}, Vec3{0, 0, HUGE_VAL}});
  CHECK_FALSE(structure_invalid(huge).empty());

  Structure occ = ok;
  occ.sites[0].species[0].occupancy = 1e308;
  CHECK_THAT(structure_invalid(occ), Contains("occupancy"));
  CHECK_NOTHROW(reduced_formula(occ));  // no integer overflow in the formula either

  Structure many;
  many.lattice = Lattice::from_parameters(300, 300, 300, 90, 90, 90);
  for (int i = 0; i < 10001; ++i) many.add_site(1, {i / 10001.0, 0.5, 0.5});
  CHECK_THAT(structure_invalid(many), Contains("more than the limit"));
}

// ---------------------------------------------------------------- symmetry and neighbours
TEST_CASE("issue 18: two atoms of the rarest element on one position: a clean refusal, no spglib crash") {
  Structure s = read_structure(fixture("NaCl-Fm-3m-225.cif"));
  s.add_site(11, s.sites[0].frac);  // Na now has 5 atoms, Cl 4: make Na the rarest
  s.sites.erase(s.sites.begin() + 1);
  for (bool fast : {true, false}) {
    SymmetryOptions o;
    o.fast = fast;
    SymmetryInfo info = analyze_symmetry(s, o);
    CHECK_FALSE(info.found);
    CHECK_THAT(info.error, Contains("one position"));
  }
  CHECK_THAT(structure_problem(s), Contains("overlapping atoms"));
}

TEST_CASE("issue 18: skewed, flat and elongated cells: no crash, bounded, ops never over 48") {
  Structure slab;  // 3 x 3 x 500 A
  slab.lattice = Lattice::from_parameters(3, 3, 500, 90, 90, 90);
  slab.add_site(29, {0, 0, 0});
  slab.add_site(29, {0.5, 0.5, 0.003});
  Structure needle;  // a 1,000 A needle
  needle.lattice = Lattice::from_parameters(3, 3, 1000, 90, 90, 90);
  needle.add_site(6, {0, 0, 0});
  Structure acute;  // every angle 10 degrees
  acute.lattice = Lattice::from_parameters(4, 4, 4, 10, 10, 10);
  acute.add_site(29, {0, 0, 0});
  Structure one_degree = acute;  // 1 degree angles: nearly flat, refused cleanly
  one_degree.lattice = Lattice::from_parameters(4, 4, 4, 1, 1, 1);
  for (const Structure* s : {&slab, &needle, &acute, &one_degree}) {
    std::string why = structure_invalid(*s);
    if (!why.empty()) {
      CHECK_THROWS_AS(analyze_symmetry(*s), InputError);
      continue;
    }
    for (bool fast : {true, false}) {
      SymmetryOptions o;
      o.fast = fast;
      CHECK(analyze_symmetry(*s, o).number >= 1);
    }
    CHECK(find_symmetry_operations(*s).size() <= 48 * s->size());
    CHECK(k_nearest_neighbors(*s, 0).size() >= 24);
  }
  CHECK_FALSE(structure_invalid(one_degree).empty());
}

TEST_CASE("issue 18: the same crystal in a 5-degree-skewed basis and as a supercell gets spglib's space group") {
  Structure nacl = read_structure(fixture("NaCl-Fm-3m-225.cif"));
  Structure cu = fcc_cu();
  for (const Structure* s : {&nacl, &cu}) {
    INFO(s->id);
    const Structure skewed = in_basis(*s, kSkew5);
    CHECK(skewed.lattice.angles_deg()[2] < 6.0);
    for (bool fast : {true, false}) {
      INFO("fast " << fast);
      CHECK(spacegroup(*s, fast) == 225);
      CHECK(spacegroup(skewed, fast) == 225);
      CHECK(spacegroup(supercell(*s, 2, 2, 2), fast) == 225);
      CHECK(spacegroup(supercell(*s, 2, 1, 1), fast) == 225);
      CHECK(spacegroup(in_basis(supercell(*s, 2, 1, 1), kSkew5), fast) == 225);
    }
    // The operations found in the skewed basis are those of the crystal: 48 x 4 centrings.
    CHECK(find_symmetry_operations(skewed).size() == 192);
    // The graph (asymmetric unit, shells) does not depend on the basis either.
    FeaturizedStructure a = featurize_structure(*s), b = featurize_structure(skewed);
    CHECK(a.graph.multiplicity == b.graph.multiplicity);
    REQUIRE(a.knn_distances.size() == b.knn_distances.size());
    for (std::size_t n = 0; n < a.knn_distances.size(); ++n) {
      REQUIRE(a.knn_distances[n].size() == b.knn_distances[n].size());
      for (std::size_t k = 0; k < a.knn_distances[n].size(); ++k)
        CHECK(a.knn_distances[n][k] == Approx(b.knn_distances[n][k]));
    }
  }
}

TEST_CASE("symmetrized positions: a rock salt shaken within symprec becomes exactly cubic again") {
  Structure nacl = read_structure(fixture("NaCl-Fm-3m-225.cif"));
  // A conventional cell (8 sites), shaken by up to 1 mÅ a coordinate and its a axis stretched by 0.02%.
  Structure shaken = nacl;
  const auto p = shaken.lattice.m;
  Mat3 rows = p;
  for (auto& x : rows[0]) x *= 1.0002;
  shaken.lattice = Lattice(rows);
  for (std::size_t i = 0; i < shaken.sites.size(); ++i)
    for (std::size_t r = 0; r < 3; ++r)
      shaken.sites[i].frac[r] += 0.001 / 5.64 * std::sin(1.7 * static_cast<double>(3 * i + r + 1));
  REQUIRE(spacegroup(shaken, true) == 225);
  const Structure ideal = symmetrized_positions(shaken);
  REQUIRE(ideal.sites.size() == shaken.sites.size());
  CHECK(spacegroup(ideal, true) == 225);
  // Cubic metric: equal axes, right angles.
  const auto len = ideal.lattice.lengths();
  const auto ang = ideal.lattice.angles_deg();
  CHECK(len[0] == Approx(len[1]).epsilon(1e-12));
  CHECK(len[0] == Approx(len[2]).epsilon(1e-12));
  for (double a : ang) CHECK(a == Approx(90.0).epsilon(1e-12));
  // Every Na-Cl nearest distance equal, and half the cube edge.
  for (std::size_t i = 0; i < ideal.sites.size(); ++i) {
    double dmin = 1e9;
    for (std::size_t j = 0; j < ideal.sites.size(); ++j)
      if (ideal.sites[j].Z != ideal.sites[i].Z)
        for (int a = -1; a <= 1; ++a)
          for (int b = -1; b <= 1; ++b)
            for (int c = -1; c <= 1; ++c) {
              Vec3 f = ideal.sites[j].frac;
              f[0] += a;
              f[1] += b;
              f[2] += c;
              const Vec3 x = ideal.lattice.to_cart(f), y = ideal.cart(i);
              dmin = std::min(dmin, std::sqrt((x[0] - y[0]) * (x[0] - y[0]) + (x[1] - y[1]) * (x[1] - y[1]) +
                                              (x[2] - y[2]) * (x[2] - y[2])));
            }
    CHECK(dmin == Approx(len[0] / 2).epsilon(1e-9));
    // Moved by less than symprec, and kept in its periodic image.
    const Vec3 moved{ideal.sites[i].frac[0] - shaken.sites[i].frac[0], ideal.sites[i].frac[1] - shaken.sites[i].frac[1],
                     ideal.sites[i].frac[2] - shaken.sites[i].frac[2]};
    for (double m : moved) CHECK(std::fabs(m) * len[0] < 0.01);
  }
  // Once symmetric, it stays as it is.
  const Structure again = symmetrized_positions(ideal);
  for (std::size_t i = 0; i < ideal.sites.size(); ++i)
    for (std::size_t r = 0; r < 3; ++r) CHECK(again.sites[i].frac[r] == Approx(ideal.sites[i].frac[r]).margin(1e-12));
  // No symmetry beyond the identity: nothing moves.
  Structure p1;
  p1.lattice = Lattice::from_parameters(4.1, 5.3, 6.7, 81, 97, 103);
  p1.add_site(3, {0.11, 0.23, 0.37});
  p1.add_site(8, {0.52, 0.61, 0.05});
  p1.add_site(19, {0.83, 0.02, 0.71});
  REQUIRE(spacegroup(p1, true) == 1);
  const Structure same = symmetrized_positions(p1);
  for (std::size_t i = 0; i < p1.sites.size(); ++i) CHECK(same.sites[i].frac == p1.sites[i].frac);
  CHECK(same.lattice.m == p1.lattice.m);
}

TEST_CASE("issue 18: 120 MP structures in a skewed basis and as supercells keep spglib's space group") {
  const std::string rel = "fixtures/structure_ref/mp_structures_ref.jsonl.gz";
  REQUIRE_SHARED(rel);
  int n = 0;
  for_each_line(shared_dir() + "/" + rel, [&](std::string&& line, std::size_t) {
    auto ref = nlohmann::json::parse(line);
    const std::string id = ref["material_id"];
    INFO(id);
    const int number = ref["spacegroup_number"].get<int>();  // spglib 2.0.2, symprec 0.01
    Structure s = parse_pymatgen_structure(ref["structure"].dump(), id);
    const Structure skewed = in_basis(s, kSkew5);
    CHECK(spacegroup(skewed, true) == number);
    CHECK(spacegroup(skewed, false) == number);
    if (s.size() <= 20) CHECK(spacegroup(supercell(s, 2, 1, 1), true) == number);
    ++n;
    return true;
  });
  CHECK(n == 120);
}

TEST_CASE("issue 18: a perfect 1,000-atom Si supercell and a 300-site Fm-3m CIF are bounded") {
  Structure si = supercell(read_structure(fixture("Si-Fd-3m-227.cif")), 5, 5, 5);
  REQUIRE(si.size() == 1000);
  SymmetryOptions fast;
  fast.fast = true;
  SymmetryInfo info = analyze_symmetry(si, fast);
  CHECK(info.number == 227);
  GraphOptions go;
  go.symmetry.fast = true;
  FeaturizedStructure f = featurize_structure(si, go);
  CHECK(f.graph.num_nodes() == 1);
  CHECK(f.graph.multiplicity[0] == 1000);

  // 300 general positions of Fm-3m: 57,600 atoms after expansion, over the site limit.
  std::string cif = "data_big\n_cell_length_a 40\n_cell_length_b 40\n_cell_length_c 40\n"
                    "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
                    "_symmetry_space_group_name_H-M 'F m -3 m'\nloop_\n_atom_site_label\n_atom_site_type_symbol\n"
                    "_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n";
  for (int i = 0; i < 300; ++i) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "C%d C %.5f %.5f %.5f\n", i, 0.011 + 0.0013 * i, 0.023 + 0.0007 * i, 0.037 + 0.0003 * i);
    cif += buf;
  }
  auto v = parse_cif(cif, "big.cif");
  REQUIRE(v.size() == 1);
  CHECK_FALSE(v[0].ok);
  CHECK_THAT(v[0].error, Contains("limit"));
  // 40 of them: several thousand atoms, read (sites sharing positions found through a grid).
  std::string small = cif.substr(0, cif.find("C40 "));
  auto w = parse_cif(small, "40.cif");
  REQUIRE(w[0].ok);
  CHECK(w[0].structure.size() > 40 * 48);
  CHECK(w[0].structure.size() <= 40 * 192);
}
