// cast plot fig2|fig3|curves: figures from the results store alone, through gnuplot (PNG + SVG).
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "cli/commands.hpp"
#include "common/error.hpp"
#include "common/file_io.hpp"
#include "report/plots.hpp"
#include "store/results_store.hpp"

namespace cast::cli {

namespace {
struct PlotArgs {
  std::string figure, db = "results/cast.db", profile = "demo", experiment = "table1", out, template_file;
  std::uint64_t seed = 0;
};

const std::map<std::string, std::string> kTitles = {{"cast-scratch", "CAST w/o pretraining"}, {"cast", "CAST (MNP)"}};
std::string title_of(const std::string& m) {
  auto it = kTitles.find(m);
  return it == kTitles.end() ? m : it->second;
}
}  // namespace

std::string plot_template(const std::string& figure, const std::string& given) {
  if (!given.empty()) {
    if (!file_exists(given)) fail(given, ": no such gnuplot template");
    return given;
  }
  const std::string rel = "plots/" + figure + ".gp";
  const std::string p = repo_path(rel);
  if (!file_exists(p)) fail(rel, ": gnuplot template not found beside the binary or in the source tree; pass --template FILE");
  return p;
}

std::vector<std::string> plot_figure(const std::string& figure, const std::string& db, const std::string& profile,
                                     const std::string& experiment, std::uint64_t seed, const std::string& prefix,
                                     const std::string& template_file) {
  const std::string tpl = plot_template(figure, template_file);
  if (!file_exists(db)) fail(db, ": no results database; run 'cast reproduce' first");
  ResultsStore store(db);
  if (figure == "fig2") {
    auto maps = store.attention_maps("fig2", profile);
    if (maps.empty()) fail("no Figure 2 data in ", db, " for profile ", profile, "; run 'cast reproduce fig2 --profile ", profile, "'");
    std::map<int, std::map<std::string, Heatmap>> by_layer;  // layer -> model -> map
    std::string sample, task;
    std::vector<std::string> models;
    for (const auto& [k, cells] : maps) {
      models.push_back(k.model);
      sample = k.sample_id;
      task = k.task;
      for (const auto& c : cells) {
        Heatmap& h = by_layer[c.layer][k.model];
        if (h.row_labels.size() <= static_cast<std::size_t>(c.node)) {
          h.row_labels.resize(static_cast<std::size_t>(c.node) + 1);
          h.z.resize(static_cast<std::size_t>(c.node) + 1);
        }
        h.row_labels[static_cast<std::size_t>(c.node)] = c.node_label;
        auto& row = h.z[static_cast<std::size_t>(c.node)];
        if (row.size() <= static_cast<std::size_t>(c.token_index)) row.resize(static_cast<std::size_t>(c.token_index) + 1);
        row[static_cast<std::size_t>(c.token_index)] = c.weight;
        if (h.col_labels.size() <= static_cast<std::size_t>(c.token_index))
          h.col_labels.resize(static_cast<std::size_t>(c.token_index) + 1);
        h.col_labels[static_cast<std::size_t>(c.token_index)] = c.token;
      }
    }
    std::sort(models.begin(), models.end(), [](const std::string& a, const std::string& b) {
      return (a == "cast") < (b == "cast");  // without pretraining first, as in the paper
    });
    std::vector<Heatmap> panels;
    for (auto& [layer, per_model] : by_layer) {
      // One colour scale for the models of a layer, so that they compare by eye.
      double top = 0;
      for (const auto& [m, h] : per_model)
        for (const auto& r : h.z)
          for (double x : r) top = std::max(top, x);
      for (const auto& m : models) {
        Heatmap h = per_model[m];
        h.cbmax = top;
        h.title = title_of(m) + ", layer " + std::to_string(layer + 1);
        panels.push_back(h);
      }
    }
    return render_heatmaps(panels, static_cast<int>(by_layer.size()), static_cast<int>(models.size()), prefix,
                           "Figure 2: cross-attention of " + sample + " (" + task + ", profile " + profile +
                               "), mean over heads; one colour scale per layer",
                           tpl);
  }
  if (figure == "fig3") {
    auto hs = store.histograms("fig3", profile);
    if (hs.empty()) fail("no Figure 3 data in ", db, " for profile ", profile, "; run 'cast reproduce fig3 --profile ", profile, "'");
    std::map<int, CurvePanel> panels;
    std::string task;
    double xmin = 0, xmax = 0;
    int nbins = 0;
    for (const auto& [k, bins] : hs) {
      task = k.task;
      std::map<int, Curve> per_layer;
      std::map<int, double> total;
      for (const auto& b : bins) total[b.layer] += b.count;
      for (const auto& b : bins) {
        Curve& c = per_layer[b.layer];
        c.name = title_of(k.model);
        const double f = total[b.layer] > 0 ? b.count / total[b.layer] : 0;
        c.x.push_back(b.lo);
        c.y.push_back(f);
        if (xmin == 0 || b.lo < xmin) xmin = b.lo;
        xmax = std::max(xmax, b.hi);
      }
      // gnuplot's steps: the last bin's right edge closes the curve.
      for (auto& [layer, c] : per_layer) {
        if (!c.x.empty()) { c.x.push_back(xmax); c.y.push_back(c.y.back()); }
        nbins = std::max(nbins, static_cast<int>(c.x.size()) - 1);
      }
      for (auto& [layer, c] : per_layer) {
        CurvePanel& p = panels[layer];
        p.title = "layer " + std::to_string(layer + 1);
        p.xlabel = "1 - cos of node attention rows";
        p.ylabel = "fraction of node pairs";
        p.logx = true;
        p.curves.push_back(c);
      }
    }
    if (!(xmin > 0)) fail("Figure 3 data in ", db, " was stored on a linear cosine axis by an older cast; run 'cast figure-data fig3' again");
    std::vector<CurvePanel> v;
    for (auto& [l, p] : panels) v.push_back(p);
    const int cols = std::min<int>(2, static_cast<int>(v.size()));
    char note[160];
    std::snprintf(note, sizeof note,
                  "%d log bins of 1 - cos, %.0e to %.0e, one axis for all panels (below %.0e: first bin)", nbins,
                  xmin, xmax, xmin);
    FigureVars extra;
    extra.strings = {{"bins_note", note}};
    extra.numbers = {{"xmin", xmin}, {"xmax", xmax}};
    return render_curves(v, (static_cast<int>(v.size()) + cols - 1) / cols, cols, prefix,
                         "Figure 3: similarity of node attention over the " + task + " test set (profile " + profile + ")",
                         tpl, extra);
  }
  if (figure == "curves") {
    std::map<std::string, CurvePanel> panels;  // task -> panel
    for (const auto& r : store.runs()) {
      if (r.key.profile != profile || r.key.experiment != experiment || r.key.seed != seed) continue;
      CurvePanel& p = panels[r.key.task];
      p.title = r.key.task + " (seed " + std::to_string(seed) + ")";
      p.xlabel = "epoch";
      p.ylabel = "validation MAE";
      p.logy = true;
      Curve c;
      c.name = r.key.model;
      for (const auto& e : store.epochs(r.id)) { c.x.push_back(e.epoch); c.y.push_back(e.val_mae); }
      if (!c.x.empty()) p.curves.push_back(c);
    }
    if (panels.empty()) fail("no runs of experiment '", experiment, "' at profile ", profile, " seed ", seed, " in ", db);
    std::vector<CurvePanel> v;
    for (auto& [t, p] : panels) v.push_back(p);
    const int cols = std::min<int>(2, static_cast<int>(v.size()));
    return render_curves(v, (static_cast<int>(v.size()) + cols - 1) / cols, cols, prefix,
                         "Learning curves, " + experiment + ", profile " + profile, tpl);
  }
  fail("unknown figure '", figure, "'; valid: fig2, fig3, curves");
}

void register_plot(CLI::App& app, Action& action) {
  auto a = std::make_shared<PlotArgs>();
  auto* cmd = app.add_subcommand("plot", "Figures 2 and 3 and learning curves from the results store (gnuplot)");
  cmd->add_option("figure", a->figure, "fig2 | fig3 | curves")->required()->check(CLI::IsMember({"fig2", "fig3", "curves"}));
  cmd->add_option("--db", a->db, "Results database")->capture_default_str();
  cmd->add_option("--profile", a->profile, "Profile")->capture_default_str();
  cmd->add_option("--experiment", a->experiment, "Experiment (learning curves)")->capture_default_str();
  cmd->add_option("--seed", a->seed, "Seed (learning curves)")->capture_default_str();
  cmd->add_option("-o,--out", a->out, "Output prefix (default results/<profile>/<figure>)");
  cmd->add_option("--template", a->template_file,
                  "A gnuplot template of one's own (default plots/<figure>.gp beside the binary or in the source tree)");
  cmd->callback([a, &action] {
    action = [a] {
      std::string prefix = a->out;
      if (prefix.empty()) {
        make_directories("results/" + a->profile);
        prefix = "results/" + a->profile + "/" + a->figure;
      }
      for (const auto& f : plot_figure(a->figure, a->db, a->profile, a->experiment, a->seed, prefix, a->template_file))
        std::printf("wrote %s\n", f.c_str());
      return 0;
    };
  });
}

}  // namespace cast::cli
