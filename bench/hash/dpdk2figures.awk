# dpdk2figures.awk: turn DPDK 22.11's hash_perf_autotest output into dpkit
# figure lines ("name value cycles"), named as `dpkit bench hash` names
# them: hash_<primary|pushes|ext>_<nodata|data>_<hash|prehash>_key<N>_<op>_cycles.
# Only the "Without locks in the code" sections and the extendable-bucket
# section are kept (dpkit's table has no lock/HTM mode).
/Without locks in the code/            { locks = "no" }
/With locks in the code/               { locks = "yes" }
/ALL ELEMENTS IN PRIMARY LOCATION/     { loc = "primary" }
/ELEMENTS IN PRIMARY OR SECONDARY/     { loc = "pushes" }
/EXTENDABLE BUCKETS PERFORMANCE/       { loc = "ext"; locks = "no" }
/Operations without data/              { data = "nodata" }
/Operations with 8-byte data/          { data = "data" }
/Without pre-computed hash values/     { h = "hash" }
/With pre-computed hash values/        { h = "prehash" }
/^[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ *$/ {
	if (locks != "no" || loc == "" || data == "" || h == "") next
	p = "hash_" loc "_" data "_" h "_key" $1 "_"
	print p "add_cycles " $2 " cycles"
	print p "lookup_cycles " $3 " cycles"
	print p "lookup_bulk_cycles " $4 " cycles"
	print p "delete_cycles " $5 " cycles"
}
