# written by cast; render with: gnuplot -e "fmt='png'" results/demo/curves.gp  (or fmt='svg')
if (!exists("fmt")) fmt = "png"
if (fmt eq "svg") {
  set terminal svg size 720,660 dynamic font "Sans,9"
  set output "results/demo/curves.svg"
} else {
  set terminal pngcairo size 720,660 font "Sans,9"
  set output "results/demo/curves.png"
}
set key top right font ",8"
set grid
$c0_0 << EOD
1 1.82188
2 0.68212
3 0.730107
4 0.610745
5 0.591707
EOD
$c0_1 << EOD
1 2.42299
2 2.13641
3 1.94281
4 1.85447
5 1.83836
EOD
$c0_2 << EOD
1 0.773564
2 0.834714
3 0.773458
4 0.808739
5 0.820428
EOD
$c0_3 << EOD
1 0.722218
2 0.725712
3 0.705148
4 0.85484
5 0.792255
EOD
$c0_4 << EOD
1 2.17638
2 0.673111
3 0.85958
4 0.634068
5 0.627857
EOD
$c0_5 << EOD
1 2.10893
2 0.714026
3 0.735495
4 0.739659
5 0.72283
EOD
$c0_6 << EOD
1 0.987612
2 0.967627
3 0.877833
4 0.822046
5 0.802236
EOD
$c1_0 << EOD
1 0.226945
2 0.187419
3 0.201705
4 0.156313
5 0.153032
EOD
$c1_1 << EOD
1 0.495369
2 0.348047
3 0.283207
4 0.271487
5 0.270601
EOD
$c1_2 << EOD
1 0.197337
2 0.151675
3 0.164531
4 0.148969
5 0.147642
EOD
$c1_3 << EOD
1 0.180081
2 0.169531
3 0.146257
4 0.146233
5 0.14697
EOD
$c1_4 << EOD
1 0.287951
2 0.141004
3 0.161518
4 0.13562
5 0.134214
EOD
$c1_5 << EOD
1 0.190399
2 0.249035
3 0.236166
4 0.157735
5 0.149453
EOD
$c1_6 << EOD
1 0.283767
2 0.16494
3 0.137212
4 0.173775
5 0.15232
EOD
$c2_0 << EOD
1 0.242108
2 0.157271
3 0.141839
4 0.164684
5 0.128926
EOD
$c2_1 << EOD
1 0.418891
2 0.347579
3 0.325364
4 0.322683
5 0.32251
EOD
$c2_2 << EOD
1 0.180653
2 0.167375
3 0.15916
4 0.143632
5 0.146016
EOD
$c2_3 << EOD
1 0.185099
2 0.176556
3 0.157513
4 0.150935
5 0.146839
EOD
$c2_4 << EOD
1 0.333753
2 0.180624
3 0.138474
4 0.158329
5 0.145464
EOD
$c2_5 << EOD
1 0.176941
2 0.23592
3 0.211138
4 0.171043
5 0.152623
EOD
$c2_6 << EOD
1 0.208371
2 0.178639
3 0.173225
4 0.168099
5 0.161196
EOD
$c3_0 << EOD
1 9.7722
2 6.96025
3 5.89291
4 5.37574
5 5.36353
EOD
$c3_1 << EOD
1 8.12968
2 6.40854
3 6.54225
4 6.54601
5 6.53798
EOD
$c3_2 << EOD
1 5.8262
2 6.16462
3 5.38543
4 5.55777
5 5.58287
EOD
$c3_3 << EOD
1 6.23773
2 6.32949
3 5.52656
4 5.50037
5 5.48778
EOD
$c3_4 << EOD
1 8.38659
2 6.32798
3 6.24897
4 5.89858
5 6.0335
EOD
$c3_5 << EOD
1 6.67987
2 6.68386
3 5.53049
4 5.3317
5 5.40833
EOD
$c3_6 << EOD
1 6.37488
2 6.02154
3 4.79407
4 5.3532
5 5.18622
EOD
set multiplot layout 2,2 title "Learning curves, table1, profile demo"
set title "band\\_gap (seed 0)"
set xlabel "epoch"
set ylabel "validation MAE"
set logscale y
plot $c0_0 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "cogn", $c0_1 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "bert", $c0_2 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "crysmmnet-frozen", $c0_3 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "crysmmnet-lora", $c0_4 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "multimat", $c0_5 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "cast-scratch", $c0_6 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "cast"
set title "log\\_gvrh (seed 0)"
set xlabel "epoch"
set ylabel "validation MAE"
set logscale y
plot $c1_0 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "cogn", $c1_1 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "bert", $c1_2 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "crysmmnet-frozen", $c1_3 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "crysmmnet-lora", $c1_4 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "multimat", $c1_5 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "cast-scratch", $c1_6 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "cast"
set title "log\\_kvrh (seed 0)"
set xlabel "epoch"
set ylabel "validation MAE"
set logscale y
plot $c2_0 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "cogn", $c2_1 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "bert", $c2_2 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "crysmmnet-frozen", $c2_3 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "crysmmnet-lora", $c2_4 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "multimat", $c2_5 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "cast-scratch", $c2_6 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "cast"
set title "total\\_energy (seed 0)"
set xlabel "epoch"
set ylabel "validation MAE"
set logscale y
plot $c3_0 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "cogn", $c3_1 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "bert", $c3_2 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "crysmmnet-frozen", $c3_3 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "crysmmnet-lora", $c3_4 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "multimat", $c3_5 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "cast-scratch", $c3_6 using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 title "cast"
unset multiplot
