# bench/bars.gp: a clustered bar chart with each bar's value above it, for
# bench/report.  Set with -e: data (a TSV file: a header row naming the
# series, then one row per group: its label, then one value per series, "-"
# where there is none), series (how many), out, term ("svg" or "png"),
# title, ylabel.
if (term eq "svg") {
	set terminal svg size 1000,560 dynamic font "sans,12" background "white"
} else {
	set terminal pngcairo size 1000,560 font "sans,10" background "white"
}
set output out
set datafile separator "\t"
set datafile missing "-"
set title title noenhanced
set ylabel ylabel noenhanced
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key top right noenhanced autotitle columnheader
set grid ytics
set yrange [0:*]
set offsets 0, 0, graph 0.08, 0
set xtics rotate by 30 right noenhanced nomirror
set ytics nomirror
set border 3
x(i) = $0 + (i - 2 - (series - 1) / 2.0) / (series + 1.0)
plot for [i=2:series+1] data using i:xtic(1), \
	for [i=2:series+1] data using (x(i)):i:(stringcolumn(i)) with labels offset 0,0.6 font ",9" notitle
