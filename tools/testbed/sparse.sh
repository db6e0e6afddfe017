#!/bin/bash
# sparse, for CHECK= in kernel builds.  Debian 12's sparse 0.6.4 rejects
# the multi-letter extensions in riscv -march strings ("_zicsr_zifencei",
# ...); they change nothing sparse checks, so drop them and run sparse.
args=()
for a in "$@"; do
	case $a in
	-march=*) args+=("${a%%_*}") ;;
	*) args+=("$a") ;;
	esac
done
exec sparse "${args[@]}"
