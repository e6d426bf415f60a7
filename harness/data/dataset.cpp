#include "data/dataset.hpp"

#include <sys/stat.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <memory>
#include <mutex>
#include <sstream>

#include "common/binary_io.hpp"
#include "common/error.hpp"
#include "common/file_io.hpp"
#include "common/log.hpp"
#include "common/progress.hpp"
#include "crystal/readers.hpp"
#include "text/describer.hpp"
#include "text/normalizer.hpp"
#include "text/wordpiece.hpp"

namespace cast {

// Bumped whenever the describer's output changes, so cached texts are rebuilt.
static const char* kDescriberVersion = "robocrys-cpp-6";  // 2: CrystalNN bonding, MP screw-axis subscripts; 3: fingerprint geometries; 4: default radii for ions without one; 5: the symmetrised structure described; 6: Voronoi facets by their corners (solid angles), molecules as points for minerals

std::size_t Dataset::count(Split s) const {
  std::size_t n = 0;
  for (const auto& r : records) n += r.split == s;
  return n;
}

namespace {
std::string settings_of(const PrepareOptions& opt) {
  std::ostringstream os;
  os.precision(17);
  os << "task=" << opt.spec().name() << " limit=" << opt.limit << " "
     << opt.graph.settings_string() << " " << opt.filters.settings_string()
     << " split_seed=" << opt.split.seed << " train=" << opt.split.train << " val=" << opt.split.val
     << " min_distance=" << opt.min_distance << " format=" << kDatasetFormatVersion
     << " describe=" << opt.describe << " describer=" << kDescriberVersion << " max_tokens=" << opt.max_tokens
     << " vocab=" << (opt.vocab.empty() ? std::string("none") : std::to_string(hash_file(opt.vocab)));
  return os.str();
}
std::string basename_no_ext(const std::string& p) {
  auto k = p.find_last_of('/');
  std::string b = k == std::string::npos ? p : p.substr(k + 1);
  while (!b.empty() && b.back() == '/') b.pop_back();
  auto dot = b.find('.');
  return dot == std::string::npos ? b : b.substr(0, dot);
}
}  // namespace

std::uint64_t hash_source(const std::string& path) {
  if (!is_directory(path)) return hash_file(path);
  // A folder: every regular file, in name order, name and content (a changed CIF is a changed dataset).
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const auto& name : list_directory(path)) {
    const std::string f = path + "/" + name;
    if (is_directory(f)) continue;
    h = fnv1a64(name, h);
    const std::uint64_t c = hash_file(f);
    h = fnv1a64(&c, sizeof c, h);
  }
  return h;
}

std::uint64_t cache_key(const PrepareOptions& opt) {
  return fnv1a64(settings_of(opt), hash_source(opt.source));
}

namespace {
std::string hex16(std::uint64_t v) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(v));
  return hex;
}
std::string base_name(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  auto k = p.find_last_of('/');
  return k == std::string::npos ? p : p.substr(k + 1);
}
}  // namespace

std::string dataset_identity(const PrepareOptions& opt) {
  std::ostringstream os;
  os.precision(17);
  os << "task=" << opt.spec().name() << " field=" << opt.target_field << " limit=" << opt.limit << " "
     << opt.filters.settings_string() << " split_seed=" << opt.split.seed << " train=" << opt.split.train
     << " val=" << opt.split.val << " min_distance=" << opt.min_distance;
  return hex16(fnv1a64(os.str(), hash_source(opt.source)));
}

std::string dataset_description(const PrepareOptions& opt) {
  std::string s = opt.spec().name() + " from " + base_name(opt.source) + " (content " + hex16(hash_source(opt.source)) + ")";
  s += opt.limit > 0 ? ", first " + std::to_string(opt.limit) + " entries" : ", every entry";
  s += opt.filters.paper_filters ? ", the paper's filters" : ", no filters";
  return s;
}

std::string text_encoder_identity(const std::string& dir) {
  if (dir.empty()) return {};
  std::uint64_t h = 0xcbf29ce484222325ULL;
  bool any = false;
  for (const char* f : {"config.json", "vocab.txt", "model.safetensors", "pytorch_model.bin"}) {
    const std::string p = dir + "/" + f;
    if (!file_exists(p)) continue;
    const std::uint64_t c = hash_file(p);
    h = fnv1a64(&c, sizeof c, fnv1a64(std::string(f), h));
    any = true;
  }
  if (!any) fail(dir, ": not a text encoder directory (no config.json, vocab.txt or weights)");
  return base_name(dir) + "@" + hex16(h);
}

std::string cache_path(const PrepareOptions& opt, std::uint64_t key) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(key));
  return opt.cache_dir + "/" + opt.spec().name() + "-" + basename_no_ext(opt.source) + "-" +
         hex + ".castds";
}

// The dataset's tokenizer (none without a vocabulary).
static std::unique_ptr<text::BertTokenizer> make_tokenizer(const PrepareOptions& opt) {
  if (opt.vocab.empty()) return nullptr;
  return std::make_unique<text::BertTokenizer>(std::make_shared<const text::Vocab>(text::Vocab::from_file(opt.vocab)));
}

static std::string featurize_record(const Entry& e, const PrepareOptions& opt, const text::BertTokenizer* tokenizer,
                             const text::TextNormalizer& normalizer, DatasetRecord& r, std::string& category) {
  if (!(std::fabs(e.structure.lattice.volume()) > 1e-6)) {
    category = "zero cell volume";
    return e.where + ": zero cell volume";
  }
  FeaturizedStructure f;
  try {
    f = featurize_structure(e.structure, opt.graph);
  } catch (const InputError& err) {
    category = "graph failed";
    return e.where + ": " + err.what();
  }
  double dmin = 1e300;
  for (const auto& nd : f.knn_distances) if (!nd.empty()) dmin = std::min(dmin, nd[0]);
  if (dmin < opt.min_distance) {
    char buf[96];
    std::snprintf(buf, sizeof buf, ": overlapping atoms (%.3f A apart, < %.2f A)", dmin, opt.min_distance);
    category = "overlapping atoms";
    return e.where + buf;
  }
  r.id = e.id;
  r.formula = std::move(f.formula);
  r.nsites = f.nsites;
  r.spacegroup = f.symmetry.number;
  r.graph = std::move(f.graph);
  auto desc = e.texts.find("description");
  if (desc != e.texts.end() && !desc->second.empty()) {
    r.text = desc->second;
    r.text_origin = DatasetRecord::TextOrigin::Source;
  } else if (opt.describe) {
    // The describer's own checks can refuse a structure the graph accepted (a neighbour search
    // past its limits): that entry has no text, counted as a text failure, and the prepare goes on.
    try {
      text::Description td = text::describe_structure(e.structure);
      if (td.ok) {
        r.text = std::move(td.text);
        r.text_origin = DatasetRecord::TextOrigin::Describer;
      } else {
        r.text_error = td.reason;
      }
    } catch (const InputError& err) {
      r.text_error = std::string("describer: ") + err.what();
    }
  } else {
    r.text_error = "no description in the source";
  }
  if (tokenizer && !r.text.empty()) {
    try {
      auto enc = tokenizer->encode(normalizer.normalize(r.text), 0);
      r.token_count = static_cast<std::int32_t>(enc.ids.size());
      if (enc.ids.size() > opt.max_tokens) {
        enc.ids.resize(opt.max_tokens - 1);
        enc.ids.push_back(tokenizer->vocab().sep_id);
      }
      r.token_ids = std::move(enc.ids);
    } catch (const InputError& err) {
      r.text_error = std::string("tokenizer: ") + err.what();
      r.text.clear();
      r.text_origin = DatasetRecord::TextOrigin::None;
    }
  }
  if (tokenizer && r.text.empty()) {
    // No text: the model reads [CLS] only (paper §2.2), with this vocabulary's ids.
    r.token_ids = {tokenizer->vocab().cls_id, tokenizer->vocab().sep_id};
    r.token_count = 2;
  }
  return {};
}

Dataset featurize_entries(std::vector<Entry>& entries, const PrepareOptions& opt, std::vector<std::string>& errors) {
  Dataset d;
  d.task = opt.spec().name();
  d.settings = settings_of(opt);
  d.max_tokens = opt.max_tokens;
  d.entries_read = entries.size();
  std::unique_ptr<text::BertTokenizer> tokenizer = make_tokenizer(opt);
  const text::TextNormalizer normalizer = text::TextNormalizer::builtin();
  for (auto& e : entries) {
    DatasetRecord r;
    std::string category;
    std::string err = !e.ok ? e.error
                      : e.structure.has_partial_occupancy()
                          ? e.where + ": partial occupancy (disordered sites) is not supported; order the structure first"
                          : featurize_record(e, opt, tokenizer.get(), normalizer, r, category);
    if (!err.empty()) {
      errors.push_back(err);
      continue;
    }
    r.split = Split::Test;
    r.target = 0;
    d.records.push_back(std::move(r));
  }
  return d;
}

Dataset prepare_dataset(const PrepareOptions& opt, bool* loaded_from_cache) {
  if (loaded_from_cache) *loaded_from_cache = false;
  std::uint64_t key = 0;
  std::string path;
  if (!opt.cache_dir.empty()) {
    key = cache_key(opt);
    path = cache_path(opt, key);
    if (!opt.rebuild && file_exists(path)) {
      try {
        Dataset d = load_dataset(path);
        if (d.key == key) {
          d.unit = opt.spec().unit_label();
          if (loaded_from_cache) *loaded_from_cache = true;
          return d;
        }
      } catch (const InputError& err) {
        spdlog::warn("{}; rebuilding it", err.what());
      }
    }
  }

  ReadOptions ro;
  ro.limit = opt.limit;
  ro.threads = opt.threads;
  ro.progress = opt.progress;
  std::vector<Entry> entries = read_entries(opt.source, ro);

  Dataset d;
  d.task = opt.spec().name();
  d.unit = opt.spec().unit_label();
  d.source = opt.source;
  d.settings = settings_of(opt);
  d.key = key;
  d.entries_read = entries.size();
  d.max_tokens = opt.max_tokens;

  // Per entry: a record, or a reason it was removed (bad input vs filter).
  std::vector<DatasetRecord> recs(entries.size());
  std::vector<std::string> reason(entries.size());
  std::vector<std::string> target_field(entries.size());
  std::vector<char> is_error(entries.size(), 0);
  std::vector<std::string> message(entries.size());
  std::unique_ptr<text::BertTokenizer> tokenizer = make_tokenizer(opt);
  const text::TextNormalizer normalizer = text::TextNormalizer::builtin();
  std::atomic<bool> stop{false};
  Progress prog("featurize " + d.task, entries.size(), opt.progress);
  parallel_for(entries.size(), opt.threads, [&](std::size_t i) {
    if (stop.load()) return;
    Entry& e = entries[i];
    auto bad = [&](const std::string& category, const std::string& msg) {
      reason[i] = category;
      is_error[i] = 1;
      message[i] = msg;
      if (opt.on_error == OnError::Fail) {
        stop.store(true);
        fail(msg, " (entry '", e.id, "'; rerun with --on-error skip to skip and count such entries)");
      }
    };
    if (!e.ok) return bad("unreadable structure", e.error);
    if (e.structure.has_partial_occupancy())
      return bad("partial occupancy", e.where + ": partial occupancy (disordered sites) is not supported; order the structure first");
    auto target = task_target(opt.task, e, opt.target_field);
    if (!target) { reason[i] = "no target field"; return; }
    std::string why = filter_reason(opt.task, e, target->value, opt.filters);
    if (!why.empty()) { reason[i] = why; return; }
    DatasetRecord& r = recs[i];
    std::string category;
    std::string err = featurize_record(e, opt, tokenizer.get(), normalizer, r, category);
    if (!err.empty()) return bad(category, err);
    r.split = assign_split(e.id, opt.split);
    r.target = target->value;
    target_field[i] = target->field;
    e.structure = Structure();  // free memory early
  }, &prog);

  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (!reason[i].empty()) {
      const std::string k = (is_error[i] ? "bad entry: " : "filter: ") + reason[i];
      ++d.removed[k];
      auto& ex = d.removed_examples[k];
      if (is_error[i] && ex.size() < 3) ex.push_back(message[i].empty() ? entries[i].where : message[i]);
      continue;
    }
    if (recs[i].id.empty()) continue;
    ++d.target_fields[target_field[i]];
    if (!recs[i].text_error.empty()) ++d.text_failures[recs[i].text_error];
    d.records.push_back(std::move(recs[i]));
  }
  if (!path.empty()) {
    make_directories(opt.cache_dir);
    save_dataset(d, path);
  }
  return d;
}

static const char kMagic[8] = {'C', 'A', 'S', 'T', 'D', 'S', '\0', '\1'};

void save_dataset(const Dataset& d, const std::string& path) {
  ByteWriter w;
  w.bytes().append(kMagic, sizeof kMagic);
  w.put<std::uint32_t>(kDatasetFormatVersion);
  w.put<std::uint64_t>(d.key);
  w.put_string(d.task);
  w.put_string(d.source);
  w.put_string(d.settings);
  w.put<std::uint64_t>(d.entries_read);
  w.put<std::uint32_t>(static_cast<std::uint32_t>(d.removed.size()));
  for (const auto& [k, v] : d.removed) { w.put_string(k); w.put<std::uint64_t>(v); }
  w.put<std::uint32_t>(static_cast<std::uint32_t>(d.removed_examples.size()));
  for (const auto& [k, v] : d.removed_examples) {
    w.put_string(k);
    w.put<std::uint32_t>(static_cast<std::uint32_t>(v.size()));
    for (const auto& m : v) w.put_string(m);
  }
  w.put<std::uint32_t>(static_cast<std::uint32_t>(d.target_fields.size()));
  for (const auto& [k, v] : d.target_fields) { w.put_string(k); w.put<std::uint64_t>(v); }
  w.put<std::uint32_t>(static_cast<std::uint32_t>(d.text_failures.size()));
  for (const auto& [k, v] : d.text_failures) { w.put_string(k); w.put<std::uint64_t>(v); }
  w.put<std::uint64_t>(d.max_tokens);
  w.put<std::uint64_t>(d.records.size());
  for (const auto& r : d.records) {
    w.put_string(r.id);
    w.put<std::uint8_t>(static_cast<std::uint8_t>(r.split));
    w.put<double>(r.target);
    w.put_string(r.formula);
    w.put<std::int32_t>(r.nsites);
    w.put<std::int32_t>(r.spacegroup);
    w.put_vector(r.graph.Z);
    w.put_vector(r.graph.multiplicity);
    w.put_vector(r.graph.site);
    w.put_vector(r.graph.edge_src);
    w.put_vector(r.graph.edge_dst);
    w.put_vector(r.graph.edge_distance);
    w.put_string(r.text);
    w.put_string(r.text_error);
    w.put<std::uint8_t>(static_cast<std::uint8_t>(r.text_origin));
    w.put_vector(r.token_ids);
    w.put<std::int32_t>(r.token_count);
  }
  w.bytes().append("CASTEND\n");
  write_file_atomic(path, w.bytes());
}

Dataset load_dataset(const std::string& path) {
  std::string bytes = read_file(path);
  if (bytes.size() < sizeof kMagic || bytes.compare(0, sizeof kMagic, kMagic, sizeof kMagic) != 0)
    fail(path, ": not a cast dataset cache file");
  Dataset d;
  try {
    ByteReader r(bytes.data() + sizeof kMagic, bytes.size() - sizeof kMagic);
    auto version = r.get<std::uint32_t>();
    if (version != kDatasetFormatVersion)
      fail(path, ": dataset cache format ", version, ", this cast reads ", kDatasetFormatVersion,
           "; run 'cast data prepare' again (it rebuilds)");
    d.key = r.get<std::uint64_t>();
    d.task = r.get_string();
    d.source = r.get_string();
    d.settings = r.get_string();
    d.entries_read = r.get<std::uint64_t>();
    for (auto n = r.get<std::uint32_t>(); n > 0; --n) {
      std::string k = r.get_string();
      d.removed[k] = r.get<std::uint64_t>();
    }
    for (auto n = r.get<std::uint32_t>(); n > 0; --n) {
      std::string k = r.get_string();
      auto& v = d.removed_examples[k];
      for (auto m = r.get<std::uint32_t>(); m > 0; --m) {
        if (v.size() >= 16) throw CorruptData("too many examples");
        v.push_back(r.get_string());
      }
    }
    for (auto n = r.get<std::uint32_t>(); n > 0; --n) {
      std::string k = r.get_string();
      d.target_fields[k] = r.get<std::uint64_t>();
    }
    for (auto k = r.get<std::uint32_t>(); k > 0; --k) {
      std::string key = r.get_string();
      d.text_failures[key] = r.get<std::uint64_t>();
    }
    d.max_tokens = r.get<std::uint64_t>();
    auto n = r.get<std::uint64_t>();
    if (n > bytes.size()) throw CorruptData("record count larger than the file");
    d.records.resize(n);
    for (auto& x : d.records) {
      x.id = r.get_string();
      x.split = static_cast<Split>(r.get<std::uint8_t>());
      x.target = r.get<double>();
      x.formula = r.get_string();
      x.nsites = r.get<std::int32_t>();
      x.spacegroup = r.get<std::int32_t>();
      x.graph.Z = r.get_vector<std::int32_t>();
      x.graph.multiplicity = r.get_vector<std::int32_t>();
      x.graph.site = r.get_vector<std::int32_t>();
      x.graph.edge_src = r.get_vector<std::int32_t>();
      x.graph.edge_dst = r.get_vector<std::int32_t>();
      x.graph.edge_distance = r.get_vector<float>();
      x.text = r.get_string();
      x.text_error = r.get_string();
      const auto origin = r.get<std::uint8_t>();
      if (origin > 2) throw CorruptData("text origin " + std::to_string(origin) + " of " + x.id);
      x.text_origin = static_cast<DatasetRecord::TextOrigin>(origin);
      x.token_ids = r.get_vector<std::int32_t>();
      x.token_count = r.get<std::int32_t>();
      if (x.graph.edge_src.size() != x.graph.edge_dst.size() ||
          x.graph.edge_src.size() != x.graph.edge_distance.size() ||
          x.graph.Z.size() != x.graph.multiplicity.size())
        throw CorruptData("inconsistent graph arrays for " + x.id);
    }
    std::string tail(8, '\0');
    for (char& c : tail) c = static_cast<char>(r.get<std::uint8_t>());
    if (tail != "CASTEND\n" || !r.at_end()) throw CorruptData("missing end marker");
  } catch (const CorruptData& err) {
    fail(path, ": corrupt or truncated dataset cache (", err.what(),
         "); delete it or run 'cast data prepare --rebuild'");
  }
  return d;
}

std::map<std::string, SplitStatistics> table2_statistics(const Dataset& d) {
  std::map<std::string, std::vector<const DatasetRecord*>> groups;
  for (const auto& r : d.records) {
    groups[split_name(r.split)].push_back(&r);
    if (r.split != Split::Train) groups["val+test"].push_back(&r);
    groups["all"].push_back(&r);
  }
  std::map<std::string, SplitStatistics> out;
  for (const char* k : {"train", "val", "test", "val+test", "all"}) {
    const auto& g = groups[k];
    SplitStatistics s;
    s.n = g.size();
    if (g.empty()) { out[k] = s; continue; }
    auto moments = [&](auto get, double& mean, double& sd) {
      double sum = 0;
      for (auto* r : g) sum += get(*r);
      mean = sum / g.size();
      double v = 0;
      for (auto* r : g) v += (get(*r) - mean) * (get(*r) - mean);
      sd = g.size() > 1 ? std::sqrt(v / (g.size() - 1)) : 0.0;  // pandas-style ddof 1
    };
    double dummy;
    moments([](const DatasetRecord& r) { return static_cast<double>(r.graph.num_nodes()); }, s.nodes_mean, s.nodes_std);
    moments([](const DatasetRecord& r) { return static_cast<double>(r.nsites); }, s.sites_mean, s.sites_std);
    moments([](const DatasetRecord& r) { return static_cast<double>(r.graph.num_edges()); }, s.edges_mean, dummy);
    moments([](const DatasetRecord& r) { return r.target; }, s.y_mean, s.y_std);
    moments([](const DatasetRecord& r) { return r.text.empty() ? 0.0 : 1.0; }, s.text_rate, dummy);
    for (auto* r : g) {
      s.texts_source += r->text_origin == DatasetRecord::TextOrigin::Source;
      s.texts_describer += r->text_origin == DatasetRecord::TextOrigin::Describer;
    }
    moments([](const DatasetRecord& r) { return static_cast<double>(r.token_count); }, s.tokens_mean, s.tokens_std);
    const double maxt = static_cast<double>(d.max_tokens);
    moments([maxt](const DatasetRecord& r) { return r.token_count > maxt ? 1.0 : 0.0; }, s.truncated_rate, dummy);
    out[k] = s;
  }
  return out;
}

}  // namespace cast
