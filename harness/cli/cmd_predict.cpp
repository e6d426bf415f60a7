// cast predict: a trained model's predictions for new structures.
// cast explain: one structure's cross-attention (per layer and head) as CSV and PNG.
// cast figure-data fig2|fig3: the attention data behind Figures 2 and 3, computed from the
// table1 runs' checkpoints and stored in the results database (cast plot draws from there).
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "common/error.hpp"
#include "common/file_io.hpp"
#include "common/progress.hpp"
#include "crystal/elements.hpp"
#include "report/plots.hpp"
#include "report/similarity.hpp"
#include "store/results_store.hpp"
#include "text/wordpiece.hpp"
#include "train/device.hpp"
#include "train/trainer.hpp"

namespace cast::cli {

namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}

PrepareOptions featurize_options(const LoadedModel& m) {
  PrepareOptions po;
  const TaskSpec spec = task_spec_from_name(m.task, m.unit);
  po.task = spec.task;
  po.target_field = spec.field;
  po.unit = spec.unit;
  po.vocab = m.vocab;
  po.max_tokens = m.max_tokens;
  po.progress = false;
  return po;
}

// Entries of the files (any format cast reads; a dataset file gives all its entries).
std::vector<Entry> read_all(const std::vector<std::string>& files, std::size_t limit) {
  std::vector<Entry> out;
  for (const auto& f : files) {
    if (!file_exists(f) && !is_directory(f)) fail(f, ": no such file");
    ReadOptions ro;
    ro.limit = limit;
    auto v = read_entries(f, ro);
    for (auto& e : v) out.push_back(std::move(e));
  }
  return out;
}

struct StructureAttention {
  std::vector<std::string> nodes, tokens;
  // [layer][head][node][token]
  std::vector<std::vector<std::vector<std::vector<double>>>> w;
  // Mean over heads: [layer][node][token]
  std::vector<std::vector<double>> head_mean(std::size_t layer) const {
    const auto& L = w[layer];
    std::vector<std::vector<double>> m(nodes.size(), std::vector<double>(tokens.size(), 0.0));
    for (const auto& h : L)
      for (std::size_t i = 0; i < nodes.size(); ++i)
        for (std::size_t j = 0; j < tokens.size(); ++j) m[i][j] += h[i][j] / static_cast<double>(L.size());
    return m;
  }
};

// Attention of a CAST model for the given records, batched.
std::vector<StructureAttention> attention_of(LoadedModel& m, const Dataset& d, const std::vector<std::size_t>& rows) {
  if (m.config.kind != "cast" && m.config.kind != "cast-scratch")
    fail("attention maps exist for CAST models only; this checkpoint is a '", m.config.kind, "' model");
  text::Vocab vocab = text::Vocab::from_file(m.vocab);
  std::vector<StructureAttention> out;
  torch::NoGradGuard g;
  m.model->eval();
  for (std::size_t start = 0; start < rows.size(); start += 32) {
    std::vector<std::size_t> br(rows.begin() + static_cast<long>(start),
                                rows.begin() + static_cast<long>(std::min(rows.size(), start + 32)));
    auto b = build_batch(d, br, true, m.mean, m.sd).to(m.device);
    auto att = cast_attention(*m.model, b);
    for (std::size_t k = 0; k < br.size(); ++k) {
      const auto& rec = d.records[br[k]];
      StructureAttention sa;
      for (std::size_t n = 0; n < rec.graph.num_nodes(); ++n)
        sa.nodes.push_back(std::string(element(rec.graph.Z[n]).symbol) + "(" + std::to_string(n + 1) + ")");
      for (auto id : rec.token_ids) sa.tokens.push_back(vocab.token(id));
      for (auto& layer : att) {
        auto a = layer.to(torch::kCPU).to(torch::kDouble)[static_cast<int64_t>(k)];  // [heads, Nmax, L]
        auto acc = a.accessor<double, 3>();
        std::vector<std::vector<std::vector<double>>> heads(static_cast<std::size_t>(a.size(0)));
        for (int64_t h = 0; h < a.size(0); ++h) {
          heads[static_cast<std::size_t>(h)].assign(sa.nodes.size(), std::vector<double>(sa.tokens.size()));
          for (std::size_t i = 0; i < sa.nodes.size(); ++i)
            for (std::size_t j = 0; j < sa.tokens.size(); ++j)
              heads[static_cast<std::size_t>(h)][i][j] = acc[h][static_cast<int64_t>(i)][static_cast<int64_t>(j)];
        }
        sa.w.push_back(std::move(heads));
      }
      out.push_back(std::move(sa));
    }
  }
  return out;
}

struct PredictArgs {
  std::vector<std::string> checkpoints;
  std::string on_error = "skip", format = "csv", device = "cpu", journal = "wal";
  bool quiet = false;
  std::string checkpoint, out, prefix, db = "results/cast.db", profile = "demo", experiment = "table1", figure, id;
  std::vector<std::string> files;
  std::size_t limit = 0, max_tokens_shown = 48;
  int bins = 40;
  std::uint64_t seed = 0;
  std::vector<std::string> models = {"cast-scratch", "cast"};
  std::vector<std::string> task_order = {"log_kvrh", "log_gvrh", "band_gap", "total_energy", "formation_energy"};
};

// The table1 run of a model at seed/profile for the first task of `order` that has one.
std::optional<RunInfo> find_fig_run(const ResultsStore& store, const PredictArgs& a, const std::string& model,
                                    const std::string& task) {
  // The newest finished one (runs on other datasets or encoders are other runs of the same cell).
  for (const auto& r : store.find_runs(a.experiment, model, task, a.profile, a.seed))
    if (r.status == "done") return r;
  return std::nullopt;
}

int figure_data(const PredictArgs& a) {
  if (!file_exists(a.db)) fail(a.db, ": no results database; run 'cast reproduce table1' first");
  ResultsStore store(a.db, parse_journal(a.journal));
  // The task: the first in order where every model has a finished run.
  std::string task;
  for (const auto& t : a.task_order) {
    bool all = true;
    for (const auto& m : a.models) all = all && find_fig_run(store, a, m, t).has_value();
    if (all) { task = t; break; }
  }
  if (task.empty())
    fail("no task has finished '", a.experiment, "' runs of ", a.models.front(), " and ", a.models.back(), " (seed ",
         a.seed, ", profile ", a.profile, "); run 'cast reproduce table1 --profile ", a.profile, "' first");
  std::string chosen = a.id;
  std::map<std::string, std::vector<FineLogHistogram>> fig3_values;  // model -> layer -> 1 - cos counts
  for (const auto& model : a.models) {
    auto run = *find_fig_run(store, a, model, task);
    auto cfg = nlohmann::json::parse(run.config);
    const std::string run_dir = cfg.value("out_dir", "");
    LoadedModel m = load_trained_model(run_dir, a.device);
    PrepareOptions po = dataset_options(task, cfg.value("source", ""), cfg.value("limit", std::size_t{0}), true, m.max_tokens);
    po.vocab = m.vocab;
    Dataset d = prepare_dataset(po);
    std::vector<std::size_t> test;
    for (std::size_t i = 0; i < d.records.size(); ++i) if (d.records[i].split == Split::Test) test.push_back(i);
    if (a.figure == "fig2") {
      std::size_t row = d.records.size();
      for (auto i : test) if (d.records[i].id == chosen) row = i;
      if (row == d.records.size()) {
        if (!a.id.empty() && chosen == a.id)
          std::printf("%s is not in the test split of %s here; using the first four-node test structure\n", a.id.c_str(),
                      task.c_str());
        for (auto i : test) if (d.records[i].graph.num_nodes() == 4) { row = i; break; }
        if (row == d.records.size() && !test.empty()) row = test.front();
        if (row == d.records.size()) fail("task ", task, " has no test structures");
        chosen = d.records[row].id;
      }
      auto sa = attention_of(m, d, {row}).front();
      std::vector<AttentionCell> cells;
      const std::size_t ntok = std::min(sa.tokens.size(), a.max_tokens_shown);
      for (std::size_t l = 0; l < sa.w.size(); ++l) {
        auto hm = sa.head_mean(l);
        for (std::size_t i = 0; i < sa.nodes.size(); ++i)
          for (std::size_t j = 0; j < ntok; ++j)
            cells.push_back({static_cast<int>(l), static_cast<int>(i), sa.nodes[i], static_cast<int>(j), sa.tokens[j], hm[i][j]});
      }
      store.put_attention({"fig2", a.profile, model, task, chosen}, cells);
      std::printf("fig2: %s on %s, %s (%s, %zu nodes, %zu tokens): %zu layers stored\n", model.c_str(), task.c_str(),
                  chosen.c_str(), d.records[row].formula.c_str(), sa.nodes.size(), sa.tokens.size(), sa.w.size());
    } else {
      // 1 - cos of node attention rows, every pair of nodes of every test structure, per layer;
      // binned after the loop on one log axis for every model and layer.
      auto all = attention_of(m, d, test);
      const std::size_t layers = all.empty() ? 0 : all.front().w.size();
      auto& per_layer = fig3_values[model];
      per_layer.assign(layers, FineLogHistogram());
      for (std::size_t l = 0; l < layers; ++l)
        for (const auto& sa : all) per_layer[l].add(pairwise_one_minus_cos(sa.head_mean(l)));
      std::printf("fig3: %s on %s: %zu test structures, %.0f node pairs, %zu layers\n", model.c_str(), task.c_str(),
                  all.size(), layers ? per_layer[0].count() : 0.0, layers);
    }
  }
  if (a.figure == "fig3") {
    std::vector<std::vector<double>> ext;
    for (const auto& [model, per_layer] : fig3_values)
      for (const auto& h : per_layer) ext.push_back(h.extremes());
    std::vector<const std::vector<double>*> sets;
    for (const auto& e : ext) sets.push_back(&e);
    const LogBins edges = shared_log_bins(sets, a.bins);
    for (const auto& [model, per_layer] : fig3_values) {
      std::vector<HistogramBin> bins;
      for (std::size_t l = 0; l < per_layer.size(); ++l) {
        const auto count = per_layer[l].rebin(edges);
        for (std::size_t k = 0; k < count.size(); ++k)
          bins.push_back({static_cast<int>(l), edges.edges[k], edges.edges[k + 1], count[k]});
      }
      store.put_histogram({"fig3", a.profile, model, task, ""}, bins);
    }
    std::printf("fig3: %d log-spaced bins of 1 - cos from %.1e to %.1e, shared by every model and layer; stored\n",
                a.bins, edges.edges.front(), edges.edges.back());
  }
  return 0;
}

// A structure file's entries are named by the file (rutile.cif and anatase.cif both say TiO2 on
// their data_ line; ASE writes data_image0 for every file); a dataset file's keep their ids.
std::vector<Entry> read_for_prediction(const std::vector<std::string>& files, std::size_t limit) {
  std::vector<Entry> out;
  for (const auto& f : files) {
    if (!file_exists(f)) fail(f, ": no such file or folder");
    ReadOptions ro;
    ro.limit = limit;
    const bool single = !is_directory(f);
    SourceFormat fmt = SourceFormat::Auto;
    if (single) {
      try {
        fmt = detect_format(f);
      } catch (const InputError&) {
        fmt = SourceFormat::Auto;
      }
    }
    std::vector<Entry> v;
    try {
      v = read_entries(f, ro);
    } catch (const InputError& e) {
      Entry bad;  // an empty or unreadable file is one bad entry, not the end of the batch
      bad.id = f;
      bad.file = f;
      bad.where = f;
      bad.error = e.what();
      v.push_back(std::move(bad));
    }
    const bool per_file = single && (fmt == SourceFormat::Cif || fmt == SourceFormat::Poscar ||
                                     (fmt == SourceFormat::PymatgenJson && v.size() == 1));
    if (per_file) {
      std::string stem = f.substr(f.find_last_of('/') == std::string::npos ? 0 : f.find_last_of('/') + 1);
      for (const char* ext : {".gz", ".cif", ".vasp", ".json", ".poscar"})
        if (stem.size() > std::strlen(ext) && stem.compare(stem.size() - std::strlen(ext), std::string::npos, ext) == 0)
          stem.resize(stem.size() - std::strlen(ext));
      for (auto& e : v) {
        if (e.texts.find("block") == e.texts.end() && fmt == SourceFormat::Cif) e.texts["block"] = e.id;
        e.id = v.size() > 1 ? stem + ":" + e.texts["block"] : stem;
      }
    }
    for (auto& e : v) {
      if (e.file.empty()) e.file = f;
      out.push_back(std::move(e));
    }
  }
  return out;
}

int predict_command(const PredictArgs& a) {
  std::vector<LoadedModel> models;
  for (const auto& c : a.checkpoints) {
    models.push_back(load_trained_model(c, a.device));
    if (models.back().task != models.front().task)
      fail(c, ": a model of task '", models.back().task, "', ", a.checkpoints.front(), " is of '", models.front().task,
           "'; an ensemble predicts one property");
  }
  const LoadedModel& m0 = models.front();
  const TaskSpec spec = task_spec_from_name(m0.task, m0.unit);
  std::vector<Entry> entries = read_for_prediction(a.files, a.limit);
  // Every kind of bad entry goes the same way: unreadable (or empty) here, not featurizable below.
  std::vector<std::string> skipped;
  auto bad = [&](const std::string& msg) {
    if (a.on_error == "fail") fail(msg, " (rerun with --on-error skip to leave such entries out)");
    skipped.push_back(msg);
  };
  std::vector<Entry> good;
  std::vector<std::string> ids, blocks, files;
  for (auto& e : entries) {
    if (!e.ok) { bad(e.error.empty() ? e.where + ": unreadable" : e.error); continue; }
    ids.push_back(e.id);
    files.push_back(e.file);
    blocks.push_back(e.texts.count("block") ? e.texts.at("block") : "");
    e.id = std::to_string(good.size());  // row keys through featurization (ids need not be unique)
    good.push_back(std::move(e));
  }
  std::vector<std::vector<double>> preds(good.size());  // [entry][model]
  std::vector<char> featurized(good.size(), 0);
  Progress prog("predict", good.size() * models.size(), !a.quiet);
  for (std::size_t k = 0; k < models.size(); ++k) {
    std::vector<std::string> errors;
    Dataset d = featurize_entries(good, featurize_options(models[k]), errors);
    if (k == 0)
      for (const auto& e : errors) bad(e);
    auto p = predict_dataset(models[k], d, 64, &prog);
    for (std::size_t i = 0; i < d.records.size(); ++i) {
      const auto row = static_cast<std::size_t>(std::stoull(d.records[i].id));
      if (k == 0) featurized[row] = 1;
      if (featurized[row]) preds[row].push_back(p[i]);
    }
  }
  prog.finish();
  const bool ensemble = models.size() > 1;
  const std::string unit = spec.unit_label();
  nlohmann::json js = nlohmann::json::array();
  std::string csv = "id,file,block,formula," + m0.task + "_predicted" + (ensemble ? ",std,models" : "") + ",unit,target,abs_error\n";
  double abs_sum = 0;
  std::size_t with_target = 0, written = 0;
  std::vector<std::string> formulas(good.size());
  {
    // The formula as the featurizer writes it (from the first model's pass).
    std::vector<std::string> errors;
    PrepareOptions po = featurize_options(m0);
    po.describe = false;
    po.vocab.clear();
    Dataset d = featurize_entries(good, po, errors);
    for (const auto& r : d.records) formulas[static_cast<std::size_t>(std::stoull(r.id))] = r.formula;
  }
  for (std::size_t i = 0; i < good.size(); ++i) {
    if (!featurized[i] || preds[i].size() != models.size()) continue;
    double mean = 0;
    for (double x : preds[i]) mean += x;
    mean /= static_cast<double>(preds[i].size());
    double sd = 0;
    for (double x : preds[i]) sd += (x - mean) * (x - mean);
    sd = preds[i].size() > 1 ? std::sqrt(sd / static_cast<double>(preds[i].size() - 1)) : 0.0;
    auto target = task_target(spec.task, good[i], spec.field);
    char v[64], sdv[48], tv[48] = "", ev[48] = "";
    std::snprintf(v, sizeof v, "%.9g", mean);
    std::snprintf(sdv, sizeof sdv, "%.9g", sd);
    if (target && std::isfinite(target->value)) {
      std::snprintf(tv, sizeof tv, "%.9g", target->value);
      std::snprintf(ev, sizeof ev, "%.9g", std::fabs(mean - target->value));
      abs_sum += std::fabs(mean - target->value);
      ++with_target;
    }
    csv += csv_field(ids[i]) + "," + csv_field(files[i]) + "," + csv_field(blocks[i]) + "," + csv_field(formulas[i]) +
           "," + v + (ensemble ? std::string(",") + sdv + "," + std::to_string(models.size()) : "") + "," +
           csv_field(unit) + "," + tv + "," + ev + "\n";
    nlohmann::json row = {{"id", ids[i]}, {"file", files[i]}, {"formula", formulas[i]}, {"predicted", mean}, {"unit", unit}};
    if (!blocks[i].empty()) row["block"] = blocks[i];
    if (ensemble) { row["std"] = sd; row["models"] = models.size(); row["per_model"] = preds[i]; }
    if (*tv) { row["target"] = target->value; row["abs_error"] = std::fabs(mean - target->value); }
    js.push_back(row);
    ++written;
  }
  for (const auto& e : skipped) std::fprintf(stderr, "skipped: %s\n", e.c_str());
  std::string out = a.format == "json" ? nlohmann::json{{"task", m0.task}, {"unit", unit}, {"model", m0.config.kind},
                                                        {"checkpoints", a.checkpoints}, {"predictions", js}}.dump(1) + "\n"
                                       : csv;
  if (a.out.empty()) {
    std::fputs(out.c_str(), stdout);
  } else {
    write_file_atomic(a.out, out);
    std::printf("%zu predictions (%s, %s model%s) written to %s%s\n", written, m0.task.c_str(), m0.config.kind.c_str(),
                ensemble ? (", mean of " + std::to_string(models.size())).c_str() : "", a.out.c_str(),
                skipped.empty() ? "" : (", " + std::to_string(skipped.size()) + " skipped").c_str());
  }
  if (with_target > 0)
    std::fprintf(stderr, "MAE against the targets present: %.6g %s over %zu structures\n",
                 abs_sum / static_cast<double>(with_target), unit.c_str(), with_target);
  return written > 0 || skipped.empty() ? 0 : 1;
}

}  // namespace

void register_predict(CLI::App& app, Action& action) {
  auto a = std::make_shared<PredictArgs>();
  auto* pred = app.add_subcommand("predict", "Predict a trained model's target for new structures");
  pred->add_option("--checkpoint", a->checkpoints,
                   "Run directory of 'cast train' (uses best/) or a checkpoint folder; several (e.g. the three "
                   "seeds) give the mean and standard deviation per structure (repeat --checkpoint)")
      ->required()
      ->allow_extra_args(false);
  pred->add_option("files", a->files,
                   "Structures: CIF, POSCAR, pymatgen JSON files, folders of them (id_prop.csv not needed), or a "
                   "dataset file (all its entries)")
      ->required();
  pred->add_option("-o,--out", a->out, "Write the predictions here (default: standard output)");
  pred->add_option("--format", a->format, "csv | json")->check(CLI::IsMember({"csv", "json"}))->capture_default_str();
  pred->add_option("--on-error", a->on_error,
                   "skip: leave out a bad entry (unreadable, empty, disordered, overlapping atoms) with a message; "
                   "fail: stop at the first")
      ->check(CLI::IsMember({"skip", "fail"}))->capture_default_str();
  pred->add_option("--device", a->device, "cpu or cuda")->capture_default_str();
  pred->add_option("--limit", a->limit, "At most N entries per file");
  pred->add_flag("-q,--quiet", a->quiet, "No progress bar");
  pred->callback([a, &action] {
    action = [a] { return predict_command(*a); };
  });

  auto* ex = app.add_subcommand("explain", "Cross-attention (nodes x tokens) of one structure, per layer and head");
  ex->add_option("--checkpoint", a->checkpoint, "Run directory of a CAST model (cast or cast-scratch)")->required();
  ex->add_option("file", a->files, "One structure file (or a dataset file with --id)")->required()->expected(1);
  ex->add_option("--id", a->id, "Entry of a dataset file to explain (default: the first)");
  ex->add_option("-o,--out", a->prefix, "Output prefix (default explain-<id>): PREFIX.csv, PREFIX.png, PREFIX.svg");
  ex->add_option("--device", a->device, "cpu or cuda")->capture_default_str();
  ex->callback([a, &action] {
    action = [a] {
      LoadedModel m = load_trained_model(a->checkpoint, a->device);
      auto entries = read_all(a->files, 0);
      if (!a->id.empty()) {
        auto it = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) { return e.id == a->id; });
        if (it == entries.end()) fail(a->files.front(), ": no entry '", a->id, "'");
        entries = {std::move(*it)};
      }
      if (entries.empty()) fail(a->files.front(), ": no structure");
      entries.resize(1);
      std::vector<std::string> errors;
      Dataset d = featurize_entries(entries, featurize_options(m), errors);
      if (d.records.empty()) fail(errors.empty() ? a->files.front() + ": cannot featurize" : errors.front());
      auto sa = attention_of(m, d, {0}).front();
      const auto pred = predict_dataset(m, d).front();
      std::string prefix = a->prefix.empty() ? "explain-" + d.records[0].id : a->prefix;
      for (auto& ch : prefix) if (ch == ' ') ch = '_';
      std::string csv = "layer,head,node,node_label,token_index,token,weight\n";
      for (std::size_t l = 0; l < sa.w.size(); ++l)
        for (std::size_t h = 0; h < sa.w[l].size(); ++h)
          for (std::size_t i = 0; i < sa.nodes.size(); ++i)
            for (std::size_t j = 0; j < sa.tokens.size(); ++j) {
              char v[32];
              std::snprintf(v, sizeof v, "%.6g", sa.w[l][h][i][j]);
              csv += std::to_string(l + 1) + "," + std::to_string(h + 1) + "," + std::to_string(i + 1) + "," +
                     csv_field(sa.nodes[i]) + "," + std::to_string(j) + "," + csv_field(sa.tokens[j]) + "," + v + "\n";
            }
      write_file_atomic(prefix + ".csv", csv);
      std::vector<Heatmap> panels;
      for (std::size_t l = 0; l < sa.w.size(); ++l)
        panels.push_back({"layer " + std::to_string(l + 1) + " (mean over " + std::to_string(sa.w[l].size()) + " heads)",
                          sa.nodes, sa.tokens, sa.head_mean(l)});
      char title[256];
      std::snprintf(title, sizeof title, "%s %s: %s predicted %.4g %s (%s)", d.records[0].id.c_str(),
                    d.records[0].formula.c_str(), m.task.c_str(), pred, task_spec_from_name(m.task, m.unit).unit_label().c_str(),
                    m.config.kind.c_str());
      const std::string tpl = repo_path("plots/fig2.gp");
      if (!file_exists(tpl)) fail("plots/fig2.gp: gnuplot template not found beside the binary or in the source tree");
      auto files = render_heatmaps(panels, static_cast<int>(panels.size()), 1, prefix, title, tpl);
      std::printf("%s\nattention: %zu layers x %zu heads x %zu nodes x %zu tokens in %s.csv; maps in %s.png and %s.svg\n",
                  title, sa.w.size(), sa.w.empty() ? 0 : sa.w[0].size(), sa.nodes.size(), sa.tokens.size(),
                  prefix.c_str(), prefix.c_str(), prefix.c_str());
      return 0;
    };
  });

  auto* fd = app.add_subcommand("figure-data", "Compute and store the data of Figure 2 or 3 from table1's CAST runs");
  fd->add_option("figure", a->figure, "fig2 | fig3")->required()->check(CLI::IsMember({"fig2", "fig3"}));
  fd->add_option("--db", a->db, "Results database")->capture_default_str();
  fd->add_option("--store-journal", a->journal, "wal | delete (one writer; a store on NFS/Lustre)")
      ->check(CLI::IsMember({"wal", "delete"}))->capture_default_str();
  fd->add_option("--profile", a->profile, "Profile of the runs")->capture_default_str();
  fd->add_option("--experiment", a->experiment, "Experiment of the runs")->capture_default_str();
  fd->add_option("--seed", a->seed, "Seed of the runs")->capture_default_str();
  fd->add_option("--id", a->id, "Figure 2's structure (default mp-1963, else the first four-node test structure)");
  fd->add_option("--bins", a->bins, "Figure 3's histogram bins")->capture_default_str();
  fd->add_option("--max-tokens-shown", a->max_tokens_shown, "Figure 2's tokens shown")->capture_default_str();
  fd->add_option("--device", a->device, "cpu or cuda")->capture_default_str();
  fd->callback([a, &action] {
    action = [a] {
      if (a->id.empty()) a->id = "mp-1963";
      resolve_device(a->device);  // a bad name or a missing GPU fails before any work
      return figure_data(*a);
    };
  });
}

}  // namespace cast::cli
