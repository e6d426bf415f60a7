// What every reader fuzz target (and the regression replay in tests/test_fuzz_regressions.cpp)
// does with one input: read it with one reader, then work every structure that comes out through
// the layers after it (symmetry, neighbours, formula). Accepted input and a clean refusal
// (InputError) return normally; anything else (another exception, a crash, a sanitizer report,
// a structure out of a reader that fails check_structure) is a bug.
#pragma once
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/file_io.hpp"
#include "crystal/neighbors.hpp"
#include "crystal/readers.hpp"
#include "crystal/symmetry.hpp"

namespace cast::fuzz {

enum class Reader { Cif, Poscar, PymatgenJson, MpJsonl, Matbench, IdProp };

inline const char* reader_name(Reader r) {
  switch (r) {
    case Reader::Cif: return "cif";
    case Reader::Poscar: return "poscar";
    case Reader::PymatgenJson: return "pymatgen_json";
    case Reader::MpJsonl: return "mp_jsonl";
    case Reader::Matbench: return "matbench";
    case Reader::IdProp: return "id_prop";
  }
  return "?";
}

[[noreturn]] inline void bug(const std::string& what) {
  std::fprintf(stderr, "fuzz: %s\n", what.c_str());
  std::abort();
}

// A folder for id_prop.csv inputs: two structure files the csv lines can name.
inline const std::string& id_prop_folder() {
  static const std::string dir = [] {
    std::string d = "/tmp/cast-fuzz-idprop-" + std::to_string(::getpid());
    make_directories(d);
    write_file_atomic(d + "/nacl.cif",
                      "data_NaCl\n_cell_length_a 5.64\n_cell_length_b 5.64\n_cell_length_c 5.64\n"
                      "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
                      "_symmetry_space_group_name_H-M 'F m -3 m'\nloop_\n_atom_site_label\n_atom_site_type_symbol\n"
                      "_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nNa1 Na 0 0 0\nCl1 Cl 0.5 0.5 0.5\n");
    write_file_atomic(d + "/mp-149.vasp",
                      "Si\n1.0\n0 2.7155 2.7155\n2.7155 0 2.7155\n2.7155 2.7155 0\nSi\n2\nDirect\n0 0 0\n0.25 0.25 0.25\n");
    return d;
  }();
  return dir;
}

// The layers after a reader, on one structure it accepted. Work is bounded by size so that one
// input stays well under the fuzzer's 10 s timeout.
inline void exercise(const Structure& s) {
  const std::string why = structure_invalid(s);
  if (!why.empty()) bug("a reader let out a structure that fails check_structure: " + why);
  (void)reduced_formula(s);
  (void)iupac_formula(s);
  (void)s.has_partial_occupancy();
  try {
    SymmetryOptions fast;
    fast.fast = true;
    if (s.size() <= 2000) {
      SymmetryInfo info = analyze_symmetry(s, fast);
      if (info.equivalent_atoms.size() != s.size()) bug("equivalent_atoms has the wrong size");
      (void)asymmetric_unit(info.equivalent_atoms);
    }
    // Not the full path (spglib's own dataset): spglib 2.0.2 with angle_tolerance 5 spends
    // 10-20 s on some distorted cells (regressions/cif/spglib-slow-angle-tolerance.cif); that is
    // spglib's search, fed only validated, finite input, and not what datasets use.
    if (s.size() <= 2000) (void)k_nearest_neighbors(s, 0);
    if (s.size() <= 100) (void)structure_problem(s);
  } catch (const InputError&) {
    // A search refused for its work bound: a clean error, as for a reader.
  }
}

inline std::size_t run_one(Reader r, const std::string& text) {
  std::vector<Entry> entries;
  ReadOptions one;
  one.threads = 1;
  try {
    switch (r) {
      case Reader::Cif: entries = parse_cif(text, "fuzz.cif"); break;
      case Reader::Poscar: {
        Entry e;
        e.structure = parse_poscar(text, "POSCAR-fuzz");
        e.ok = true;
        entries.push_back(std::move(e));
        break;
      }
      case Reader::PymatgenJson: {
        Entry e;
        e.structure = parse_pymatgen_structure(text, "fuzz.json");
        e.ok = true;
        entries.push_back(std::move(e));
        break;
      }
      case Reader::MpJsonl: entries = parse_json_lines(text, "fuzz.jsonl", one); break;
      case Reader::Matbench: entries = parse_json_entries(text, "fuzz.json", one); break;
      case Reader::IdProp: {
        const std::string& dir = id_prop_folder();
        (void)parse_id_prop(text, dir + "/id_prop.csv");
        write_file_atomic(dir + "/id_prop.csv", text);
        entries = read_entries(dir, one);
        break;
      }
    }
  } catch (const InputError&) {
    return 0;  // the input as a whole refused, with a message
  }
  std::size_t ok = 0;
  for (const auto& e : entries) {
    if (!e.ok) {
      if (e.error.empty()) bug("an entry is neither read nor given an error");
      continue;
    }
    // id_prop.csv lines can only name the two fixed files of the folder: working the same
    // structure again for every line finds nothing new and costs the fuzzer its speed.
    if (r != Reader::IdProp || ok < 2) exercise(e.structure);
    ++ok;
  }
  return ok;
}

}  // namespace cast::fuzz
