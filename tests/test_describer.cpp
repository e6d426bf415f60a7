// The describer against robocrys's own example texts (SPEC §6.4) and its failure modes.
#include <catch2/catch.hpp>

#include "crystal/readers.hpp"
#include "test_support.hpp"
#include "text/describer.hpp"
#include "text/description_check.hpp"

using namespace cast;
using namespace cast::text;
using Catch::Matchers::Contains;

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "crystal/elements.hpp"

#include "text/minerals.hpp"

// Tests of mineral names need pymatgen's prototype library (installed by scripts/setup.sh).
#define REQUIRE_MINERALS()                                                                             \
  do {                                                                                                 \
    if (!MineralLibrary::shared()) {                                                                   \
      WARN("skipped: no AFLOW prototype library (install python3-pymatgen or set CAST_AFLOW_PROTOTYPES)"); \
      return;                                                                                          \
    }                                                                                                  \
  } while (0)

namespace {
// Bond lengths depend on the cell we were given: compare texts with every "d.dd" replaced.
std::string without_lengths(const std::string& t) { return std::regex_replace(t, std::regex(R"(\d+\.\d\d)"), "#"); }
}  // namespace

TEST_CASE("SrTiO3: the whole text equals robocrys's (SPEC 6.4 b) up to the cell's bond lengths", "[describer]") {
  REQUIRE_MINERALS();
  DescriberOptions o;
  o.style = DescriptionStyle::Ascii;
  auto d = describe_structure(read_structure(fixture("SrTiO3-Pm-3m-221.cif")), o);
  REQUIRE(d.ok);
  const std::string robocrys =
      "SrTiO3 is (Cubic) Perovskite structured and crystallizes in the cubic Pm-3m space group. Sr(1)2+ is bonded to "
      "twelve equivalent O(1)2- atoms to form SrO12 cuboctahedra that share corners with twelve equivalent Sr(1)O12 "
      "cuboctahedra, faces with six equivalent Sr(1)O12 cuboctahedra, and faces with eight equivalent Ti(1)O6 "
      "octahedra. All Sr(1)-O(1) bond lengths are 2.77 Å. Ti(1)4+ is bonded to six equivalent O(1)2- atoms to form "
      "TiO6 octahedra that share corners with six equivalent Ti(1)O6 octahedra and faces with eight equivalent "
      "Sr(1)O12 cuboctahedra. The corner-sharing octahedra are not tilted. All Ti(1)-O(1) bond lengths are 1.96 Å. "
      "O(1)2- is bonded in a distorted linear geometry to four equivalent Sr(1)2+ and two equivalent Ti(1)4+ atoms.";
  CHECK(without_lengths(d.text) == without_lengths(robocrys));
}

TEST_CASE("mineral names from the AFLOW prototypes: rutile, rock salt, diamond; none without the library", "[describer]") {
  REQUIRE_MINERALS();
  DescriberOptions o;
  o.style = DescriptionStyle::Ascii;
  CHECK_THAT(describe_structure(read_structure(fixture("TiO2-rutile-P4_2mnm-136.cif")), o).text,
             Contains("TiO2 is Rutile structured and crystallizes in"));  // SPEC 6.4 a (SnO2)
  CHECK_THAT(describe_structure(read_structure(fixture("NaCl-Fm-3m-225.cif")), o).text,
             Contains("NaCl is Halite, Rock Salt structured and crystallizes in"));
  CHECK_THAT(describe_structure(read_structure(fixture("Si-Fd-3m-227.cif")), o).text,
             Contains("Si is diamond structured and crystallizes in"));
  o.minerals = false;
  CHECK_THAT(describe_structure(read_structure(fixture("NaCl-Fm-3m-225.cif")), o).text,
             Contains("NaCl crystallizes in the cubic Fm-3m space group."));
}

TEST_CASE("a corrupt prototype library is an error naming the file", "[describer]") {
  const std::string path = "/tmp/cast-test-bad-aflow.json";
  write_file_atomic(path, "{not json");
  CHECK_THROWS_WITH(MineralLibrary::load(path), Contains(path) && Contains("CAST_AFLOW_PROTOTYPES"));
}

TEST_CASE("SrTiO3 in ascii style: robocrys's sentences, polyhedra, sharing and tilts (SPEC 6.4 b)", "[describer]") {
  DescriberOptions o;
  o.style = DescriptionStyle::Ascii;
  auto d = describe_structure(read_structure(fixture("SrTiO3-Pm-3m-221.cif")), o);
  REQUIRE(d.ok);
  // Sentences shared word for word with robocrys's output for this structure.
  CHECK_THAT(d.text, Contains("crystallizes in the cubic Pm-3m space group."));
  CHECK_THAT(d.text, Contains("Sr(1)2+ is bonded to twelve equivalent O(1)2- atoms to form SrO12 cuboctahedra that share "
                              "corners with twelve equivalent Sr(1)O12 cuboctahedra, faces with six equivalent Sr(1)O12 "
                              "cuboctahedra, and faces with eight equivalent Ti(1)O6 octahedra."));
  CHECK_THAT(d.text, Contains("Ti(1)4+ is bonded to six equivalent O(1)2- atoms to form TiO6 octahedra that share corners "
                              "with six equivalent Ti(1)O6 octahedra and faces with eight equivalent Sr(1)O12 cuboctahedra."));
  CHECK_THAT(d.text, Contains("The corner-sharing octahedra are not tilted."));
  CHECK_THAT(d.text, Contains("All Ti(1)-O(1) bond lengths are 1.95 Å."));  // a = 3.905 Å here
  CHECK_THAT(d.text, Contains("to four equivalent Sr(1)2+ and two equivalent Ti(1)4+ atoms."));
}

TEST_CASE("rutile: the SnO2 sentence pattern of robocrys's README (SPEC 6.4 a)", "[describer]") {
  DescriberOptions o;
  o.style = DescriptionStyle::Ascii;
  o.minerals = false;  // the mineral clause has its own test
  auto d = describe_structure(read_structure(fixture("TiO2-rutile-P4_2mnm-136.cif")), o);
  REQUIRE(d.ok);
  CHECK_THAT(d.text, Contains("TiO2 crystallizes in the tetragonal P4_2/mnm space group."));
  CHECK_THAT(d.text, Contains("Ti(1)4+ is bonded to six equivalent O(1)2- atoms to form a mixture of edge and "
                              "corner-sharing TiO6 octahedra."));
  // SnO2 in the README is "trigonal planar"; for this TiO2 cell pymatgen's fingerprint gives a likeness
  // of 0.54 (tests/fixtures/order_params_pymatgen.json), under robocrys's 0.6: "distorted".
  CHECK_THAT(d.text, Contains("O(1)2- is bonded in a distorted trigonal planar geometry to three equivalent Ti(1)4+ atoms."));
  // Rutile's octahedral tilt, 180 - Ti-O-Ti: robocrys reports 51° for SnO2; TiO2 (x = 0.3048) gives 49°.
  CHECK_THAT(d.text, Contains("The corner-sharing octahedral tilt angles are 49°."));
}

TEST_CASE("mp style: Unicode formula, charges and space group as the Materials Project serves them", "[describer]") {
  DescriberOptions o;
  o.minerals = false;
  auto d = describe_structure(read_structure(fixture("TiO2-rutile-P4_2mnm-136.cif")), o);
  REQUIRE(d.ok);
  CHECK_THAT(d.text, Contains("TiO₂ crystallizes in the tetragonal P4₂/mnm space group."));
  CHECK_THAT(d.text, Contains("Ti⁴⁺ is bonded to six equivalent O²⁻ atoms"));
  auto f = extract_facts(d.text);
  CHECK(f.formula == "TiO2");
  CHECK(f.spacegroup == "P42/mnm");  // "_" dropped: robocrys writes P4_2, the MP P4₂
  CHECK(f.coordination["Ti"] == std::vector<int>{6});
  CHECK(f.coordination["O"] == std::vector<int>{3});
}

TEST_CASE("describer failures are reasons, never crashes", "[describer]") {
  auto disordered = read_structure(fixture("bad/partial-occupancy.cif"));
  CHECK_THAT(describe_structure(disordered).reason, Contains("partial occupancy"));
  Structure xe;
  xe.lattice = Lattice::from_parameters(6, 6, 6, 90, 90, 90);
  xe.add_site(54, {0, 0, 0});
  CHECK_THAT(describe_structure(xe).reason, Contains("noble gas Xe"));
  Structure big;
  big.lattice = Lattice::from_parameters(40, 40, 40, 90, 90, 90);
  for (int i = 0; i < 501; ++i) big.add_site(6, {i / 501.0, 0.3, 0.3});
  CHECK_THAT(describe_structure(big).reason, Contains("501 sites"));
  // An isolated atom in a big box still gets a description (its nearest images).
  Structure lone;
  lone.lattice = Lattice::from_parameters(12, 12, 12, 90, 90, 90);
  lone.add_site(26, {0.5, 0.5, 0.5});
  DescriberOptions ascii;
  ascii.style = DescriptionStyle::Ascii;
  auto d = describe_structure(lone, ascii);
  CHECK(d.ok);
  // One atom in a cubic box is simple cubic: alpha Po's prototype (StructureMatcher scales the
  // volume), as robocrys names it.
  CHECK_THAT(d.text, Contains("Fe is alpha Po structured and crystallizes in the cubic Pm-3m space group."));
  CHECK_THAT(d.text, Contains("Fe(1) is not bonded to any other atom."));
  // A structure that takes too long is given up with a reason (here: a limit no structure meets).
  DescriberOptions hurried;
  hurried.time_limit_s = 1e-12;
  auto slow = describe_structure(read_structure(fixture("SrTiO3-Pm-3m-221.cif")), hurried);
  CHECK_FALSE(slow.ok);
  CHECK_THAT(slow.reason, Contains("time limit per structure"));
}

TEST_CASE("fact extraction reads the Materials Project's own wording", "[describer]") {
  const std::string mp =
      "LiSn(PO₃)₄ crystallizes in the monoclinic P2₁/c space group. Li¹⁺ is bonded in a 3-coordinate geometry to "
      "three O²⁻ atoms. There are a spread of Li-O bond distances ranging from 1.93-2.58 Å. There are four "
      "inequivalent P⁵⁺ sites. In the first P⁵⁺ site, P⁵⁺ is bonded to four O²⁻ atoms to form PO₄ tetrahedra that "
      "share corners with two equivalent SnO₇ pentagonal bipyramids and corners with two PO₄ tetrahedra. The "
      "corner-sharing octahedral tilt angles range from 53-64°.";
  auto f = extract_facts(mp);
  CHECK(f.formula == "LiSn(PO3)4");
  CHECK(f.spacegroup == "P21/c");
  CHECK(f.crystal_system == "monoclinic");
  CHECK(f.coordination["Li"] == std::vector<int>{3});
  CHECK(f.coordination["P"] == std::vector<int>{4});
  CHECK(f.shapes["P"] == std::vector<std::string>{"tetrahedra"});
  CHECK(f.inequivalent_sites["P"] == 4);
  CHECK(f.bond_lengths == std::vector<double>{1.93, 2.58});
  CHECK(f.tilt_angles == std::vector<double>{53, 64});
}

TEST_CASE("dimensionality: molecules, chains and frameworks from the bonded graph", "[describer]") {
  DescriberOptions o;
  o.style = DescriptionStyle::Ascii;
  o.oxidation_states = false;
  // A Cl2 molecule alone in a 10 Å box: zero-dimensional.
  Structure mol;
  mol.lattice = Lattice::from_parameters(10, 10, 10, 90, 90, 90);
  mol.add_site(17, {0.0, 0.0, 0.0});
  mol.add_site(17, {0.2, 0.0, 0.0});
  auto d0 = describe_structure(mol, o);
  REQUIRE(d0.ok);
  CHECK_THAT(d0.text, Contains("The structure is zero-dimensional and consists of one Cl cluster."));
  // A carbon chain along a (1.5 Å apart, 10 Å between chains): one-dimensional along (1, 0, 0).
  Structure chain;
  chain.lattice = Lattice::from_parameters(1.5, 10, 10, 90, 90, 90);
  chain.add_site(6, {0.0, 0.5, 0.5});
  auto d1 = describe_structure(chain, o);
  REQUIRE(d1.ok);
  CHECK_THAT(d1.text, Contains("The structure is one-dimensional and consists of one C ribbon oriented in the (1, 0, 0) direction."));
  // Rock salt is a three-dimensional framework: no dimensionality sentence.
  auto d3 = describe_structure(read_structure(fixture("NaCl-Fm-3m-225.cif")), o);
  CHECK_THAT(d3.text, !Contains("-dimensional"));
}

// ---- The mp style against pymatgen and the Materials Project's served texts (issue 17) ----
// Fixtures: tests/fixtures/describer/make_fixtures.py (python3-pymatgen 2022.11, run by hand).
namespace {
std::vector<nlohmann::json> fixture_lines(const std::string& name) {
  std::vector<nlohmann::json> out;
  std::ifstream in(fixture("describer/" + name));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

// The MP development texts the describer fixtures point into by material id (their structures
// and served descriptions are read from the shared data, not copied into the repository).
constexpr const char* kDevTexts = "data/text/mp_robocrys_li_oxides.dev.jsonl.gz";
std::map<std::string, Entry> dev_entries() {
  std::map<std::string, Entry> out;
  for (auto& e : read_entries(shared_dir() + "/" + kDevTexts)) out.emplace(e.id, std::move(e));
  return out;
}

// Our mp-style texts of the entries scored against their served ones, sentence by sentence and
// fact by fact.
std::pair<TextScores, FactScores> score_against_served(const std::vector<const Entry*>& entries) {
  TextScores words;
  FactScores facts;
  for (const Entry* e : entries) {
    INFO(e->id);
    REQUIRE(e->ok);
    const auto d = describe_structure(e->structure);
    REQUIRE(d.ok);
    const std::string& served = e->texts.at("description");
    words.add(d.text, served);
    facts.add(extract_facts(d.text), extract_facts(served));
  }
  return {words, facts};
}
}  // namespace

TEST_CASE("mp style oxidation states are pymatgen's BVAnalyzer and oxi_state_guesses", "[describer]") {
  REQUIRE_SHARED(kDevTexts);
  const auto lines = fixture_lines("oxidation.jsonl");
  REQUIRE(lines.size() >= 30);
  const auto dev = dev_entries();
  std::size_t bva_found = 0, guesses = 0;
  for (const auto& j : lines) {
    // The hand-built structures (GaAs, ...) carry their own; the MP ones come from the dev file.
    const std::string id = j["material_id"].get<std::string>();
    const bool own = j.contains("structure");
    if (!own) REQUIRE(dev.count(id) == 1);
    const Structure s = own ? parse_pymatgen_structure(j["structure"].dump(), id) : dev.at(id).structure;
    INFO(j["material_id"].get<std::string>());
    const auto bva = bond_valence_states(s);
    if (j["bva"].is_null()) {
      CHECK(bva.empty());
    } else {
      CHECK(bva == j["bva"].get<std::vector<int>>());
      ++bva_found;
    }
    const auto guess = oxidation_state_guess(s);
    if (j["guess"].is_null()) {
      CHECK(guess.empty());
    } else {
      REQUIRE(guess.size() == s.sites.size());
      for (std::size_t i = 0; i < s.sites.size(); ++i)
        CHECK(guess[i] == Approx(j["guess"][element(s.sites[i].Z).symbol].get<double>()));
      ++guesses;
    }
  }
  CHECK(bva_found >= 20);
  CHECK(guesses >= 20);
  // GaAs: Ga³⁺ / As³⁻ both ways (cast's common-state guess used to say Ga²⁺ / As²⁻).
  const Structure gaas = parse_pymatgen_structure(lines[0]["structure"].dump(), "GaAs");
  REQUIRE(lines[0]["material_id"] == "GaAs");
  for (std::size_t i = 0; i < gaas.sites.size(); ++i)
    CHECK(bond_valence_states(gaas)[i] == (gaas.sites[i].Z == 31 ? 3 : -3));
  const auto text = describe_structure(gaas).text;
  CHECK_THAT(text, Contains("Ga³⁺") && Contains("As³⁻"));
}

TEST_CASE("mp style writes the Materials Project's served texts word for word", "[describer]") {
  REQUIRE_SHARED(kDevTexts);
  const auto dev = dev_entries();
  std::vector<const Entry*> entries;
  std::ifstream ids(fixture("describer/served_ids.txt"));
  for (std::string id; std::getline(ids, id);)
    if (!id.empty() && id[0] != '#') {
      INFO(id);
      REQUIRE(dev.count(id) == 1);
      entries.push_back(&dev.at(id));
    }
  REQUIRE(entries.size() == 30);
  const auto [words, facts] = score_against_served(entries);
  // Measured 24 / 30 identical, 96.8% of the served sentences verbatim when written; the rest
  // differ where MP described an older relaxation or robocrys's set order is random.
  CHECK(words.identical >= 22);
  CHECK(words.verbatim_rate() >= 0.95);
  CHECK(facts.rate("formula") >= 0.97);
  CHECK(facts.rate("coordination numbers") >= 0.97);
}

TEST_CASE("mp style on all 1,000 development texts: issue 17's word and fact rates", "[describer]") {
  // The served texts are the truth. Measured when written: identical 82.2%, verbatim 96.5%,
  // bond lengths 98.3%, tilt angles 99.1%, inequivalent sites 97.7% (before the positions were
  // made exactly symmetric: 80.9, 94.6, 96.7, 93.7 and 96.6). With Voronoi facets measured by
  // their corners and molecules matched as points: identical 85.3%, verbatim 97.1%, mineral
  // clause 99.7%, the served mineral named the same 133 of 136 (97.8%).
  REQUIRE_SHARED(kDevTexts);
  const auto dev = dev_entries();
  REQUIRE(dev.size() == 1000);
  std::vector<const Entry*> all;
  for (const auto& kv : dev) all.push_back(&kv.second);
  const auto [words, facts] = score_against_served(all);
  CHECK(words.identical >= 800);
  CHECK(words.verbatim_rate() >= 0.95);
  for (const char* k : {"formula", "crystal system", "dimensionality", "space-group clause", "connectivity words",
                        "coordination numbers", "geometry/polyhedron names", "bond lengths (0.01 A)",
                        "inequivalent sites", "tilt angles (1 deg)", "mineral clause", "served mineral, same name"}) {
    INFO(k);
    CHECK(facts.rate(k) >= 0.97);
  }
}

TEST_CASE("word-for-word scores: sentences, kinds, the first difference", "[describer]") {
  const std::string served =
      "LiSn(PO₃)₄ crystallizes in the monoclinic P2₁/c space group. Li¹⁺ is bonded in a 3-coordinate geometry to three "
      "O²⁻ atoms. There are a spread of Li-O bond distances ranging from 1.93-2.58 Å. There are four inequivalent P⁵⁺ sites. "
      "In the first P⁵⁺ site, P⁵⁺ is bonded to four O²⁻ atoms to form PO₄ tetrahedra that share  a cornercorner with one "
      "SnO₇ pentagonal bipyramid and corners with two PO₄ tetrahedra.";
  const auto parts = split_sentences(served);
  REQUIRE(parts.size() == 5);
  CHECK(sentence_kind(parts[0]) == "formula and space group");
  CHECK(sentence_kind(parts[1]) == "site geometry");
  CHECK(sentence_kind(parts[2]) == "bond lengths");
  CHECK(sentence_kind(parts[3]) == "inequivalent sites");
  CHECK(sentence_kind(parts[4]) == "polyhedral site");
  TextScores w;
  CHECK(w.add(served, served).first.empty());
  std::string ours = served;
  ours.replace(ours.find("1.93"), 4, "1.94");
  const auto first = w.add(ours, served);
  CHECK(first.first == parts[2]);
  CHECK(w.identical == 1);
  CHECK(w.texts == 2);
  CHECK(w.verbatim_rate() == Approx(9.0 / 10.0));
  CHECK(w.sentences["bond lengths"] == std::make_pair<std::size_t, std::size_t>(1, 2));
}
