// Table 1 from the results store alone: test MAE mean (std) over seeds per model and task, the
// paper's value and our difference beside each cell, best in bold and second underlined (as in
// the paper), in Markdown, LaTeX or CSV. Output depends only on the database and the paper CSV,
// so regenerating it gives the same bytes.
#pragma once
#include <string>

#include "store/results_store.hpp"

namespace cast {

enum class TableFormat { Markdown, Latex, Csv };
TableFormat parse_table_format(const std::string& s);

struct Table1Options {
  std::string profile = "demo";
  std::string experiment = "table1";  // empty: every experiment
  std::string paper_csv;     // results/paper_table1.csv
  TableFormat format = TableFormat::Markdown;
};

std::string render_table1(const ResultsStore& store, const Table1Options& opt);

}  // namespace cast
