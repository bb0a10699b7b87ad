#!/bin/sh
# A commissioner's nightly check: audit every provider's rota and every open bid, keep the CSV and
# HTML reports, and say which need a person to look at them. Uses only carerota's exit codes and
# its CSV output, so it runs from cron as it is.
#
#   usage: nightly-check.sh OUT_DIR BIDS.csv ROTA...      e.g. from the project root:
#   examples/tenders/nightly-check.sh /tmp/nightly examples/tenders/bids.csv examples/tenders/*.csv
#
# Exit status: 0 all clear, 1 findings or a bid below cost, 2 a file could not be read.
set -u
CAREROTA=${CAREROTA:-carerota}
out=$1 bids=$2
shift 2
day=$(date +%Y-%m-%d)
mkdir -p "$out/$day"

# Every rota: one CSV row per file (file,status,error,...). Exit 2 > 1 > 0.
$CAREROTA batch "$@" --quiet --format csv --output "$out/$day/rotas.csv" --html "$out/$day/rotas.html"
rotas=$?
# Every bid: can its price pay the wage floor with travel paid? Exit 1 if any cannot.
$CAREROTA tender "$bids" --quiet --format csv --output "$out/$day/bids.csv" --html "$out/$day/bids.html"
bids_status=$?

# Name what needs a look: rotas not "ok" and bids "below cost" (columns 2 and 7 of the CSVs).
if [ -f "$out/$day/rotas.csv" ]; then
    awk -F, 'NR > 1 && $2 != "ok" && $2 != "" { print "rota " $2 ": " $1 }' "$out/$day/rotas.csv"
fi
if [ -f "$out/$day/bids.csv" ]; then
    awk -F, 'NR > 1 && $7 == "below cost" { print "bid below cost: " $1 " (price " $2 ", floor " $5 ")" }' \
        "$out/$day/bids.csv"
fi

status=0
for s in $rotas $bids_status; do
    [ "$s" -gt "$status" ] && status=$s
done
case $status in
    0) echo "all clear: reports in $out/$day" ;;
    1) echo "findings: reports in $out/$day" ;;
    *) echo "some input could not be read (rotas exit $rotas, bids exit $bids_status): see above" >&2 ;;
esac
exit $status
