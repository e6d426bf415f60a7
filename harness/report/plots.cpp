#include "report/plots.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "common/error.hpp"
#include "common/file_io.hpp"

namespace cast {

std::string gnuplot_quote(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (ch == '\n') { out += "\\n"; continue; }
    out += ch;
  }
  return out + "\"";
}

namespace {

// A gnuplot single-quoted literal (only ' is special: doubled).
std::string single_quote(const std::string& s) {
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("''") : std::string(1, ch);
  return out + "'";
}

std::string number(double x) {
  char b[40];
  std::snprintf(b, sizeof b, "%.10g", x);
  return b;
}

std::string header(const std::string& prefix, const std::string& template_file, int width, int height,
                   const std::string& title, int rows, int cols, std::size_t npanels) {
  std::ostringstream o;
  o << "# written by cast from the results store: the figure's data and variables, then the template\n"
    << "# " << template_file << ". Render with: gnuplot -e \"fmt='png'\" " << prefix << ".gp  (or fmt='svg')\n"
    << "if (!exists(\"fmt\")) fmt = \"png\"\n"
    << "out_png = " << gnuplot_quote(prefix + ".png") << "\nout_svg = " << gnuplot_quote(prefix + ".svg") << "\n"
    << "width = " << width << "\nheight = " << height << "\nfigure_title = " << gnuplot_quote(title) << "\n"
    << "rows = " << rows << "\ncols = " << cols << "\nnpanels = " << npanels << "\n";
  return o.str();
}

std::string read_template(const std::string& file) {
  if (file.empty() || !file_exists(file))
    fail("gnuplot template ", file.empty() ? "(none given)" : file,
         " not found; cast looks for plots/<figure>.gp beside its binary and in the source tree, or pass --template FILE");
  return read_file(file);
}

std::vector<std::string> run_gnuplot(const std::string& prefix, const std::string& script) {
  const std::string gp = prefix + ".gp";
  write_file_atomic(gp, script);
  std::vector<std::string> out = {gp};
  for (const char* fmt : {"png", "svg"}) {
    const std::string cmd = "gnuplot -e \"fmt='" + std::string(fmt) + "'\" '" + gp + "' 2>" + prefix + ".gnuplot.log";
    const int rc = std::system(cmd.c_str());
    if (rc != 0) {
      std::string log = file_exists(prefix + ".gnuplot.log") ? read_file(prefix + ".gnuplot.log") : "";
      fail("gnuplot failed on ", gp, " (exit ", rc, "): ", log.empty() ? "is gnuplot installed? (apt install gnuplot-nox)" : log);
    }
    out.push_back(prefix + "." + fmt);
  }
  std::remove((prefix + ".gnuplot.log").c_str());
  return out;
}

}  // namespace

std::vector<std::string> render_heatmaps(const std::vector<Heatmap>& panels, int rows, int cols,
                                         const std::string& prefix, const std::string& title,
                                         const std::string& template_file) {
  const std::string tpl = read_template(template_file);
  std::size_t max_cols = 1;
  for (const auto& p : panels) max_cols = std::max(max_cols, p.col_labels.size());
  const int width = std::max(700, static_cast<int>(std::min<std::size_t>(max_cols, 160) * 9 * cols + 200));
  const int height = 260 * rows + 80;
  std::ostringstream o;
  o << header(prefix, template_file, width, height, title, rows, cols, panels.size());
  for (std::size_t i = 0; i < panels.size(); ++i) {
    const auto& p = panels[i];
    const std::size_t n = i + 1;
    double top = p.cbmax;
    if (!(top > 0))
      for (const auto& r : p.z)
        for (double x : r) top = std::max(top, x);
    if (!(top > 0)) top = 1;
    std::string xt = "(", yt = "(";
    for (std::size_t c = 0; c < p.col_labels.size(); ++c) xt += (c ? ", " : "") + gnuplot_quote(p.col_labels[c]) + " " + std::to_string(c);
    for (std::size_t r = 0; r < p.row_labels.size(); ++r) yt += (r ? ", " : "") + gnuplot_quote(p.row_labels[r]) + " " + std::to_string(r);
    o << "panel_title_" << n << " = " << gnuplot_quote(p.title) << "\nncols_" << n << " = " << p.col_labels.size()
      << "\nnrows_" << n << " = " << p.row_labels.size() << "\nxtics_" << n << " = " << single_quote(xt + ")")
      << "\nytics_" << n << " = " << single_quote(yt + ")") << "\ncbmax_" << n << " = " << number(top) << "\n";
    o << "$d_" << n << "_1 << EOD\n";
    for (std::size_t r = 0; r < p.z.size(); ++r) {
      for (std::size_t c = 0; c < p.z[r].size(); ++c) o << c << " " << r << " " << number(p.z[r][c]) << "\n";
      o << "\n";
    }
    o << "EOD\n";
  }
  o << "# ---- template: " << template_file << " ----\n" << tpl;
  return run_gnuplot(prefix, o.str());
}

std::vector<std::string> render_curves(const std::vector<CurvePanel>& panels, int rows, int cols,
                                       const std::string& prefix, const std::string& title,
                                       const std::string& template_file, const FigureVars& extra) {
  const std::string tpl = read_template(template_file);
  std::ostringstream o;
  o << header(prefix, template_file, std::max(640, 360 * cols), 300 * rows + 70, title, rows, cols, panels.size());
  for (const auto& [k, v] : extra.strings) o << k << " = " << gnuplot_quote(v) << "\n";
  for (const auto& [k, v] : extra.numbers) o << k << " = " << number(v) << "\n";
  for (std::size_t i = 0; i < panels.size(); ++i) {
    const auto& p = panels[i];
    const std::size_t n = i + 1;
    o << "panel_title_" << n << " = " << gnuplot_quote(p.title) << "\nxlabel_" << n << " = " << gnuplot_quote(p.xlabel)
      << "\nylabel_" << n << " = " << gnuplot_quote(p.ylabel) << "\nlogx_" << n << " = " << (p.logx ? 1 : 0) << "\nlogy_"
      << n << " = " << (p.logy ? 1 : 0) << "\nncurves_" << n << " = " << p.curves.size() << "\n";
    for (std::size_t k = 0; k < p.curves.size(); ++k) {
      const auto& c = p.curves[k];
      o << "curve_title_" << n << "_" << k + 1 << " = " << gnuplot_quote(c.name) << "\n";
      o << "$d_" << n << "_" << k + 1 << " << EOD\n";
      for (std::size_t j = 0; j < c.x.size(); ++j) o << number(c.x[j]) << " " << number(c.y[j]) << "\n";
      o << "EOD\n";
    }
  }
  o << "# ---- template: " << template_file << " ----\n" << tpl;
  return run_gnuplot(prefix, o.str());
}

}  // namespace cast
