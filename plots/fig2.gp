# Figure 2: the gnuplot template `cast plot fig2` fills from the results store.
# Above this text cast writes the data ($d_<panel>_1: token index, node index, attention weight)
# and variables: fmt, out_png, out_svg, width, height, figure_title, rows, cols, npanels, and per
# panel i: panel_title_i, ncols_i, nrows_i, xtics_i and ytics_i (tic lists: tokens and nodes),
# cbmax_i (the colour scale's top, shared by the models of one layer so they compare by eye).
# Edit this file to restyle the figure (or pass your own with `cast plot fig2 --template FILE`).
if (fmt eq "svg") {
  set terminal svg size width,height dynamic font "Sans,9"
  set output out_svg
} else {
  set terminal pngcairo size width,height font "Sans,9"
  set output out_png
}
set palette defined (0 'white', 1 '#fdd49e', 2 '#fc8d59', 3 '#b30000')
unset key
set tics nomirror out scale 0.5
set xtics rotate by 90 right font ",6" noenhanced
set ytics font ",8" noenhanced
set multiplot layout rows,cols title figure_title noenhanced
do for [i=1:npanels] {
  set title value(sprintf("panel_title_%d", i)) noenhanced
  set xrange [-0.5:value(sprintf("ncols_%d", i)) - 0.5]
  set yrange [value(sprintf("nrows_%d", i)) - 0.5:-0.5]
  eval "set xtics ".value(sprintf("xtics_%d", i))
  eval "set ytics ".value(sprintf("ytics_%d", i))
  set cbrange [0:value(sprintf("cbmax_%d", i))]
  plot sprintf('$d_%d_1', i) using 1:2:3 with image
}
unset multiplot
