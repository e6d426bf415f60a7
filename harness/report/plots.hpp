// Figures through gnuplot: each figure is one self-contained script (<prefix>.gp, data inline)
// rendered to <prefix>.png and <prefix>.svg, so users can restyle a figure without cast.
#pragma once
#include <string>
#include <vector>

namespace cast {

struct Heatmap {
  std::string title;
  std::vector<std::string> row_labels, col_labels;
  std::vector<std::vector<double>> z;  // [rows][cols]
};

struct Curve {
  std::string name;
  std::vector<double> x, y;
};
struct CurvePanel {
  std::string title, xlabel, ylabel;
  std::vector<Curve> curves;
  bool histogram = false;  // draw as steps (histogram bins)
  bool logy = false;
};

// Writes <prefix>.gp and renders PNG and SVG; returns the files written. Throws naming the
// script when gnuplot fails or is missing (the script stays for the user to run).
std::vector<std::string> render_heatmaps(const std::vector<Heatmap>& panels, int rows, int cols,
                                         const std::string& prefix, const std::string& title);
std::vector<std::string> render_curves(const std::vector<CurvePanel>& panels, int rows, int cols,
                                       const std::string& prefix, const std::string& title);

// A string as a gnuplot double-quoted literal.
std::string gnuplot_quote(const std::string& s);

}  // namespace cast
