#include "crystal/readers.hpp"

#include <gemmi/cif.hpp>
#include <gemmi/smcif.hpp>

#include <cmath>
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
    case SourceFormat::CifFolder: return "CIF folder with id_prop.csv";
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
std::string stem(const std::string& p) {
  std::string b = basename(p);
  for (const char* ext : {".gz", ".cif", ".json", ".jsonl", ".vasp", ".poscar"})
    if (ends_with(lower(b), ext)) b = b.substr(0, b.size() - std::string(ext).size());
  return b;
}

int element_or_fail(const std::string& sym, const std::string& where) {
  int Z = atomic_number(sym);
  if (Z == 0) fail(where, ": unknown element '", sym, "'; use a symbol of the periodic table (H-Og)");
  return Z;
}

// ---------------------------------------------------------------- pymatgen JSON
Vec3 vec3(const json& a, const std::string& where, const char* what) {
  if (!a.is_array() || a.size() != 3) fail(where, ": '", what, "' must be an array of three numbers");
  Vec3 v{};
  for (int i = 0; i < 3; ++i) {
    if (!a[static_cast<std::size_t>(i)].is_number()) fail(where, ": '", what, "' must hold numbers");
    v[static_cast<std::size_t>(i)] = a[static_cast<std::size_t>(i)].get<double>();
  }
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
  s.sites.reserve(sites->size());
  for (const json& sj : *sites) {
    Site site;
    auto sp = sj.find("species");
    if (sp == sj.end() || !sp->is_array() || sp->empty())
      fail(where, ": a site has no 'species' list");
    double best = -1;
    for (const json& e : *sp) {
      if (!e.is_object() || !e.contains("element") || !e["element"].is_string())
        fail(where, ": a species entry has no element symbol");
      Species x;
      x.Z = element_or_fail(e["element"].get<std::string>(), where);
      x.occupancy = e.contains("occu") && e["occu"].is_number() ? e["occu"].get<double>() : 1.0;
      if (e.contains("oxidation_state") && e["oxidation_state"].is_number())
        x.oxidation_state = static_cast<int>(std::lround(e["oxidation_state"].get<double>()));
      if (x.occupancy > best) { best = x.occupancy; site.Z = x.Z; }
      site.species.push_back(x);
    }
    if (sj.contains("abc")) site.frac = vec3(sj["abc"], where, "abc");
    else if (sj.contains("xyz")) site.frac = s.lattice.to_frac(vec3(sj["xyz"], where, "xyz"));
    else fail(where, ": a site has neither 'abc' nor 'xyz' coordinates");
    if (sj.contains("label") && sj["label"].is_string()) site.label = sj["label"].get<std::string>();
    s.sites.push_back(std::move(site));
  }
  if (s.sites.empty()) fail(where, ": structure has no sites");
  return s;
}

void flatten(const json& j, const std::string& prefix, Entry& e) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    const json& v = it.value();
    if (it.key() == "structure" && prefix.empty()) continue;
    if (v.is_number()) e.values[key] = v.get<double>();
    else if (v.is_boolean()) e.values[key] = v.get<bool>() ? 1.0 : 0.0;
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
      if (it->is_string()) return it->get<std::string>();
      if (it->is_number_integer()) return std::to_string(it->get<long long>());
    }
  }
  return fallback;
}

Entry entry_from_document(const json& doc, const std::string& where, const std::string& fallback_id) {
  Entry e;
  e.where = where;
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
  }
  return e;
}

// ---------------------------------------------------------------- readers per format
std::vector<Entry> read_jsonl(const std::string& path, const ReadOptions& opt) {
  std::vector<std::pair<std::string, std::size_t>> lines;
  for_each_line(path, [&](std::string&& line, std::size_t no) {
    bool blank = line.find_first_not_of(" \t\r") == std::string::npos;
    if (!blank) lines.emplace_back(std::move(line), no);
    return opt.limit == 0 || lines.size() < opt.limit;
  });
  std::vector<Entry> out(lines.size());
  Progress prog("read " + basename(path), lines.size(), opt.progress);
  parallel_for(lines.size(), opt.threads, [&](std::size_t i) {
    const std::string where = path + ":" + std::to_string(lines[i].second);
    const std::string fallback = "line-" + std::to_string(lines[i].second);
    json doc = json::parse(lines[i].first, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
      out[i].id = fallback;
      out[i].where = where;
      out[i].error = where + ": invalid JSON (truncated line?)";
    } else {
      out[i] = entry_from_document(doc, where, fallback);
    }
    std::string().swap(lines[i].first);
  }, &prog);
  return out;
}

std::vector<Entry> read_json(const std::string& path, const ReadOptions& opt) {
  json doc = json::parse(read_file(path), nullptr, false);
  if (doc.is_discarded()) fail(path, ": not valid JSON (truncated download?)");
  std::vector<Entry> out;
  if (doc.is_object() && doc.contains("index") && doc.contains("columns") && doc.contains("data")) {
    // MatBench / pandas "split" orientation.
    const json& cols = doc["columns"];
    const json& index = doc["index"];
    const json& data = doc["data"];
    if (!cols.is_array() || !data.is_array()) fail(path, ": 'columns' and 'data' must be arrays");
    int scol = -1;
    for (std::size_t c = 0; c < cols.size(); ++c)
      if (cols[c].is_string() && cols[c].get<std::string>() == "structure") scol = static_cast<int>(c);
    if (scol < 0) fail(path, ": no 'structure' column among the MatBench columns");
    std::size_t n = data.size();
    if (opt.limit) n = std::min(n, opt.limit);
    out.resize(n);
    Progress prog("read " + basename(path), n, opt.progress);
    parallel_for(n, opt.threads, [&](std::size_t i) {
      Entry& e = out[i];
      e.where = path + "[row " + std::to_string(i) + "]";
      e.id = i < index.size() && index[i].is_string() ? index[i].get<std::string>()
                                                      : "row-" + std::to_string(i);
      const json& row = data[i];
      if (!row.is_array() || row.size() != cols.size()) {
        e.error = e.where + ": row does not have one value per column";
        return;
      }
      for (std::size_t c = 0; c < cols.size(); ++c) {
        if (static_cast<int>(c) == scol || !cols[c].is_string()) continue;
        const std::string key = cols[c].get<std::string>();
        if (row[c].is_number()) e.values[key] = row[c].get<double>();
        else if (row[c].is_string()) e.texts[key] = row[c].get<std::string>();
      }
      try {
        const json& sj = row[static_cast<std::size_t>(scol)];
        if (sj.is_string()) e.structure = structure_from_json(json::parse(sj.get<std::string>()), e.where);
        else e.structure = structure_from_json(sj, e.where);
        e.structure.id = e.id;
        e.ok = true;
      } catch (const InputError& err) {
        e.error = err.what();
      } catch (const json::exception& err) {
        e.error = e.where + ": bad structure JSON: " + err.what();
      }
    }, &prog);
    return out;
  }
  if (doc.is_array()) {
    std::size_t n = doc.size();
    if (opt.limit) n = std::min(n, opt.limit);
    for (std::size_t i = 0; i < n; ++i)
      out.push_back(entry_from_document(doc[i], path + "[" + std::to_string(i) + "]",
                                        stem(path) + "-" + std::to_string(i)));
    return out;
  }
  out.push_back(entry_from_document(doc, path, stem(path)));
  return out;
}

std::vector<Entry> read_cif_folder(const std::string& dir, const ReadOptions& opt) {
  const std::string csv = dir + "/id_prop.csv";
  if (!file_exists(csv)) fail(dir, ": folder has no id_prop.csv (lines 'id,target')");
  std::vector<Entry> out;
  for_each_line(csv, [&](std::string&& line, std::size_t no) {
    if (line.find_first_not_of(" \t") == std::string::npos) return true;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    Entry e;
    e.where = csv + ":" + std::to_string(no);
    e.id = cells.empty() ? "" : cells[0];
    if (cells.size() < 2) {
      e.error = e.where + ": expected 'id,target'";
    } else {
      char* end = nullptr;
      double v = std::strtod(cells[1].c_str(), &end);
      if (end == cells[1].c_str()) {
        if (no == 1) return true;  // a header line
        e.error = e.where + ": target '" + cells[1] + "' is not a number";
      } else {
        e.values["target"] = v;
      }
    }
    out.push_back(std::move(e));
    return opt.limit == 0 || out.size() < opt.limit;
  });
  Progress prog("read " + basename(dir), out.size(), opt.progress);
  parallel_for(out.size(), opt.threads, [&](std::size_t i) {
    Entry& e = out[i];
    if (!e.error.empty()) return;
    std::string file = dir + "/" + e.id + ".cif";
    e.where = file;
    try {
      auto blocks = parse_cif(read_file(file), file);
      if (blocks.empty() || !blocks[0].ok) {
        e.error = blocks.empty() ? file + ": no data block" : blocks[0].error;
        return;
      }
      e.structure = std::move(blocks[0].structure);
      e.structure.id = e.id;
      e.ok = true;
    } catch (const InputError& err) {
      e.error = err.what();
    }
  }, &prog);
  return out;
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
  std::vector<Entry> out;
  for (const auto& block : doc.blocks) {
    Entry e;
    e.id = block.name.empty() ? stem(name) : block.name;
    e.where = name + " (data_" + block.name + ")";
    try {
      gemmi::SmallStructure small = gemmi::make_small_structure_from_block(block);
      // gemmi 0.5 expands only from the H-M name; an explicit symmetry-operation loop wins.
      bool have_ops = false;
      for (const char* tag : {"_space_group_symop_operation_xyz", "_symmetry_equiv_pos_as_xyz"}) {
        gemmi::cif::Column col = const_cast<gemmi::cif::Block&>(block).find_values(tag);
        if (!col || col.length() == 0) continue;
        small.cell.images.clear();
        for (int i = 0; i < col.length(); ++i) {
          gemmi::Op op;
          try {
            op = gemmi::parse_triplet(gemmi::cif::as_string(col[i]));
          } catch (const std::exception& err) {
            fail(e.where, ": bad symmetry operation '", col[i], "': ", err.what());
          }
          if (op == gemmi::Op::identity()) continue;
          small.cell.images.push_back(
              gemmi::FTransform(gemmi::Transform{gemmi::rot_as_mat33(op), gemmi::tran_as_vec3(op)}));
        }
        have_ops = true;
        break;
      }
      if (small.sites.empty()) fail(e.where, ": no atom sites (_atom_site_fract_x/y/z loop missing)");
      const auto& c = small.cell;
      if (!(c.a > 0 && c.b > 0 && c.c > 0 && c.alpha > 0 && c.beta > 0 && c.gamma > 0))
        fail(e.where, ": cell parameters missing or not positive");
      e.structure.lattice = Lattice::from_parameters(c.a, c.b, c.c, c.alpha, c.beta, c.gamma);
      if (!have_ops && small.find_spacegroup() == nullptr && !small.spacegroup_hm.empty())
        fail(e.where, ": unknown space group '", small.spacegroup_hm, "' and no symmetry operations");
      auto all = small.get_all_unit_cell_sites();
      for (const auto& a : all) {
        std::string sym = a.type_symbol.empty() ? a.label : a.type_symbol;
        int Z = atomic_number(sym);
        if (Z == 0) {
          std::string prefix;
          for (char ch : sym) { if (std::isalpha(static_cast<unsigned char>(ch))) prefix += ch; else break; }
          while (!prefix.empty() && Z == 0) { Z = atomic_number(prefix); if (!Z) prefix.pop_back(); }
        }
        if (Z == 0) fail(e.where, ": unknown element in site '", a.label, "' ('", sym, "')");
        Vec3 f{a.fract.x - std::floor(a.fract.x), a.fract.y - std::floor(a.fract.y),
               a.fract.z - std::floor(a.fract.z)};
        for (double& x : f) if (x >= 1.0 - 1e-12) x = 0.0;
        // Sites sharing a position (mixed occupancy) become one disordered site.
        bool merged = false;
        for (auto& s : e.structure.sites) {
          Vec3 d{f[0] - s.frac[0], f[1] - s.frac[1], f[2] - s.frac[2]};
          for (double& x : d) x -= std::round(x);
          Vec3 x = e.structure.lattice.to_cart(d);
          if (x[0] * x[0] + x[1] * x[1] + x[2] * x[2] < 1e-4 && Z != s.Z) {
            s.species.push_back({Z, a.occ, a.charge});
            merged = true;
            break;
          }
        }
        if (merged) continue;
        Site site;
        site.Z = Z;
        site.frac = f;
        site.label = a.label;
        site.species.push_back({Z, a.occ, a.charge});
        e.structure.sites.push_back(std::move(site));
      }
      e.structure.id = e.id;
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
    char* end = nullptr;
    double v = std::strtod(w.c_str(), &end);
    if (end == w.c_str() || !std::isfinite(v)) fail(name, ":", line + 1, ": '", w, "' is not a number");
    return v;
  };
  Structure s;
  s.id = stem(name);
  auto sw = words(at(1));
  if (sw.empty()) fail(name, ":2: missing scale factor");
  double scale = number(sw[0], 1);
  Mat3 m{};
  for (std::size_t i = 0; i < 3; ++i) {
    auto w = words(at(2 + i));
    if (w.size() < 3) fail(name, ":", 3 + i, ": expected three lattice-vector components");
    for (std::size_t k = 0; k < 3; ++k) m[i][k] = number(w[k], 2 + i);
  }
  Lattice raw(m);
  if (scale < 0) scale = std::cbrt(-scale / std::fabs(raw.volume()));
  for (auto& row : m) for (double& x : row) x *= scale;
  s.lattice = Lattice(m);
  std::size_t li = 5;
  std::vector<std::string> symbols = words(at(li));
  bool vasp5 = !symbols.empty() && std::isalpha(static_cast<unsigned char>(symbols[0][0]));
  if (vasp5) ++li;
  else symbols = words(at(0));  // VASP 4: species names in the comment line
  std::vector<int> counts;
  for (const auto& w : words(at(li))) counts.push_back(static_cast<int>(number(w, li)));
  ++li;
  if (counts.empty()) fail(name, ":", li, ": missing atom counts");
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
    if (Z == 0) fail(name, ": unknown element '", symbols[t], "'");
    for (int k = 0; k < counts[t]; ++k) {
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
  return s;
}

Structure parse_pymatgen_structure(const std::string& text, const std::string& name) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) fail(name, ": not valid JSON");
  Entry e = entry_from_document(j, name, stem(name));
  if (!e.ok) throw InputError(e.error);
  return e.structure;
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
    case SourceFormat::Matbench: return read_json(path, opt);
    case SourceFormat::Cif: {
      auto v = parse_cif(read_file(path), path);
      if (opt.limit && v.size() > opt.limit) v.resize(opt.limit);
      return v;
    }
    case SourceFormat::Poscar: {
      Entry e;
      e.where = path;
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
