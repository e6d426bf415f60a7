#include "report/table1.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>
#include <sstream>

#include "common/error.hpp"
#include "common/file_io.hpp"
#include "data/tasks.hpp"

namespace cast {

TableFormat parse_table_format(const std::string& s) {
  if (s == "md" || s == "markdown") return TableFormat::Markdown;
  if (s == "latex" || s == "tex") return TableFormat::Latex;
  if (s == "csv") return TableFormat::Csv;
  fail("unknown table format '", s, "'; valid formats: markdown, latex, csv");
}

namespace {
const std::vector<std::string> kModels = {"cogn", "bert", "crysmmnet-frozen", "crysmmnet-lora", "multimat", "cast-scratch", "cast"};
const std::map<std::string, std::string> kModelNames = {
    {"cogn", "coGN"}, {"bert", "BERT (text only)"}, {"crysmmnet-frozen", "CrysMMNet (frozen LM)"},
    {"crysmmnet-lora", "CrysMMNet (LoRA ft)"}, {"multimat", "MultiMat"}, {"cast-scratch", "CAST (w/o pretraining)"},
    {"cast", "CAST"}};
const std::vector<std::string> kTasks = {"total_energy", "formation_energy", "band_gap", "log_gvrh", "log_kvrh"};

struct Cell {
  double mean = 0, std = 0;
  int n = 0;
};

std::string fmt(double x, int digits = 3) {
  char b[32];
  std::snprintf(b, sizeof b, "%.*f", digits, x);
  return b;
}
}  // namespace

namespace {
std::string unit_of(const std::string& task) {
  for (const auto& t : all_tasks())
    if (task == t.name) return t.unit;
  return "?";
}
}  // namespace

std::string render_table1(const ResultsStore& store, const Table1Options& opt) {
  // Ours: test MAE per finished run, recomputed from predictions by the store.
  // One run per (model, task, seed): the newest finished one when several datasets or encoders
  // were tried under one experiment (a store never mixes them into one cell).
  std::map<std::tuple<std::string, std::string, std::uint64_t>, RunInfo> chosen;
  for (const auto& r : store.runs("status='done'")) {
    if (r.key.profile != opt.profile) continue;
    if (!opt.experiment.empty() && r.key.experiment != opt.experiment) continue;
    auto k = std::make_tuple(r.key.model, r.key.task, r.key.seed);
    auto it = chosen.find(k);
    if (it == chosen.end() || r.finished > it->second.finished) chosen[k] = r;
  }
  std::map<std::pair<std::string, std::string>, std::vector<double>> maes;
  std::map<std::string, std::set<std::string>> encoders;  // task -> text encoders used
  for (const auto& [k, r] : chosen) {
    for (const auto& [name, v] : store.metrics(r.id, "test"))
      if (name == "mae") maes[{r.key.model, r.key.task}].push_back(v);
    if (!r.text_encoder.empty()) encoders[r.key.task].insert(r.text_encoder);
  }
  std::map<std::pair<std::string, std::string>, Cell> ours, paper;
  for (auto& [k, v] : maes) {
    Cell c;
    c.n = static_cast<int>(v.size());
    for (double x : v) c.mean += x;
    c.mean /= c.n;
    for (double x : v) c.std += (x - c.mean) * (x - c.mean);
    c.std = c.n > 1 ? std::sqrt(c.std / (c.n - 1)) : 0.0;
    ours[k] = c;
  }
  if (!opt.paper_csv.empty() && file_exists(opt.paper_csv)) {
    std::istringstream is(read_file(opt.paper_csv));
    std::string line;
    while (std::getline(is, line)) {
      if (line.empty() || line[0] == '#' || line.rfind("model,", 0) == 0) continue;
      std::istringstream ls(line);
      std::string m, t, a, b;
      std::getline(ls, m, ',');
      std::getline(ls, t, ',');
      std::getline(ls, a, ',');
      std::getline(ls, b, ',');
      paper[{m, t}] = {std::stod(a), std::stod(b), 3};
    }
  }
  // The reference row (MatBench's Dummy model): per task and seed, the training split's mean
  // target as the prediction for every test entry, from a chosen run's stored training and test
  // predictions (their targets; the model's own predictions play no part). Never ranked.
  std::map<std::string, Cell> reference;
  {
    std::map<std::string, std::map<std::uint64_t, double>> per_seed;  // task -> seed -> MAE
    for (const auto& m : kModels)
      for (const auto& [k, r] : chosen) {
        if (std::get<0>(k) != m || per_seed[r.key.task].count(r.key.seed)) continue;
        double sum = 0;
        std::size_t n = 0;
        for (const auto& p : store.predictions(r.id, "train")) {
          sum += p.y_true;
          ++n;
        }
        if (n == 0) continue;  // recorded before training predictions were kept
        const double mean = sum / static_cast<double>(n);
        double abs = 0;
        std::size_t nt = 0;
        for (const auto& p : store.predictions(r.id, "test")) {
          abs += std::fabs(p.y_true - mean);
          ++nt;
        }
        if (nt) per_seed[r.key.task][r.key.seed] = abs / static_cast<double>(nt);
      }
    for (const auto& [t, seeds] : per_seed) {
      if (seeds.empty()) continue;
      Cell c;
      c.n = static_cast<int>(seeds.size());
      for (const auto& [seed, v] : seeds) c.mean += v;
      c.mean /= c.n;
      for (const auto& [seed, v] : seeds) c.std += (v - c.mean) * (v - c.mean);
      c.std = c.n > 1 ? std::sqrt(c.std / (c.n - 1)) : 0.0;
      reference[t] = c;
    }
  }
  std::vector<std::string> tasks;
  for (const auto& t : kTasks)
    if (std::any_of(ours.begin(), ours.end(), [&](const auto& kv) { return kv.first.second == t; })) tasks.push_back(t);
  // Rank per task: 1 best, 2 second.
  std::map<std::pair<std::string, std::string>, int> rank;
  for (const auto& t : tasks) {
    std::vector<std::pair<double, std::string>> v;
    for (const auto& m : kModels)
      if (ours.count({m, t})) v.push_back({ours[{m, t}].mean, m});
    std::sort(v.begin(), v.end());
    for (std::size_t i = 0; i < v.size() && i < 2; ++i) rank[{v[i].second, t}] = static_cast<int>(i + 1);
  }
  std::ostringstream os;
  const bool md = opt.format == TableFormat::Markdown, tex = opt.format == TableFormat::Latex;
  if (opt.format == TableFormat::Csv) {
    os << "model,task,runs,mae_mean,mae_std,paper_mean,paper_std,difference,unit\n";
    for (const auto& m : kModels)
      for (const auto& t : tasks) {
        if (!ours.count({m, t})) continue;
        const Cell& c = ours[{m, t}];
        os << m << "," << t << "," << c.n << "," << fmt(c.mean, 4) << "," << fmt(c.std, 4) << ",";
        if (paper.count({m, t})) os << fmt(paper[{m, t}].mean, 4) << "," << fmt(paper[{m, t}].std, 4) << "," << fmt(c.mean - paper[{m, t}].mean, 4);
        else os << ",,";
        os << "," << unit_of(t) << "\n";
      }
    for (const auto& t : tasks)
      if (reference.count(t))
        os << "mean-predictor (reference)," << t << "," << reference[t].n << "," << fmt(reference[t].mean, 4) << ","
           << fmt(reference[t].std, 4) << ",,,," << unit_of(t) << "\n";
    return os.str();
  }
  auto cell = [&](const std::string& m, const std::string& t) {
    if (!ours.count({m, t})) return std::string("-");
    const Cell& c = ours[{m, t}];
    std::string v = fmt(c.mean) + " (" + fmt(c.std) + ")";
    const int rk = rank.count({m, t}) ? rank[{m, t}] : 0;
    if (rk == 1) v = md ? "**" + v + "**" : "\\textbf{" + v + "}";
    if (rk == 2) v = md ? "<u>" + v + "</u>" : "\\underline{" + v + "}";
    if (paper.count({m, t})) {
      const Cell& p = paper[{m, t}];
      v += std::string(md ? " / " : " / ") + fmt(p.mean) + " (" + fmt(p.std) + ")";
      const double diff = c.mean - p.mean;
      v += std::string(" [") + (diff >= 0 ? "+" : "") + fmt(diff) + "]";
    }
    if (c.n < 3) v += md ? " (n=" + std::to_string(c.n) + ")" : " ($n$=" + std::to_string(c.n) + ")";
    return v;
  };
  auto reference_cell = [&](const std::string& t) {
    if (!reference.count(t)) return std::string("-");
    const Cell& c = reference[t];
    std::string v = fmt(c.mean) + " (" + fmt(c.std) + ")";
    return md ? "*" + v + "*" : "\\textit{" + v + "}";
  };
  const std::string reference_note =
      "Mean predictor: the training split's mean target predicted for every test entry (a reference, never "
      "ranked); a model at or above it has learned nothing.";
  if (md) {
    os << "Table 1: test MAE, mean (std) over seeds; ours / paper [ours - paper]. Profile " << opt.profile << ".\n\n";
    os << "| model |";
    for (const auto& t : tasks) os << " " << t << " (" << unit_of(t) << ") |";
    os << "\n|---|";
    for (std::size_t i = 0; i < tasks.size(); ++i) os << "---|";
    os << "\n";
    for (const auto& m : kModels) {
      os << "| " << kModelNames.at(m) << " |";
      for (const auto& t : tasks) os << " " << cell(m, t) << " |";
      os << "\n";
    }
    if (!reference.empty()) {
      os << "| *Mean predictor (reference)* |";
      for (const auto& t : tasks) os << " " << reference_cell(t) << " |";
      os << "\n\n" << reference_note << "\n";
    }
  } else if (tex) {
    os << "% Table 1 (profile " << opt.profile << "): ours / paper [difference]\n\\begin{tabular}{l";
    for (std::size_t i = 0; i < tasks.size(); ++i) os << "c";
    os << "}\n\\hline\nmodel";
    for (const auto& t : tasks) {
      std::string tt = t;
      std::replace(tt.begin(), tt.end(), '_', ' ');
      os << " & " << tt << " (" << unit_of(t) << ")";
    }
    os << " \\\\\n\\hline\n";
    for (const auto& m : kModels) {
      os << kModelNames.at(m);
      for (const auto& t : tasks) os << " & " << cell(m, t);
      os << " \\\\\n";
    }
    if (!reference.empty()) {
      os << "\\hline\n\\textit{Mean predictor (reference)}";
      for (const auto& t : tasks) os << " & " << reference_cell(t);
      os << " \\\\\n";
    }
    os << "\\hline\n\\end{tabular}\n";
    if (!reference.empty()) os << "% " << reference_note << "\n";
  }
  os << (md ? "\nText encoders:" : "% Text encoders:");
  for (const auto& [t, set] : encoders)
    for (const auto& e : set) os << " " << t << "=" << e;
  os << "\n";
  return os.str();
}

}  // namespace cast
