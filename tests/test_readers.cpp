#include <unistd.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cstdio>

#include "common/error.hpp"
#include "common/file_io.hpp"
#include "crystal/readers.hpp"
#include "test_support.hpp"

using namespace cast;
using Catch::Matchers::Contains;

TEST_CASE("CIF from the H-M symbol: rock salt expands to 8 sites") {
  Structure s = read_structure(fixture("NaCl-Fm-3m-225.cif"));
  CHECK(s.size() == 8);
  CHECK(s.lattice.volume() == Approx(5.64 * 5.64 * 5.64));
  int na = 0;
  for (const auto& site : s.sites) na += site.Z == 11;
  CHECK(na == 4);
  CHECK_FALSE(s.has_partial_occupancy());
}

TEST_CASE("CIF from an explicit symmetry-operation loop: diamond Si has 8 sites") {
  Structure s = read_structure(fixture("Si-Fd-3m-227.cif"));
  CHECK(s.size() == 8);
}

TEST_CASE("CIF with oxidation-decorated type symbols: rutile") {
  Structure s = read_structure(fixture("TiO2-rutile-P4_2mnm-136.cif"));
  REQUIRE(s.size() == 6);
  CHECK(reduced_formula(s) == "TiO2");
  CHECK(s.sites[0].species[0].oxidation_state == 4);
}

TEST_CASE("POSCAR, VASP 5 with a skewed cell") {
  Structure s = read_structure(fixture("POSCAR-Si-primitive-227"));
  CHECK(s.size() == 2);
  CHECK(s.lattice.volume() == Approx(5.431 * 5.431 * 5.431 / 4).epsilon(1e-4));
}

TEST_CASE("bad input gets a message naming the file and entry") {
  SECTION("truncated CIF") {
    CHECK_THROWS_WITH(read_structure(fixture("bad/truncated.cif")), Contains("truncated.cif"));
  }
  SECTION("unknown element") {
    CHECK_THROWS_WITH(read_structure(fixture("bad/POSCAR-unknown-element")),
                      Contains("POSCAR-unknown-element") && Contains("unknown element 'Xq'"));
  }
  SECTION("partial occupancy is detected, mixed sites merged") {
    Structure s = read_structure(fixture("bad/partial-occupancy.cif"));
    CHECK(s.has_partial_occupancy());
    CHECK(s.size() == 8);  // 4 mixed Na/K sites + 4 Cl
  }
  SECTION("overlapping atoms are reported by structure_problem; a zero volume by the reader") {
    CHECK_THAT(structure_problem(read_structure(fixture("bad/POSCAR-overlap"))), Contains("overlapping atoms"));
    CHECK_THROWS_WITH(read_structure(fixture("bad/POSCAR-zero-volume")),
                      Contains("POSCAR-zero-volume") && Contains("zero cell volume"));
  }
  SECTION("a missing file") {
    CHECK_THROWS_WITH(read_entries("/nonexistent/x.cif"), Contains("/nonexistent/x.cif"));
  }
}

TEST_CASE("JSON lines: each bad line becomes an entry error, the rest are read") {
  auto v = read_entries(fixture("bad/mixed-entries.jsonl"));
  REQUIRE(v.size() == 8);
  CHECK(v[0].ok);
  CHECK(v[0].id == "mp-ok");
  CHECK(v[0].values.at("band_gap") == 5.0);
  CHECK_FALSE(v[1].ok);
  CHECK_THAT(v[1].error, Contains("mixed-entries.jsonl:2") && Contains("not a JSON object"));
  CHECK_FALSE(v[2].ok);
  CHECK_THAT(v[2].error, Contains(":3") && Contains("invalid JSON"));
  CHECK_FALSE(v[3].ok);
  CHECK_THAT(v[3].error, Contains("unknown element 'Xq'"));
  CHECK(v[4].ok);  // overlap is a structure problem, found later
  CHECK(v[6].structure.has_partial_occupancy());
}

TEST_CASE("gzip is transparent and format detection looks at content") {
  CHECK(detect_format(fixture("NaCl-Fm-3m-225.cif")) == SourceFormat::Cif);
  CHECK(detect_format(fixture("POSCAR-Si-primitive-227")) == SourceFormat::Poscar);
  CHECK(detect_format(fixture("bad/mixed-entries.jsonl")) == SourceFormat::MpDocuments);
  CHECK(detect_format(fixture("")) == SourceFormat::CifFolder);
  // The same CIF gzipped, under a name without an extension: content sniffing plus gunzip.
  std::string text = read_file(fixture("NaCl-Fm-3m-225.cif"));
  std::string gz = "/tmp/cast-test-nacl-" + std::to_string(::getpid());
  gzFile f = gzopen(gz.c_str(), "wb");
  gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
  gzclose(f);
  CHECK(read_structure(gz).size() == 8);
  std::remove(gz.c_str());
}

TEST_CASE("MatBench split JSON and MP documents from ../shared") {
  REQUIRE_SHARED("data/matbench/matbench_log_gvrh.subset.json.gz");
  ReadOptions o;
  o.limit = 50;
  auto v = read_entries(shared_dir() + "/data/matbench/matbench_log_gvrh.subset.json.gz", o);
  REQUIRE(v.size() == 50);
  CHECK(v[0].ok);
  CHECK(v[0].id.rfind("mb-log-gvrh-", 0) == 0);
  CHECK(v[0].values.count("log10(G_VRH)") == 1);
  CHECK(v[0].texts.at("material_id").rfind("mp-", 0) == 0);
  auto docs = read_entries(shared_dir() + "/data/mp/mp_legacy_36737.jsonl.gz", o);
  REQUIRE(docs.size() == 50);
  CHECK(docs[0].id == "mp-1");
  CHECK(docs[0].ok);  // compact pymatgen form: no xyz, no lattice parameters
}

TEST_CASE("a CIF folder with id_prop.csv (CGCNN convention)") {
  auto v = read_entries(fixture("cif_folder"));
  REQUIRE(v.size() == 4);
  CHECK(v[0].ok);
  CHECK(v[0].id == "nacl");
  CHECK(v[0].values.at("target") == 5.0);
  CHECK(v[0].structure.size() == 8);
  CHECK(v[1].ok);
  CHECK(v[1].structure.size() == 6);
  CHECK_FALSE(v[2].ok);
  CHECK_THAT(v[2].error, Contains("missing.cif"));
  CHECK_FALSE(v[3].ok);
  CHECK_THAT(v[3].error, Contains("id_prop.csv:4") && Contains("not a number"));
}
