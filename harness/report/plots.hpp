// Figures through gnuplot templates (plots/fig2.gp, plots/fig3.gp, plots/curves.gp): cast writes
// one self-contained script <prefix>.gp, the figure's data and variables followed by the
// template's text, and renders it to <prefix>.png and <prefix>.svg. A user restyles a figure by
// editing a template (or passing one's own); `gnuplot <prefix>.gp` redraws it without cast.
#pragma once
#include <string>
#include <vector>

namespace cast {

struct Heatmap {
  std::string title;
  std::vector<std::string> row_labels, col_labels;
  std::vector<std::vector<double>> z;  // [rows][cols]
  double cbmax = 0;                    // the colour scale's top; 0: this panel's own maximum
};

struct Curve {
  std::string name;
  std::vector<double> x, y;
};
struct CurvePanel {
  std::string title, xlabel, ylabel;
  std::vector<Curve> curves;
  bool logx = false, logy = false;
};

// Figure-wide variables beyond the panels (Figure 3's axis and bin note).
struct FigureVars {
  std::vector<std::pair<std::string, std::string>> strings;  // name -> text
  std::vector<std::pair<std::string, double>> numbers;       // name -> value
};

// Writes <prefix>.gp (data, variables, then the template file's text) and renders PNG and SVG;
// returns the files written. Throws naming the template when it is missing, and the script when
// gnuplot fails or is missing (the script stays for the user to run).
std::vector<std::string> render_heatmaps(const std::vector<Heatmap>& panels, int rows, int cols,
                                         const std::string& prefix, const std::string& title,
                                         const std::string& template_file);
std::vector<std::string> render_curves(const std::vector<CurvePanel>& panels, int rows, int cols,
                                       const std::string& prefix, const std::string& title,
                                       const std::string& template_file, const FigureVars& extra = {});

// A string as a gnuplot double-quoted literal, shown as it is (templates use noenhanced).
std::string gnuplot_quote(const std::string& s);

}  // namespace cast
