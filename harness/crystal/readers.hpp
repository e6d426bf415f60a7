// Structure readers, chosen by extension and content; gzip is transparent everywhere.
//   CIF (gemmi small-molecule CIF; symmetry operations expanded; one entry per data block)
//   POSCAR / CONTCAR (VASP 4 and 5)
//   pymatgen Structure.as_dict() JSON (full or compact form), or a document holding one
//   MP summary documents .jsonl[.gz]: one document a line, material_id as id
//   MatBench pandas-split JSON .json[.gz]: {"index", "columns", "data"}, index as id
//   a folder with id_prop.csv and <id>.cif files (CGCNN / ALIGNN convention)
// A dataset reader never throws for one bad entry: the entry carries the error instead.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "crystal/structure.hpp"

namespace cast {

enum class SourceFormat { Auto, Cif, Poscar, PymatgenJson, MpDocuments, Matbench, CifFolder };
const char* format_name(SourceFormat f);

struct Entry {
  std::string id;
  std::string where;   // "file:line 12", "file[index 7]", "dir/mp-1.cif": for messages
  bool ok = false;     // structure read
  Structure structure;
  std::string error;   // why not ok
  std::map<std::string, double> values;       // numeric fields, nested keys joined by '.'
  std::map<std::string, std::string> texts;   // string fields (e.g. description, formula)
};

struct ReadOptions {
  SourceFormat format = SourceFormat::Auto;
  std::size_t limit = 0;   // 0 = all entries
  unsigned threads = 0;    // parse in parallel (0 = hardware)
  bool progress = false;
};

SourceFormat detect_format(const std::string& path);

// Every entry of a file or folder; unreadable entries have ok == false and an error.
// Throws InputError only when the file as a whole cannot be read.
std::vector<Entry> read_entries(const std::string& path, const ReadOptions& opt = {});

// Exactly one structure, or throws InputError naming the file.
Structure read_structure(const std::string& path);

// Parsers over text already in memory (`name` is used in messages and as default id).
std::vector<Entry> parse_cif(const std::string& text, const std::string& name);
Structure parse_poscar(const std::string& text, const std::string& name);
Structure parse_pymatgen_structure(const std::string& json_text, const std::string& name);

}  // namespace cast
