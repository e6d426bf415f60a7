# written by cast; render with: gnuplot -e "fmt='png'" results/small/curves.gp  (or fmt='svg')
if (!exists("fmt")) fmt = "png"
if (fmt eq "svg") {
  set terminal svg size 720,360 dynamic font "Sans,9"
  set output "results/small/curves.svg"
} else {
  set terminal pngcairo size 720,360 font "Sans,9"
  set output "results/small/curves.png"
}
set key top right font ",8"
set grid
$c0_0 << EOD
1 0.157656
2 0.137881
3 0.199484
4 0.131681
5 0.141182
6 0.10616
7 0.180675
8 0.110603
EOD
$c0_1 << EOD
1 0.307224
2 0.302708
3 0.299154
4 0.296164
5 0.296129
6 0.294245
7 0.293355
8 0.293108
EOD
$c0_2 << EOD
1 0.192105
2 0.142542
3 0.149004
4 0.105107
5 0.143172
6 0.10793
7 0.145518
8 0.114076
EOD
$c0_3 << EOD
1 0.205347
2 0.146842
3 0.37
4 0.143008
5 0.13372
6 0.114938
7 0.139465
8 0.117406
EOD
$c0_4 << EOD
1 0.205498
2 0.162768
3 0.307738
4 0.147474
5 0.158207
6 0.116146
7 0.143198
8 0.113477
EOD
$c0_5 << EOD
1 0.216918
2 0.119913
3 0.261649
4 0.12798
5 0.144139
6 0.102695
7 0.120769
8 0.0968684
EOD
$c0_6 << EOD
1 0.182577
2 0.139917
3 0.142046
4 0.105584
5 0.234432
6 0.110592
7 0.111588
8 0.10259
EOD
$c1_0 << EOD
1 0.198519
2 0.13479
3 0.257339
4 0.126386
5 0.167674
6 0.109832
7 0.124598
8 0.110369
EOD
$c1_1 << EOD
1 0.305282
2 0.304181
3 0.299108
4 0.298299
5 0.294033
6 0.293807
7 0.294675
8 0.294399
EOD
$c1_2 << EOD
1 0.182483
2 0.131208
3 0.142362
4 0.111638
5 0.138509
6 0.103476
7 0.145354
8 0.105823
EOD
$c1_3 << EOD
1 0.185289
2 0.135759
3 0.146237
4 0.113141
5 0.192826
6 0.12797
7 0.142467
8 0.112186
EOD
$c1_4 << EOD
1 0.153469
2 0.124304
3 0.185635
4 0.117609
5 0.131242
6 0.100425
7 0.143361
8 0.106703
EOD
$c1_5 << EOD
1 0.135877
2 0.185917
3 0.305584
4 0.183207
5 0.270281
6 0.151411
7 0.219255
8 0.138357
EOD
$c1_6 << EOD
1 0.178288
2 0.149814
3 0.368771
4 0.174696
5 0.182781
6 0.129224
7 0.234327
8 0.134264
EOD
set multiplot layout 1,2 title "Learning curves, table1, profile small"
set title "log\\_gvrh (seed 0)"
set xlabel "epoch"
set ylabel "validation MAE"
set logscale y
plot $c0_0 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "cogn", $c0_1 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "bert", $c0_2 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "crysmmnet-frozen", $c0_3 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "crysmmnet-lora", $c0_4 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "cast-scratch", $c0_5 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "multimat", $c0_6 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "cast"
set title "log\\_kvrh (seed 0)"
set xlabel "epoch"
set ylabel "validation MAE"
set logscale y
plot $c1_0 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "cogn", $c1_1 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "bert", $c1_2 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "crysmmnet-frozen", $c1_3 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "crysmmnet-lora", $c1_4 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "multimat", $c1_5 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "cast-scratch", $c1_6 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "cast"
unset multiplot
