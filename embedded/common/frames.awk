# frames.awk - stack frame size of each function, from the prologue in
# `objdump -d -C` output of an ARM Thumb image: push {...} (4 bytes per
# register), vpush {...} (4 per s-register, 8 per d-register) and
# sub sp, #N / sub.w sp, sp, #N / subw sp, sp, #N in the first 12
# instructions. Output: "<bytes>\t<function>".
/^[0-9a-f]+ <.*>:$/ {
    if (fn != "" && size > 0) printf "%d\t%s\n", size, fn
    fn = substr($0, index($0, "<") + 1); sub(/>:$/, "", fn)
    size = 0; n = 0; next
}
fn != "" && /^ +[0-9a-f]+:/ {
    n++
    if (n > 12) next
    line = $0
    if (line ~ /\tpush(\.w)?\t\{/ || line ~ /\tstmdb(\.w)?\tsp!, \{/) {
        regs = line; sub(/.*\{/, "", regs); sub(/\}.*/, "", regs)
        size += 4 * (gsub(/,/, ",", regs) + 1)
    } else if (line ~ /\tvpush\t\{/) {
        regs = line; sub(/.*\{/, "", regs); sub(/\}.*/, "", regs)
        k = gsub(/,/, ",", regs) + 1
        if (regs ~ /-/) { split(regs, r, "-"); a = r[1]; b = r[2]; gsub(/[^0-9]/, "", a); gsub(/[^0-9]/, "", b); k = b - a + 1 }
        size += (regs ~ /d[0-9]/ ? 8 : 4) * k
    } else if (line ~ /\tsub(\.w|w)?\tsp, (sp, )?#/) {
        v = line; sub(/.*#/, "", v); sub(/[^0-9x].*/, "", v)
        if (v ~ /^0x/) { h = substr(v, 3); v = 0; for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1 }
        size += v
    }
}
END { if (fn != "" && size > 0) printf "%d\t%s\n", size, fn }
