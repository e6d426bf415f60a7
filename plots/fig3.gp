# Figure 3: the gnuplot template `cast plot fig3` fills from the results store.
# Above this text cast writes the data ($d_<layer>_<model>: bin edge, fraction of node pairs, as
# steps) and variables: fmt, out_png, out_svg, width, height, figure_title, bins_note (the bin
# edges), rows, cols, npanels, xmin, xmax (one axis for every panel), and per panel i:
# panel_title_i, xlabel_i, ylabel_i, logx_i, logy_i, ncurves_i, curve_title_i_k.
# Edit this file to restyle the figure (or pass your own with `cast plot fig3 --template FILE`).
if (fmt eq "svg") {
  set terminal svg size width,height dynamic font "Sans,9"
  set output out_svg
} else {
  set terminal pngcairo size width,height font "Sans,9"
  set output out_png
}
set key top left font ",8" noenhanced
set grid
set xrange [xmin:xmax]
set format x "10^{%L}"
set multiplot layout rows,cols title figure_title."\n".bins_note noenhanced
do for [i=1:npanels] {
  set title value(sprintf("panel_title_%d", i)) noenhanced
  set xlabel value(sprintf("xlabel_%d", i)) noenhanced
  set ylabel value(sprintf("ylabel_%d", i)) noenhanced
  if (value(sprintf("logx_%d", i))) {
    set logscale x
  } else {
    unset logscale x
  }
  n = value(sprintf("ncurves_%d", i))
  plot for [k=1:n] sprintf('$d_%d_%d', i, k) using 1:2 with steps lw 1.5 title value(sprintf("curve_title_%d_%d", i, k))
}
unset multiplot
