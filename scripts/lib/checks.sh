# Shared by the test scripts that print one line per check and end with
# "N passed, M failed" (source it; bash).
nd_pass=0
nd_fail=0
# nd_ok NAME
nd_ok() {
    nd_pass=$((nd_pass + 1))
    echo "ok   $1"
}
# nd_bad NAME LOG: a failed check and the end of its log.
nd_bad() {
    nd_fail=$((nd_fail + 1))
    echo "FAIL $1 (see $2):"
    tail -n 15 "$2" | sed 's/^/     /'
}
# nd_summary: print the counts; fails if any check failed.
nd_summary() {
    echo "$nd_pass passed, $nd_fail failed"
    [ "$nd_fail" -eq 0 ]
}
