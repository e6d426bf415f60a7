# Learning curves: the gnuplot template `cast plot curves` fills from the results store.
# Above this text cast writes the data ($d_<panel>_<curve>: epoch, validation MAE) and variables:
#   fmt ("png" or "svg"), out_png, out_svg, width, height, figure_title, rows, cols, npanels,
#   and per panel i: panel_title_i, xlabel_i, ylabel_i, logx_i, logy_i, ncurves_i, curve_title_i_k.
# Edit this file to restyle the figure (or pass your own with `cast plot curves --template FILE`).
if (fmt eq "svg") {
  set terminal svg size width,height dynamic font "Sans,9"
  set output out_svg
} else {
  set terminal pngcairo size width,height font "Sans,9"
  set output out_png
}
set key top right font ",8" noenhanced
set grid
set multiplot layout rows,cols title figure_title noenhanced
do for [i=1:npanels] {
  set title value(sprintf("panel_title_%d", i)) noenhanced
  set xlabel value(sprintf("xlabel_%d", i)) noenhanced
  set ylabel value(sprintf("ylabel_%d", i)) noenhanced
  if (value(sprintf("logy_%d", i))) {
    set logscale y
  } else {
    unset logscale y
  }
  n = value(sprintf("ncurves_%d", i))
  if (n == 0) {
    set label 1 "no data" at graph 0.4, graph 0.5
    plot NaN notitle
    unset label 1
  } else {
    plot for [k=1:n] sprintf('$d_%d_%d', i, k) using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 \
         title value(sprintf("curve_title_%d_%d", i, k))
  }
}
unset multiplot
