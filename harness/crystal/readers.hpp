// Structure readers, chosen by extension and content; gzip is transparent everywhere.
//   CIF (gemmi small-molecule CIF; symmetry operations expanded; one entry per data block)
//   POSCAR / CONTCAR (VASP 4 and 5)
//   pymatgen Structure.as_dict() JSON (full or compact form), or a document holding one
//   MP summary documents .jsonl[.gz]: one document a line, material_id as id
//   MatBench pandas-split JSON .json[.gz]: {"index", "columns", "data"}, index as id
//   a folder with id_prop.csv (CGCNN / ALIGNN convention): "id,target" lines, the id a file of
//     the folder with or without its extension (mp-1, mp-1.cif, mp-1.vasp, POSCAR-x), any
//     format above
//   a plain folder of structure files (no id_prop.csv): one entry per file (per data block for
//     a multi-block CIF), the id from the file name, the CIF block name in texts["block"]
// A dataset reader never throws for one bad entry: the entry carries the error instead.
// Readers refuse rather than guess: a missing cell parameter, an unparsable or non-finite
// number, an unknown element symbol, a degenerate cell or a structure over StructureLimits is
// an error naming the file, the line or tag and what is wrong; every structure that comes out
// passed check_structure().
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
  std::string file;    // the file the entry was read from (in a folder, that structure's own file)
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
// parse_cif: one entry per data block (id = block name, also in texts["block"]).
std::vector<Entry> parse_cif(const std::string& text, const std::string& name);
Structure parse_poscar(const std::string& text, const std::string& name);
Structure parse_pymatgen_structure(const std::string& json_text, const std::string& name);
// A .json document: MatBench / pandas split, an array of documents, or one document.
// Throws InputError when the text as a whole is not such a document.
std::vector<Entry> parse_json_entries(const std::string& json_text, const std::string& name,
                                      const ReadOptions& opt = {});
// MP documents, one JSON object a line.
std::vector<Entry> parse_json_lines(const std::string& text, const std::string& name,
                                    const ReadOptions& opt = {});
// The lines of an id_prop.csv: id (entry id without a known extension), values["target"],
// `file` = the id as written (a name relative to the csv's folder); a bad line is an entry
// with an error. A first line whose target is not a number is a header and skipped.
std::vector<Entry> parse_id_prop(const std::string& csv_text, const std::string& csv_path,
                                 std::size_t limit = 0);

}  // namespace cast
