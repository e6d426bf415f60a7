// Structure readers (see readers.hpp). Each format is parsed strictly: a value that is missing,
// unparsable, non-finite or out of range is an error naming the file, the line or tag and the
// fix, and every structure passes check_structure() before it leaves the reader.
#include "crystal/readers.hpp"

#include <gemmi/cif.hpp>
#include <gemmi/smcif.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.hpp"
#include "common/file_io.hpp"
#include "common/progress.hpp"
#include "crystal/elements.hpp"

namespace cast {

using nlohmann::json;

const char* format_name(SourceFormat f) {
  switch (f) {
    case SourceFormat::Auto: return "auto";
    case SourceFormat::Cif: return "CIF";
    case SourceFormat::Poscar: return "POSCAR";
    case SourceFormat::PymatgenJson: return "pymatgen JSON";
    case SourceFormat::MpDocuments: return "MP documents (JSON lines)";
    case SourceFormat::Matbench: return "MatBench JSON";
    case SourceFormat::CifFolder: return "folder (id_prop.csv or structure files)";
  }
  return "?";
}

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string basename(const std::string& p) {
  auto k = p.find_last_of('/');
  return k == std::string::npos ? p : p.substr(k + 1);
}
// The file name without the extensions the readers know ("mp-1.cif.gz" -> "mp-1").
std::string strip_known_extension(std::string b) {
  for (const char* ext : {".gz", ".cif", ".mcif", ".json", ".jsonl", ".vasp", ".poscar"})
    if (ends_with(lower(b), ext)) b = b.substr(0, b.size() - std::string(ext).size());
  return b;
}
std::string stem(const std::string& p) { return strip_known_extension(basename(p)); }

// A name the readers recognise as a structure file (a plain folder reads only these).
bool is_structure_file_name(const std::string& name) {
  std::string b = lower(name);
  if (b.empty() || b[0] == '.') return false;
  if (b.rfind("poscar", 0) == 0 || b.rfind("contcar", 0) == 0) return true;
  if (ends_with(b, ".gz")) b = b.substr(0, b.size() - 3);
  for (const char* ext : {".cif", ".mcif", ".vasp", ".poscar", ".json", ".jsonl", ".ndjson"})
    if (ends_with(b, ext)) return true;
  return false;
}

// Strict element symbols: the letters before any digits or charge must be one element exactly
// ("Fe", "Fe2+", "O1a" as a label); "Cx" is refused, not read as C.
int strict_element(const std::string& sym) {
  std::size_t n = 0;
  while (n < sym.size() && std::isalpha(static_cast<unsigned char>(sym[n]))) ++n;
  if (n == 0 || n > 3) return 0;
  return atomic_number(sym.substr(0, n));
}

// A whole word as a finite number: "0.0O000000" and "1.5abc" are not numbers, nor are nan/inf.
bool parse_double(const std::string& w, double* out) {
  if (w.empty() || w.size() > 64) return false;
  char* end = nullptr;
  double v = std::strtod(w.c_str(), &end);
  if (end == w.c_str() || *end != '\0' || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

// ---------------------------------------------------------------- pymatgen JSON
double json_number(const json& v, const std::string& where, const std::string& what) {
  if (!v.is_number()) fail(where, ": '", what, "' must be a number");
  double x = v.get<double>();
  if (!std::isfinite(x)) fail(where, ": '", what, "' is not a finite number");
  return x;
}

Vec3 vec3(const json& a, const std::string& where, const char* what) {
  if (!a.is_array() || a.size() != 3) fail(where, ": '", what, "' must be an array of three numbers");
  Vec3 v{};
  for (std::size_t i = 0; i < 3; ++i) v[i] = json_number(a[i], where, what);
  return v;
}

Structure structure_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) fail(where, ": structure is not a JSON object");
  auto lat = j.find("lattice");
  if (lat == j.end() || !lat->is_object() || !lat->contains("matrix"))
    fail(where, ": structure has no lattice.matrix (expected pymatgen Structure.as_dict())");
  const json& mj = (*lat)["matrix"];
  if (!mj.is_array() || mj.size() != 3) fail(where, ": lattice.matrix must be 3x3");
  Mat3 m{};
  for (std::size_t i = 0; i < 3; ++i) m[i] = vec3(mj[i], where, "lattice.matrix row");
  Structure s;
  s.lattice = Lattice(m);
  auto sites = j.find("sites");
  if (sites == j.end() || !sites->is_array()) fail(where, ": structure has no 'sites' array");
  const auto& lim = default_structure_limits();
  if (sites->size() > lim.max_sites)
    fail(where, ": ", sites->size(), " sites, more than the limit of ", lim.max_sites, "; split or cut the structure");
  s.sites.reserve(sites->size());
  for (const json& sj : *sites) {
    const std::string at = where + ": site " + std::to_string(s.sites.size() + 1);
    if (!sj.is_object()) fail(at, " is not a JSON object");
    Site site;
    auto sp = sj.find("species");
    if (sp == sj.end() || !sp->is_array() || sp->empty()) fail(at, " has no 'species' list");
    double best = -1;
    for (const json& e : *sp) {
      if (!e.is_object() || !e.contains("element") || !e["element"].is_string())
        fail(at, ": a species entry has no element symbol");
      Species x;
      const std::string sym = e["element"].get<std::string>();
      x.Z = atomic_number(sym);
      if (x.Z == 0) fail(at, ": unknown element '", sym, "'; use a symbol of the periodic table (H-Og)");
      x.occupancy = e.contains("occu") ? json_number(e["occu"], at, "occu") : 1.0;
      if (!(x.occupancy > 0 && x.occupancy <= 1.0 + 1e-3))
        fail(at, ": occupancy ", x.occupancy, " of ", sym, " is outside (0, 1]");
      if (e.contains("oxidation_state") && !e["oxidation_state"].is_null()) {
        double ox = json_number(e["oxidation_state"], at, "oxidation_state");
        if (std::fabs(ox) > 20) fail(at, ": oxidation state ", ox, " of ", sym, " is outside [-20, 20]");
        x.oxidation_state = static_cast<int>(std::lround(ox));
      }
      if (x.occupancy > best) { best = x.occupancy; site.Z = x.Z; }
      site.species.push_back(x);
    }
    if (sj.contains("abc")) site.frac = vec3(sj["abc"], at, "abc");
    else if (sj.contains("xyz")) {
      if (!(std::fabs(s.lattice.volume()) > 0)) fail(where, ": zero cell volume (lattice.matrix rows are linearly dependent)");
      site.frac = s.lattice.to_frac(vec3(sj["xyz"], at, "xyz"));
    } else fail(at, " has neither 'abc' nor 'xyz' coordinates");
    if (sj.contains("label") && sj["label"].is_string()) site.label = sj["label"].get<std::string>();
    s.sites.push_back(std::move(site));
  }
  if (s.sites.empty()) fail(where, ": structure has no sites");
  check_structure(s, where);
  return s;
}

void flatten(const json& j, const std::string& prefix, Entry& e) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    const json& v = it.value();
    if (it.key() == "structure" && prefix.empty()) continue;
    if (v.is_number()) {
      double x = v.get<double>();
      if (std::isfinite(x)) e.values[key] = x;  // an overflowing number is no value at all
    } else if (v.is_boolean()) e.values[key] = v.get<bool>() ? 1.0 : 0.0;
    else if (v.is_string()) {
      const auto& s = v.get_ref<const std::string&>();
      e.texts[key] = s;
      if (s == "True" || s == "true") e.values[key] = 1.0;
      if (s == "False" || s == "false") e.values[key] = 0.0;
    } else if (v.is_object() && prefix.empty() && key.rfind("@", 0) != 0) {
      flatten(v, key, e);
    }
  }
}

std::string id_of(const json& doc, const std::string& fallback) {
  for (const char* k : {"material_id", "task_id", "id", "mbid"}) {
    auto it = doc.find(k);
    if (it != doc.end()) {
      if (it->is_string() && !it->get_ref<const std::string&>().empty()) return it->get<std::string>();
      if (it->is_number_integer()) return it->dump();
    }
  }
  return fallback;
}

Entry entry_from_document(const json& doc, const std::string& where, const std::string& fallback_id,
                          const std::string& file) {
  Entry e;
  e.where = where;
  e.file = file;
  if (!doc.is_object()) {
    e.id = fallback_id;
    e.error = where + ": not a JSON object (expected one MP document per line)";
    return e;
  }
  e.id = id_of(doc, fallback_id);
  try {
    flatten(doc, "", e);
    if (doc.contains("lattice") && doc.contains("sites")) e.structure = structure_from_json(doc, where);
    else if (doc.contains("structure")) e.structure = structure_from_json(doc["structure"], where);
    else fail(where, ": document has no 'structure'");
    e.structure.id = e.id;
    e.ok = true;
  } catch (const InputError& err) {
    e.error = err.what();
  } catch (const std::exception& err) {  // nlohmann type errors: a field of the wrong kind
    e.error = where + ": bad structure JSON: " + err.what();
  }
  return e;
}

std::vector<Entry> parse_lines(std::vector<std::pair<std::string, std::size_t>>& lines, const std::string& path,
                               const ReadOptions& opt) {
  std::vector<Entry> out(lines.size());
  Progress prog("read " + basename(path), lines.size(), opt.progress);
  parallel_for(lines.size(), opt.threads, [&](std::size_t i) {
    const std::string where = path + ":" + std::to_string(lines[i].second);
    const std::string fallback = "line-" + std::to_string(lines[i].second);
    json doc = json::parse(lines[i].first, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
      out[i].id = fallback;
      out[i].where = where;
      out[i].file = path;
      out[i].error = where + ": invalid JSON (truncated line?)";
    } else {
      out[i] = entry_from_document(doc, where, fallback, path);
    }
    std::string().swap(lines[i].first);
  }, &prog);
  return out;
}

// ---------------------------------------------------------------- readers per format
std::vector<Entry> read_jsonl(const std::string& path, const ReadOptions& opt) {
  std::vector<std::pair<std::string, std::size_t>> lines;
  for_each_line(path, [&](std::string&& line, std::size_t no) {
    bool blank = line.find_first_not_of(" \t\r") == std::string::npos;
    if (!blank) lines.emplace_back(std::move(line), no);
    return opt.limit == 0 || lines.size() < opt.limit;
  });
  return parse_lines(lines, path, opt);
}

std::vector<Entry> read_matbench(const json& doc, const std::string& path, const ReadOptions& opt) {
  const json& cols = doc["columns"];
  const json& index = doc["index"];
  const json& data = doc["data"];
  if (!cols.is_array() || !data.is_array()) fail(path, ": 'columns' and 'data' must be arrays (pandas split JSON)");
  if (!index.is_array()) fail(path, ": 'index' must be an array of ids (pandas split JSON)");
  int scol = -1;
  for (std::size_t c = 0; c < cols.size(); ++c)
    if (cols[c].is_string() && cols[c].get<std::string>() == "structure") scol = static_cast<int>(c);
  if (scol < 0) fail(path, ": no 'structure' column among the MatBench columns");
  std::size_t n = data.size();
  if (opt.limit) n = std::min(n, opt.limit);
  std::vector<Entry> out(n);
  Progress prog("read " + basename(path), n, opt.progress);
  parallel_for(n, opt.threads, [&](std::size_t i) {
    Entry& e = out[i];
    e.where = path + "[row " + std::to_string(i) + "]";
    e.file = path;
    e.id = i < index.size() && index[i].is_string() && !index[i].get_ref<const std::string&>().empty()
               ? index[i].get<std::string>()
               : i < index.size() && index[i].is_number_integer() ? index[i].dump() : "row-" + std::to_string(i);
    const json& row = data[i];
    if (!row.is_array() || row.size() != cols.size()) {
      e.error = e.where + ": row does not have one value per column";
      return;
    }
    try {
      for (std::size_t c = 0; c < cols.size(); ++c) {
        if (static_cast<int>(c) == scol || !cols[c].is_string()) continue;
        const std::string key = cols[c].get<std::string>();
        if (row[c].is_number() && std::isfinite(row[c].get<double>())) e.values[key] = row[c].get<double>();
        else if (row[c].is_string()) e.texts[key] = row[c].get<std::string>();
      }
      const json& sj = row[static_cast<std::size_t>(scol)];
      if (sj.is_string()) {
        json inner = json::parse(sj.get<std::string>(), nullptr, false);
        if (inner.is_discarded()) fail(e.where, ": the structure column holds a string that is not JSON");
        e.structure = structure_from_json(inner, e.where);
      } else {
        e.structure = structure_from_json(sj, e.where);
      }
      e.structure.id = e.id;
      e.ok = true;
    } catch (const InputError& err) {
      e.error = err.what();
    } catch (const std::exception& err) {
      e.error = e.where + ": bad structure JSON: " + err.what();
    }
  }, &prog);
  return out;
}

// Where an id of id_prop.csv lives: the name as written, else with a known extension added.
std::string resolve_id_file(const std::string& dir, const std::string& id, std::string* tried) {
  const std::string base = dir + "/" + id;
  if (file_exists(base) && !is_directory(base)) return base;
  std::string list = id;
  for (const char* ext : {".cif", ".cif.gz", ".vasp", ".poscar", ".json", ".json.gz"}) {
    std::string p = base + ext;
    list += std::string(", ") + id + ext;
    if (file_exists(p) && !is_directory(p)) return p;
  }
  *tried = list;
  return {};
}

// One structure file of a folder as entries: the id from the file name; a CIF's block name in
// texts["block"]. Never throws: a file that cannot be read is one entry with the error.
std::vector<Entry> entries_of_file(const std::string& file, const std::string& id) {
  std::vector<Entry> v;
  try {
    ReadOptions one;
    one.threads = 1;
    v = read_entries(file, one);
  } catch (const InputError& err) {
    Entry e;
    e.id = id;
    e.where = file;
    e.file = file;
    e.error = err.what();
    return {e};
  }
  const SourceFormat f = detect_format(file);
  for (auto& e : v) {
    e.file = file;
    if (f == SourceFormat::Cif || f == SourceFormat::Poscar || f == SourceFormat::PymatgenJson) {
      // One structure a file: the file names it (a CIF's data_ name is often the formula, or
      // "image0" for every file ASE writes).
      e.id = v.size() == 1 ? id : id + ":" + (e.texts.count("block") ? e.texts["block"] : e.id);
      e.structure.id = e.id;
    }
  }
  if (v.empty()) {
    Entry e;
    e.id = id;
    e.where = file;
    e.file = file;
    e.error = file + ": no structure in the file";
    v.push_back(e);
  }
  return v;
}

std::vector<Entry> read_plain_folder(const std::string& dir, const ReadOptions& opt) {
  std::vector<std::string> files;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!is_structure_file_name(name)) continue;
    std::error_code ec2;
    if (!it->is_regular_file(ec2)) continue;
    files.push_back(it->path().string());
  }
  if (ec) fail(dir, ": cannot list the folder: ", ec.message());
  if (files.empty())
    fail(dir, ": folder has no id_prop.csv and no structure files (.cif, .vasp, .poscar, POSCAR*, CONTCAR*, .json, "
              ".jsonl); add the files or an id_prop.csv with lines 'id,target'");
  std::sort(files.begin(), files.end());
  if (opt.limit && files.size() > opt.limit) files.resize(opt.limit);
  std::vector<std::vector<Entry>> per(files.size());
  Progress prog("read " + basename(dir), files.size(), opt.progress);
  parallel_for(files.size(), opt.threads, [&](std::size_t i) { per[i] = entries_of_file(files[i], stem(files[i])); }, &prog);
  std::vector<Entry> out;
  for (auto& v : per)
    for (auto& e : v) out.push_back(std::move(e));
  if (opt.limit && out.size() > opt.limit) out.resize(opt.limit);
  return out;
}

std::vector<Entry> read_cif_folder(const std::string& dir, const ReadOptions& opt) {
  const std::string csv = dir + "/id_prop.csv";
  if (!file_exists(csv)) return read_plain_folder(dir, opt);
  std::vector<Entry> out = parse_id_prop(read_file(csv), csv, opt.limit);
  Progress prog("read " + basename(dir), out.size(), opt.progress);
  parallel_for(out.size(), opt.threads, [&](std::size_t i) {
    Entry& e = out[i];
    if (!e.error.empty()) return;
    std::string tried;
    const std::string file = resolve_id_file(dir, e.file, &tried);
    if (file.empty()) {
      e.error = dir + "/" + e.file + ": no such file (named at " + e.where + "; tried " + tried +
                "); put the structure file in the folder or fix the id";
      e.file = dir + "/" + e.file;
      e.where = e.file;
      return;
    }
    e.file = file;
    e.where = file;
    auto v = entries_of_file(file, e.id);
    Entry& first = v.front();
    if (!first.ok) {
      e.error = first.error;
      return;
    }
    e.structure = std::move(first.structure);
    e.structure.id = e.id;
    for (auto& [k, t] : first.texts) e.texts.emplace(k, t);
    e.ok = true;
  }, &prog);
  return out;
}

// ---------------------------------------------------------------- CIF helpers
// The line of a tag in a block (a pair's own line, or its loop's), -1 when unknown.
int cif_line(const gemmi::cif::Block& block, const std::string& tag) {
  for (const auto& item : block.items) {
    if (item.type == gemmi::cif::ItemType::Pair && gemmi::iequal(item.pair[0], tag)) return item.line_number;
    if (item.type == gemmi::cif::ItemType::Loop && item.loop.find_tag(tag) >= 0) return item.line_number;
  }
  return -1;
}

std::string at_line(const std::string& name, const gemmi::cif::Block& block, const std::string& tag) {
  int line = cif_line(block, tag);
  return line > 0 ? name + ":" + std::to_string(line) + " (data_" + block.name + ")"
                  : name + " (data_" + block.name + ")";
}

// A cell parameter: present, a number, finite; a misspelt tag is named in the message.
double cif_cell_value(const gemmi::cif::Block& block, const std::string& tag, const std::string& name) {
  const std::string* v = block.find_value(tag);
  const std::string where = at_line(name, block, tag);
  if (!v) {
    static const char* known[] = {"_cell_length_a", "_cell_length_b", "_cell_length_c",
                                  "_cell_angle_alpha", "_cell_angle_beta", "_cell_angle_gamma"};
    std::string hint;
    for (const auto& item : block.items) {
      if (item.type != gemmi::cif::ItemType::Pair) continue;
      const std::string t = gemmi::to_lower(item.pair[0]);
      if (t.rfind("_cell_", 0) != 0 || t.rfind("_cell_measurement", 0) == 0 || t == "_cell_volume" ||
          t == "_cell_formula_units_z")
        continue;
      if (std::find(std::begin(known), std::end(known), t) != std::end(known)) continue;
      hint = " (line " + std::to_string(item.line_number) + " has '" + item.pair[0] + "': misspelt?)";
      break;
    }
    fail(name, " (data_", block.name, "): missing ", tag, hint,
         "; the cell needs all of _cell_length_a/b/c and _cell_angle_alpha/beta/gamma");
  }
  if (gemmi::cif::is_null(*v)) fail(where, ": ", tag, " is '", *v, "' (unknown); give the value");
  double x = gemmi::cif::as_number(*v);
  if (!std::isfinite(x)) fail(where, ": ", tag, " = '", *v, "' is not a number");
  return x;
}

}  // namespace

// ---------------------------------------------------------------- CIF
std::vector<Entry> parse_cif(const std::string& text, const std::string& name) {
  gemmi::cif::Document doc;
  try {
    doc = gemmi::cif::read_string(text);
  } catch (const std::exception& err) {
    fail(name, ": CIF parse error: ", err.what(), " (truncated or not a CIF file?)");
  }
  const auto& lim = default_structure_limits();
  std::vector<Entry> out;
  for (auto& block : doc.blocks) {
    Entry e;
    e.id = block.name.empty() ? stem(name) : block.name;
    e.where = name + " (data_" + block.name + ")";
    e.file = name;
    e.texts["block"] = block.name;
    try {
      // 1. The cell, strictly: gemmi would keep its 1 Å default for a missing or misspelt tag.
      const double a = cif_cell_value(block, "_cell_length_a", name), b = cif_cell_value(block, "_cell_length_b", name),
                   c = cif_cell_value(block, "_cell_length_c", name);
      const double al = cif_cell_value(block, "_cell_angle_alpha", name),
                   be = cif_cell_value(block, "_cell_angle_beta", name),
                   ga = cif_cell_value(block, "_cell_angle_gamma", name);
      if (!(a > 0 && b > 0 && c > 0)) fail(e.where, ": cell lengths must be positive (", a, ", ", b, ", ", c, ")");
      for (double x : {al, be, ga})
        if (!(x > 0 && x < 180)) fail(e.where, ": cell angles must lie strictly between 0 and 180 degrees (", al, ", ", be, ", ", ga, ")");
      {
        const double r = M_PI / 180, ca = std::cos(al * r), cb = std::cos(be * r), cg = std::cos(ga * r);
        const double q = 1 - ca * ca - cb * cb - cg * cg + 2 * ca * cb * cg;  // (V / abc)^2
        if (!(q > 1e-12))
          fail(e.where, ": the cell angles (", al, ", ", be, ", ", ga, ") do not form a cell (zero or imaginary volume)");
      }
      // 2. The atom sites, strictly: gemmi reads '?' or '0.0O000000' as NaN and a bad occupancy as 1.
      gemmi::cif::Table atoms = block.find("_atom_site_", {"label", "?type_symbol", "?fract_x", "?fract_y", "?fract_z", "?occupancy", "?disorder_group"});
      if (!atoms.ok() || atoms.length() == 0) {
        if (block.find_value("_atom_site_cartn_x") || block.find_values("_atom_site_Cartn_x"))
          fail(e.where, ": atom sites have Cartesian coordinates only; fractional _atom_site_fract_x/y/z are needed");
        fail(e.where, ": no atom sites (_atom_site_label with _atom_site_fract_x/y/z loop missing)");
      }
      if (!atoms.has_column(2) || !atoms.has_column(3) || !atoms.has_column(4))
        fail(at_line(name, block, "_atom_site_label"), ": the atom-site loop lacks _atom_site_fract_x, _y or _z");
      std::vector<int> Z;
      for (std::size_t r = 0; r < atoms.length(); ++r) {
        auto row = atoms[static_cast<int>(r)];
        const std::string label = gemmi::cif::as_string(row[0]);
        const std::string where = at_line(name, block, "_atom_site_label") + ": site '" + label + "'";
        for (int k = 2; k <= 4; ++k) {
          const std::string& v = row[k];
          const char* tag = k == 2 ? "_atom_site_fract_x" : k == 3 ? "_atom_site_fract_y" : "_atom_site_fract_z";
          if (gemmi::cif::is_null(v)) fail(where, ": ", tag, " is '", v, "' (unknown); give the coordinate");
          double x = gemmi::cif::as_number(v);
          if (!std::isfinite(x)) fail(where, ": ", tag, " = '", v, "' is not a number");
          if (std::fabs(x) > lim.max_abs_fractional) fail(where, ": ", tag, " = ", v, " is far outside the cell; write coordinates in [0, 1)");
        }
        if (row.has(5) && !gemmi::cif::is_null(row[5])) {
          double occ = gemmi::cif::as_number(row[5]);
          if (!std::isfinite(occ)) fail(where, ": _atom_site_occupancy = '", row[5], "' is not a number");
          if (!(occ > 0 && occ <= 1.0 + 1e-3)) fail(where, ": _atom_site_occupancy ", row[5], " is outside (0, 1]");
        }
        // gemmi 0.5.7 reads the disorder group with an unchecked int accumulation.
        if (row.has(6) && !gemmi::cif::is_null(row[6]) && row[6].size() > 8)
          fail(where, ": _atom_site_disorder_group '", row[6].substr(0, 20), "' is not a small integer");
        const std::string sym = row.has(1) && !gemmi::cif::is_null(row[1]) ? gemmi::cif::as_string(row[1]) : label;
        int z = strict_element(sym);
        if (z == 0)
          fail(where, ": unknown element '", sym, "'", row.has(1) ? " (_atom_site_type_symbol)" : " (from the label; add _atom_site_type_symbol)",
               "; use a symbol of the periodic table (H-Og), optionally with a charge such as Fe2+");
        Z.push_back(z);
      }

      gemmi::SmallStructure small = gemmi::make_small_structure_from_block(block);
      if (small.sites.size() != Z.size()) fail(e.where, ": atom-site loop read inconsistently (", small.sites.size(), " vs ", Z.size(), " sites)");
      // gemmi 0.5 expands only from the H-M name; an explicit symmetry-operation loop wins.
      bool have_ops = false;
      for (const char* tag : {"_space_group_symop_operation_xyz", "_symmetry_equiv_pos_as_xyz"}) {
        gemmi::cif::Column col = block.find_values(tag);
        if (!col || col.length() == 0) continue;
        if (col.length() > 1000)
          fail(at_line(name, block, tag), ": ", col.length(), " symmetry operations; a space group has at most 192");
        small.cell.images.clear();
        for (int i = 0; i < col.length(); ++i) {
          gemmi::Op op;
          const std::string triplet = gemmi::cif::as_string(col[i]);
          // gemmi 0.5.7's parse_triplet multiplies strtol's result unchecked (signed overflow
          // on "4444...4-z"): refuse what no symmetry operation needs before it gets there.
          {
            if (triplet.size() > 80)  // also bounds the sum of terms gemmi accumulates in an int
              fail(at_line(name, block, tag), ": symmetry operation '", triplet.substr(0, 80), "...' is too long");
            std::size_t digits = 0;
            for (char ch : triplet) {
              digits = std::isdigit(static_cast<unsigned char>(ch)) ? digits + 1 : 0;
              if (digits > 6 || !(std::isdigit(static_cast<unsigned char>(ch)) || std::strchr("xyzXYZabcABC+-*/., \t", ch)))
                fail(at_line(name, block, tag), ": symmetry operation '", triplet,
                     "' is not of the form x,y,z (e.g. '-x+1/2,y,z+1/4')");
            }
          }
          try {
            op = gemmi::parse_triplet(triplet);
          } catch (const std::exception& err) {
            fail(at_line(name, block, tag), ": bad symmetry operation '", col[i], "': ", err.what());
          }
          const int det = op.det_rot();
          const int den3 = gemmi::Op::DEN * gemmi::Op::DEN * gemmi::Op::DEN;
          if (det != den3 && det != -den3)
            fail(at_line(name, block, tag), ": symmetry operation '", col[i], "' is not a rotation (determinant must be +-1)");
          if (op == gemmi::Op::identity()) continue;
          small.cell.images.push_back(
              gemmi::FTransform(gemmi::Transform{gemmi::rot_as_mat33(op), gemmi::tran_as_vec3(op)}));
        }
        have_ops = true;
        break;
      }
      e.structure.lattice = Lattice::from_parameters(a, b, c, al, be, ga);
      if (!have_ops && small.find_spacegroup() == nullptr && !small.spacegroup_hm.empty())
        fail(e.where, ": unknown space group '", small.spacegroup_hm, "' and no symmetry operations");
      // Bound the expansion before doing it (sites x operations, before special positions merge).
      const double expanded = static_cast<double>(small.sites.size()) * static_cast<double>(small.cell.images.size() + 1);
      if (expanded > 20.0 * static_cast<double>(lim.max_sites))
        fail(e.where, ": ", small.sites.size(), " sites x ", small.cell.images.size() + 1,
             " symmetry operations is far over the limit of ", lim.max_sites, " sites per cell");
      // The canonical symbol on each site, so that the expanded copies carry their element.
      for (std::size_t i = 0; i < small.sites.size(); ++i) small.sites[i].type_symbol = element(Z[i]).symbol;
      auto all = small.get_all_unit_cell_sites();
      if (all.size() > lim.max_sites)
        fail(e.where, ": ", all.size(), " sites in the cell after symmetry expansion, more than the limit of ",
             lim.max_sites);
      // Sites sharing a position (mixed occupancy) become one disordered site, found through a
      // grid of the wrapped fractional coordinates (all-pairs is quadratic in the cell's size).
      const Lattice& L = e.structure.lattice;
      int g[3];
      for (std::size_t k = 0; k < 3; ++k) {
        double h = std::sqrt(L.inv[0][k] * L.inv[0][k] + L.inv[1][k] * L.inv[1][k] + L.inv[2][k] * L.inv[2][k]);
        const double cells = std::floor(1.0 / (0.01 * h));  // may be huge for a long axis: clamp first
        g[k] = cells >= 256 ? 256 : cells >= 1 ? static_cast<int>(cells) : 1;
      }
      auto bucket = [&](double u, std::size_t k) { return std::min(g[k] - 1, std::max(0, static_cast<int>(u * g[k]))); };
      std::map<std::array<int, 3>, std::vector<std::size_t>> grid;
      for (const auto& at : all) {
        int z = atomic_number(at.type_symbol);
        Vec3 f{at.fract.x - std::floor(at.fract.x), at.fract.y - std::floor(at.fract.y),
               at.fract.z - std::floor(at.fract.z)};
        for (double& x : f) if (x >= 1.0 - 1e-12) x = 0.0;
        const std::array<int, 3> key{bucket(f[0], 0), bucket(f[1], 1), bucket(f[2], 2)};
        std::size_t best = SIZE_MAX;
        for (int d0 = -1; d0 <= 1; ++d0)
          for (int d1 = -1; d1 <= 1; ++d1)
            for (int d2 = -1; d2 <= 1; ++d2) {
              std::array<int, 3> k2{(key[0] + d0 + g[0]) % g[0], (key[1] + d1 + g[1]) % g[1], (key[2] + d2 + g[2]) % g[2]};
              auto it = grid.find(k2);
              if (it == grid.end()) continue;
              for (std::size_t si : it->second) {
                const auto& s = e.structure.sites[si];
                if (si >= best || z == s.Z) continue;
                Vec3 d{f[0] - s.frac[0], f[1] - s.frac[1], f[2] - s.frac[2]};
                for (double& x : d) x -= std::round(x);
                Vec3 x = L.to_cart(d);
                if (dot(x, x) < 1e-4) best = si;
              }
            }
        if (best != SIZE_MAX) {
          e.structure.sites[best].species.push_back({z, at.occ, at.charge});
          continue;
        }
        Site site;
        site.Z = z;
        site.frac = f;
        site.label = at.label;
        site.species.push_back({z, at.occ, at.charge});
        grid[key].push_back(e.structure.sites.size());
        e.structure.sites.push_back(std::move(site));
      }
      e.structure.id = e.id;
      check_structure(e.structure, e.where);
      e.ok = true;
    } catch (const InputError& err) {
      e.error = err.what();
    } catch (const std::exception& err) {
      e.error = e.where + ": " + err.what();
    }
    out.push_back(std::move(e));
  }
  if (out.empty()) fail(name, ": no data_ block (empty or not a CIF file)");
  return out;
}

// ---------------------------------------------------------------- POSCAR
Structure parse_poscar(const std::string& text, const std::string& name) {
  const auto& lim = default_structure_limits();
  std::vector<std::string> lines;
  {
    std::stringstream ss(text);
    std::string l;
    while (std::getline(ss, l)) {
      if (!l.empty() && l.back() == '\r') l.pop_back();
      lines.push_back(l);
    }
  }
  auto at = [&](std::size_t i) -> const std::string& {
    if (i >= lines.size()) fail(name, ":", i + 1, ": POSCAR ends early (truncated file?)");
    return lines[i];
  };
  auto words = [](const std::string& s) {
    std::vector<std::string> w;
    std::stringstream ss(s);
    std::string x;
    while (ss >> x) w.push_back(x);
    return w;
  };
  auto number = [&](const std::string& w, std::size_t line) {
    double v;
    if (!parse_double(w, &v)) fail(name, ":", line + 1, ": '", w, "' is not a number");
    return v;
  };
  Structure s;
  s.id = stem(name);
  auto sw = words(at(1));
  if (sw.empty()) fail(name, ":2: missing scale factor");
  double scale = number(sw[0], 1);
  if (scale == 0) fail(name, ":2: scale factor 0; write 1.0 (or minus the cell volume)");
  Mat3 m{};
  for (std::size_t i = 0; i < 3; ++i) {
    auto w = words(at(2 + i));
    if (w.size() < 3) fail(name, ":", 3 + i, ": expected three lattice-vector components");
    for (std::size_t k = 0; k < 3; ++k) m[i][k] = number(w[k], 2 + i);
  }
  Lattice raw(m);
  if (!(std::fabs(raw.volume()) > 0)) fail(name, ":3-5: zero cell volume (the lattice vectors are linearly dependent)");
  if (scale < 0) scale = std::cbrt(-scale / std::fabs(raw.volume()));
  for (auto& row : m) for (double& x : row) x *= scale;
  s.lattice = Lattice(m);
  std::size_t li = 5;
  std::vector<std::string> symbols = words(at(li));
  bool vasp5 = !symbols.empty() && std::isalpha(static_cast<unsigned char>(symbols[0][0]));
  if (vasp5) ++li;
  else symbols = words(at(0));  // VASP 4: species names in the comment line
  std::vector<std::size_t> counts;
  std::size_t total = 0;
  for (const auto& w : words(at(li))) {
    // Counts are plain non-negative integers; "1e10" or "2.5" is a broken file, not a count.
    if (w.empty() || w.size() > 9 || w.find_first_not_of("0123456789") != std::string::npos)
      fail(name, ":", li + 1, ": atom count '", w, "' is not a whole number",
           vasp5 ? "" : " (VASP 4 file: write the element symbols on line 6, VASP 5 format)");
    counts.push_back(static_cast<std::size_t>(std::stoul(w)));
    total += counts.back();
    if (total > lim.max_sites)
      fail(name, ":", li + 1, ": more than ", lim.max_sites, " atoms (the limit per cell); split or cut the structure");
  }
  ++li;
  if (counts.empty()) fail(name, ":", li, ": missing atom counts");
  if (total == 0) fail(name, ":", li, ": no atoms (every count is 0)");
  if (symbols.size() < counts.size())
    fail(name, ": ", counts.size(), " atom counts but ", symbols.size(),
         " element symbols; write the symbols on line 6 (VASP 5 format)");
  std::string mode = at(li);
  if (!mode.empty() && (mode[0] == 's' || mode[0] == 'S')) mode = at(++li);
  bool cart = !mode.empty() && (mode[0] == 'c' || mode[0] == 'C' || mode[0] == 'k' || mode[0] == 'K');
  ++li;
  for (std::size_t t = 0; t < counts.size(); ++t) {
    std::string sym = symbols[t];
    auto slash = sym.find('/');  // "Fe_pv/abc123" POTCAR-style names
    if (slash != std::string::npos) sym = sym.substr(0, slash);
    auto us = sym.find('_');
    if (us != std::string::npos) sym = sym.substr(0, us);
    int Z = atomic_number(sym);
    if (Z == 0)
      fail(name, ":", vasp5 ? 6 : 1, ": unknown element '", symbols[t], "'",
           vasp5 ? "" : " (VASP 4 file: the symbols are read from the comment line; add a symbols line 6)");
    for (std::size_t k = 0; k < counts[t]; ++k) {
      auto w = words(at(li));
      if (w.size() < 3) fail(name, ":", li + 1, ": expected three coordinates");
      Vec3 v{number(w[0], li), number(w[1], li), number(w[2], li)};
      if (cart) {
        for (double& x : v) x *= scale;
        v = s.lattice.to_frac(v);
      }
      s.add_site(Z, v);
      ++li;
    }
  }
  check_structure(s, name);
  return s;
}

Structure parse_pymatgen_structure(const std::string& text, const std::string& name) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) fail(name, ": not valid JSON");
  Entry e = entry_from_document(j, name, stem(name), name);
  if (!e.ok) throw InputError(e.error);
  return e.structure;
}

std::vector<Entry> parse_json_entries(const std::string& text, const std::string& path, const ReadOptions& opt) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) fail(path, ": not valid JSON (truncated download?)");
  if (doc.is_object() && doc.contains("index") && doc.contains("columns") && doc.contains("data"))
    return read_matbench(doc, path, opt);  // MatBench / pandas "split" orientation
  std::vector<Entry> out;
  if (doc.is_array()) {
    std::size_t n = doc.size();
    if (opt.limit) n = std::min(n, opt.limit);
    for (std::size_t i = 0; i < n; ++i)
      out.push_back(entry_from_document(doc[i], path + "[" + std::to_string(i) + "]",
                                        stem(path) + "-" + std::to_string(i), path));
    return out;
  }
  out.push_back(entry_from_document(doc, path, stem(path), path));
  return out;
}

std::vector<Entry> parse_json_lines(const std::string& text, const std::string& name, const ReadOptions& opt) {
  std::vector<std::pair<std::string, std::size_t>> lines;
  std::size_t no = 0, pos = 0;
  while (pos <= text.size() && (opt.limit == 0 || lines.size() < opt.limit)) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    ++no;
    std::string line = text.substr(pos, nl - pos);
    if (line.find_first_not_of(" \t\r") != std::string::npos) lines.emplace_back(std::move(line), no);
    pos = nl + 1;
  }
  return parse_lines(lines, name, opt);
}

std::vector<Entry> parse_id_prop(const std::string& text, const std::string& csv, std::size_t limit) {
  std::vector<Entry> out;
  auto trim = [](std::string x) {
    const char* ws = " \t\r\"'";
    auto a = x.find_first_not_of(ws);
    if (a == std::string::npos) return std::string();
    auto b = x.find_last_not_of(ws);
    return x.substr(a, b - a + 1);
  };
  std::size_t no = 0, pos = 0;
  while (pos < text.size() && (limit == 0 || out.size() < limit)) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    ++no;
    const std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(trim(cell));
    Entry e;
    e.where = csv + ":" + std::to_string(no);
    e.file = cells.empty() ? "" : cells[0];
    e.id = strip_known_extension(e.file);
    if (cells.size() < 2 || e.file.empty()) {
      e.error = e.where + ": expected 'id,target'";
    } else if (e.file[0] == '/' || e.file == ".." || e.file.rfind("../", 0) == 0 ||
               e.file.find("/../") != std::string::npos || ends_with(e.file, "/..")) {
      e.error = e.where + ": id '" + e.file + "' points outside the folder; ids name files of the folder";
    } else {
      double v;
      if (!parse_double(cells[1], &v)) {
        if (no == 1) continue;  // a header line
        e.error = e.where + ": target '" + cells[1] + "' is not a number";
      } else {
        e.values["target"] = v;
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

// ---------------------------------------------------------------- dispatch
SourceFormat detect_format(const std::string& path) {
  if (is_directory(path)) return SourceFormat::CifFolder;
  std::string b = lower(basename(path));
  if (ends_with(b, ".gz")) b = b.substr(0, b.size() - 3);
  if (ends_with(b, ".cif") || ends_with(b, ".mcif")) return SourceFormat::Cif;
  if (ends_with(b, ".jsonl") || ends_with(b, ".ndjson")) return SourceFormat::MpDocuments;
  if (ends_with(b, ".json")) return SourceFormat::PymatgenJson;  // refined by content
  if (b.rfind("poscar", 0) == 0 || b.rfind("contcar", 0) == 0 || ends_with(b, ".vasp") ||
      ends_with(b, ".poscar"))
    return SourceFormat::Poscar;
  // Sniff the content.
  std::string head = read_file(path).substr(0, 4096);
  auto p = head.find_first_not_of(" \t\r\n");
  if (p != std::string::npos && head[p] == '{') {
    auto nl = head.find('\n', p);
    if (nl != std::string::npos && head.find('{', nl) != std::string::npos &&
        head.find_first_not_of(" \t\r\n", nl) != std::string::npos &&
        head[head.find_first_not_of(" \t\r\n", nl)] == '{')
      return SourceFormat::MpDocuments;
    return SourceFormat::PymatgenJson;
  }
  if (head.find("data_") != std::string::npos || head.find("_cell_length_a") != std::string::npos)
    return SourceFormat::Cif;
  return SourceFormat::Poscar;
}

std::vector<Entry> read_entries(const std::string& path, const ReadOptions& opt) {
  if (!file_exists(path)) fail(path, ": no such file or folder");
  SourceFormat f = opt.format == SourceFormat::Auto ? detect_format(path) : opt.format;
  switch (f) {
    case SourceFormat::CifFolder: return read_cif_folder(path, opt);
    case SourceFormat::MpDocuments: return read_jsonl(path, opt);
    case SourceFormat::PymatgenJson:
    case SourceFormat::Matbench: return parse_json_entries(read_file(path), path, opt);
    case SourceFormat::Cif: {
      auto v = parse_cif(read_file(path), path);
      if (opt.limit && v.size() > opt.limit) v.resize(opt.limit);
      return v;
    }
    case SourceFormat::Poscar: {
      Entry e;
      e.where = path;
      e.file = path;
      e.id = stem(path);
      try {
        e.structure = parse_poscar(read_file(path), path);
        e.ok = true;
      } catch (const InputError& err) {
        e.error = err.what();
      }
      return {e};
    }
    case SourceFormat::Auto: break;
  }
  fail(path, ": unrecognised format");
}

Structure read_structure(const std::string& path) {
  auto v = read_entries(path, {});
  if (v.empty()) fail(path, ": no structure found");
  if (!v[0].ok) throw InputError(v[0].error);
  return v[0].structure;
}

}  // namespace cast
