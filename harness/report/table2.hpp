// Table 2 (dataset statistics) from the results store alone, the paper's values beside ours:
// per task, train and val/test: entries, asymmetric-unit nodes, tokens (before truncation) and
// the share truncated, text existence, and the target's mean (std). Markdown, LaTeX or CSV.
#pragma once
#include <string>
#include <vector>

#include "report/table1.hpp"
#include "store/results_store.hpp"

namespace cast {

struct Table2Options {
  std::string profile = "demo";
  std::string paper_csv;  // results/paper_table2.csv
  TableFormat format = TableFormat::Markdown;
};

// The statistics `cast data prepare --db` and `cast reproduce table2` store for a dataset.
std::string render_table2(const ResultsStore& store, const Table2Options& opt);

}  // namespace cast
