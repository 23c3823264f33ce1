# exec-profile.awk - instructions per function from a QEMU log made with
# `-d in_asm,exec,nochain`. in_asm prints each translation block once
# ("IN: <symbol>" then one line per instruction); exec prints one
# "Trace ..." line each time a block runs ([.../<pc>/...] <symbol>).
# Output: "<instructions>\t<percent>\t<symbol>" per function.
/^IN: / { inblk = 1; start = ""; n = 0; next }
inblk && /^0x[0-9a-fA-F]+:/ {
    if (start == "") { start = tolower(substr($1, 3, length($1) - 3)); while (length(start) < 8) start = "0" start }
    n++
    next
}
inblk { if (start != "") size[start] = n; inblk = 0 }
/^Trace / {
    i = index($0, "[")
    rest = substr($0, i + 1)
    split(rest, f, "/")
    pc = tolower(f[2])
    j = index(rest, "] ")
    sym = (j > 0) ? substr(rest, j + 2) : "?"
    if (sym == "") sym = "?"
    c = (pc in size) ? size[pc] : 1
    ins[sym] += c
    total += c
}
END {
    for (s in ins) printf "%d\t%.2f\t%s\n", ins[s], 100 * ins[s] / total, s
    printf "%d\t100\t(total)\n", total
}
