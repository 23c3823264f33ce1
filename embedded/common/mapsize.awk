# mapsize.awk - sum the input sections that one archive contributes to a
# GNU ld link map (-Wl,-Map=...). Usage:
#
#   awk -v lib=libnanodtls.a -f mapsize.awk image.map
#
# Prints "text=N rodata=N data=N bss=N other=N" (bytes, decimal), where
# other = unwind tables and anything else allocated. Only the part after
# "Linker script and memory map" counts (discarded sections are listed
# before it). Works with mawk (no strtonum).

function hex(s,    i, c, v) {
    s = tolower(s)
    sub(/^0x/, "", s)
    v = 0
    for (i = 1; i <= length(s); i++) {
        c = index("0123456789abcdef", substr(s, i, 1))
        if (c == 0) return -1
        v = v * 16 + c - 1
    }
    return v
}

function account(name, size, file) {
    if (index(file, lib "(") == 0) return
    if (name ~ /^\.(text|glue_7|vfp11)/) text += size
    else if (name ~ /^\.s?rodata/) rodata += size
    else if (name ~ /^\.s?data/) data += size
    else if (name ~ /^\.s?bss/ || name == "COMMON") bss += size
    else if (name ~ /^\.(debug|comment|ARM\.attributes|riscv\.attributes|note)/) return
    else other += size
}

BEGIN { text = rodata = data = bss = other = 0; active = 0; pending = "" }

/^Linker script and memory map/ { active = 1; next }
!active { next }

# An input section on one line: " .name  0xADDR  0xSIZE  file"
/^ [^ *]/ {
    if (NF >= 4 && $2 ~ /^0x/ && $3 ~ /^0x/) {
        account($1, hex($3), $4)
        pending = ""
    } else if (NF == 1) {
        pending = $1        # address, size and file follow on the next line
    } else {
        pending = ""
    }
    next
}

/^ +0x[0-9a-fA-F]+ +0x[0-9a-fA-F]+ +[^ ]/ {
    if (pending != "") account(pending, hex($2), $3)
    pending = ""
    next
}

{ pending = "" }

END { printf "text=%d rodata=%d data=%d bss=%d other=%d\n", text, rodata, data, bss, other }
