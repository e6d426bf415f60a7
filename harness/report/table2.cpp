#include "report/table2.hpp"

#include <cstdio>
#include <map>
#include <sstream>

#include "common/error.hpp"
#include "common/file_io.hpp"

namespace cast {

namespace {
using Row = std::map<std::string, double>;

std::map<std::pair<std::string, std::string>, Row> read_paper(const std::string& path) {
  std::map<std::pair<std::string, std::string>, Row> out;
  if (path.empty() || !file_exists(path)) return out;
  std::vector<std::string> header;
  for_each_line(path, [&](std::string&& line, std::size_t) {
    if (line.empty() || line[0] == '#') return true;
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
    if (header.empty()) { header = f; return true; }
    if (f.size() != header.size()) return true;
    Row r;
    for (std::size_t i = 2; i < f.size(); ++i) r[header[i]] = std::atof(f[i].c_str());
    out[{f[0], f[1]}] = r;
    return true;
  });
  return out;
}

std::string num(double x, int digits) {
  char b[48];
  std::snprintf(b, sizeof b, "%.*f", digits, x);
  return b;
}
}  // namespace

std::string render_table2(const ResultsStore& store, const Table2Options& opt) {
  const auto paper = read_paper(opt.paper_csv);
  const auto data = store.dataset_stats(opt.profile);
  std::ostringstream o;
  const bool md = opt.format == TableFormat::Markdown, tex = opt.format == TableFormat::Latex;
  if (md) {
    o << "Table 2, profile `" << opt.profile << "`: ours, paper in brackets. Nodes: asymmetric-unit atoms; tokens: "
         "full description before truncation; texts served / ours: descriptions the source served (the Materials "
         "Project's Robocrystallographer texts) and those cast's describer wrote.\n\n"
      << "| task | split | entries | nodes mean (std) | tokens mean (std) | truncated | text existence | texts served / "
         "ours | Y mean (std) |\n"
      << "|---|---|---|---|---|---|---|---|---|\n";
  } else if (tex) {
    o << "% Table 2, profile " << opt.profile << "; paper values in brackets\n\\begin{tabular}{llrllrlll}\n\\toprule\n"
      << "Task & Split & Entries & Nodes & Tokens & Truncated & Text & Served / ours & Y \\\\\n\\midrule\n";
  } else {
    o << "task,split,entries,nodes_mean,nodes_std,tokens_mean,tokens_std,truncated_rate,text_rate,y_mean,y_std,"
         "paper_nodes_mean,paper_nodes_std,paper_tokens_mean,paper_tokens_std,paper_text_rate,paper_y_mean,paper_y_std,"
         "texts_source,texts_describer\n";
  }
  for (const auto& [task, src_stats] : data) {
    std::map<std::string, Row> by_split;
    for (const auto& s : src_stats.second) by_split[s.split][s.name] = s.value;
    for (const char* split : {"train", "val+test"}) {
      auto it = by_split.find(split);
      if (it == by_split.end()) continue;
      Row& r = it->second;
      auto pit = paper.find({task, split});
      const Row* p = pit == paper.end() ? nullptr : &pit->second;
      auto pair = [&](const char* m, const char* s, int d) { return num(r[m], d) + " (" + num(r[s], d) + ")"; };
      auto ppair = [&](const char* m, const char* s, int d) {
        return p ? " [" + num(p->at(m), d) + " (" + num(p->at(s), d) + ")]" : std::string();
      };
      const bool has_tokens = r["tokens_mean"] > 0;
      const std::string tokens = has_tokens ? pair("tokens_mean", "tokens_std", 2) : std::string("n/a");
      const std::string text = num(100 * r["text_rate"], 1) + "%" + (p ? " [" + num(100 * p->at("text_rate"), 1) + "%]" : "");
      // Where the texts came from: the source's served descriptions, or cast's describer (stores
      // written before the count have neither).
      const bool has_origin = r.count("texts_source") && r.count("texts_describer");
      const std::string origin = has_origin ? std::to_string(static_cast<long long>(r["texts_source"])) + " / " +
                                                  std::to_string(static_cast<long long>(r["texts_describer"]))
                                            : std::string("n/a");
      if (md || tex) {
        const std::string sep = md ? " | " : " & ";
        std::string split_name = split;
        if (tex) split_name = split == std::string("train") ? "train" : "val/test";
        o << (md ? "| " : "") << task << sep << split_name << sep << static_cast<long long>(r["n"]) << sep
          << pair("nodes_mean", "nodes_std", 2) << ppair("nodes_mean", "nodes_std", 2) << sep << tokens
          << (has_tokens ? ppair("tokens_mean", "tokens_std", 2) : "") << sep
          << (has_tokens ? num(100 * r["truncated_rate"], 1) + "%" : "n/a") << sep << text << sep << origin << sep
          << pair("y_mean", "y_std", 2) << ppair("y_mean", "y_std", 2) << (md ? " |\n" : " \\\\\n");
      } else {
        o << task << "," << split << "," << static_cast<long long>(r["n"]);
        for (const char* k : {"nodes_mean", "nodes_std", "tokens_mean", "tokens_std", "truncated_rate", "text_rate",
                              "y_mean", "y_std"})
          o << "," << num(r[k], 4);
        for (const char* k : {"nodes_mean", "nodes_std", "tokens_mean", "tokens_std", "text_rate", "y_mean", "y_std"})
          o << "," << (p ? num(p->at(k), 4) : "");
        for (const char* k : {"texts_source", "texts_describer"})
          o << "," << (has_origin ? std::to_string(static_cast<long long>(r[k])) : "");
        o << "\n";
      }
    }
  }
  if (tex) o << "\\bottomrule\n\\end{tabular}\n";
  if (md && data.empty()) o << "\n(no dataset statistics stored for this profile: run `cast reproduce table2`)\n";
  if (md) {
    for (const auto& [task, src_stats] : data) o << "\n- " << task << ": " << src_stats.first;
    if (!data.empty()) o << "\n";
  }
  return o.str();
}

}  // namespace cast
