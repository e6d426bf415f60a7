#include "report/plots.hpp"

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
    if (ch == '@' || ch == '_' || ch == '^' || ch == '{' || ch == '}' || ch == '&') out += "\\\\";  // enhanced text
    if (ch == '\n') { out += "\\n"; continue; }
    out += ch;
  }
  return out + "\"";
}

namespace {

std::string header(const std::string& prefix, int width, int height) {
  std::ostringstream o;
  o << "# written by cast; render with: gnuplot -e \"fmt='png'\" " << prefix << ".gp  (or fmt='svg')\n"
    << "if (!exists(\"fmt\")) fmt = \"png\"\n"
    << "if (fmt eq \"svg\") {\n  set terminal svg size " << width << "," << height << " dynamic font \"Sans,9\"\n"
    << "  set output " << gnuplot_quote(prefix + ".svg") << "\n} else {\n"
    << "  set terminal pngcairo size " << width << "," << height << " font \"Sans,9\"\n"
    << "  set output " << gnuplot_quote(prefix + ".png") << "\n}\n";
  return o.str();
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
                                         const std::string& prefix, const std::string& title) {
  std::size_t max_cols = 1;
  for (const auto& p : panels) max_cols = std::max(max_cols, p.col_labels.size());
  const int width = std::max(700, static_cast<int>(std::min<std::size_t>(max_cols, 160) * 9 * cols + 200));
  const int height = 260 * rows + 80;
  std::ostringstream o;
  o << header(prefix, width, height);
  o << "set palette defined (0 'white', 1 '#fdd49e', 2 '#fc8d59', 3 '#b30000')\nunset key\n"
    << "set tics nomirror out scale 0.5\nset xtics rotate by 90 right font \",6\"\nset ytics font \",8\"\n";
  for (std::size_t i = 0; i < panels.size(); ++i) {
    const auto& p = panels[i];
    o << "$map" << i << " << EOD\n";
    for (std::size_t r = 0; r < p.z.size(); ++r) {
      for (std::size_t c = 0; c < p.z[r].size(); ++c) o << c << " " << r << " " << p.z[r][c] << "\n";
      o << "\n";
    }
    o << "EOD\n";
  }
  o << "set multiplot layout " << rows << "," << cols << " title " << gnuplot_quote(title) << "\n";
  for (std::size_t i = 0; i < panels.size(); ++i) {
    const auto& p = panels[i];
    o << "set title " << gnuplot_quote(p.title) << "\n";
    o << "set xrange [-0.5:" << (static_cast<double>(p.col_labels.size()) - 0.5) << "]\n";
    o << "set yrange [" << (static_cast<double>(p.row_labels.size()) - 0.5) << ":-0.5]\n";
    o << "set xtics (";
    for (std::size_t c = 0; c < p.col_labels.size(); ++c) o << (c ? ", " : "") << gnuplot_quote(p.col_labels[c]) << " " << c;
    o << ")\nset ytics (";
    for (std::size_t r = 0; r < p.row_labels.size(); ++r) o << (r ? ", " : "") << gnuplot_quote(p.row_labels[r]) << " " << r;
    o << ")\nplot $map" << i << " using 1:2:3 with image\n";
  }
  o << "unset multiplot\n";
  return run_gnuplot(prefix, o.str());
}

std::vector<std::string> render_curves(const std::vector<CurvePanel>& panels, int rows, int cols,
                                       const std::string& prefix, const std::string& title) {
  std::ostringstream o;
  o << header(prefix, std::max(640, 360 * cols), 300 * rows + 60);
  o << "set key top right font \",8\"\nset grid\n";
  for (std::size_t i = 0; i < panels.size(); ++i)
    for (std::size_t k = 0; k < panels[i].curves.size(); ++k) {
      o << "$c" << i << "_" << k << " << EOD\n";
      const auto& c = panels[i].curves[k];
      for (std::size_t j = 0; j < c.x.size(); ++j) o << c.x[j] << " " << c.y[j] << "\n";
      o << "EOD\n";
    }
  o << "set multiplot layout " << rows << "," << cols << " title " << gnuplot_quote(title) << "\n";
  for (std::size_t i = 0; i < panels.size(); ++i) {
    const auto& p = panels[i];
    o << "set title " << gnuplot_quote(p.title) << "\nset xlabel " << gnuplot_quote(p.xlabel) << "\nset ylabel "
      << gnuplot_quote(p.ylabel) << "\n" << (p.logy ? "set logscale y\n" : "unset logscale y\n");
    if (p.curves.empty()) {
      o << "set label 1 'no data' at graph 0.4, graph 0.5\nplot NaN notitle\nunset label 1\n";
      continue;
    }
    o << "plot ";
    for (std::size_t k = 0; k < p.curves.size(); ++k)
      o << (k ? ", " : "") << "$c" << i << "_" << k << " using 1:2 with " << (p.histogram ? "steps" : "linespoints pt 7 ps 0.4")
        << " lw 1.5 title " << gnuplot_quote(p.curves[k].name);
    o << "\n";
  }
  o << "unset multiplot\n";
  return run_gnuplot(prefix, o.str());
}

}  // namespace cast
